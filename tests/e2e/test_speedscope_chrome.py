"""The speedscope and chrome (Trace Event Format) outputs, checked against the .pyro they
came from and by a real consumer.

The reference is the profile itself: this file reads .pyro files with its own small reader
(docs/FORMAT.md) and writes hand-made ones for the cases a sampler never produces (samples
without Python frames, gaps, a zero weight, one OS thread in two interpreters). From it the
tests derive what each thread's time-ordered samples are, and check:

- speedscope: the file validates against the schema speedscope ships; frame indexes are in
  range; each thread's samples, mapped to (name, file, first line), are exactly its samples in
  time order with consecutive equal stacks merged and weights summed; the stacks agree with
  the collapsed format's; and speedscope's own build, in headless Chromium, loads it without
  an error, shows a profile per thread, and shows hostile names as text (no dialog opens).
- chrome: a validator of the documented fields (required fields per phase, types, ts and dur
  non-negative, complete events nested per (pid, tid), every thread named by metadata); per
  thread, the root slices cover exactly the time of its samples (plus the short gaps bridged
  under one root); at every sample's midpoint the open slices are that sample's stack; names
  round-trip exactly. Speedscope's Trace Event importer then loads the file too, with no
  warning about unbalanced slices. (Perfetto's trace processor is not on npm; its UI is a
  web app not shipped as a package, so it cannot be run here.)
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import urllib.parse
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from e2e_util import REPO, describe, parse_collapsed, report, write_pyro

BROWSER_DIR = REPO / "tests" / "browser"
SPEEDSCOPE_DIR = BROWSER_DIR / "node_modules" / "speedscope" / "dist" / "release"
SCHEMA = SPEEDSCOPE_DIR / "file-format-schema.json"
CHROMIUM = Path("/usr/bin/chromium")
NO_ID = None


# --- a small .pyro reader and writer (docs/FORMAT.md) -------------------------------------

class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def uv(self):
        shift = value = 0
        while True:
            b = self.d[self.i]
            self.i += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def sv(self):
        v = self.uv()
        return (v >> 1) ^ -(v & 1)

    def lstr(self):
        n = self.uv()
        s = self.d[self.i:self.i + n]
        self.i += n
        return s.decode("utf-8", "replace")


class Profile:
    """Everything the tests need from a .pyro: header fields, tables and samples (each
    sample: thread index, stack id or None, time_ns, weight_ns)."""

    def __init__(self, path):
        data = Path(path).read_bytes()
        assert data[:8] == b"\x89PYRO\r\n\x1a", path
        self.strings, self.frames, self.stacks, self.threads, self.samples = [], [], [], [], []
        self.argv, self.pid, self.rate_hz, self.mode = [], 0, 0, 0
        pos, time = 12, 0
        while pos < len(data):
            r = Reader(data)
            r.i = pos
            kind, length = r.uv(), r.uv()
            end = r.i + length
            if kind == 1:
                r.lstr(), r.lstr()
                self.argv = [r.lstr() for _ in range(r.uv())]
                self.pid, _start, self.mode, self.rate_hz = r.uv(), r.uv(), r.uv(), r.uv()
            elif kind == 2:
                _first, n = r.uv(), r.uv()
                self.strings += [r.lstr() for _ in range(n)]
            elif kind == 3:
                _first, n = r.uv(), r.uv()
                for _ in range(n):
                    self.frames.append((r.uv(), r.uv(), r.sv(), r.sv(), r.uv()))
            elif kind == 4:
                _first, n = r.uv(), r.uv()
                for _ in range(n):
                    parent, frame = r.uv(), r.uv()
                    self.stacks.append((parent - 1 if parent else None, frame))
            elif kind == 5:
                _first, n = r.uv(), r.uv()
                new = [[r.uv(), r.uv(), r.uv(), 0] for _ in range(n)]
                if r.i < end:
                    for t in new:
                        t[3] = r.sv()
                self.threads += [(tid, name - 1 if name else None, interp)
                                 for tid, _pthread, name, interp in new]
            elif kind == 6:
                for _ in range(r.uv()):
                    thread, stack, delta, weight = r.uv(), r.uv(), r.uv(), r.uv()
                    time += delta
                    self.samples.append((thread, stack - 1 if stack else None, time, weight))
            pos = end

    def function(self, frame):
        name, file, first_line, _line, _kind = self.frames[frame]
        return (self.strings[name], self.strings[file], first_line)

    @functools.lru_cache(maxsize=None)
    def stack_functions(self, stack):
        """(name, file, first_line) of each frame of the stack, root first."""
        if stack is None:
            return ()
        parent, frame = self.stacks[stack]
        return self.stack_functions(parent) + (self.function(frame),)

    def stack_names(self, stack):
        """Frame names root first, as the collapsed format writes them."""
        return tuple(f[0] for f in self.stack_functions(stack))

    def by_thread(self):
        """Thread index -> its samples in time (= file) order."""
        out = defaultdict(list)
        for s in self.samples:
            out[s[0]].append(s)
        return out


MS = 1000000
HOSTILE_K = "</script><script>alert(3)</script>"


@pytest.fixture(scope="module")
def handmade(tmp_path_factory):
    """100 Hz wall profile (gap threshold 20 ms) with: frames of one function at two lines,
    a sample without Python frames, a 15 ms gap (bridged), a 115 ms gap (closes slices), a
    zero-weight sample, and OS thread 500 in two interpreters."""
    strings = ["f", "a.py", "g", "h", HOSTILE_K, "MainThread", "b.py"]
    # frames: f@3, f@5 (function f, first line 1), g, h, k
    frames = [(0, 1, 1, 3), (0, 1, 1, 5), (2, 1, 10, 11), (3, 1, 20, 21), (4, 6, 30, 31)]
    # stacks: 0 f@3; 1 f@3>g; 2 f@5; 3 f@5>g; 4 f@3>h; 5 k; 6 k>f@3
    stacks = [(None, 0), (0, 2), (None, 1), (2, 2), (0, 3), (None, 4), (5, 0)]
    threads = [(500, 5, 0), (500, None, 1), (501, None, 0)]
    samples = [
        (0, 1, 10 * MS, 10 * MS), (1, 5, 10 * MS, 10 * MS),
        (0, 3, 20 * MS, 10 * MS), (1, 6, 20 * MS, 10 * MS), (2, 1, 20 * MS, 10 * MS),
        (0, 4, 30 * MS, 10 * MS), (1, 6, 30 * MS, 10 * MS),
        (0, None, 40 * MS, 10 * MS), (2, 0, 40 * MS, 10 * MS),
        (0, 2, 50 * MS, 10 * MS),
        (0, 1, 75 * MS, 10 * MS),
        (0, 0, 200 * MS, 10 * MS),
        (0, 1, 210 * MS, 0),
    ]
    path = tmp_path_factory.mktemp("handmade") / "handmade.pyro"
    return write_pyro(path, strings, frames, stacks, threads, samples,
                      argv=["python3", "hand<made>.py"], rate_hz=100)


@pytest.fixture(scope="module")
def hostile(synth_profile, tmp_path_factory):
    return synth_profile(tmp_path_factory.mktemp("hostile") / "hostile.pyro", samples=3000,
                         stacks=400, threads=3, functions=40, seed=7, hostile=True)


def render(pyrometer, src, fmt, out):
    proc = subprocess.run([str(pyrometer), "report", str(src), "-f", fmt, "-o", str(out)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                          timeout=60)
    assert proc.returncode == 0, describe(proc)
    return json.loads(Path(out).read_text(encoding="utf-8"), parse_float=Decimal)


def version(pyrometer):
    out = subprocess.run([str(pyrometer), "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=30)
    return out.stdout.split()[-1] if out.returncode == 0 and out.stdout.strip() else None


def thread_label(prof, t):
    tid, name, interp = prof.threads[t]
    several = any(th[2] != 0 for th in prof.threads)
    parts = ([prof.strings[name]] if name is not None else []) + \
        (["interp %d" % interp] if several else [])
    return "thread %d" % tid + (" (%s)" % ", ".join(parts) if parts else "")


# --- speedscope -----------------------------------------------------------------------------

def expected_speedscope(prof, samples):
    """[(functions, weight)] of one thread: consecutive equal function stacks merged."""
    out = []
    for _t, stack, _time, weight in samples:
        # A function with no first line (a synthetic frame: garbage collection) has
        # no "line" in speedscope, which reads back as None.
        fns = tuple((n, f, l if l > 0 else None) for n, f, l in prof.stack_functions(stack))
        if out and out[-1][0] == fns:
            out[-1][1] += weight
        else:
            out.append([fns, weight])
    return [(f, w) for f, w in out]


def check_speedscope(pyrometer, src, out):
    prof = Profile(src)
    doc = render(pyrometer, src, "speedscope", out)
    if SCHEMA.is_file():
        import jsonschema
        jsonschema.validate(json.loads(Path(out).read_text(encoding="utf-8")),
                            json.loads(SCHEMA.read_text()))
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    assert doc["name"] == " ".join(prof.argv)
    assert doc["exporter"].startswith("pyrometer ")
    v = version(pyrometer)
    if v:
        assert doc["exporter"] == "pyrometer " + v
    frames = doc["shared"]["frames"]
    keys = [(f["name"], f.get("file"), f.get("line")) for f in frames]
    assert len(set(keys)) == len(keys), "a function is listed twice in shared.frames"
    by_thread = prof.by_thread()
    threads = [t for t in range(len(prof.threads)) if by_thread.get(t)]
    assert [p["name"] for p in doc["profiles"]] == [thread_label(prof, t) for t in threads]
    for t, p in zip(threads, doc["profiles"]):
        assert p["type"] == "sampled" and p["unit"] == "nanoseconds"
        assert len(p["samples"]) == len(p["weights"])
        for stack in p["samples"]:
            assert all(isinstance(i, int) and 0 <= i < len(frames) for i in stack), stack
        got = [(tuple(keys[i] for i in stack), w) for stack, w in zip(p["samples"], p["weights"])]
        want = expected_speedscope(prof, by_thread[t])
        assert got == want, "thread %s: samples differ from the profile's" % p["name"]
        total = sum(s[3] for s in by_thread[t])
        assert sum(p["weights"]) == total
        assert p["startValue"] == 0 and p["endValue"] == total
    return prof, doc


def test_speedscope_matches_profile(pyrometer, hostile, real_profile, handmade, tmp_path):
    for src in (hostile, real_profile, handmade):
        check_speedscope(pyrometer, src, tmp_path / (src.stem + ".speedscope.json"))


def test_speedscope_stacks_agree_with_collapsed(pyrometer, synth_profile, real_profile, tmp_path):
    """Every (thread, stack) of the collapsed output is in the speedscope file once merged,
    with the same time (collapsed rounds to microseconds, at least 1 per line). Not on the
    hostile profile: parse_collapsed splits lines at U+2028 (str.splitlines)."""
    plain = synth_profile(tmp_path / "plain.pyro", samples=3000, stacks=400, seed=3)
    for src in (plain, real_profile):
        prof, doc = check_speedscope(pyrometer, src, tmp_path / (src.stem + ".json"))
        proc = report(pyrometer, src, "collapsed")
        assert proc.returncode == 0, describe(proc)
        want = defaultdict(int)
        for s in parse_collapsed(proc.stdout):
            want[(s.tid, tuple(f.name for f in s.frames))] += s.weight
        clean = lambda n: n.replace(";", ":").replace("\n", " ").replace("\r", " ")
        got = defaultdict(int)
        tids = [prof.threads[t][0] for t in sorted(prof.by_thread())]
        for tid, p in zip(tids, doc["profiles"]):
            for stack, w in zip(p["samples"], p["weights"]):
                if stack:
                    names = tuple(clean(doc["shared"]["frames"][i]["name"]) for i in stack)
                    got[(tid, names)] += w
        assert set(got) == set(want)
        for key in want:
            assert abs(got[key] / 1000 - want[key]) <= 1 + len(prof.samples), key


def test_speedscope_memory_profiles(pyrometer, tmp_path):
    """A hand-made profile with memory (format 1.3): after the thread, one profile in bytes
    per measure, a sample per site with bytes of it; a site with no Python frame is one
    frame; the file validates; no leaked profile when nothing is held at the end."""
    strings = ["<module>", "a.py", "f", "g"]
    frames = [(0, 1, 1, 5), (2, 1, 10, 12), (3, 1, 20, 22)]
    stacks = [(None, 0), (0, 1), (1, 2)]  # <module>; <module> > f; <module> > f > g
    # (stack, allocs, allocated, freed, temporary, live at the end, live at the peak)
    sites = [(1, 3, 2000, 500, 500, 1500, 2000), (None, 1, 1000, 0, 0, 1000, 1000),
             (2, 5, 5000, 5000, 5000, 0, 0)]
    memory = dict(flags=4, sample_bytes=1, peak_bytes=3000, peak_time_ns=15 * MS, time_ns=20 * MS,
                  sites=sites, points=[(5 * MS, 100, 10000), (15 * MS, 3000, 20000)])
    path = write_pyro(tmp_path / "mem.pyro", strings, frames, stacks, [(100, None, 0)],
                      [(0, 1, 10 * MS, 10 * MS)], memory=memory)
    out = tmp_path / "mem.speedscope.json"
    doc = render(pyrometer, path, "speedscope", out)
    if SCHEMA.is_file():
        import jsonschema
        jsonschema.validate(json.loads(out.read_text(encoding="utf-8")), json.loads(SCHEMA.read_text()))
    names = [f["name"] for f in doc["shared"]["frames"]]
    got = {p["name"]: (p["unit"], [(tuple(names[i] for i in st), w) for st, w in zip(p["samples"], p["weights"])],
                       p["endValue"]) for p in doc["profiles"]}
    f, g, none = ("<module>", "f"), ("<module>", "f", "g"), ("(no Python frame)",)
    assert got == {
        "thread 100": ("nanoseconds", [(f, 10 * MS)], 10 * MS),
        "memory: allocated": ("bytes", [(f, 2000), (none, 1000), (g, 5000)], 8000),
        "memory: at peak": ("bytes", [(f, 2000), (none, 1000)], 3000),
        "memory: leaked": ("bytes", [(f, 1500), (none, 1000)], 2500),
    }
    # Nothing held at the end: no leaked profile.
    memory["sites"] = [sites[2]]
    path = write_pyro(tmp_path / "mem0.pyro", strings, frames, stacks, [(100, None, 0)], [], memory=memory)
    doc = render(pyrometer, path, "speedscope", tmp_path / "mem0.speedscope.json")
    assert [p["name"] for p in doc["profiles"]] == ["memory: allocated"]


# --- chrome ---------------------------------------------------------------------------------

REQUIRED = {
    "X": {"name": str, "ph": str, "ts": Decimal, "dur": Decimal, "pid": int, "tid": int},
    "M": {"name": str, "ph": str, "pid": int, "args": dict},
}


def ns(value):
    """A ts or dur (microseconds, at most 3 decimals) as integer nanoseconds."""
    if isinstance(value, int):
        return value * 1000
    n = value * 1000
    assert n == n.to_integral_value(), "more than nanosecond precision: %s" % value
    return int(n)


def validate_trace(doc):
    """The documented fields; returns ({(pid, tid): [slices sorted by start]}, names) where a
    slice is (start_ns, end_ns, name, file, line)."""
    assert set(doc) >= {"traceEvents", "otherData"}, sorted(doc)
    assert isinstance(doc["otherData"], dict)
    slices, names, sort_index, process = defaultdict(list), {}, {}, {}
    for e in doc["traceEvents"]:
        ph = e.get("ph")
        assert ph in REQUIRED, e
        for key, typ in REQUIRED[ph].items():
            assert key in e, "%s event without %s: %r" % (ph, key, e)
            if typ is Decimal:
                assert isinstance(e[key], (int, Decimal)) and e[key] >= 0, e
            else:
                assert isinstance(e[key], typ) and not isinstance(e[key], bool), e
        if ph == "M":
            assert e["name"] in ("process_name", "thread_name", "thread_sort_index"), e
            if e["name"] == "process_name":
                process[e["pid"]] = e["args"]["name"]
            elif e["name"] == "thread_name":
                assert isinstance(e["args"]["name"], str)
                assert (e["pid"], e["tid"]) not in names, "thread named twice: %r" % e
                names[(e["pid"], e["tid"])] = e["args"]["name"]
            else:
                assert isinstance(e["args"]["sort_index"], int)
                sort_index[(e["pid"], e["tid"])] = e["args"]["sort_index"]
        else:
            assert isinstance(e.get("cat"), str)
            assert isinstance(e["args"]["file"], str) and isinstance(e["args"]["line"], int)
            start = ns(e["ts"])
            slices[(e["pid"], e["tid"])].append(
                (start, start + ns(e["dur"]), e["name"], e["args"]["file"], e["args"]["line"]))
    for key, lst in slices.items():
        assert key in names, "thread %r has slices but no thread_name" % (key,)
        assert key[0] in process, "process %d has no process_name" % key[0]
        assert key in sort_index
        # Parents first at equal starts: by start, then longer first. Then check nesting.
        lst.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for s in lst:
            while stack and stack[-1][1] <= s[0] and not (stack[-1][0] == s[0] == s[1]):
                stack.pop()
            if stack:
                assert s[1] <= stack[-1][1], "slice %r overlaps %r on %r" % (s, stack[-1], key)
            stack.append(s)
    return slices, names


def sample_intervals(prof, samples):
    """Each sample's [start, end] as the renderer lays it out: [time - weight, time], not
    before the previous sample's end."""
    out, prev_end = [], None
    for s in samples:
        start = max(s[2] - s[3], 0)
        if prev_end is not None and start < prev_end:
            start = prev_end
        end = max(s[2], start)
        out.append((s, start, end))
        prev_end = end
    return out


