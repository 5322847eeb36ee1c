"""The pprof and pstats outputs, each read back by its real consumer.

pprof: Debian's `go tool pprof` must load the gzipped profile.proto and show, with -raw,
-top and -traces, exactly our totals, every stack of the collapsed format once with its
weight, the thread labels, and the function names unchanged (markup, ';', newlines).
pstats: every CPython on the machine loads one pstats file with pstats.Stats, prints,
sorts and lists callers, and gets the numbers of the documented convention (samples for
calls, self and total seconds, recursion counted once in total time).

Three profiles: a synthetic one with hostile names (each sample weighs 1 ms, so totals
are exact), the real recording of threads.py, and a small hand-made .pyro written here
(cpu mode, named threads, two interpreters, recursion, a sample with no Python frames)
whose every expected number is worked out below. And one recording with --memory, whose
allocations `go tool pprof -sample_index=alloc_space` (and inuse_space) must show.
"""
import collections
import json
import os
import re
import shutil
import subprocess

import pytest

from e2e_util import TARGETS, describe, parse_collapsed, record, report, write_pyro

RUN_TIMEOUT = 120
SYNTH_SAMPLES = 3000
# The names tools/synth_profile.c gives its first functions with --hostile.
HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "semi;colon",
           "new\nline", 'quote"and\\back', "caf\u00e9_\u65e5\u672c", "amp&lt;entity",
           "line\u2028sep"]


# --- a hand-made .pyro (docs/FORMAT.md) -------------------------------------------

MS = 1000000
HAND_STRINGS = ["<module>", "/app/main.py", "f", "g", "<lambda>", "MainThread", "worker <1>;x"]
# (name, file, first_line, line): f appears at two lines (one function).
HAND_FRAMES = [(0, 1, 1, 10), (2, 1, 20, 21), (3, 1, 30, 31), (2, 1, 20, 22), (4, 1, 40, 40)]
# (parent stack or None, frame): S0 <module>, S1 -> f, S2 -> g, S3 -> f (recursion),
# S4 -> g again, S5 <module> -> <lambda>.
HAND_STACKS = [(None, 0), (0, 1), (1, 2), (2, 3), (3, 2), (0, 4)]
# (native_id, name string or None, interpreter)
HAND_THREADS = [(100, 5, 0), (200, 6, 1), (300, None, 0)]
# (thread, stack or None for no Python frames, weight_ns); 10 ms apart.
HAND_SAMPLES = [(0, 1, 1 * MS), (0, 1, 1 * MS), (0, 4, 3 * MS), (1, 3, 5 * MS), (1, 5, 7 * MS),
                (2, None, 11 * MS), (2, 2, 13 * MS)]
HAND_ARGV = ["python3", "main.py", "--n", "3"]
HAND_START_NS = 1600000000123456789
HAND_RATE = 250


def write_hand_profile(path, frames=HAND_FRAMES, stacks=HAND_STACKS, threads=HAND_THREADS,
                       samples=HAND_SAMPLES):
    """cpu mode, 250 Hz, samples 10 ms apart, no END chunk (so the duration is the last
    sample's time)."""
    timed = [(t, s, 10 * MS * (i + 1), w) for i, (t, s, w) in enumerate(samples)]
    return write_pyro(path, HAND_STRINGS, frames, stacks, threads, timed, argv=HAND_ARGV,
                      rate_hz=HAND_RATE, mode=1, python="3.11.4", producer="handmade 1",
                      start_ns=HAND_START_NS, end=False)


# Worked out by hand from the tables above (see the pstats convention in FORMATS.md).
# Non-idle samples: S1 x2 (2 ms), S4 (3), S3 (5), S5 (7), S2 (13): 30 ms in 6 samples.
HAND_TOTAL_NS = 30 * MS
MODULE, F, G, LAMBDA = (("/app/main.py", 1, "<module>"), ("/app/main.py", 20, "f"),
                        ("/app/main.py", 30, "g"), ("/app/main.py", 40, "<lambda>"))
# function: (cc, nc, tt ms, ct ms, {caller: (nc, cc, tt ms, ct ms)})
HAND_PSTATS = {
    MODULE: (6, 6, 0, 30, {}),
    F: (5, 7, 7, 23, {MODULE: (5, 5, 2, 23), G: (2, 2, 5, 8)}),
    G: (3, 4, 16, 21, {F: (4, 3, 16, 21)}),
    LAMBDA: (1, 1, 7, 7, {MODULE: (1, 1, 7, 7)}),
}


