"""CPU work split about 70/30 between work_a and work_b; the true split is measured.

Usage: python split.py [SECONDS]          (default 3)

Both functions call the same inner loop, `spin`, so a profiler can tell them apart only
from the stack. They alternate in chunks of seeded-random size (roughly 50-200 us each),
so timer jitter and any periodicity of the sampler average out. The target measures the
wall time (perf_counter) and CPU time (process_time) spent inside each function and
prints them as JSON on its last stdout line: that is the truth tests compare against,
never the nominal 70/30.

Runs on CPython 3.6 and later.
"""
import json
import os
import random
import sys
import time

WEIGHT_A = 7  # work_a gets 7 units of inner work per round ...
WEIGHT_B = 3  # ... and work_b gets 3, hence about 70/30

wall = {"work_a": 0.0, "work_b": 0.0}
cpu = {"work_a": 0.0, "work_b": 0.0}


def spin(n):
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFF
    return x


def work_a(n):
    w0 = time.perf_counter()
    c0 = time.process_time()
    spin(n)
    cpu["work_a"] += time.process_time() - c0
    wall["work_a"] += time.perf_counter() - w0


def work_b(n):
    w0 = time.perf_counter()
    c0 = time.process_time()
    spin(n)
    cpu["work_b"] += time.process_time() - c0
    wall["work_b"] += time.perf_counter() - w0


def main(seconds):
    rng = random.Random(1234)
    rounds = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        unit = rng.randint(100, 400)
        work_a(WEIGHT_A * unit)
        work_b(WEIGHT_B * unit)
        rounds += 1
    return rounds, time.perf_counter() - start


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    rounds, elapsed = main(seconds)
    print(json.dumps({
        "target": "split",
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "rounds": rounds,
        "elapsed": elapsed,
        "wall": wall,
        "cpu": cpu,
    }), flush=True)
