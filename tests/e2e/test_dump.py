"""`pyrometer dump`: every thread's stack once, its state, and the GIL holder, on every
CPython found (conftest.py)."""
import importlib.util
import json
import re
import subprocess
import time

import pytest

from e2e_util import TARGETS, assert_error, describe, start_target, stop

DUMP_TRIES = 10


def dump(pyrometer, pid, *args):
    return subprocess.run([str(pyrometer), "dump", "-p", str(pid)] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


def started(python, busy):
    """The target and its threads' OS ids by role; proc.names maps each role to the
    thread's Python name."""
    proc = start_target(python, "dump_states.py", busy)
    tids = {role: tid for role, tid in json.loads(proc.stdout.readline()).items()}
    proc.names = json.loads(proc.stdout.readline())
    return proc, tids


def target_module():
    """tests/targets/dump_states.py as a module, for the values its locals hold."""
    spec = importlib.util.spec_from_file_location("dump_states", str(TARGETS / "dump_states.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def settled(pyrometer, proc, tids):
    """A JSON dump once the waiting threads have got to their waits (the main thread
    prints its thread ids just before its time.sleep()), and none of them is shown
    holding the GIL: a dump reads the GIL and then each thread's state, a little later,
    so one taken as main goes to sleep can show it asleep with the GIL it just let go
    (seen once on 3.10). After 10 s, whatever the dump says."""
    deadline = time.monotonic() + 10
    while True:
        d = dump(pyrometer, proc.pid, "--json")
        assert d.returncode == 0, describe(d)
        doc = json.loads(d.stdout)
        threads = by_tid(doc)
        waiting = [threads[tids[r]] for r in ("blocked", "sleeper", "main")]
        if all(t["state"] == "sleeping" and not t["gil"] for t in waiting) or time.monotonic() > deadline:
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
        # Two of the three wait at any moment, but a waiter is caught awake now and then
        # (woken to ask for the GIL, or just handed it); on a loaded 2-core machine 3.13
        # showed 9 waits in 10 dumps. Dump until 10 waits were seen, at most 40 times: a
        # detector that never sees a wait still fails, and every dump is checked.
        waits = dumps = 0
        while waits < DUMP_TRIES and dumps < 4 * DUMP_TRIES:
            dumps += 1
            threads = by_tid(json.loads(dump(pyrometer, proc.pid, "--json").stdout))
            states = [threads[tid]["state"] for tid in busy]
            assert sum(1 for tid in busy if threads[tid]["gil"]) <= 1, threads
            waits += states.count("waiting for the GIL")
            assert all(threads[tid]["state"] != "waiting for the GIL" for tid in
                       (tids["sleeper"], tids["blocked"], tids["main"])), threads
        assert waits >= DUMP_TRIES, "busy threads seen waiting for the GIL only %d times in %d dumps" % (
            waits, dumps)
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
    assert h.returncode == 0 and "--json" in h.stdout and "--locals" in h.stdout, h.stdout


def os_comm(pid, tid):
    try:
        with open("/proc/%d/task/%d/comm" % (pid, tid)) as f:
            return f.read().rstrip("\n")
    except OSError:
        return None


def test_dump_shows_python_thread_names(pyrometer, python):
    """threading's names for every thread (the main one is "MainThread"), in JSON and
    in text, with the OS name kept apart."""
    proc, tids = started(python, 1)
    try:
        doc = settled(pyrometer, proc, tids)
        threads = by_tid(doc)
        assert proc.names["main"] == "MainThread", proc.names
        for role, tid in tids.items():
            t = threads[tid]
            assert t["python_name"] == proc.names[role], (role, t)
            assert t["name"] == proc.names[role], (role, t)
            assert t["os_name"] == os_comm(proc.pid, tid), (role, t)
        text = dump(pyrometer, proc.pid)
        assert text.returncode == 0, describe(text)
        for role, tid in tids.items():
            t = threads[tid]
            header = 'Thread %d (0x%x) "%s"' % (tid, t["thread_id"], proc.names[role])
            if t["os_name"] != proc.names[role]:
                header += ' (OS name "%s")' % t["os_name"]
            assert header in text.stdout, (header, text.stdout)
    finally:
        stop(proc)


def expected_text(value):
    """What dump shows for a value of a simple type (docs/CLI.md, "dump --locals")."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(value)
        if len(digits) <= 80:
            return digits
        sign = 1 if value < 0 else 0
        return "<int %s...%s, %d digits>" % (digits[:10 + sign], digits[-10:], len(digits) - sign)
    return repr(value)


def locals_of(frame):
    return {v["name"]: v for v in frame["locals"]}


def test_dump_locals(pyrometer, python):
    """Each simple type's value, a long str cut to 80 characters with its length, a
    list by its type, a cell variable through its cell, in JSON and in text."""
    mod = target_module()
    proc, tids = started(python, 1)
    try:
        settled(pyrometer, proc, tids)
        d = dump(pyrometer, proc.pid, "--json", "--locals")
        assert d.returncode == 0, describe(d)
        doc = json.loads(d.stdout)
        t = by_tid(doc)[tids["locals"]]
        assert t["frames"][0]["function"].rsplit(".", 1)[-1] == "with_locals", t
        got = locals_of(t["frames"][0])
        types = {int: "int", float: "float", str: "str", bytes: "bytes", bool: "bool", type(None): "NoneType",
                 list: "list"}
        for name, value in mod.LOCALS.items():
            assert name in got, (name, sorted(got))
            v = got[name]
            assert v["type"] == types[type(value)], (name, v)
            assert v["address"].startswith("0x") and int(v["address"], 16) > 0, (name, v)
            if name == "long_text":
                assert v["value"].startswith("'" + "x" * 40) and v["value"].endswith("'... (10000 chars)"), v
                assert len(v["value"]) <= 80, v
            elif name == "items":
                assert v["value"] == "<list object at %s>" % v["address"], v
            else:
                assert v["value"] == expected_text(value), (name, v, expected_text(value))
        assert got["text"].get("cell") is True, got["text"]
        assert "role" not in got, got  # another frame's local
        # Frames further out have their own locals; no frame lacks the key.
        assert all("locals" in f for tt in doc["threads"] for f in tt["frames"]), doc
        assert [f["function"].rsplit(".", 1)[-1] for f in by_tid(doc)[tids["busy"]]["frames"]][0] == "busy_loop"
        busy = locals_of(by_tid(doc)[tids["busy"]]["frames"][0])
        assert busy["role"]["value"] == "'busy'" and busy["x"]["type"] == "int", busy

        text = dump(pyrometer, proc.pid, "--locals")
        assert text.returncode == 0, describe(text)
        block = text.stdout.split("Thread %d " % tids["locals"], 1)[1].split("\nThread ", 1)[0]
        frame = re.split(r"\n    (?! )", block.split("with_locals  ", 1)[1], 1)[0]
        for name, value in mod.LOCALS.items():
            if name not in ("long_text", "items"):
                assert "\n        %s = %s\n" % (name, expected_text(value)) in frame + "\n", (name, frame)
        assert "\n        items = <list object at 0x" in frame, frame
        # Without --locals, none are read.
        plain = json.loads(dump(pyrometer, proc.pid, "--json").stdout)
        assert not any("locals" in f for tt in plain["threads"] for f in tt["frames"]), plain
    finally:
        stop(proc)
