"""Line numbers in awkward places, with CPython's own answer to compare against.

Every phase reaches `burn` from a different kind of code: a loop whose header spans
lines, a multi-line expression, a lambda, a multi-line lambda and a comprehension. Each
phase is first run once with a probe: `burn` then records, from sys._getframe(1), the
line and name CPython itself gives the calling frame at that call (the value a traceback
would show). Then the phase runs for real, and a profiler should find `burn`'s caller at
exactly that line and name. Prints one JSON line: {"truth": [[name, line], ...]}.

Usage: lines.py [SECONDS]   (valid Python 3.6)
"""
import json
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
SLICE = 0.02
TRUTH = {}


def burn(probe=None):
    if probe is not None:
        caller = sys._getframe(1)
        code = caller.f_code
        TRUTH[probe] = (getattr(code, "co_qualname", code.co_name), caller.f_lineno)
        return 0
    end = time.perf_counter() + SLICE
    n = 0
    while (time.perf_counter()
           < end):
        n += 1
    return 0


def loop_header_spans_lines(probe):
    total = 0
    for i in range(
            2):
        total += burn(
            probe)
    return total


def multi_line_expression(probe):
    x = (len([1, 2]) *
         3 +
         burn(probe) -
         4)
    return x


one_line_lambda = lambda probe: burn(probe)

multi_line_lambda = (lambda probe:
                     0 +
                     burn(probe))


def comprehension(probe):
    return [burn(probe)
            for _ in range(2)
            if _ >= 0]


PHASES = [loop_header_spans_lines, multi_line_expression, one_line_lambda,
          multi_line_lambda, comprehension]


def main():
    for i, phase in enumerate(PHASES):
        phase(i)
    end = time.perf_counter() + SECONDS
    while time.perf_counter() < end:
        for phase in PHASES:
            phase(None)
    print(json.dumps({"truth": [list(TRUTH[i]) for i in range(len(PHASES))]}))


main()
