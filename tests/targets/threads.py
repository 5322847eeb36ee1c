"""Four busy threads and four sleeping threads, with the main thread waiting in join().

Usage: python threads.py [SECONDS]          (default 2)

`busy_worker` burns CPU until the deadline; `sleepy_worker` sleeps in time.sleep() until
the deadline, waking every 500 ms. Each worker records its OS thread id (what the kernel
and pyrometer call a tid), and the last stdout line is JSON listing the busy and sleepy
tids, the main thread's, the process's CPU time, each worker's lifetime (workers start
one by one, the last ones late when busy threads hold the GIL), and each worker's own
CPU time and the main thread's inside main() (3.7+), so tests can match the profile's
threads to their kinds, their lifetimes and their CPU use.

Runs on CPython 3.6 and later (OS thread ids need 3.8+ or ctypes on Linux).
"""
import json
import os
import platform
import sys
import threading
import time

BUSY = 4
SLEEPY = 4

lock = threading.Lock()
tids = {"busy": [], "sleepy": []}
cpu_seconds = {}  # tid -> CPU time of each worker, and of the main thread inside main()
wall_seconds = {}  # tid -> how long each worker ran, from its first line to its last


def _gettid_syscall():
    """Before 3.8: a function asking the kernel directly, or None. Resolved here, in the
    main thread at import, so no worker's stack shows the import of ctypes."""
    try:
        import ctypes
        nr_gettid = {"x86_64": 186, "aarch64": 178}[platform.machine()]
        syscall = ctypes.CDLL(None).syscall
        return lambda: syscall(nr_gettid)
    except Exception:
        return None


_GETTID = None if hasattr(threading, "get_native_id") else _gettid_syscall()


def native_thread_id():
    """The kernel's id for the calling thread, or None if it cannot be found."""
    if hasattr(threading, "get_native_id"):
        return threading.get_native_id()
    return _GETTID() if _GETTID else None


def thread_cpu_time():
    """The calling thread's CPU time in seconds, or None before 3.7."""
    clock = getattr(time, "thread_time", None)
    return clock() if clock else None


def busy_worker(deadline):
    started = time.perf_counter()
    tid = native_thread_id()
    with lock:
        tids["busy"].append(tid)
    x = 0
    while time.perf_counter() < deadline:
        for i in range(1000):
            x = (x + i) & 0xFFFF
    cpu_seconds[tid] = thread_cpu_time()
    wall_seconds[tid] = time.perf_counter() - started
    return x


def sleepy_worker(deadline):
    started = time.perf_counter()
    tid = native_thread_id()
    with lock:
        tids["sleepy"].append(tid)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        # Long sleeps: each wake-up waits for the GIL behind 4 busy workers (up to
        # tens of ms on 3.6's GIL on a loaded machine), and that wait is not idle.
        time.sleep(min(left, 0.5))
    cpu_seconds[tid] = thread_cpu_time()
    wall_seconds[tid] = time.perf_counter() - started


def main(seconds):
    started = thread_cpu_time()
    deadline = time.perf_counter() + seconds
    workers = [threading.Thread(target=busy_worker, args=(deadline,), name="busy-%d" % i)
               for i in range(BUSY)]
    workers += [threading.Thread(target=sleepy_worker, args=(deadline,), name="sleepy-%d" % i)
                for i in range(SLEEPY)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    if started is not None:
        cpu_seconds[native_thread_id()] = thread_cpu_time() - started


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    main(seconds)
    print(json.dumps({
        "target": "threads",
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "main_tid": native_thread_id(),
        "busy_tids": tids["busy"],
        "sleepy_tids": tids["sleepy"],
        "cpu": time.process_time(),
        "thread_cpu": dict((str(k), v) for k, v in cpu_seconds.items()),
        "thread_wall": dict((str(k), v) for k, v in wall_seconds.items()),
    }), flush=True)
