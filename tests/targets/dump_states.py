"""Threads in known states for `pyrometer dump`: one busy, one blocked on a lock, one in
time.sleep(), and two more busy ones in a second group that contend for the GIL.

Usage: python dump_states.py [BUSY] [SECONDS]     (default 1 busy thread, 60 s)

Prints "ready pid=N" once every thread has started, then one JSON line mapping each
role ("busy", "busy2", ..., "blocked", "sleeper", "main") to its OS thread id, so a test
can match dump's threads to what they are doing. Exits after SECONDS.

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


def main():
    busy = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    tids["main"] = _gettid()
    workers = [(blocked_on_lock, ()), (sleeping, ())]
    workers += [(busy_loop, ("busy" if i == 0 else "busy%d" % (i + 1),)) for i in range(busy)]
    for fn, args in workers:
        threading.Thread(target=fn, args=args, daemon=True).start()
    for _ in workers:
        started.acquire()
    print("ready pid=%d" % os.getpid(), flush=True)
    print(json.dumps(tids), flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    main()
