"""A target that forks: the child works and exits, the parent works and waits for it.

Usage: python forks.py [SECONDS]          (default 1.5)

The parent runs `parent_work` for SECONDS; the child (made by os.fork) runs
`child_work` for half of that, prints "child done" and leaves with os._exit(0). The
parent then reaps it and prints "parent done child_status=<status>"; the last stdout line
is JSON with both pids and the status. Tests check both finish normally while recorded.

Runs on CPython 3.6 and later (Linux).
"""
import json
import os
import sys
import time


def burn(seconds):
    deadline = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < deadline:
        for i in range(2000):
            x = (x * 3 + i) & 0xFFFF
    return x


def child_work(seconds):
    burn(seconds)


def parent_work(seconds):
    burn(seconds)


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
    sys.stdout.flush()  # nothing buffered may be printed twice after the fork
    child = os.fork()
    if child == 0:
        child_work(seconds / 2)
        print("child done", flush=True)
        os._exit(0)
    parent_work(seconds)
    _, status = os.waitpid(child, 0)
    print("parent done child_status=%d" % status, flush=True)
    print(json.dumps({
        "target": "forks",
        "pid": os.getpid(),
        "child_pid": child,
        "python": sys.version.split()[0],
        "child_status": status,
    }), flush=True)
