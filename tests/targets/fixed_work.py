"""A fixed amount of CPU-bound work that reports how long it took: the slowdown probe.

Usage: python fixed_work.py [ROUNDS]          (default 200)

Does ROUNDS rounds of the same pure-Python work (function calls a few frames deep, so
the profiler has a realistic stack to read) and prints the elapsed wall time in seconds
(perf_counter, excluding interpreter start-up) as JSON on its last stdout line.

Runs on CPython 3.6 and later.
"""
import json
import sys
import time


def leaf(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFF
    return x


def middle(n):
    return leaf(n) + leaf(n // 2)


def one_round():
    total = 0
    for _ in range(10):
        total += middle(1000)
    return total


def run(rounds):
    start = time.perf_counter()
    for _ in range(rounds):
        one_round()
    return time.perf_counter() - start


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps({"target": "fixed_work", "rounds": rounds,
                      "elapsed": run(rounds)}), flush=True)
