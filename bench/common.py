"""Helpers shared by the bench scripts (bench/run, bench/sampler); not a script itself.

Running targets and profilers, reading pyrometer's summary line, the CPU-per-sample and
slowdown measurements, finding interpreters, and the plain-text tables the results are
written as. Nothing here installs anything or writes under bench/results/: each script
says what it writes. Standard library only, Python 3.6 or newer.
"""
import datetime
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = REPO / "tests" / "targets"
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import pythons  # noqa: E402  (CPython discovery, shared with the e2e tests)

# pyrometer record's summary on stderr (src/render/text.c):
#   samples N at R Hz (target T Hz), K threads, errors E (P%)[, saturated S (Q%)]
# "target max" stands for "target T Hz" under -r max; the saturation part is newer than
# some builds, so it is optional here and None when absent.
SUMMARY_RE = re.compile(
    r"samples (\d+) at ([\d.]+) Hz \(target (?:(\d+) Hz|max)(?: Hz)?\), (\d+) threads?, "
    r"errors (\d+)(?: \(([\d.]+)%\))?(?:, saturated (\d+) \(([\d.]+)%\))?")


# One line of `pyrometer report --format collapsed`: thread, frames, weight. The root is
# "thread TID", or "thread TID (interp N)" when the profile holds threads of more than one
# interpreter (docs/CLI.md).
COLLAPSED_RE = re.compile(r"^thread (\d+)(?: \(interp -?\d+\))?((?:;[^;]+)+) (\d+)$")


class BenchError(Exception):
    """A measurement that could not be made; the message says which and why."""


# --- running things -------------------------------------------------------------------

def exit_code(status):
    """The exit code from a wait status (os.waitstatus_to_exitcode needs 3.9)."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def parse_summary(stderr):
    """pyrometer's summary line as a dict; raises BenchError when there is none.

    Keys: samples, rate (achieved Hz), target (Hz, or None for -r max), threads, errors,
    error_pct, saturated and saturated_pct (both None when this build does not print
    them).
    """
    m = SUMMARY_RE.search(stderr)
    if not m:
        raise BenchError("no summary line in pyrometer's output:\n" + stderr[-2000:])
    samples, errors = int(m.group(1)), int(m.group(5))
    return {
        "samples": samples,
        "rate": float(m.group(2)),
        "target": int(m.group(3)) if m.group(3) else None,
        "threads": int(m.group(4)),
        "errors": errors,
        "error_pct": float(m.group(6)) if m.group(6) else 100.0 * errors / max(samples, 1),
        "saturated": int(m.group(7)) if m.group(7) else None,
        "saturated_pct": float(m.group(8)) if m.group(8) else None,
    }


def parse_samples(stderr):
    """(samples, achieved rate) from pyrometer's summary on stderr."""
    summary = parse_summary(stderr)
    return summary["samples"], summary["rate"]


