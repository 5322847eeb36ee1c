"""Ending a recording from outside, and what survives it.

SIGTERM or SIGINT ends an attached recording cleanly: a complete file, the summary, exit
0, and the target keeps running to its normal end. SIGKILL gives pyrometer no chance to
finish, yet the file holds everything up to the last flush (at least once a second).
A launched program gets its stdin, and its exit code is pyrometer's. Code objects freed
and reallocated at the same address are never confused with each other.
"""
import re
import signal
import subprocess
import time

import pytest

from e2e_util import TARGETS, describe, parse_collapsed, report, start_target, stop


def attach(pyrometer, pid, out):
    return subprocess.Popen([str(pyrometer), "record", "-p", str(pid), "-o", str(out)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_ends_attached_recording_cleanly(pyrometer, python, tmp_path, sig):
    target = start_target(python, "attach.py", 5, 7)
    try:
        rec = attach(pyrometer, target.pid, tmp_path / "sig.pyro")
        time.sleep(1.5)
        rec.send_signal(sig)
        out, err = rec.communicate(timeout=20)
        alive = target.poll() is None
        t_out, t_err = target.communicate(timeout=30)
    finally:
        stop(target)
    assert rec.returncode == 0, "pyrometer exited %d after %s:\n%s" % (rec.returncode, sig.name, err)
    assert "Top functions by self time" in err, err
    assert alive, "the target did not survive the end of recording"
    assert (t_out, target.returncode) == ("attach target finished normally\n", 7)
    proc = report(pyrometer, tmp_path / "sig.pyro")
    assert proc.returncode == 0 and proc.stderr == "", describe(proc)


def test_sigkill_leaves_a_readable_file(pyrometer, python, tmp_path):
    target = start_target(python, "attach.py", 6, 0)
    try:
        rec = attach(pyrometer, target.pid, tmp_path / "killed.pyro")
        time.sleep(2.6)  # past at least two flushes
        rec.kill()
        rec.communicate(timeout=20)
    finally:
        stop(target)
    proc = report(pyrometer, tmp_path / "killed.pyro", "collapsed")
    assert proc.returncode == 0, describe(proc)
    assert re.search(r"end chunk|truncated", proc.stderr), "no warning for a killed recording:\n" + describe(proc)
    stacks = parse_collapsed(proc.stdout)
    seconds = sum(s.weight for s in stacks) / 1e6
    assert seconds >= 1.0, "only %.2fs of samples survived 2.6 s of recording killed with SIGKILL" % seconds


def test_launched_program_keeps_stdin_and_exit_code(pyrometer, python, tmp_path):
    code = "import sys; data = sys.stdin.read(); print(data.upper()); sys.exit(3)"
    proc = subprocess.run([str(pyrometer), "record", "-o", str(tmp_path / "io.pyro"), "--",
                           str(python), "-c", code],
                          input="hello from stdin", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert proc.stdout == "HELLO FROM STDIN\n", describe(proc)
    assert proc.returncode == 3, describe(proc)


def test_reused_code_addresses_are_not_confused(pyrometer, python, tmp_path):
    out = tmp_path / "reuse.pyro"
    proc = subprocess.run([str(pyrometer), "record", "-o", str(out), "--", str(python),
                           str(TARGETS / "reuse.py"), "2"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert proc.returncode == 0, describe(proc)
    rep = report(pyrometer, out, "collapsed")
    assert rep.returncode == 0, describe(rep)
    seen = 0
    for stack in parse_collapsed(rep.stdout):
        for i, f in enumerate(stack.frames):
            m = re.match(r"f_(\d+)$", f.name)
            if not m:
                continue
            k = int(m.group(1))
            assert f.file == "<gen-%d>" % k and k + 1 <= f.line <= k + 3, \
                "frame %s (%s:%d) mixes two code objects" % (f.name, f.file, f.line)
            callee = stack.frames[i + 1].name if i + 1 < len(stack.frames) else None
            if callee in ("leaf_even", "leaf_odd"):
                seen += 1
                assert callee == ("leaf_odd" if k % 2 else "leaf_even"), \
                    "%s shown calling %s: a freed code object's address was taken for the old one" % (
                        f.name, callee)
    assert seen >= 20, "only %d generated frames sampled calling their leaf" % seen
