"""Line numbers in awkward places are the ones CPython itself gives, on every version.

tests/targets/lines.py reaches one hot function, `burn`, from a loop whose header spans
lines, a multi-line expression, a one-line and a multi-line lambda, and a comprehension
(its own `<listcomp>` frame up to 3.11, inlined from 3.12). Before running for real it
asks CPython, through sys._getframe(1) at each call site, which name and line the
calling frame has there; those answers differ between versions (3.6 and 3.7 give a
multi-line expression its first line, 3.8+ the line of the call), and pyrometer must
agree with each.
"""
from e2e_util import TARGETS, describe, record

SECONDS = 3


def callers_of_burn(stacks):
    """{(caller name, caller line): weight} over stacks whose leaf is lines.py's burn."""
    out = {}
    for s in stacks:
        if len(s.frames) < 2:
            continue
        leaf, caller = s.frames[-1], s.frames[-2]
        if leaf.name == "burn" and leaf.file.endswith("lines.py"):
            key = (caller.name, caller.line)
            out[key] = out.get(key, 0) + s.weight
    return out


def test_call_sites_have_cpythons_own_lines(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "lines.pyro", [python, TARGETS / "lines.py", SECONDS]).check()
    truth = [tuple(t) for t in rec.target_json()["truth"]]
    assert len(set(truth)) == len(truth) == 5, truth
    callers = callers_of_burn(rec.collapsed())
    total = sum(callers.values())
    assert total > 0, "no samples in burn\n" + describe(rec.proc)

    table = "\n".join("  %-40s line %4d  %5.1f%%" % (n, l, 100.0 * w / total)
                      for (n, l), w in sorted(callers.items(), key=lambda kv: -kv[1]))
    matched = sum(callers.get(t, 0) for t in truth)
    # Each call site's own weight: the five phases run in turn for equal slices.
    for t in truth:
        share = callers.get(t, 0) / total
        assert share > 0.08, "call site %r (CPython's answer) has %.1f%% of burn's time; " \
            "burn's callers as sampled:\n%s" % (t, 100 * share, table)
    # Anything else is a wrong line or name: allow only a sliver (a sample taken while
    # `burn` was entered but the caller's instruction pointer had not settled).
    assert matched / total > 0.97, "only %.1f%% of burn's callers are at CPython's lines %r:\n%s" % (
        100.0 * matched / total, truth, table)