# --- reading back ------------------------------------------------------------------

def render(pyrometer, src, fmt, out):
    """Render src; only the hand-made file (no END chunk, as if the recorder had been
    killed) may warn, and only about that."""
    proc = subprocess.run([str(pyrometer), "report", str(src), "-f", fmt, "-o", str(out)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          encoding="utf-8", errors="replace", timeout=RUN_TIMEOUT)
    assert proc.returncode == 0 and out.is_file(), describe(proc)
    allowed = "without an end chunk" if src.name.startswith("hand") else None
    for line in proc.stderr.splitlines():
        assert allowed and allowed in line, describe(proc)
    return out


# str.splitlines() (used by parse_collapsed) also breaks lines at these; the collapsed
# format only replaces ';', '\n' and '\r', so hide the others while parsing.
LINE_BREAKERS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
HIDE = {ord(c): 0xE000 + i for i, c in enumerate(LINE_BREAKERS)}
UNHIDE = {0xE000 + i: ord(c) for i, c in enumerate(LINE_BREAKERS)}


def collapsed_stacks(pyrometer, src):
    proc = report(pyrometer, src, "collapsed")
    assert proc.returncode == 0, describe(proc)
    stacks = parse_collapsed(proc.stdout.translate(HIDE))
    return [s._replace(frames=tuple(f._replace(name=f.name.translate(UNHIDE)) for f in s.frames))
            for s in stacks]


def clean(name):
    """A function name as the collapsed format writes it."""
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ")


def go_env(tmp_path):
    if not shutil.which("go"):
        pytest.skip("`go` not found: Debian's golang-go provides `go tool pprof`")
    home = tmp_path / "gohome"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), GOCACHE=str(home / "cache"),
               PPROF_TMPDIR=str(home), TZ="UTC")
    env.pop("GOFLAGS", None)
    return env


