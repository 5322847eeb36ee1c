"""Recursion to a chosen stack depth, then a busy loop: the benchmark's sampling target.

Usage: python deep.py DEPTH SECONDS

The main thread's Python stack is exactly DEPTH frames while busy: `<module>`, then
`deep` DEPTH-2 times, then the leaf `bottom`. "ready pid=<pid>" is printed once the
bottom is reached, so a benchmark can attach only when the stack is at full depth.

Runs on CPython 3.6 and later.
"""
import os
import sys
import time


def bottom(deadline):
    print("ready pid=%d" % os.getpid(), flush=True)
    x = 0
    while time.perf_counter() < deadline:
        for i in range(2000):
            x = (x + i) & 0xFFFF
    return x


def deep(n, deadline):
    if n > 0:
        return deep(n - 1, deadline)
    return bottom(deadline)


if __name__ == "__main__":
    depth = int(sys.argv[1])
    seconds = float(sys.argv[2])
    if depth < 3:
        sys.exit("deep.py: DEPTH must be at least 3")
    sys.setrecursionlimit(depth + 1000)
    # deep(k) makes k+1 frames of deep; plus <module> and bottom gives DEPTH.
    deep(depth - 3, time.perf_counter() + seconds)
