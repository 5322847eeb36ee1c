"""Helpers for the end-to-end tests: run the real pyrometer binary and parse its output.

The helpers assert only what every test relies on: the output formats (the parsers raise
AssertionError, quoting the text, when a summary or a collapsed-stack line does not have
the documented shape), a recording's exit status, and that a complete file reports
without warnings. What the numbers should be is up to each test.
"""
import json
import os
import re
import subprocess
import time
from collections import namedtuple
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "tests" / "targets"

# Generous upper bound for any single pyrometer or target run; a hang is a failure.
RUN_TIMEOUT = 60

SAMPLES_RE = re.compile(
    r"samples (\d+) at ([\d.]+) Hz \(target (\d+) Hz\), (\d+) threads?, errors (\d+)")
SECTIONS = {
    "self": "Top functions by self time",
    "total": "Top functions by total time",
    "lines": "Hottest lines",
}
# A table row: "<pct>% <time>" once or twice (the section's own measure first, e.g. self
# then total), then a function name and a file:line in either order, two spaces apart,
# and optionally "| <source text of the line>".
PCT_TIME = r"(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)(s|ms|us|\u00b5s|ns)"
ROW_RE = re.compile(r"^\s*" + PCT_TIME + r"(?:\s+" + PCT_TIME + r")?\s{2,}(\S.*?)\s*$")
LOCATION_RE = re.compile(r"^(.+):(\d+)$")
UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "ns": 1e-9}

# percent and seconds are the section's own measure (self time in the self section,
# total time in the total section); other_* is the second pair of columns, if any.
Row = namedtuple("Row", "percent seconds file line name other_percent other_seconds")
Frame = namedtuple("Frame", "name file line")
# interp: the interpreter id from a "thread TID (interp N)" root, None when the profile
# has only the main interpreter (the label is then left out).
Stack = namedtuple("Stack", "tid frames weight interp pid")


def parse_row(line):
    """A Row from one table line, or None if the line is not a row."""
    m = ROW_RE.match(line)
    if not m:
        return None
    # Hottest-lines rows end with "    | <source text>" when the file is readable.
    body = m.group(7).split("    | ", 1)[0].rstrip()
    parts = re.split(r"\s{2,}", body)
    locations = [LOCATION_RE.match(p) for p in parts]
    if len(parts) != 2 or sum(1 for loc in locations if loc) < 1:
        return None
    where = 0 if locations[0] and not locations[1] else 1
    loc = locations[where]
    name = parts[1 - where]
    seconds = float(m.group(2)) * UNIT_SECONDS[m.group(3)]
    other = (float(m.group(4)), float(m.group(5)) * UNIT_SECONDS[m.group(6)]) \
        if m.group(4) else (None, None)
    return Row(float(m.group(1)), seconds, loc.group(1), int(loc.group(2)), name, *other)


class Summary:
    """The parsed summary that `record` prints on stderr and `report --format text` prints.

    Attributes: samples, rate (achieved Hz), target_rate, threads, errors, the rows of
    each section (`self_rows`, `total_rows`, `line_rows`, lists of Row) and `block`, the
    summary's own text from the samples line to the end of the last section.
    """

    def __init__(self, text):
        lines = text.splitlines()
        start = next((i for i, l in enumerate(lines) if SAMPLES_RE.search(l)), None)
        assert start is not None, "no 'samples N at R Hz ...' line in:\n" + text
        m = SAMPLES_RE.search(lines[start])
        self.samples = int(m.group(1))
        self.rate = float(m.group(2))
        self.target_rate = int(m.group(3))
        self.threads = int(m.group(4))
        self.errors = int(m.group(5))
        rows = {}
        end = start
        for key, title in SECTIONS.items():
            head = next((i for i in range(start, len(lines)) if title in lines[i]), None)
            assert head is not None, "no %r section in:\n%s" % (title, text)
            i = head + 1
            if i < len(lines) and lines[i].strip() and not parse_row(lines[i]):
                i += 1  # column headings
            rows[key] = []
            while i < len(lines) and lines[i].strip():
                row = parse_row(lines[i])
                assert row, "malformed row in %r: %r" % (title, lines[i])
                rows[key].append(row)
                i += 1
            end = max(end, i)
        self.self_rows = rows["self"]
        self.total_rows = rows["total"]
        self.line_rows = rows["lines"]
        self.block = "\n".join(lines[start:end])

    def function_row(self, section, name):
        """The row for function `name` in section 'self' or 'total', or None."""
        rows = self.self_rows if section == "self" else self.total_rows
        return next((r for r in rows if r.name == name), None)