def last_json(stdout, what):
    for line in reversed(stdout.splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    raise BenchError("%s printed no JSON result:\n%s" % (what, stdout[-2000:]))


def start_ready(python, target, *args):
    """Start a target that prints "ready pid=N"; return the Popen once it has."""
    proc = subprocess.Popen([python, str(TARGETS / target)] + [str(a) for a in args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            universal_newlines=True)
    line = proc.stdout.readline()
    if not line.startswith("ready pid="):
        proc.kill()
        proc.wait()
        raise BenchError("%s did not start: %r" % (target, line))
    return proc


def run_with_rusage(args, env=None):
    """Run `args` to its end; return (exit code, stderr, own CPU seconds from wait4)."""
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, universal_newlines=True, env=env)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = exit_code(status)  # reaped here, so Popen must not wait again
    proc.stderr.close()
    return proc.returncode, stderr, usage.ru_utime + usage.ru_stime


def attach_and_measure(pyrometer, pid, duration, out, rate=None):
    """Record `pid` for `duration` seconds.

    Returns (own CPU seconds, samples, us of the walk per sample, summary dict); the
    walk part comes from PYROMETER_DEBUG=1. `rate` is passed as -r when given.
    """
    env = dict(os.environ, PYROMETER_DEBUG="1")  # adds the walk's own CPU to stderr
    args = [pyrometer, "record", "-p", str(pid), "--duration", str(duration), "-o", out]
    if rate is not None:
        args += ["-r", str(rate)]
    code, stderr, cpu = run_with_rusage(args, env)
    if code != 0:
        raise BenchError("pyrometer record -p %d exited %d:\n%s" % (pid, code, stderr[-2000:]))
    summary = parse_summary(stderr)
    walk = re.search(r"([\d.]+) us reading the target", stderr)
    if not walk:
        raise BenchError("no PYROMETER_DEBUG line from pyrometer record:\n" + stderr[-2000:])
    return cpu, summary["samples"], float(walk.group(1)), summary


def record_command(pyrometer, command, out, rate=None, mode=None):
    """`pyrometer record [-r RATE] [--mode MODE] -- COMMAND`; return (stdout, stderr)."""
    args = [pyrometer, "record", "-o", str(out)]
    if rate is not None:
        args += ["-r", str(rate)]
    if mode is not None:
        args += ["--mode", mode]
    proc = subprocess.run(args + ["--"] + command, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=600)
    if proc.returncode != 0:
        raise BenchError("%s exited %d:\n%s" % (" ".join(args + ["--"] + command),
                                                 proc.returncode, proc.stderr[-2000:]))
    return proc.stdout, proc.stderr


def collapsed(pyrometer, path):
    """The (function names root first, weight) of each line of a recording's collapsed stacks."""
    proc = subprocess.run([pyrometer, "report", str(path), "--format", "collapsed"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    if proc.returncode != 0:
        raise BenchError("report of %s failed:\n%s" % (path, proc.stderr[-2000:]))
    for line in proc.stdout.splitlines():
        m = COLLAPSED_RE.match(line)
        if not m:
            raise BenchError("malformed collapsed line: %r" % line)
        names = [part.rsplit(" (", 1)[0] for part in m.group(2).split(";")[1:]]
        yield names, int(m.group(3))


def split_share_error(pyrometer, python, seconds, out, mode=None):
    """Record tests/targets/split.py; return (work_a's share in the profile minus the share
    split.py measured itself, in percentage points, signed; pyrometer's stderr). The
    truth is wall time, or CPU time in cpu mode."""
    stdout, stderr = record_command(
        pyrometer, [python, str(TARGETS / "split.py"), str(seconds)], out, mode=mode)
    truth = last_json(stdout, "split.py")["cpu" if mode == "cpu" else "wall"]
    a = b = 0
    for names, weight in collapsed(pyrometer, out):
        a += weight if "work_a" in names else 0
        b += weight if "work_b" in names else 0
    if a + b == 0:
        raise BenchError("no samples in work_a or work_b")
    measured = truth["work_a"] / (truth["work_a"] + truth["work_b"])
    return (a / (a + b) - measured) * 100, stderr


def copy_binary(path, tmp):
    """Copy the binary to measure into `tmp`; return (the copy's path, its short sha1).

    Runs take minutes: measuring one copy means a relink of build/pyrometer by someone
    else meanwhile cannot give figures from different binaries.
    """
    copy = os.path.join(tmp, os.path.basename(path))
    shutil.copy2(path, copy)
    with open(copy, "rb") as f:
        return copy, hashlib.sha1(f.read()).hexdigest()[:12]


# --- measurements ---------------------------------------------------------------------

def marginal_once(measure, python, depth, durations):
    """One short and one long attached recording of tests/targets/deep.py at `depth`.

    measure(pid, seconds) records the target for that long and returns (own CPU seconds,
    samples, extra); each recording gets a fresh target. Returns (marginal us per sample,
    naive us per sample of the long run, extra of the long run). The marginal cost, extra
    CPU over extra samples, leaves out the one-off costs of attaching and finishing.
    """
    short, long_ = durations
    runs = []
    for duration in (short, long_):
        target = start_ready(python, "deep.py", depth, duration + 10)
        try:
            runs.append(measure(target.pid, duration))
        finally:
            target.kill()
            target.wait()
    (cpu1, n1, _), (cpu2, n2, extra) = runs
    if n2 <= n1:
        raise BenchError("depth %d: %d samples in %ss but %d in %ss" % (
            depth, n1, short, n2, long_))
    return (cpu2 - cpu1) / (n2 - n1) * 1e6, cpu2 / n2 * 1e6, extra


def per_sample_cpu(pyrometer, python, depth, settings, tmp):
    """pyrometer's marginal and naive CPU per sample and its walk part (us), medians."""
    out = os.path.join(tmp, "deep.pyro")

    def measure(pid, duration):
        return attach_and_measure(pyrometer, pid, duration, out)[:3]

    runs = [marginal_once(measure, python, depth, settings["sample_durations"])
            for _ in range(settings["sample_repeats"])]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


def wakeup_floor(tmp):
    """CPU per wake-up of a loop that only sleeps to 1 ms deadlines (bench/wakeup.c)."""
    exe = os.path.join(tmp, "wakeup")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-o", exe, str(REPO / "bench" / "wakeup.c")], check=True)
    runs = [float(subprocess.run([exe, "2000"], stdout=subprocess.PIPE, check=True,
                                 universal_newlines=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def calibrate_rounds(python, seconds):
    """How many fixed_work rounds take about `seconds` unprofiled."""
    out = subprocess.run([python, str(TARGETS / "fixed_work.py"), "100"],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    per_round = last_json(out, "fixed_work.py")["elapsed"] / 100
    return max(20, int(seconds / per_round))


def slowdown(python, runners, seconds, repeats):
    """Median profiled/unprofiled ratio of fixed_work's own elapsed time, per runner.

    runners: {key: function(command) returning the command's stdout, the command run
    under that profiler}. One unprofiled run and one run per runner make a round, so
    drifts of the machine hit all alike. Returns ({key: median ratio}, median
    unprofiled seconds, noise), where noise is the median relative difference between
    consecutive unprofiled runs: a slowdown smaller than that cannot be told from the
    machine's own jitter.
    """
    rounds = calibrate_rounds(python, seconds)
    command = [python, str(TARGETS / "fixed_work.py"), str(rounds)]
    ratios = {key: [] for key in runners}
    plain_times = []
    for _ in range(repeats):
        plain = subprocess.run(command, stdout=subprocess.PIPE, universal_newlines=True,
                               check=True).stdout
        plain_time = last_json(plain, "fixed_work.py")["elapsed"]
        plain_times.append(plain_time)
        for key, run in runners.items():
            ratios[key].append(last_json(run(command), "fixed_work.py")["elapsed"] / plain_time)
    noise = statistics.median(abs(b / a - 1) for a, b in zip(plain_times, plain_times[1:])) \
        if len(plain_times) > 1 else float("nan")
    return ({key: statistics.median(r) for key, r in ratios.items()},
            statistics.median(plain_times), noise)


def pyrometer_runners(pyrometer, rates, out):
    """slowdown() runners recording with pyrometer at each rate, keyed by rate."""
    return {rate: (lambda command, rate=rate: record_command(pyrometer, command, out, rate)[0])
            for rate in rates}


# --- interpreters ---------------------------------------------------------------------

def probe(path):
    """("3.X.Y", None) if `path` runs as a CPython, else (None, reason)."""
    version, missing = pythons.probe(path)
    return (".".join(map(str, version)) if version else None), missing


pyenv_root = pythons.pyenv_root


def pyenv_versions():
    """{"3.8.18": path of its python3, ...} for every pyenv CPython 3.X.Y, oldest first."""
    versions = pyenv_root() / "versions"
    found = [p for p in versions.glob("*") if re.fullmatch(r"3\.\d+\.\d+", p.name)] \
        if versions.is_dir() else []
    found.sort(key=lambda p: tuple(int(x) for x in p.name.split(".")))
    return {p.name: str(p / "bin" / "python3") for p in found}


def default_python():
    """The newest pyenv CPython 3.12.x."""
    found = [path for name, path in pyenv_versions().items() if name.startswith("3.12.")]
    if not found:
        raise BenchError("no pyenv CPython 3.12 under %s; pass --python PATH" % (
            pyenv_root() / "versions"))
    return found[-1]


# --- reporting ------------------------------------------------------------------------

def render_columns(head, rows, rjust=()):
    """A plain-text table: every column padded but the last, those in `rjust` to the
    right, then a rule under the head as long as the longest line."""
    last = len(head) - 1
    widths = [max(len(r[i]) for r in list(rows) + [head]) for i in range(last)]
    lines = []
    for row in [head] + list(rows):
        cells = [row[i].rjust(widths[i]) if i in rjust else row[i].ljust(widths[i])
                 for i in range(last)] + [row[last]]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * max(len(l) for l in lines))
    return "\n".join(lines)


class Table:
    """bench/run's table: figure, measured value, target, verdict, note."""

    def __init__(self):
        self.rows = []
        self.missed = False

    def add(self, figure, value, unit, target=None, note=""):
        """target: (limit, text) where value <= limit passes, or None for information."""
        if target is None:
            verdict, target_text = "info", "-"
        else:
            ok = value <= target[0]
            self.missed |= not ok
            verdict, target_text = ("PASS" if ok else "MISS"), target[1]
        self.rows.append((figure, "%.3f %s" % (value, unit) if unit != "x"
                          else "%.3fx" % value, target_text, verdict, note))

    def render(self):
        return render_columns(("figure", "measured", "target", "verdict", ""), self.rows)


def git_commit():
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          universal_newlines=True).stdout.strip() or "uncommitted"


def describe_machine(python, pyrometer):
    """Header lines; `python` None (--all-versions) leaves out the interpreter line."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "date:      %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "machine:   %s, %d CPUs, Linux %s" % (cpu, os.cpu_count(), platform.release()),
    ]
    if python is not None:
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
        lines.append("python:    %s (%s)" % (version, python))
    lines.append("pyrometer: %s (commit %s)" % (pyrometer, git_commit()))
    return lines


def stale_note(pyrometer):
    """" -- STALE: ..." when `pyrometer` is build/pyrometer and older than its sources."""
    if Path(pyrometer).resolve() != (REPO / "build" / "pyrometer").resolve():
        return ""
    stale = subprocess.run(["make", "-q", "-C", str(REPO), "build/pyrometer"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return " -- STALE: older than its sources, run make" if stale.returncode == 1 else ""
