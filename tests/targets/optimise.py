"""The same work done before and after a known optimisation, for `pyrometer diff`.

Usage: python optimise.py slow|fast [ROUNDS]        (default 40 rounds)

Each round, `lookup` tests 572 numbers for membership in 2000 items: a list when
"slow" (a linear scan each time: the optimisation target), a set when "fast". `steady`
does the same arithmetic in both modes, so only `lookup` should change.

Runs on CPython 3.6 and later.
"""
import sys


def lookup(items, probes):
    hits = 0
    for p in probes:
        if p in items:
            hits += 1
    return hits


def steady(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def main():
    mode = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    data = list(range(2000))
    items = data if mode == "slow" else set(data)
    probes = list(range(0, 4000, 7))
    for _ in range(rounds):
        lookup(items, probes)
        steady(30000)


if __name__ == "__main__":
    main()