COLLAPSED_RE = re.compile(r"^thread (\d+)(?: \(pid (\d+)\))?(?: \(interp (-?\d+)\))?((?:;[^;]+)+) (\d+)$")
# A frame's line is any 32-bit number the file holds (docs/FORMAT.md: -1 is unknown; a
# damaged file may hold others, which are shown as they are).
FRAME_RE = re.compile(r"^(.+) \((.+):(-?\d+)\)$")


def parse_collapsed(text):
    """Parse `report --format collapsed` output into a list of Stack (root first)."""
    stacks = []
    # Lines end in "\n" only: splitlines() would also split at U+2028 inside a name.
    for line in text.split("\n"):
        if not line:
            continue
        m = COLLAPSED_RE.match(line)
        assert m, "malformed collapsed line: %r" % line
        frames = []
        for part in m.group(4).split(";")[1:]:
            f = FRAME_RE.match(part)
            assert f, "malformed frame %r in collapsed line: %r" % (part, line)
            frames.append(Frame(f.group(1), f.group(2), int(f.group(3))))
        interp = int(m.group(3)) if m.group(3) is not None else None
        pid = int(m.group(2)) if m.group(2) is not None else None
        stacks.append(Stack(int(m.group(1)), tuple(frames), int(m.group(5)), interp, pid))
    return stacks


def describe_stack(stack):
    """One stack as 'tid: name:line;name:line;... weight', for assertion messages."""
    return "thread %d: %s  %d us" % (stack.tid, ";".join(
        "%s:%d" % (f.name, f.line) for f in stack.frames), stack.weight)


def weight_where(stacks, predicate):
    """Total weight (microseconds) of the stacks for which predicate(stack) is true."""
    return sum(s.weight for s in stacks if predicate(s))


GC_FRAME = "(garbage collection)"


def python_frames(stack):
    """A stack's frames without the "(garbage collection)" frame the sampler puts on top
    of a thread that is collecting: what the program's own calls were."""
    frames = stack.frames
    return frames[:-1] if frames and frames[-1].name == GC_FRAME else frames


def has_function(name, target=None):
    """Predicate: the stack contains a frame of function `name` (counted once), in
    tests/targets/<target> if given."""
    return lambda s: any(f.name == name and (target is None or same_file(f.file, target))
                         for f in s.frames)


def marker_line(target, marker):
    """The 1-based line number of the line in tests/targets/<target> ending in `# MARKER`."""
    path = TARGETS / target
    found = [i for i, line in enumerate(path.read_text().splitlines(), 1)
             if line.rstrip().endswith("# " + marker)]
    assert len(found) == 1, "%s: expected one '# %s' line, found %r" % (path, marker, found)
    return found[0]


def same_file(reported, target):
    """Whether a file name from pyrometer's output names tests/targets/<target>."""
    return reported == str(TARGETS / target) or os.path.basename(reported) == target


def describe(proc):
    """A readable account of a finished process, for assertion messages."""
    args = proc.args if isinstance(proc.args, str) else " ".join(map(str, proc.args))
    return "command: %s\nexit status: %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        args, proc.returncode, tail(proc.stdout), tail(proc.stderr))


