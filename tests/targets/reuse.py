"""Code objects created and freed in a loop, so their addresses get reused.

Usage: python reuse.py [SECONDS]          (default 2)

Each round compiles a fresh function named f_<k> whose body starts at line k+2 of its
own "file" <gen-k>, runs it briefly, then drops it: the code object is freed and the
next round's new code object often lands at the same address. f_<k> calls leaf_even or
leaf_odd by the parity of k, and those two never change, so a stack is a witness: a
profiler that caches code objects by address without noticing reuse shows an f_<k>
calling the other parity's leaf. Tests check that, and every f_<k> frame's file and
lines against <gen-k>.

Runs on CPython 3.6 and later.
"""
import json
import os
import sys
import time


def leaf_even(n):
    x = 0
    for i in range(n):
        x += i
    return x


def leaf_odd(n):
    x = 0
    for i in range(n):
        x -= i
    return x


def run(seconds):
    deadline = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < deadline:
        k = k % 200 + 1
        leaf = "leaf_odd" if k % 2 else "leaf_even"
        src = "\n" * k + "def f_%d(n):\n    return %s(n)\n" % (k, leaf)
        ns = {"leaf_even": leaf_even, "leaf_odd": leaf_odd}
        exec(compile(src, "<gen-%d>" % k, "exec"), ns)
        ns["f_%d" % k](3000)
        del ns
    return k


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    print("ready pid=%d" % os.getpid(), flush=True)
    run(seconds)
    print(json.dumps({"target": "reuse", "pid": os.getpid()}))
