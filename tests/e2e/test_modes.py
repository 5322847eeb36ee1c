"""Modes and idle threads: --mode gil, --idle/--no-idle, and each thread's share of time
running, holding the GIL, waiting for it and idle (docs/CLI.md, "Modes and idle threads").

threads.py runs 4 CPU-bound workers that take turns at the GIL and 4 workers asleep in
time.sleep(); each reports its own OS thread id, so the profile's threads can be told
apart by kind.
"""
import pytest

from e2e_util import TARGETS, describe, has_function, marker_line, record, weight_where

SECONDS = 2


def run(pyrometer, python, tmp_path, name, mode=None, extra=()):
    rec = record(pyrometer, tmp_path / (name + ".pyro"), [python, TARGETS / "threads.py", SECONDS],
                 mode=mode, extra=extra).check()
    return rec, rec.target_json(), rec.report_json()


@pytest.fixture(scope="module")
def wall_run(pyrometer, python, tmp_path_factory):
    """One default (wall) recording per interpreter, shared by the tests that read it."""
    return run(pyrometer, python, tmp_path_factory.mktemp("modes-wall"), "wall")


def seen_of(report, tids):
    """native id -> the thread's `seen` times, for the given tids."""
    out = {}
    for t in report["threads"]:
        if t["native_id"] in tids and t["seen"]:
            out[t["native_id"]] = t["seen"]
    return out


