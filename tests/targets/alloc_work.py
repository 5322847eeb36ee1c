"""A fixed amount of allocation-heavy work that reports how long it took: the memory
agent's slowdown probe (bench/memory).

Usage: python alloc_work.py KIND [ROUNDS]          (default 100)

KIND is `alloc` (nothing but making and dropping objects: small tuples, dicts, lists
and strings, about 40,000 allocations a round) or `mixed` (a program's usual blend:
text parsed into records, records grouped and summed, some arithmetic, with a working
set of a few MB that is rebuilt as it goes). Prints the elapsed wall time in seconds
(perf_counter, excluding interpreter start-up) as JSON on its last stdout line.

Runs on CPython 3.6 and later.
"""
import json
import sys
import time


def alloc_round():
    out = []
    for i in range(4000):
        t = (i, i + 1, str(i))
        d = {"k": t, "v": [i, i * 2]}
        out.append(d)
        if len(out) > 500:
            out = out[250:]
    return len(out)


LINES = ["%d,user%d,%s,%d.%02d" % (i, i % 97, "abcdefgh"[i % 8] * (1 + i % 5), i % 1000, i % 100)
         for i in range(3000)]
KEEP = []


def mixed_round(r):
    groups = {}
    for line in LINES:
        n, user, tag, amount = line.split(",")
        rec = {"n": int(n), "user": user, "tag": tag, "amount": float(amount)}
        groups.setdefault(rec["user"], []).append(rec)
    totals = sorted(((sum(x["amount"] for x in recs), u) for u, recs in groups.items()), reverse=True)
    acc = 0
    for i in range(20000):
        acc = (acc * 31 + i) & 0xFFFF
    KEEP.append(totals)
    if len(KEEP) > 20:
        del KEEP[:10]
    return acc + len(totals)


def run(kind, rounds):
    start = time.perf_counter()
    for r in range(rounds):
        if kind == "alloc":
            alloc_round()
        else:
            mixed_round(r)
    return time.perf_counter() - start


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "alloc"
    if kind not in ("alloc", "mixed"):
        sys.exit("usage: alloc_work.py alloc|mixed [ROUNDS]")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    print(json.dumps({"kind": kind, "rounds": rounds, "elapsed": run(kind, rounds)}))


if __name__ == "__main__":
    main()
