"""A busy three-deep call chain that reports how its interpreter was built and started.

Usage: python buildinfo.py [SECONDS]          (default 2)

The module body calls `main` (line `# ENTRY`), which calls `middle` (line `# MIDDLE`),
which calls `spin` (line `# SPIN`), which burns CPU until the deadline. So while spinning
the main thread's stack is exactly:

    <module> @ENTRY, main @MIDDLE, middle @SPIN, spin

The last stdout line is JSON: the pid, the version, sys.executable, sys.prefix and
sys.base_prefix (they differ in a virtual environment), what /proc/self/exe points to,
and the libpython files in /proc/self/maps (none for a static build), so tests can tell
a venv, a copied interpreter and a shared build from the real thing.

Runs on CPython 3.6 and later.
"""
import json
import os
import sys
import time


def spin(deadline):
    x = 0
    while time.perf_counter() < deadline:
        for i in range(1000):
            x = (x + i) & 0xFFFF
    return x


def middle(deadline):
    return spin(deadline)  # SPIN


def main(seconds):
    return middle(time.perf_counter() + seconds)  # MIDDLE


def mapped_libpython():
    """The distinct libpython files mapped into this process, as the kernel names them."""
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6:
                path = fields[5].strip()
                if os.path.basename(path).startswith("libpython") and path not in found:
                    found.append(path)
    return found


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    main(seconds)  # ENTRY
    print(json.dumps({
        "target": "buildinfo",
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "exe": os.readlink("/proc/self/exe"),
        "libpython": mapped_libpython(),
    }), flush=True)
