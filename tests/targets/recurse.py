"""Recursion 800 frames deep, busy at the bottom for the whole run.

Usage: python recurse.py [SECONDS] [DEPTH]          (defaults 2 and 800)

The module body calls `descend(DEPTH)` (line marked `# ENTRY`); `descend` calls itself
(line `# RECURSE`) until n == 1, then calls the leaf `spin` (line `# LEAF`), which burns
CPU until the deadline. So while spinning the main thread's stack is exactly:

    <module> @ENTRY, descend @RECURSE x (DEPTH-1), descend @LEAF, spin

Tests find the marked lines by scanning this file.

Runs on CPython 3.6 and later.
"""
import json
import os
import sys
import time


def spin(deadline):
    x = 0
    while time.perf_counter() < deadline:
        for i in range(2000):
            x = (x + i) & 0xFFFF
    return x


def descend(n, deadline):
    if n > 1:
        return descend(n - 1, deadline)  # RECURSE
    return spin(deadline)  # LEAF


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 800
    sys.setrecursionlimit(depth + 1000)
    deadline = time.perf_counter() + seconds
    descend(depth, deadline)  # ENTRY
    print(json.dumps({
        "target": "recurse",
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "depth": depth,
    }), flush=True)
