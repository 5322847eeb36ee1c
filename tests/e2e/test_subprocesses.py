"""record --subprocesses: children made by multiprocessing (fork and spawn), os.fork and
subprocess are joined as they appear and every sample carries its process id; a child
that is not Python is left out; report --pid shows one process.

family.py prints, as its last line, which pids ran which hot function.
"""
import subprocess

import pytest

from e2e_util import TARGETS, describe, has_function, record, report, weight_where

SECONDS = 0.6
KINDS = ["pool-fork", "pool-spawn", "fork", "subprocess"]


def run(pyrometer, python, tmp_path, kind):
    rec = record(pyrometer, tmp_path / (kind + ".pyro"),
                 [python, TARGETS / "family.py", kind, SECONDS], extra=["--subprocesses"]).check()
    return rec, rec.target_json()


@pytest.mark.parametrize("kind", KINDS)
def test_every_childs_hot_function_appears_with_its_pid(pyrometer, python, tmp_path, kind):
    rec, truth = run(pyrometer, python, tmp_path, kind)
    stacks = rec.collapsed()
    assert all(s.pid is not None for s in stacks), \
        "a profile of several processes names each stack's pid"
    parent = truth["parent"]
    for func, pids in truth["children"].items():
        if func == "not_python":
            continue
        hot = [s for s in stacks if has_function(func)(s)]
        seen = {s.pid for s in hot}
        assert seen == set(pids), "%s ran in pids %r, but the profile shows it in %r" % (func, pids, seen)
        for pid in pids:
            # Each child burns about SECONDS (pool tasks: half of it, two per worker
            # here, though a fast worker may take three).
            w = weight_where(hot, lambda s: s.pid == pid) / 1e6
            assert w >= 0.3 * SECONDS, "pid %d: only %.3fs in %s" % (pid, w, func)
        # Every thread of a child has that child's pid: threads are not shared.
        assert all(s.tid != parent for s in hot)
    assert any(s.pid == parent for s in stacks), "the parent's own samples are missing"
    assert "subprocesses:" in rec.proc.stderr, rec.proc.stderr
    # The summary's threads table has a pid column when several processes ran.
    assert " pid " in rec.proc.stderr.split("Threads (share")[1].splitlines()[1]


def test_children_that_are_not_python_are_left_out(pyrometer, python, tmp_path):
    rec, truth = run(pyrometer, python, tmp_path, "subprocess")
    stacks = rec.collapsed()
    sleeper = truth["children"]["not_python"][0]
    assert not any(s.pid == sleeper for s in stacks), "samples of the sleep child %d" % sleeper
    joined = [line for line in rec.proc.stderr.splitlines() if line.strip().startswith("pid ")]
    assert not any(line.split()[1] == str(sleeper) for line in joined), \
        "the sleep child was joined:\n%s" % rec.proc.stderr
    child = truth["children"]["subprocess_work"][0]
    assert any(line.split()[1] == str(child) and "family.py child" in line for line in joined), \
        "the Python child %d is not listed with its command line:\n%s" % (child, rec.proc.stderr)


def test_report_pid_shows_one_process(pyrometer, python, tmp_path):
    rec, truth = run(pyrometer, python, tmp_path, "fork")
    child = truth["children"]["forked_work"][0]
    proc = subprocess.run([str(pyrometer), "report", str(rec.path), "--pid", str(child),
                           "--format", "collapsed"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          encoding="utf-8")
    assert proc.returncode == 0, describe(proc)
    lines = [l for l in proc.stdout.split("\n") if l]
    assert lines and all(l.startswith("thread %d" % child) for l in lines), proc.stdout[:2000]
    assert any("forked_work" in l for l in lines)
    text = subprocess.run([str(pyrometer), "report", str(rec.path), "--pid", str(child)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    assert text.returncode == 0 and text.stdout.startswith("pyrometer: pid %d," % child), describe(text)
    bad = subprocess.run([str(pyrometer), "report", str(rec.path), "--pid", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    assert bad.returncode == 1 and "no thread of pid 1" in bad.stderr, describe(bad)


def test_blocking_with_subprocesses_is_refused(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "x.pyro", [python, "-c", "pass"],
                 extra=["--subprocesses", "--blocking"])
    assert rec.returncode == 2 and "--blocking cannot follow subprocesses" in rec.proc.stderr, \
        describe(rec.proc)


def test_without_the_option_children_are_not_sampled(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "plain.pyro",
                 [python, TARGETS / "family.py", "fork", SECONDS]).check()
    truth = rec.target_json()
    stacks = rec.collapsed()
    assert not any(has_function("forked_work")(s) for s in stacks)
    assert all(s.pid is None for s in stacks)
    assert truth["children"]["forked_work"]
