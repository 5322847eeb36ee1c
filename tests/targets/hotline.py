"""A hot loop on one known line, marked with the comment "HOT".

Usage: python hotline.py [SECONDS]          (default 2)

About 90% of the time is spent executing the line marked `# HOT` inside `hot`; the rest
is the `for` line driving it. The call sites are marked too (`# CALL-MAIN` in the module
body, `# CALL-HOT` in `main`), so a test can check every frame's line, not just the
leaf's. Tests find the marked lines by scanning this file, so edit freely.

Runs on CPython 3.6 and later.
"""
import json
import os
import sys
import time


def hot(n):
    x = 0
    for i in range(n):
        x = (x * 1103515245 + i * 12345 + (i >> 2)) % 2147483647  # HOT
    return x


def main(seconds):
    deadline = time.perf_counter() + seconds
    rounds = 0
    while time.perf_counter() < deadline:
        hot(20000)  # CALL-HOT
        rounds += 1
    return rounds


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    rounds = main(seconds)  # CALL-MAIN
    print(json.dumps({
        "target": "hotline",
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "rounds": rounds,
    }), flush=True)