def check_chrome(pyrometer, src, out):
    prof = Profile(src)
    text_doc = render(pyrometer, src, "chrome", out)
    slices, names = validate_trace(text_doc)
    interval = 10**9 // prof.rate_hz if prof.rate_hz else 10 * MS
    gap = 2 * interval
    by_thread = prof.by_thread()
    tid_of = {}
    for key, name in names.items():
        t = [i for i in range(len(prof.threads)) if thread_label(prof, i) == name]
        assert len(t) == 1, "thread_name %r names no thread or several" % name
        tid_of[t[0]] = key
    assert len(tid_of) == len(prof.threads), "not every thread has a track"
    assert len(set(tid_of.values())) == len(prof.threads), "two threads share a track"
    for t, samples in by_thread.items():
        lst = slices.get(tid_of[t], [])
        roots = []
        for s in lst:  # sorted by start, longer first: roots are those not inside another
            if not roots or s[0] >= roots[-1][1] and not (roots[-1][0] == s[0] == s[1]):
                roots.append(s)
        # The root slices cover each sample with Python frames, and the short gaps bridged
        # while the root function stays the same.
        covered, prev = 0, None
        for s, start, end in sample_intervals(prof, samples):
            fns = prof.stack_functions(s[1])
            if fns:
                covered += end - start
                if prev and prev[1] and prev[1][0] == fns[0] and start - prev[0] <= gap:
                    covered += start - prev[0]
            prev = (end, fns)
        assert sum(r[1] - r[0] for r in roots) == covered, "thread %d" % prof.threads[t][0]
        # At each sample's midpoint, the open slices are its stack, root first.
        i, stack = 0, []
        for s, start, end in sample_intervals(prof, samples):
            if end == start:
                continue
            mid2 = start + end
            while i < len(lst) and 2 * lst[i][0] < mid2:
                while stack and stack[-1][1] <= lst[i][0]:
                    stack.pop()
                stack.append(lst[i])
                i += 1
            while stack and 2 * stack[-1][1] <= mid2:
                stack.pop()
            assert tuple((x[2], x[3], x[4]) for x in stack) == prof.stack_functions(s[1]), \
                "thread %d at %d ns: open slices %r, sample %r" % (
                    prof.threads[t][0], mid2 // 2, stack, prof.stack_functions(s[1]))
    other = text_doc["otherData"]
    assert other["command"] == " ".join(prof.argv) and other["pid"] == prof.pid
    assert other["samples"] == len(prof.samples)
    assert other["sample_ns"] == sum(s[3] for s in prof.samples)
    assert "displayTimeUnit" not in text_doc
    return prof, text_doc, slices


def test_chrome_matches_profile(pyrometer, hostile, real_profile, handmade, tmp_path):
    for src in (hostile, real_profile, handmade):
        check_chrome(pyrometer, src, tmp_path / (src.stem + ".trace.json"))


def test_chrome_root_slices_sum_to_thread_weight(pyrometer, hostile, tmp_path):
    """Synthetic samples are back to back, so the root slices are exactly the weight."""
    prof, _doc, slices = check_chrome(pyrometer, hostile, tmp_path / "h.trace.json")
    weights = defaultdict(int)
    for t, _stack, _time, w in prof.samples:
        weights[prof.threads[t][0]] += w
    for (_pid, tid), lst in slices.items():
        roots, end = 0, -1
        for s in lst:
            if s[0] >= end:
                roots += s[1] - s[0]
                end = s[1]
        assert roots == weights[tid], tid


def test_chrome_handmade_cases(pyrometer, handmade, tmp_path):
    prof, doc, slices = check_chrome(pyrometer, handmade, tmp_path / "hm.trace.json")
    tracks = {}
    for e in doc["traceEvents"]:
        if e["name"] == "thread_name":
            tracks[e["args"]["name"]] = (e["pid"], e["tid"])
    assert tracks["thread 500 (MainThread, interp 0)"] == (4242, 500)
    assert tracks["thread 500 (interp 1)"][1] not in (0, 500, 501)
    main = [(s[0] // MS, s[1] // MS, s[2]) for s in slices[tracks["thread 500 (MainThread, interp 0)"]]]
    assert main == [
        (0, 30, "f"), (0, 20, "g"), (20, 30, "h"),   # f@3 and f@5 are one function: one slice
        (40, 75, "f"), (65, 75, "g"),                # idle at 30-40 closes; 15 ms gap bridged
        (190, 210, "f"), (210, 210, "g"),            # 115 ms gap closes; zero weight: empty g
    ], main
    k = [(s[0] // MS, s[1] // MS, s[2]) for s in slices[tracks["thread 500 (interp 1)"]]]
    assert k == [(0, 30, HOSTILE_K), (10, 30, "f")]
    assert any(e.get("name") == HOSTILE_K for e in doc["traceEvents"])


def test_names_round_trip(pyrometer, hostile, tmp_path):
    prof = Profile(hostile)
    used = {f for s in prof.samples for f in prof.stack_functions(s[1])}
    _p, doc, _s = check_chrome(pyrometer, hostile, tmp_path / "n.trace.json")
    got = {(e["name"], e["args"]["file"], e["args"]["line"]) for e in doc["traceEvents"]
           if e["ph"] == "X"}
    assert got == used
    assert {"<img src=x onerror=alert(1)>", "new\nline", 'quote"and\\back',
            "line\u2028sep"} <= {n for n, _f, _l in got}
    _p, sdoc = check_speedscope(pyrometer, hostile, tmp_path / "n.speedscope.json")
    assert {(f["name"], f["file"], f["line"]) for f in sdoc["shared"]["frames"]} >= used


# --- real consumers in headless Chromium ---------------------------------------------------

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An http server on 127.0.0.1 serving a copy of speedscope's release build; returns
    (directory, base URL). Skips when node, chromium or the npm packages are missing."""
    if not CHROMIUM.exists():
        pytest.skip("no %s to run speedscope in" % CHROMIUM)
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    if not (SPEEDSCOPE_DIR / "index.html").is_file() or \
            not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.skip("tests/browser/node_modules lacks speedscope or playwright-core: "
                    "run `npm ci` in tests/browser")
    root = tmp_path_factory.mktemp("www")
    shutil.copytree(str(SPEEDSCOPE_DIR), str(root / "speedscope"))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, "http://127.0.0.1:%d/" % server.server_address[1]
    server.shutdown()
    server.server_close()


def open_in_speedscope(served, files):
    """Run speedscope_check.mjs on each (file, view) (the file already in the served
    directory; view None or "sandwich"); returns its results in order."""
    root, base = served
    urls = []
    for f, view in files:
        profile = urllib.parse.quote(base + f, safe="")
        urls.append(base + "speedscope/index.html#profileURL=" + profile +
                    ("&view=" + view if view else ""))
    proc = subprocess.run(["node", str(BROWSER_DIR / "speedscope_check.mjs")] + urls,
                          cwd=str(BROWSER_DIR), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                          errors="replace", timeout=180)
    assert proc.returncode == 0, describe(proc)
    # split("\n"), not splitlines(): page text may hold U+2028.
    results = json.loads(proc.stdout.strip().split("\n")[-1])["results"]
    assert len(results) == len(files), proc.stdout
    return results


def assert_clean(res, what, tolerate=()):
    assert res.get("loaded"), "%s: speedscope did not show a profile: %r" % (what, res)
    assert not res["pageErrors"], "%s: %r" % (what, res["pageErrors"])
    assert not res["consoleErrors"], "%s: %r" % (what, res["consoleErrors"])
    assert not res["dialogs"], "%s: a dialog opened (a name ran as code): %r" % (what, res)
    assert not res["failedRequests"], "%s: %r" % (what, res["failedRequests"])
    assert not res["imgs"], "%s: an <img> element appeared: %r" % (what, res["imgs"])
    # speedscope warns about unbalanced or unordered events while importing.
    bad = [w for w in res["consoleWarnings"] if "GL Driver" not in w and
           not any(t in w for t in tolerate)]
    assert not bad, "%s: %r" % (what, bad[:5])


def test_consumers_load_both_formats(pyrometer, served, hostile, real_profile, handmade):
    """speedscope's own build loads each output of each profile: a profile per thread, the
    right names, no error, and hostile names shown as text (sandwich view's table) without
    running (no dialog, no <img>)."""
    root, _base = served
    cases = []
    for src in (hostile, real_profile, handmade):
        for fmt, ext in (("speedscope", ".speedscope.json"), ("chrome", ".trace.json")):
            name = src.stem + ext
            render(pyrometer, src, fmt, root / name)
            cases.append((src, fmt, name, "sandwich" if src == hostile else None))
    results = open_in_speedscope(served, [(c[2], c[3]) for c in cases])
    for (src, fmt, name, _view), res in zip(cases, results):
        prof = Profile(src)
        # speedscope's Trace Event importer turns each X event into a begin and an end and
        # orders those of equal timestamps by a heuristic (a begin goes first when it has
        # the same name and args as the first pending end). Slices that end exactly where a
        # slice of the same function begins, which sampled data is full of, can defeat it:
        # it then warns "Tried to end ..." (and, at the end, that frames were "still open"),
        # mis-nesting that spot of its own view. The file is exact (check_chrome proves the
        # nesting); only those two warnings are tolerated.
        assert_clean(res, name, tolerate=("Tried to end", "still open at end of profile")
                     if fmt == "chrome" else ())
        active = sorted(prof.by_thread())
        if fmt == "speedscope":
            assert res["title"] == " ".join(prof.argv) + " - speedscope", res["title"]
            labels = [thread_label(prof, t) for t in active]
        else:
            # speedscope names a trace's threads "<process> (pid P), <thread> (tid T)", in
            # its own order; a thread with no Python frames at all has no slices.
            labels = [thread_label(prof, t) for t in active
                      if any(s[1] is not None for s in prof.by_thread()[t])]
        if len(labels) > 1:
            assert res["toolbar"].endswith("(1/%d)" % len(labels)), (name, res["toolbar"])
            rows = res["profileRows"]
            assert len(rows) == len(labels), (name, rows)
            for label in labels:
                hits = [r for r in rows if label + (" (tid" if fmt == "chrome" else "") in r
                        or r.endswith(": " + label)]
                assert len(hits) == 1, (name, label, rows)
            if fmt == "speedscope":
                assert [r.split(": ", 1)[1] for r in rows] == labels, (name, rows)
        if src == hostile:
            for hostile_name in ("<img src=x onerror=alert(1)>",
                                 "</script><script>alert(2)</script>", "amp&lt;entity"):
                assert hostile_name in res["text"], (name, hostile_name, res["text"][:2000])
