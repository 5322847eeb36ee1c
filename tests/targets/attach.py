"""A long-running target to attach to; it must finish exactly as if nobody had looked.

Usage: python attach.py [SECONDS] [EXIT_CODE]          (defaults 5 and 7)

Prints "ready pid=<pid>" as soon as it is running Python code, burns CPU in
`attach_busy` for SECONDS, then prints "attach target finished normally" and exits with
EXIT_CODE. A test attaches while it runs and checks both lines and the exit code.

Runs on CPython 3.6 and later.
"""
import os
import sys
import time


def attach_busy(seconds):
    deadline = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < deadline:
        for i in range(2000):
            x = (x * 7 + i) & 0xFFFF
    return x


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    code = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    print("ready pid=%d" % os.getpid(), flush=True)
    attach_busy(seconds)
    print("attach target finished normally", flush=True)
    sys.exit(code)
