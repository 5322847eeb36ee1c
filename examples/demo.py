"""pyrometer's demo: a small program with an obvious hot spot.

A report generator that parses some records, scores them and formats a
summary. Most of the time goes into `score()`, which tests membership in a
list inside a loop; `pyrometer record -- python3 examples/demo.py` shows it.
"""
import json
import random
import time


def make_records(n):
    rng = random.Random(42)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    return [{"id": i, "tags": rng.sample(words, 3), "value": rng.random()} for i in range(n)]


def parse(records):
    return [json.loads(json.dumps(r)) for r in records]


def score(record, blocklist):
    total = 0.0
    for i in range(200):
        if i in blocklist:          # the hot line: membership test on a list
            total += record["value"]
    return total


def rank(records):
    blocklist = list(range(0, 400, 3))
    return sorted(records, key=lambda r: score(r, blocklist), reverse=True)


def render(records):
    lines = []
    for r in records[:20]:
        lines.append("%5d %-30s %.3f" % (r["id"], ",".join(r["tags"]), r["value"]))
    return "\n".join(lines)


def main():
    start = time.time()
    records = parse(make_records(6000))
    top = rank(records)
    text = render(top)
    print(text.splitlines()[0])
    print("ranked %d records in %.2fs" % (len(top), time.time() - start))


if __name__ == "__main__":
    main()
