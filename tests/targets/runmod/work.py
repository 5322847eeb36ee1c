"""The busy part of `python -m runmod`: main() calls spin() (line `# SPIN`) until the
deadline.

Runs on CPython 3.6 and later.
"""
import time


def spin(deadline):
    x = 0
    while time.perf_counter() < deadline:
        for i in range(1000):
            x = (x + i) & 0xFFFF
    return x


def main(seconds):
    return spin(time.perf_counter() + seconds)  # SPIN
