"""A target that dies abruptly while it is being recorded.

Usage: python dies_midway.py SECONDS exit CODE     -> os._exit(CODE) after SECONDS
       python dies_midway.py SECONDS kill          -> SIGKILL itself after SECONDS

Prints "ready pid=<pid>" first, then burns CPU in `doomed_work` (a few frames deep) and
dies from inside it, with no interpreter shutdown: the recorder sees the process vanish
between two samples. Tests check the recording is still complete and summarised.

Runs on CPython 3.6 and later.
"""
import os
import signal
import sys
import time


def die(how, code):
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(code)


def doomed_work(seconds, how, code):
    deadline = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < deadline:
        for i in range(2000):
            x = (x * 5 + i) & 0xFFFF
    die(how, code)


if __name__ == "__main__":
    seconds = float(sys.argv[1])
    how = sys.argv[2]
    code = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print("ready pid=%d" % os.getpid(), flush=True)
    doomed_work(seconds, how, code)
