"""Garbage collection on demand: cycles of objects built, dropped, and collected.

Usage: python gc_churn.py [SECONDS]        (default 1.5)

`churn` builds reference cycles and calls gc.collect() every 200 batches (the line
marked COLLECT), timing each collection itself. The last stdout line is JSON with the
run's length and the time spent inside gc.collect(), so a test can compare the
profile's garbage-collection frame with it.

Runs on CPython 3.6 and later.
"""
import gc
import json
import sys
import time


class Node:
    def __init__(self):
        self.ref = self


def churn(seconds):
    deadline = time.perf_counter() + seconds
    keep, in_gc = [], 0.0
    while time.perf_counter() < deadline:
        keep.append([Node() for _ in range(1000)])
        if len(keep) > 200:
            keep = []
            t = time.perf_counter()
            gc.collect()  # COLLECT
            in_gc += time.perf_counter() - t
    return in_gc


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
    gc.disable()  # only the collections churn asks for
    start = time.perf_counter()
    in_gc = churn(seconds)
    print(json.dumps({"seconds": time.perf_counter() - start, "gc_seconds": in_gc}))


if __name__ == "__main__":
    main()
