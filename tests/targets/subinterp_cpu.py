"""One OS thread running Python in two interpreters at once: `caller` in the main
interpreter enters a sub-interpreter (run_string) that burns CPU in `hot_in_sub`.

Usage: subinterp_cpu.py [SECONDS]   (3.8+, where CPython exposes run_string)
Prints one JSON line: {"cpu": process CPU seconds while calling}. Exits 3 when this
CPython has no module to run code in a sub-interpreter.
"""
import json
import sys
import time

try:
    import _interpreters as interpreters  # 3.13+
except ImportError:
    try:
        import _xxsubinterpreters as interpreters  # 3.8-3.12
    except ImportError:
        sys.exit(3)

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
CODE = """
import time
def hot_in_sub():
    end = time.perf_counter() + %r
    while time.perf_counter() < end:
        pass
hot_in_sub()
""" % SECONDS


def caller():
    sub = interpreters.create()
    interpreters.run_string(sub, CODE)
    interpreters.destroy(sub)


c0 = time.process_time()
caller()
print(json.dumps({"cpu": time.process_time() - c0}))
