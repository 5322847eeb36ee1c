"""Targets coming and going: attach, a target dying mid-recording, fork, output naming.

Attaching to a running target must leave it undisturbed: it finishes with its normal
output and exit code, and nothing stays ptrace-attached. A target that exits or is
killed mid-recording must still leave a complete, summarised file, and pyrometer must
notice promptly rather than wait out --duration. A forking target records fine, and
`record -- CMD` exits with CMD's exit status.
"""
from e2e_util import (TARGETS, describe, has_function, last_json, record, start_target,
                      stop, tracer_pid, weight_where)

# pyrometer must stop within this long of its target's death, whatever --duration says.
NOTICE_DEATH_WITHIN = 5.0


def test_attach_leaves_the_target_undisturbed(pyrometer, python, tmp_path):
    target = start_target(python, "attach.py", 5, 7)
    try:
        rec = record(pyrometer, tmp_path / "attach.pyro", pid=target.pid, duration=2)
        still_running = target.poll() is None
        tracer = tracer_pid(target.pid) if still_running else 0
        out, err = target.communicate(timeout=30)
    finally:
        stop(target)
    rec.check()
    assert still_running, "target ended before the 2 s recording did"
    assert tracer == 0, "target still ptrace-attached by pid %d after pyrometer exited" % tracer
    assert (out, err, target.returncode) == ("attach target finished normally\n", "", 7), \
        "target disturbed: stdout %r stderr %r exit status %r" % (out, err, target.returncode)
    assert 1.8 <= rec.elapsed <= 4.5, "--duration 2 recording took %.2fs" % rec.elapsed
    summary = rec.summary()
    assert summary.samples >= 1000, "only %d samples in 2 s at 1000 Hz" % summary.samples
    stacks = rec.collapsed()
    busy = weight_where(stacks, has_function("attach_busy")) / 1e6
    assert busy >= 1.0, "only %.2fs of attach_busy in a 2 s recording" % busy
    assert {s.tid for s in stacks if has_function("attach_busy")(s)} == {target.pid}


def test_launched_target_exiting_midway(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "dies.pyro",
                 [python, TARGETS / "dies_midway.py", 1.5, "exit", 3], duration=30)
    rec.check(expected_status=3)  # `record -- CMD` exits with CMD's status
    assert rec.elapsed < 1.5 + NOTICE_DEATH_WITHIN, \
        "pyrometer took %.1fs to finish after its 1.5s target exited" % rec.elapsed
    assert rec.summary().samples > 0
    busy = weight_where(rec.collapsed(), has_function("doomed_work")) / 1e6
    assert busy >= 0.75, "only %.2fs of doomed_work recorded of 1.5s" % busy


def test_attached_target_killed_midway(pyrometer, python, tmp_path):
    target = start_target(python, "dies_midway.py", 1.5, "kill")
    try:
        rec = record(pyrometer, tmp_path / "killed.pyro", pid=target.pid, duration=30)
        target.wait(timeout=10)
    finally:
        stop(target)
    assert target.returncode == -9, "target should have SIGKILLed itself"
    rec.check()
    assert rec.elapsed < 1.5 + NOTICE_DEATH_WITHIN, \
        "pyrometer took %.1fs to finish after its 1.5s target died" % rec.elapsed
    assert rec.summary().samples > 0
    busy = weight_where(rec.collapsed(), has_function("doomed_work")) / 1e6
    assert busy >= 0.5, "only %.2fs of doomed_work recorded" % busy


def test_forking_target(pyrometer, python, tmp_path):
    rec = record(pyrometer, tmp_path / "forks.pyro", [python, TARGETS / "forks.py", 1.5])
    rec.check()
    out = rec.proc.stdout
    assert "child done\n" in out and "parent done child_status=0\n" in out, describe(rec.proc)
    truth = last_json(out)
    assert rec.summary().samples > 0
    stacks = rec.collapsed()
    parent = weight_where(stacks, has_function("parent_work")) / 1e6
    assert parent >= 0.75, "only %.2fs of the parent's 1.5s of work recorded" % parent
    # Following the child is optional, but its stacks must never be mixed with the parent's.
    assert {s.tid for s in stacks if has_function("parent_work")(s)} == {truth["pid"]}
    child_tids = {s.tid for s in stacks if has_function("child_work")(s)}
    assert child_tids <= {truth["child_pid"]}, \
        "child_work attributed to %r, child pid %d" % (child_tids, truth["child_pid"])


def test_default_output_file_is_named_after_the_pid(pyrometer, python, tmp_path):
    rec = record(pyrometer, None, [python, TARGETS / "split.py", 0.5], cwd=tmp_path)
    assert rec.returncode == 0, describe(rec.proc)
    pid = rec.target_json()["pid"]
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == ["pyrometer-%d.pyro" % pid], "files made in cwd: %r (target pid %d)" % (
        made, pid)
    rec.path = tmp_path / made[0]
    assert rec.collapsed(), "default output file has no stacks"
