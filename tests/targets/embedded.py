"""The Python side of tests/embed/host.c: one busy function per thread role.

host.c runs this file four times at once, each time with the globals ROLE and SECONDS
set: "main" on its main thread, "thread" on a C thread in the main interpreter, "sub1"
and "sub2" on C threads in two sub-interpreters. Each run calls run() from module level,
which busies that role's own function (hot_main, hot_thread, hot_sub1, hot_sub2) for
SECONDS seconds, so every sample of a role is <module> -> run -> hot_<role>.

All four share one GIL (sub-interpreters made by Py_NewInterpreter share the main one,
3.12+ included), and on 3.9 to 3.12 a thread waiting for it does not make a thread of
another interpreter let go: run back to back, the roles took four times as long. So each
loop sleeps for YIELD_SECONDS after each YIELD_EVERY of work, inline: during the sleep
hot_<role> is still the innermost Python frame.

Run directly (python embedded.py [SECONDS], default 2) it plays the main role.

Runs on CPython 3.6 and later, in a sub-interpreter too: it imports only time (built in).
"""
import time

YIELD_EVERY = 0.001
YIELD_SECONDS = 0.0001


def hot_main(seconds):
    now = time.perf_counter()
    deadline = now + seconds
    pause = now + YIELD_EVERY
    x = 0
    while now < deadline:
        for i in range(1000):
            x = (x + i) & 0xFFFF
        now = time.perf_counter()
        if now >= pause:
            time.sleep(YIELD_SECONDS)
            pause = now + YIELD_EVERY
    return x


def hot_thread(seconds):
    now = time.perf_counter()
    deadline = now + seconds
    pause = now + YIELD_EVERY
    x = 1
    while now < deadline:
        for i in range(1000):
            x = (x * 3 + i) & 0xFFFF
        now = time.perf_counter()
        if now >= pause:
            time.sleep(YIELD_SECONDS)
            pause = now + YIELD_EVERY
    return x


def hot_sub1(seconds):
    now = time.perf_counter()
    deadline = now + seconds
    pause = now + YIELD_EVERY
    x = 2
    while now < deadline:
        for i in range(1000):
            x = (x ^ i) + 1 & 0xFFFF
        now = time.perf_counter()
        if now >= pause:
            time.sleep(YIELD_SECONDS)
            pause = now + YIELD_EVERY
    return x


def hot_sub2(seconds):
    now = time.perf_counter()
    deadline = now + seconds
    pause = now + YIELD_EVERY
    x = 3
    while now < deadline:
        for i in range(1000):
            x = (x + 7 * i) & 0xFFFF
        now = time.perf_counter()
        if now >= pause:
            time.sleep(YIELD_SECONDS)
            pause = now + YIELD_EVERY
    return x


HOT = {"main": hot_main, "thread": hot_thread, "sub1": hot_sub1, "sub2": hot_sub2}


def run(role, seconds):
    return HOT[role](seconds)  # RUN


if "ROLE" not in globals():  # run directly rather than by host.c
    import sys
    ROLE = "main"
    SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0

result = run(ROLE, SECONDS)  # ENTRY