def tail(text, limit=4000):
    text = text or ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def last_json(stdout):
    """The last stdout line that is a JSON object (the targets' own measurements)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON line in target output:\n" + tail(stdout))


class Recording:
    """A finished `pyrometer record` run: its process, output file and wall time."""

    def __init__(self, proc, path, elapsed, pyrometer):
        self.proc = proc
        self.path = Path(path) if path is not None else None
        self.elapsed = elapsed
        self.pyrometer = pyrometer

    @property
    def returncode(self):
        return self.proc.returncode

    def check(self, expected_status=0):
        """Assert the recording exited as expected and left a file; return self."""
        assert self.proc.returncode == expected_status, describe(self.proc)
        assert self.path.is_file(), "no output file %s\n%s" % (self.path, describe(self.proc))
        return self

    def summary(self):
        return Summary(self.proc.stderr)

    def target_json(self):
        return last_json(self.proc.stdout)

    def report_json(self):
        proc = report(self.pyrometer, self.path, "json")
        assert proc.returncode == 0, describe(proc)
        return json.loads(proc.stdout)

    def collapsed(self):
        proc = report(self.pyrometer, self.path, "collapsed")
        assert proc.returncode == 0, describe(proc)
        assert proc.stderr.strip() == "", "report of a complete file warned:\n" + describe(proc)
        return parse_collapsed(proc.stdout)


def record(pyrometer, out, command=None, pid=None, rate=None, duration=None, mode=None,
           cwd=None, timeout=RUN_TIMEOUT, extra=(), env=None):
    """Run `pyrometer record` on a command or a pid; return a Recording.

    Options left as None are not passed, so pyrometer's defaults are exercised; env
    replaces the environment (None: this one).
    """
    args = [str(pyrometer), "record"]
    if out is not None:
        args += ["-o", str(out)]
    if rate is not None:
        args += ["-r", str(rate)]
    if duration is not None:
        args += ["--duration", str(duration)]
    if mode is not None:
        args += ["--mode", mode]
    if pid is not None:
        args += ["-p", str(pid)]
    args += [str(a) for a in extra]
    if command is not None:
        args += ["--"] + [str(a) for a in command]
    start = time.monotonic()
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                          cwd=cwd, timeout=timeout, env=env)
    return Recording(proc, out, time.monotonic() - start, pyrometer)


def report(pyrometer, path, fmt=None, timeout=RUN_TIMEOUT):
    """Run `pyrometer report PATH [--format FMT]`; return the CompletedProcess."""
    args = [str(pyrometer), "report", str(path)]
    if fmt is not None:
        args += ["--format", fmt]
    # Strings in a .pyro file may hold any bytes (docs/FORMAT.md), so decode leniently.
    return subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                          timeout=timeout)


def start_target(python, target, *args):
    """Start a target that prints "ready pid=N" first; return the Popen once it has."""
    proc = subprocess.Popen([str(python), str(TARGETS / target)] + [str(a) for a in args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True)
    first = proc.stdout.readline()
    if not first.startswith("ready pid="):
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("target %s did not start: %r\n%s%s" % (target, first, out, err))
    return proc


def stop(proc):
    """Kill a target started by a test if it is still running, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def assert_error(proc, *phrases, status=1):
    """Exit `status`, a 'pyrometer: error:' line, and each phrase (any case) in stderr."""
    assert proc.returncode == status, describe(proc)
    assert any(line.startswith("pyrometer: error:") for line in proc.stderr.splitlines()), \
        "no 'pyrometer: error:' line\n" + describe(proc)
    for phrase in phrases:
        assert phrase.lower() in proc.stderr.lower(), \
            "%r not in the error message\n%s" % (phrase, describe(proc))


OFFSET_RE = re.compile(r"(?:offset|byte|position)\s+(?:at\s+)?(0x[0-9a-f]+|\d+)", re.I)


def named_offsets(message):
    """The byte offsets a message names ("offset 123", "byte 0x7b", ...), as ints."""
    return [int(m, 0) for m in OFFSET_RE.findall(message)]


