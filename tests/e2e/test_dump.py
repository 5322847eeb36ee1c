"""`pyrometer dump`: every thread's stack once, its state, and the GIL holder, on every
CPython found (conftest.py)."""
import json
import subprocess
import time

import pytest

from e2e_util import assert_error, describe, start_target, stop

DUMP_TRIES = 10


def dump(pyrometer, pid, *args):
    return subprocess.run([str(pyrometer), "dump", "-p", str(pid)] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


def started(python, busy):
    proc = start_target(python, "dump_states.py", busy)
    return proc, {role: tid for role, tid in json.loads(proc.stdout.readline()).items()}


def settled(pyrometer, proc, tids):
    """A JSON dump once the waiting threads have got to their waits (the main thread
    prints its thread ids just before its time.sleep())."""
    deadline = time.monotonic() + 10
    while True:
        d = dump(pyrometer, proc.pid, "--json")
        assert d.returncode == 0, describe(d)
        doc = json.loads(d.stdout)
        threads = by_tid(doc)
        if all(threads[tids[r]]["state"] == "sleeping" for r in ("blocked", "sleeper", "main")) or \
                time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def by_tid(doc):
    return {t["native_id"]: t for t in doc["threads"]}


def test_dump_json_names_states_and_gil_holder(pyrometer, python):
    proc, tids = started(python, 1)
    try:
        doc = settled(pyrometer, proc, tids)
        assert doc["pid"] == proc.pid and doc["python"] == "%d.%d.%d" % python.version
        threads = by_tid(doc)
        assert set(threads) == set(tids.values()), (tids, doc)
        funcs = {role: [f["function"].rsplit(".", 1)[-1] for f in threads[tid]["frames"]]
                 for role, tid in tids.items()}
        assert funcs["busy"][0] == "busy_loop", funcs
        assert funcs["blocked"][0] == "blocked_on_lock", funcs
        assert funcs["sleeper"][0] == "sleeping", funcs
        assert funcs["main"] == ["main", "<module>"], funcs
        assert all(t["complete"] for t in doc["threads"]), doc
        for role in ("blocked", "sleeper", "main"):
            t = threads[tids[role]]
            assert t["state"] == "sleeping" and t["gil"] is False, (role, t)
        # The busy thread is alone in wanting the GIL: it holds it whenever it runs
        # Python code; a dump can still catch it between two bytecodes' checks.
        for _ in range(DUMP_TRIES):
            t = by_tid(json.loads(dump(pyrometer, proc.pid, "--json").stdout))[tids["busy"]]
            if t["gil"] and t["state"] == "running":
                break
        else:
            pytest.fail("the busy thread was never seen running with the GIL: %r" % t)
        assert sum(1 for t in doc["threads"] if t["gil"]) <= 1, doc
    finally:
        stop(proc)


def test_dump_text_has_the_same_content(pyrometer, python):
    proc, tids = started(python, 1)
    try:
        doc = settled(pyrometer, proc, tids)
        text = dump(pyrometer, proc.pid)
        assert text.returncode == 0, describe(text)
        out = text.stdout
        assert out.startswith("pid %d: " % proc.pid) and ("Python %d.%d.%d," % python.version) in out, out
        for t in doc["threads"]:
            header = "Thread %d (0x%x)" % (t["native_id"], t["thread_id"])
            assert header in out, (header, out)
            block = out.split(header, 1)[1].split("\nThread ", 1)[0]
            for f in t["frames"]:
                assert "    %s  %s:" % (f["function"], f["file"]) in block, (f, block)
        sleeper = out.split("Thread %d " % tids["sleeper"], 1)[1].split("\n", 1)[0]
        assert sleeper.endswith(": sleeping"), sleeper
    finally:
        stop(proc)


def test_dump_sees_threads_waiting_for_the_gil(pyrometer, python):
    """Three busy threads: one holds the GIL, the others sleep on it (seen through the
    futex they wait on). Several dumps, since a waiter can be caught just woken."""
    proc, tids = started(python, 3)
    try:
        # Until they reach their waits, the other threads contend for the GIL too.
        settled(pyrometer, proc, tids)
        busy = [tids[r] for r in ("busy", "busy2", "busy3")]
        waits = 0
        for _ in range(DUMP_TRIES):
            threads = by_tid(json.loads(dump(pyrometer, proc.pid, "--json").stdout))
            states = [threads[tid]["state"] for tid in busy]
            assert sum(1 for tid in busy if threads[tid]["gil"]) <= 1, threads
            waits += states.count("waiting for the GIL")
            assert all(threads[tid]["state"] != "waiting for the GIL" for tid in
                       (tids["sleeper"], tids["blocked"], tids["main"])), threads
        assert waits >= DUMP_TRIES, "busy threads seen waiting for the GIL only %d times" % waits
    finally:
        stop(proc)


def test_dump_errors(pyrometer, tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert_error(dump(pyrometer, gone.pid), "no such process")
    proc = subprocess.run([str(pyrometer), "dump"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert proc.returncode == 2 and "usage: pyrometer dump" in proc.stderr, describe(proc)
    proc = subprocess.run([str(pyrometer), "dump", "-p", "12x"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    assert_error(proc, "process id", status=2)
    h = subprocess.run([str(pyrometer), "dump", "-h"], stdout=subprocess.PIPE, universal_newlines=True)
    assert h.returncode == 0 and "--json" in h.stdout