def test_help_describes_the_modes(pyrometer):
    import subprocess
    proc = subprocess.run([str(pyrometer), "record", "-h"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8")
    assert proc.returncode == 0, describe(proc)
    for word in ("gil:", "--idle, --no-idle", "cpu:", "--subprocesses"):
        assert word in proc.stdout, "record -h lacks %r:\n%s" % (word, proc.stdout)


def test_unknown_mode_is_refused(pyrometer, tmp_path):
    rec = record(pyrometer, tmp_path / "x.pyro", ["true"], mode="gilx")
    assert rec.returncode == 2, describe(rec.proc)
    assert "wall, cpu or gil" in rec.proc.stderr


def test_gil_mode_records_the_gil_holder(pyrometer, python, tmp_path):
    rec, truth, rep = run(pyrometer, python, tmp_path, "gil", mode="gil")
    assert rep["metadata"]["mode"] == "gil"
    stacks = rec.collapsed()
    total = weight_where(stacks, lambda s: True)
    busy = weight_where(stacks, has_function("busy_worker"))
    sleepy = weight_where(stacks, has_function("sleepy_worker"))
    # One thread holds the GIL almost all the time: the 4 busy workers take turns, the
    # main thread between them. The GIL holder's samples add up to the run's wall time.
    duration_us = rep["metadata"]["duration_ns"] / 1e3
    assert 0.80 * duration_us <= total <= 1.02 * duration_us, \
        "gil-mode samples add up to %.0f%% of the recording" % (100.0 * total / duration_us)
    assert sleepy <= 0.01 * total, "sleeping workers hold the GIL in %.1f%% of the profile" % (
        100.0 * sleepy / total)
    assert busy >= 0.80 * total, "busy workers hold the GIL in only %.1f%% of the profile" % (
        100.0 * busy / total)
    if None not in truth["busy_tids"]:
        for tid in truth["busy_tids"]:
            share = weight_where(stacks, lambda s: s.tid == tid) / busy
            # Four threads sharing one GIL: each gets a quarter, give or take the
            # switch interval's unevenness.
            assert 0.08 <= share <= 0.45, "busy thread %d holds the GIL %.0f%% of busy time" % (
                tid, 100 * share)


def test_every_thread_has_its_time_split(wall_run):
    rec, truth, rep = wall_run
    if None in truth["busy_tids"] + truth["sleepy_tids"]:
        pytest.skip("the target could not tell its thread ids on Python %s" % truth.get("version"))
    busy = seen_of(rep, truth["busy_tids"])
    sleepy = seen_of(rep, truth["sleepy_tids"])
    assert len(busy) == 4 and len(sleepy) == 4, "threads with times: busy %r sleepy %r" % (busy, sleepy)
    held = sum(t["gil_held_ns"] for t in busy.values())
    observed = max(t["observed_ns"] for t in busy.values())
    # The busy workers hold the GIL nearly all of the time they share, and wait for
    # it the rest: they never sleep on anything else.
    assert held >= 0.70 * observed, "busy workers held the GIL %.0f%% of the time" % (
        100.0 * held / observed)
    for tid, t in busy.items():
        waiting = t["gil_wait_ns"] / t["observed_ns"]
        assert waiting >= 0.30, "busy thread %d waited for the GIL only %.0f%% of its time" % (
            tid, 100 * waiting)
        assert t["idle_ns"] <= 0.05 * t["observed_ns"], "busy thread %d idle %.0f%%" % (
            tid, 100.0 * t["idle_ns"] / t["observed_ns"])
    for tid, t in sleepy.items():
        assert t["idle_ns"] >= 0.60 * t["observed_ns"], "sleeping thread %d idle only %.0f%%" % (
            tid, 100.0 * t["idle_ns"] / t["observed_ns"])
        assert t["gil_held_ns"] <= 0.05 * t["observed_ns"]
    # The same, as the summary prints it.
    assert "Threads (share of the time each was seen)" in rec.proc.stderr, rec.proc.stderr
    for tid in truth["busy_tids"] + truth["sleepy_tids"]:
        assert any(line.split()[:1] == [str(tid)] for line in rec.proc.stderr.splitlines()), \
            "thread %d missing from the summary's threads table:\n%s" % (tid, rec.proc.stderr)


def test_python_thread_names_are_recorded(wall_run):
    rec, truth, rep = wall_run
    if None in truth["busy_tids"] + truth["sleepy_tids"]:
        pytest.skip("the target could not tell its thread ids")
    names = {t["native_id"]: t["name"] for t in rep["threads"]}
    assert names.get(truth["pid"]) == "MainThread", names
    for kind in ("busy", "sleepy"):
        got = sorted(names.get(tid) or "?" for tid in truth[kind + "_tids"])
        assert got == ["%s-%d" % (kind, i) for i in range(4)], "%s threads named %r" % (kind, got)
    # The summary shows them too.
    assert "busy-0" in rec.proc.stderr and "MainThread" in rec.proc.stderr, rec.proc.stderr


def test_no_idle_in_wall_mode_drops_sleeping_threads(pyrometer, python, tmp_path):
    rec, truth, rep = run(pyrometer, python, tmp_path, "noidle", extra=["--no-idle"])
    stacks = rec.collapsed()
    busy = weight_where(stacks, has_function("busy_worker"))
    assert busy > 0, "no busy worker in the --no-idle profile"
    if None in truth["sleepy_tids"]:
        pytest.skip("the target could not tell its thread ids")
    # A sleeping worker wakes every 100 ms to check its deadline, and then waits for
    # the GIL the busy workers hold: those moments stay, the sleep goes.
    for tid in truth["sleepy_tids"]:
        lived = truth["thread_wall"][str(tid)] * 1e6
        kept = weight_where(stacks, lambda s: s.tid == tid)
        assert kept <= 0.5 * lived, "sleeping thread %d: %.0f of its %.0f us kept with --no-idle" % (
            tid, kept, lived)
        seen = seen_of(rep, [tid]).get(tid)
        assert seen, "no times for thread %d" % tid
        # What was kept is the time it was awake with a Python frame to record. The
        # moments with none (a new thread waits for the GIL before its first line, which
        # with four busy threads holding it, on a loaded machine, takes up to hundreds
        # of milliseconds) are no_python_ns. A round whose walk was torn is neither.
        assert "no_python_ns" in seen, seen
        awake = (seen["observed_ns"] - seen["idle_ns"] - seen["no_python_ns"]) / 1e3
        assert 0.9 * awake - 10000 <= kept <= awake + 1000, \
            "sleeping thread %d: %.0f us kept, but awake with Python frames %.0f us (%r)" % (
                tid, kept, awake, seen)


def test_idle_in_cpu_mode_keeps_sleeping_threads(pyrometer, python, tmp_path):
    rec, truth, rep = run(pyrometer, python, tmp_path, "cpuidle", mode="cpu", extra=["--idle"])
    stacks = rec.collapsed()
    assert rep["metadata"]["mode"] == "cpu"
    sleepy_tids = {s.tid for s in stacks if has_function("sleepy_worker")(s)}
    assert len(sleepy_tids) == 4, "sleeping workers in cpu --idle: %r" % sleepy_tids
    # Idle samples are weighted by wall time, so a sleeper's weight is most of its life
    # (without --idle it would be the CPU it used: about 1%). Rounds in which it ran
    # briefly are active, weighted by that CPU time: those are what is missing.
    for tid, seconds in truth["thread_wall"].items():
        if int(tid) not in sleepy_tids:
            continue
        profiled = weight_where(stacks, lambda s: s.tid == int(tid)) / 1e6
        assert profiled >= 0.5 * seconds, "sleeping thread %s: %.3fs in cpu --idle, lived %.3fs" % (
            tid, profiled, seconds)


def test_garbage_collection_is_its_own_frame(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "gc.pyro", [python, TARGETS / "gc_churn.py", 1.5]).check()
    truth = rec.target_json()
    stacks = rec.collapsed()
    collect = marker_line("gc_churn.py", "COLLECT")
    # Automatic collections while modules are imported show too; churn's are its own.
    in_gc = [s for s in stacks if s.frames and s.frames[-1].name == "(garbage collection)"
             and has_function("churn")(s)]
    assert in_gc, "no garbage-collection frame in a run that spent %.2fs collecting" % truth["gc_seconds"]
    # It sits on the call that collected: churn, at its gc.collect() line.
    for s in in_gc:
        assert len(s.frames) >= 2 and s.frames[-2].name == "churn" and s.frames[-2].line == collect, \
            "garbage collection under %s" % ";".join("%s:%d" % (f.name, f.line) for f in s.frames)
    profiled = weight_where(in_gc, lambda s: True) / 1e6
    # The target timed its collections: the frame's time is that, give or take what a
    # sample at each collection's edges cannot tell.
    assert abs(profiled - truth["gc_seconds"]) <= 0.15 * truth["gc_seconds"] + 0.02, \
        "%.3fs of garbage collection in the profile, %.3fs measured by the target" % (
            profiled, truth["gc_seconds"])
    # Code that allocates no containers never collects: recurse.py's spin loop.
    quiet = record(pyrometer, tmp_path / "nogc.pyro", [python, TARGETS / "recurse.py", 0.5, 50]).check()
    spinning = [s for s in quiet.collapsed() if has_function("spin")(s)]
    assert spinning and not any(s.frames[-1].name == "(garbage collection)" for s in spinning)