def tracer_pid(pid):
    """The TracerPid of a live process (0 when nobody ptrace-attaches it)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    raise AssertionError("no TracerPid in /proc/%d/status" % pid)


# --- .pyro files written by hand (docs/FORMAT.md), for cases no recording produces ----

def uvarint(n):
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def svarint(n):
    """Zigzag, then LEB128."""
    return uvarint((n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1)


def lstring(s):
    b = s.encode("utf-8")
    return uvarint(len(b)) + b


def write_pyro(path, strings, frames, stacks, threads, samples, argv=("python3",), rate_hz=1000,
               mode=0, python="3.12.1", producer="handmade", pid=4242,
               start_ns=1700000000000000000, end=True, memory=None):
    """Write a .pyro file. frames: (name, file, first_line, line) string ids; stacks:
    (parent or None, frame); threads: (native_id, name id or None, interp); samples:
    (thread, stack or None, time_ns, weight_ns) in time order; mode 0 wall, 1 cpu. With
    end=False there is no END chunk, as when the recorder was killed. memory (format 1.3):
    a dict of flags, sample_bytes, peak_bytes, peak_time_ns, sites: [(stack or None,
    allocs, alloc_bytes, freed_bytes, temp_bytes, live_bytes, peak_bytes)] and points:
    [(time_ns, live_bytes, rss_bytes)] in time order."""
    def chunk(kind, payload):
        return uvarint(kind) + uvarint(len(payload)) + payload
    out = bytearray(b"\x89PYRO\r\n\x1a\x01" + (b"\x03" if memory else b"\x01") + b"L\x00")
    out += chunk(1, lstring(producer) + lstring(python) + uvarint(len(argv)) +
                 b"".join(lstring(a) for a in argv) + uvarint(pid) + uvarint(start_ns) +
                 uvarint(mode) + uvarint(rate_hz))
    out += chunk(2, uvarint(0) + uvarint(len(strings)) + b"".join(lstring(s) for s in strings))
    out += chunk(3, uvarint(0) + uvarint(len(frames)) + b"".join(
        uvarint(n) + uvarint(f) + svarint(first) + svarint(line) + uvarint(0)
        for n, f, first, line in frames))
    out += chunk(4, uvarint(0) + uvarint(len(stacks)) + b"".join(
        uvarint(0 if p is None else p + 1) + uvarint(f) for p, f in stacks))
    out += chunk(5, uvarint(0) + uvarint(len(threads)) + b"".join(
        uvarint(tid) + uvarint(0) + uvarint(0 if n is None else n + 1) for tid, n, _ in threads) +
        b"".join(svarint(i) for _, _, i in threads))
    body, last = bytearray(), 0
    for thread, stack, time_ns, weight in samples:
        body += (uvarint(thread) + uvarint(0 if stack is None else stack + 1) +
                 uvarint(time_ns - last) + uvarint(weight))
        last = time_ns
    out += chunk(6, uvarint(len(samples)) + body)
    if memory:
        sites = memory["sites"]
        out += chunk(11, uvarint(memory["peak_time_ns"]) + uvarint(len(sites)) + b"".join(
            uvarint(0 if s[0] is None else s[0] + 1) + b"".join(uvarint(n) for n in s[1:]) for s in sites))
        pts, prev = bytearray(), 0
        for t, live, rss in memory["points"]:
            pts += uvarint(t - prev) + uvarint(live) + uvarint(rss)
            prev = t
        out += chunk(12, uvarint(len(memory["points"])) + pts)
        out += chunk(10, b"".join(uvarint(memory.get(k, 0)) for k in (
            "flags", "sample_bytes", "churn_ns", "offset_ns", "peak_bytes", "peak_time_ns", "time_ns")) +
            lstring(memory.get("message", "")))
    if end:
        out += chunk(7, uvarint(len(samples)) + uvarint(0) + uvarint(last) + uvarint(1))
    Path(path).write_bytes(bytes(out))
    return Path(path)
