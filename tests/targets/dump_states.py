"""Threads in known states for `pyrometer dump`: one busy, one blocked on a lock, one in
time.sleep(), one asleep in a function with known local variables (LOCALS), and two
more busy ones in a second group that contend for the GIL. Every thread but the main
one has a Python name of its own ("pyro-<role>", the locals one with non-ASCII letters).

Usage: python dump_states.py [BUSY] [SECONDS]     (default 1 busy thread, 60 s)

Prints "ready pid=N" once every thread has started, then one JSON line mapping each
role ("busy", "busy2", ..., "blocked", "sleeper", "locals", "main") to its OS thread id,
so a test can match dump's threads to what they are doing, then one JSON line mapping
each role to its Python thread name. Exits after SECONDS.

Runs on CPython 3.6 and later (OS thread ids need 3.8+ or ctypes on Linux).
"""
import json
import os
import platform
import sys
import threading
import time


def _gettid():
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    import ctypes
    nr_gettid = {"x86_64": 186, "aarch64": 178}[platform.machine()]
    return ctypes.CDLL(None).syscall(nr_gettid)


tids = {}
started = threading.Semaphore(0)
held = threading.Lock()
held.acquire()


def busy_loop(role):
    tids[role] = _gettid()
    started.release()
    x = 0
    while True:
        x += 1


def blocked_on_lock():
    tids["blocked"] = _gettid()
    started.release()
    held.acquire()


def sleeping():
    tids["sleeper"] = _gettid()
    started.release()
    time.sleep(10000)


# What with_locals() holds, for the tests to compare with (tests/e2e/test_dump.py
# imports this module to know them).
LOCALS = {
    "big": 3 ** 90,                 # beyond 64 bits
    "huge": -7 ** 200,              # too long to show whole
    "neg": -123456789,
    "small": 42,
    "flt": 2.5,
    "tiny": 1e-300,
    "text": "h\u00e9llo w\u00f6rld \u2713",
    "long_text": "x" * 10000,
    "ctrl": "bell\x07\u202e",
    "raw": b"\x00ab\xff\n",
    "yes": True,
    "no": False,
    "nothing": None,
    "items": [1, 2, 3],
}
LOCALS_NAME = "pyro-locals-\u00fcn\u00ef"


def with_locals():
    big = LOCALS["big"]
    huge = LOCALS["huge"]
    neg = LOCALS["neg"]
    small = LOCALS["small"]
    flt = LOCALS["flt"]
    tiny = LOCALS["tiny"]
    text = LOCALS["text"]
    long_text = LOCALS["long_text"]
    ctrl = LOCALS["ctrl"]
    raw = LOCALS["raw"]
    yes = LOCALS["yes"]
    no = LOCALS["no"]
    nothing = LOCALS["nothing"]
    items = LOCALS["items"]

    def inner():  # makes `text` a cell variable of with_locals
        return text
    tids["locals"] = _gettid()
    started.release()
    time.sleep(10000)
    return (big, huge, neg, small, flt, tiny, long_text, ctrl, raw, yes, no, nothing, items, inner)


def main():
    busy = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    tids["main"] = _gettid()
    workers = [(blocked_on_lock, (), "blocked"), (sleeping, (), "sleeper"), (with_locals, (), "locals")]
    workers += [(busy_loop, (role,), role) for role in ["busy" if i == 0 else "busy%d" % (i + 1) for i in range(busy)]]
    names = {"main": threading.current_thread().name}
    for fn, args, role in workers:
        names[role] = LOCALS_NAME if role == "locals" else "pyro-" + role
        threading.Thread(target=fn, args=args, daemon=True, name=names[role]).start()
    for _ in workers:
        started.acquire()
    print("ready pid=%d" % os.getpid(), flush=True)
    print(json.dumps(tids), flush=True)
    print(json.dumps(names), flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    main()
