"""The command line itself: help, bad arguments, and the targets that cannot be recorded.

None of these involve a Python target's internals, so they run once, not per
interpreter: -h for each command, usage errors, a PID that does not exist and a PID
that is not Python. Every error must print a line starting "pyrometer: error:" and exit
1, except a bad command line, which exits 2 (EXIT_USAGE).
"""
import subprocess

import pytest

from e2e_util import assert_error, describe, record, report


def run(pyrometer, *args):
    return subprocess.run([str(pyrometer)] + list(args), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=30)


@pytest.mark.parametrize("command, must_mention", [
    ([], ["record", "report"]),
    (["record"], ["-o", "-r", "--duration", "--mode", "-p", "--memory[=HOW]", "exact", "native",
                  "--memory-sample"]),
    (["report"], ["--format", "collapsed"]),
], ids=["pyrometer", "record", "report"])
def test_help_exits_0_and_prints_usage(pyrometer, command, must_mention):
    proc = run(pyrometer, *(command + ["-h"]))
    assert proc.returncode == 0, describe(proc)
    assert "usage" in proc.stdout.lower(), "no usage on stdout\n" + describe(proc)
    for word in must_mention:
        assert word in proc.stdout, "help does not mention %r\n%s" % (word, describe(proc))


@pytest.mark.parametrize("args", [
    ["record", "--mode", "bogus", "--", "/bin/true"],
    ["record", "-r", "0", "--", "/bin/true"],
    ["record", "-o", "/dev/null"],
    ["report"],
    ["no-such-command"],
], ids=["bad-mode", "zero-rate", "nothing-to-record", "report-without-file", "bad-command"])
def test_usage_errors_exit_2(pyrometer, args):
    """Bad command lines exit 2 (EXIT_USAGE, the getopt convention), other errors 1."""
    assert_error(run(pyrometer, *args), status=2)


def test_report_of_missing_file_is_an_error(pyrometer, tmp_path):
    assert_error(report(pyrometer, tmp_path / "absent.pyro"), "absent.pyro")


def test_missing_pid_says_no_such_process(pyrometer, tmp_path):
    gone = subprocess.Popen(["/bin/true"])
    gone.wait()  # reaped: its pid now names no process
    rec = record(pyrometer, tmp_path / "out.pyro", pid=gone.pid, duration=1)
    assert_error(rec.proc, "no such process")


def test_non_python_pid_is_refused(pyrometer, tmp_path):
    sleeper = subprocess.Popen(["sleep", "100"])
    try:
        rec = record(pyrometer, tmp_path / "out.pyro", pid=sleeper.pid, duration=1)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert_error(rec.proc, "not a Python process")