def go_pprof(env, pb, *args):
    proc = subprocess.run(["go", "tool", "pprof"] + list(args) + [str(pb)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          encoding="utf-8", errors="replace", env=env, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


RawSample = collections.namedtuple("RawSample", "values locations labels")
RawLocation = collections.namedtuple("RawLocation", "name file line start")
# "   12: 0x0 M=1 NAME FILE:LINE s=START(NAME (FILE:START))": our system_name repeats the
# name and file, which delimits names that hold spaces or newlines.
LOCATION_RE = re.compile(
    r"^ *(\d+): 0x0 (?:M=\d+ )?(.*?) (.*?):(-?\d+) s=(-?\d+)\(\2 \(\3:\5\)\)$", re.M | re.S)
SAMPLE_RE = re.compile(r"^ +(\d+) +(\d+): ((?:\d+ )*)$")
LABEL_RE = re.compile(r"(\w+):\[([^\]]*)\]")


def parse_raw(text):
    """`go tool pprof -raw` output: (header lines, [RawSample], {id: RawLocation})."""
    head, rest = text.split("\nSamples:\n", 1)
    samples_text, rest = rest.split("\nLocations\n", 1)
    locations_text = rest.rsplit("\nMappings\n", 1)[0]
    lines = samples_text.split("\n")
    samples = []
    for line in lines[1:]:
        m = SAMPLE_RE.match(line)
        if m:
            samples.append(RawSample((int(m.group(1)), int(m.group(2))),
                                     [int(i) for i in m.group(3).split()], {}))
        else:
            assert samples and line.startswith(" " * 16), "unexpected -raw line %r" % line
            samples[-1].labels.update(LABEL_RE.findall(line))
    locations = {}
    for m in LOCATION_RE.finditer(locations_text + "\n"):
        locations[int(m.group(1))] = RawLocation(m.group(2), m.group(3), int(m.group(4)),
                                                 int(m.group(5)))
    assert sorted(locations) == list(range(1, len(locations) + 1)), \
        "location ids not 1..N in -raw output:\n" + locations_text[:3000]
    assert locations_text.count(" 0x0 ") == len(locations), \
        "some -raw locations did not parse:\n" + locations_text[:3000]
    return head.split("\n"), samples, locations


def pprof_stacks(samples, locations):
    """{(tid, frames root first as (clean name, file, line)): (samples, ns)}, asserting
    that no (thread, stack) occurs twice."""
    out = {}
    for s in samples:
        frames = tuple((clean(locations[i].name), locations[i].file, locations[i].line)
                       for i in reversed(s.locations))
        key = (int(s.labels["thread_id"]), frames)
        assert key not in out, "stack occurs twice in the pprof output: %r" % (key,)
        out[key] = s.values
    return out


def check_against_collapsed(stacks, collapsed):
    """Every collapsed stack once, with the same weight (collapsed rounds to us, >= 1)."""
    want = {(s.tid, tuple((f.name, f.file, f.line) for f in s.frames)): s.weight
            for s in collapsed}
    assert len(want) == len(collapsed), "collapsed output repeats a stack"
    assert set(stacks) == set(want), "stacks differ: only pprof %r; only collapsed %r" % (
        sorted(set(stacks) - set(want))[:3], sorted(set(want) - set(stacks))[:3])
    for key, (_, ns) in stacks.items():
        assert max(1, (ns + 500) // 1000) == want[key], \
            "weight of %r: pprof %d ns, collapsed %d us" % (key, ns, want[key])


def top_total(text):
    m = re.search(r"Total samples = (\d+)(ns)?\b", text)
    assert m, "no total in -top output:\n" + text[:2000]
    return int(m.group(1))


def traces(text):
    """-traces output -> [(labels text, value)] (run with -unit=ns)."""
    out = []
    blocks = text.split("-----------+-------------------------------------------------------")[1:]
    assert blocks and blocks[-1].strip() == "", "unexpected end of -traces output:\n" + text[-2000:]
    for block in blocks[:-1]:
        m = re.search(r"^ *(\d+)ns ", block, re.M)
        assert m, "no value in trace:\n" + block
        out.append((block[:m.start()], int(m.group(1))))
    return out


# --- pprof -------------------------------------------------------------------------

def test_pprof_synthetic_totals_stacks_and_names(pyrometer, synth_profile, tmp_path):
    env = go_env(tmp_path)
    src = synth_profile(tmp_path / "s.pyro", samples=SYNTH_SAMPLES, stacks=400, threads=3,
                        functions=60, hostile=True)
    pb = render(pyrometer, src, "pprof", tmp_path / "s.pb.gz")
    assert pb.read_bytes()[:2] == b"\x1f\x8b", "pprof output is not gzipped"

    head, samples, locations = parse_raw(go_pprof(env, pb, "-raw"))
    for line in ("Comment: python3 synthetic.py", "Comment: Python 3.12.1",
                 "PeriodType: wall nanoseconds", "Period: 1000000"):
        assert line in head, "%r not in the -raw header %r" % (line, head)
    assert sum(s.values[0] for s in samples) == SYNTH_SAMPLES
    assert sum(s.values[1] for s in samples) == SYNTH_SAMPLES * MS
    assert {s.labels.get("thread_id") for s in samples} == {"1000", "1001", "1002"}

    names = {loc.name for loc in locations.values()}
    for name in HOSTILE:
        assert name in names, "hostile name %r did not round-trip; pprof has %r" % (
            name, sorted(n for n in names if not n.startswith("func_")))
    assert all(n in HOSTILE or re.fullmatch(r"func_\d+", n) for n in names), sorted(names)

    check_against_collapsed(pprof_stacks(samples, locations), collapsed_stacks(pyrometer, src))

    top = go_pprof(env, pb, "-top", "-unit=ns")
    assert top_total(top) == SYNTH_SAMPLES * MS
    assert "Type: wall" in top
    # pprof did not take the names for C++ and strip "<...>" from them.
    assert re.search(r"%\s+<img src=x onerror=alert\(1\)>$", top, re.M), top[:3000]
    assert top_total(go_pprof(env, pb, "-top", "-sample_index=samples")) == SYNTH_SAMPLES

    tr = traces(go_pprof(env, pb, "-traces", "-unit=ns"))
    assert len(tr) == len(samples)
    assert sum(v for _, v in tr) == SYNTH_SAMPLES * MS
    assert all(re.search(r"thread_id: +100[012]\b", labels) for labels, _ in tr)


def test_pprof_real_profile_matches_collapsed(pyrometer, real_profile, tmp_path):
    env = go_env(tmp_path)
    pb = render(pyrometer, real_profile, "pprof", tmp_path / "real.pb.gz")
    collapsed = collapsed_stacks(pyrometer, real_profile)
    head, samples, locations = parse_raw(go_pprof(env, pb, "-raw"))
    stacks = pprof_stacks(samples, locations)
    check_against_collapsed(stacks, collapsed)
    assert {f.name for s in collapsed for f in s.frames} == \
        {clean(loc.name) for loc in locations.values()}
    assert {s.tid for s in collapsed} == {tid for tid, _ in stacks}
    assert any(line.startswith("Comment: Python 3.") for line in head), head
    assert any("threads.py" in line for line in head if line.startswith("Comment: ")), head

    total = sum(ns for _, ns in stacks.values())
    top = go_pprof(env, pb, "-top", "-unit=ns")
    assert top_total(top) == total
    assert re.search(r"%\s+<module>$", top, re.M), "<module> lost its name:\n" + top[:3000]
    tr = traces(go_pprof(env, pb, "-traces", "-unit=ns"))
    assert sum(v for _, v in tr) == total and len(tr) == len(samples)
    assert all("thread_id:" in labels for labels, _ in tr)


def test_pprof_hand_made_cpu_profile_labels(pyrometer, tmp_path):
    env = go_env(tmp_path)
    src = write_hand_profile(tmp_path / "hand.pyro")
    pb = render(pyrometer, src, "pprof", tmp_path / "hand.pb.gz")
    raw = go_pprof(env, pb, "-raw")
    head, samples, locations = parse_raw(raw)
    for line in ("Comment: python3 main.py --n 3", "Comment: Python 3.11.4",
                 "PeriodType: cpu nanoseconds", "Period: 4000000",
                 "Time: 2020-09-13 12:26:40.123456789 +0000 UTC", "Duration: 70ms"):
        assert line in head, "%r not in the -raw header %r" % (line, head)
    assert "samples/count cpu/nanoseconds[dflt]" in raw

    got = {}
    for s in samples:
        frames = tuple(locations[i].name + ":%d" % locations[i].line for i in reversed(s.locations))
        got[(s.labels.get("thread_id"), s.labels.get("thread_name"), s.labels.get("interpreter"),
             frames)] = s.values
    # The sample with no Python frames (thread 300, 11 ms) is left out.
    assert got == {
        ("100", "MainThread", "0 id", ("<module>:10", "f:21")): (2, 2 * MS),
        ("100", "MainThread", "0 id", ("<module>:10", "f:21", "g:31", "f:22", "g:31")): (1, 3 * MS),
        ("200", "worker <1>;x", "1 id", ("<module>:10", "f:21", "g:31", "f:22")): (1, 5 * MS),
        ("200", "worker <1>;x", "1 id", ("<module>:10", "<lambda>:40")): (1, 7 * MS),
        ("300", None, "0 id", ("<module>:10", "f:21", "g:31")): (1, 13 * MS),
    }
    assert {(loc.name, loc.start) for loc in locations.values()} == \
        {("<module>", 1), ("f", 20), ("g", 30), ("<lambda>", 40)}
    assert all(loc.file == "/app/main.py" for loc in locations.values())
    top = go_pprof(env, pb, "-top", "-unit=ns")
    assert top_total(top) == HAND_TOTAL_NS and "Type: cpu" in top


# "  100567760B 49.59% 99.52%  101323856B 49.96%  leak" (-top -unit=B)
TOP_ROW_RE = re.compile(r"^ *(\d+)B +\S+% +\S+% +(\d+)B +\S+% +(.+)$", re.M)


def test_pprof_memory_sample_types(pyrometer, tmp_path):
    """mem_leak.py: leak() allocates 100 MB and keeps it, churn() allocates as much and
    frees it. Recorded exactly (every allocation), so the bytes do not depend on
    sampling; one CPython (python3, the one `make` builds the agent for) is enough."""
    env = go_env(tmp_path)
    python = shutil.which("python3")
    if not python:
        pytest.skip("no python3 on PATH to record with")
    rec = record(pyrometer, tmp_path / "leak.pyro", [python, TARGETS / "mem_leak.py"],
                 extra=["--memory=exact"]).check()
    pb = render(pyrometer, rec.path, "pprof", tmp_path / "leak.pb.gz")
    assert "samples/count wall/nanoseconds[dflt] alloc_objects/count alloc_space/bytes " \
        "inuse_space/bytes" in go_pprof(env, pb, "-raw")
    for index, leak_bytes, churn_bytes in (("alloc_space", 100e6, 100e6), ("inuse_space", 100e6, None)):
        top = go_pprof(env, pb, "-sample_index=" + index, "-top", "-unit=B")
        assert "Type: " + index in top, top
        cum = {name: int(c) for _, c, name in TOP_ROW_RE.findall(top)}
        for fn, want in (("leak", leak_bytes), ("churn", churn_bytes)):
            if want:
                assert abs(cum.get(fn, 0) - want) <= 0.1 * want, \
                    "%s of %s: %r bytes, want about %d\n%s" % (index, fn, cum.get(fn), want, top)
    # CPU samples keep their types, and the time stays the default.
    assert "Type: wall" in go_pprof(env, pb, "-top")


# --- pstats ------------------------------------------------------------------------

# Runs in each interpreter (3.6+ syntax): load, sort, print, list callers and callees.
LOAD_SCRIPT = r"""
import io, json, pstats, sys
out = {}
for path in sys.argv[1:]:
    buf = io.StringIO()
    st = pstats.Stats(path, stream=buf)
    entries = []
    for (file, line, name), (cc, nc, tt, ct, callers) in st.stats.items():
        entries.append([file, line, name, cc, nc, tt, ct,
                        [[f, l, n] + list(v) for (f, l, n), v in callers.items()]])
    st.sort_stats("cumulative")
    st.print_stats()
    st.print_callers()
    st.print_callees()
    out[path] = {"entries": entries, "total_tt": st.total_tt, "total_calls": st.total_calls,
                 "prim_calls": st.prim_calls, "first": list(st.fcn_list[0]),
                 "printed": buf.getvalue()}
print(json.dumps(out))
"""


def expected_from_collapsed(collapsed, sample_us=None):
    """The pstats convention applied to collapsed stacks: {(file, clean name): [cc, nc, tt,
    ct, {caller: [nc, cc, tt, ct]}]} with times in us; counts only when every sample
    weighs sample_us."""
    fns = {}
    for s in collapsed:
        w = s.weight
        n = w // sample_us if sample_us else 0
        chain = [(f.file, f.name) for f in s.frames]
        for fn in chain:
            fns.setdefault(fn, [0, 0, 0, 0, {}])
            fns[fn][1] += n
        for fn in set(chain):
            fns[fn][0] += n
            fns[fn][3] += w
        fns[chain[-1]][2] += w
        pairs = list(zip(chain, chain[1:]))
        for caller, callee in pairs:
            fns[callee][4].setdefault(caller, [0, 0, 0, 0])[0] += n
        for caller, callee in set(pairs):
            e = fns[callee][4][caller]
            e[1] += n
            e[3] += w
        if pairs:
            fns[chain[-1]][4][pairs[-1][0]][2] += w
    return fns


def loaded_by(python, *paths):
    proc = subprocess.run([str(python), "-c", LOAD_SCRIPT] + [str(p) for p in paths],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          encoding="utf-8", errors="replace", timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, describe(proc)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def pstats_files(pyrometer, synth_profile, tmp_path_factory):
    """One synthetic (hostile names) and one hand-made pstats file, rendered once and
    loaded by every interpreter; with the synthetic profile's collapsed stacks."""
    d = tmp_path_factory.mktemp("pstats")
    synth = synth_profile(d / "s.pyro", samples=SYNTH_SAMPLES, stacks=400, threads=3,
                          functions=60, hostile=True)
    hand = write_hand_profile(d / "hand.pyro")
    return (render(pyrometer, synth, "pstats", d / "s.prof"),
            render(pyrometer, hand, "pstats", d / "hand.prof"),
            collapsed_stacks(pyrometer, synth))


def test_pstats_loads_in_every_python(python, pstats_files):
    synth, hand, collapsed = pstats_files
    got = loaded_by(python, synth, hand)

    # The hand-made profile: every number as worked out above.
    h = got[str(hand)]
    entries = {tuple(e[:3]): e for e in h["entries"]}
    assert set(entries) == set(HAND_PSTATS)
    for key, (cc, nc, tt, ct, callers) in HAND_PSTATS.items():
        e = entries[key]
        assert (e[3], e[4]) == (cc, nc), "%r: cc, nc %r, want %r" % (key, e[3:5], (cc, nc))
        assert e[5] == pytest.approx(tt / 1000.0) and e[6] == pytest.approx(ct / 1000.0), \
            "%r: tt, ct %r, want %r ms" % (key, e[5:7], (tt, ct))
        got_callers = {tuple(c[:3]): c[3:] for c in e[7]}
        assert set(got_callers) == set(callers), "%r callers %r" % (key, got_callers)
        for caller, (enc, ecc, ett, ect) in callers.items():
            c = got_callers[caller]
            assert c[:2] == [enc, ecc] and c[2] == pytest.approx(ett / 1000.0) and \
                c[3] == pytest.approx(ect / 1000.0), "%r <- %r: %r" % (key, caller, c)
    # No Python frames in the 11 ms sample: not counted.
    assert h["total_tt"] == pytest.approx(HAND_TOTAL_NS / 1e9)
    assert (h["total_calls"], h["prim_calls"]) == (18, 15)
    assert tuple(h["first"]) == MODULE, "sort_stats('cumulative') put %r first" % h["first"]
    assert "18 function calls (15 primitive calls) in 0.030 seconds" in h["printed"], h["printed"]
    assert "was called by" in h["printed"] and "called..." in h["printed"]

    # The synthetic profile: names exact, numbers those of the collapsed stacks.
    s = got[str(synth)]
    assert s["total_tt"] == pytest.approx(SYNTH_SAMPLES / 1000.0, abs=1e-9)
    names = {e[2] for e in s["entries"]}
    for name in HOSTILE:
        assert name in names, "hostile name %r did not round-trip; got %r" % (
            name, sorted(n for n in names if not n.startswith("func_")))
    want = expected_from_collapsed(collapsed, sample_us=1000)
    have = {(e[0], clean(e[2])): e for e in s["entries"]}
    assert len(have) == len(s["entries"]) and set(have) == set(want)
    for key, (cc, nc, tt, ct, callers) in want.items():
        e = have[key]
        assert [e[3], e[4], round(e[5] * 1e6), round(e[6] * 1e6)] == [cc, nc, tt, ct], \
            "%r: got %r, want %r" % (key, e[3:7], (cc, nc, tt, ct))
        got_callers = {(c[0], clean(c[2])): [c[3], c[4], round(c[5] * 1e6), round(c[6] * 1e6)]
                       for c in e[7]}
        assert got_callers == callers, "%r callers: got %r, want %r" % (key, got_callers, callers)
    assert "%d function calls" % s["total_calls"] in s["printed"]


def test_pstats_real_profile(pyrometer, real_profile, tmp_path):
    """The real recording, loaded by this interpreter: functions and times as collapsed
    (which rounds each stack to 1 us)."""
    import pstats
    out = render(pyrometer, real_profile, "pstats", tmp_path / "real.prof")
    collapsed = collapsed_stacks(pyrometer, real_profile)
    st = pstats.Stats(str(out), stream=open(os.devnull, "w"))
    st.sort_stats("cumulative").print_stats()
    st.print_callers()
    slack = len(collapsed)  # us
    want = expected_from_collapsed(collapsed)
    have = collections.defaultdict(lambda: [0.0, 0.0])
    for (file, _, name), (cc, nc, tt, ct, callers) in st.stats.items():
        assert 0 < cc <= nc and tt <= ct + 1e-12, (file, name, cc, nc, tt, ct)
        assert sum(c[2] for c in callers.values()) <= tt + 1e-9
        have[(file, name)][0] += tt
        have[(file, name)][1] += ct
    assert set(have) == set(want)
    for key, (_, _, tt, ct, _) in want.items():
        assert abs(have[key][0] * 1e6 - tt) <= slack and abs(have[key][1] * 1e6 - ct) <= slack, \
            "%r: tt, ct %r s, collapsed %r us" % (key, have[key], (tt, ct))
    assert abs(st.total_tt * 1e6 - sum(s.weight for s in collapsed)) <= slack


def test_no_python_samples(pyrometer, tmp_path):
    """Only samples with no Python frames: pprof holds no sample, pstats one placeholder
    (pstats.Stats refuses an empty dict) counting nothing."""
    import pstats
    src = write_hand_profile(tmp_path / "hand-idle.pyro", samples=[(2, None, 11 * MS)])
    st = pstats.Stats(str(render(pyrometer, src, "pstats", tmp_path / "idle.prof")),
                      stream=open(os.devnull, "w"))
    assert st.stats == {("~", 0, "<no samples with Python frames>"): (0, 0, 0.0, 0.0, {})}
    st.sort_stats("cumulative").print_stats()
    if shutil.which("go"):
        env = go_env(tmp_path)
        _, samples, locations = parse_raw(go_pprof(
            env, render(pyrometer, src, "pprof", tmp_path / "idle.pb.gz"), "-raw"))
        assert samples == [] and locations == {}
