"""Short-lived threads started one after another, to catch a new thread's stack being
recorded under the thread that started it.

Usage: python thread_churn.py [SECONDS]        (default 2)

The main thread starts `churn_worker` threads in a loop until the deadline, a few alive
at a time; each spins for about a millisecond in `churn_spin` and exits. A thread state
made for a new thread carries its creator's ids until the thread starts, so a sampler
that reads the ids and the frames at different moments can put `churn_worker` under the
main thread. The last stdout line is JSON with the main thread's tid (the pid) and the
tids the workers saw for themselves (3.8+, or ctypes on Linux; None entries otherwise).

Runs on CPython 3.6 and later.
"""
import json
import os
import sys
import threading
import time

from threads import native_thread_id  # this file's folder is sys.path[0]

ALIVE = 4
seen = []
lock = threading.Lock()


def churn_spin(until):
    n = 0
    while time.perf_counter() < until:
        n += 1
    return n


def churn_worker():
    tid = native_thread_id()
    with lock:
        seen.append(tid)
    churn_spin(time.perf_counter() + 0.001)


def spawner(deadline):
    live = []
    started = 0
    while time.perf_counter() < deadline:
        live = [t for t in live if t.is_alive()]
        while len(live) < ALIVE:
            t = threading.Thread(target=churn_worker)
            t.start()
            live.append(t)
            started += 1
        time.sleep(0.0002)
    for t in live:
        t.join()
    return started


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    started = spawner(time.perf_counter() + seconds)
    print(json.dumps({"pid": os.getpid(), "started": started, "worker_tids": sorted(set(t for t in seen if t))}))


if __name__ == "__main__":
    main()
