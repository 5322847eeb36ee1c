"""The html report (`report -f html`) and the differential flame graph (`diff -f html`).

The file itself is checked without a browser: one self-contained page whose embedded data
holds every (thread, stack) of the collapsed format once, with the same weights, and in
which no name from the profile can become markup. Then headless Chromium
(tests/browser/html_check.mjs, via playwright-core) drives the page through its controls
with every network request refused, and what it shows is compared with the collapsed
format: totals per thread, matched share of a search, stacks at line granularity, the
diff's changes. Browser tests skip, with the reason, when /usr/bin/chromium, node or
tests/browser/node_modules is missing.
"""
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from e2e_util import REPO, TARGETS, describe, parse_collapsed, report, write_pyro

BROWSER_DIR = REPO / "tests" / "browser"
CHECK = BROWSER_DIR / "html_check.mjs"
CHROMIUM = Path("/usr/bin/chromium")
NODE = shutil.which("node")
ASSETS = REPO / "src" / "render" / "html"

# tools/synth_profile.c names its first functions so with --hostile.
HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "semi;colon",
           "new\nline", 'quote"and\\back', "caf\u00e9_\u65e5\u672c", "amp&lt;entity",
           "line\u2028sep"]


def _browser_missing():
    if not CHROMIUM.exists():
        return "%s not found" % CHROMIUM
    if not NODE:
        return "node not found on PATH"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return "tests/browser/node_modules/playwright-core missing (npm ci in tests/browser)"
    return None


needs_browser = pytest.mark.skipif(_browser_missing() is not None,
                                   reason="html browser checks: %s" % _browser_missing())


def run(args, timeout=120):
    return subprocess.run([str(a) for a in args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, encoding="utf-8", errors="replace", timeout=timeout)


def render_html(pyrometer, pyro, out):
    proc = run([pyrometer, "report", pyro, "-f", "html", "-o", out])
    assert proc.returncode == 0, describe(proc)
    assert proc.stderr == "", describe(proc)
    return Path(out)


def render_diff(pyrometer, before, after, out):
    proc = run([pyrometer, "diff", before, after, "-f", "html", "-o", out])
    assert proc.returncode == 0, describe(proc)
    return Path(out)


def collapsed(pyrometer, pyro):
    proc = report(pyrometer, pyro, "collapsed")
    assert proc.returncode == 0, describe(proc)
    return parse_collapsed(proc.stdout)


def browser(scenario, html):
    """Run one html_check.mjs scenario; assert the page made no request and raised no
    error, and that its own checks passed; return its observations."""
    proc = run([NODE, CHECK, scenario, html], timeout=180)
    assert proc.returncode == 0, describe(proc)
    # split on newlines only: U+2028 in a name is a line break to str.splitlines
    lines = [l for l in proc.stdout.split("\n") if l.startswith("{")]
    assert lines, describe(proc)
    out = json.loads(lines[-1])
    problems = out["problems"]
    assert problems["network"] == [], "the page tried the network: %r" % problems["network"]
    assert problems["console"] == [], "console errors: %r" % problems["console"]
    assert problems["page"] == [], "page errors: %r" % problems["page"]
    assert problems["dialogs"] == [], "dialogs opened: %r" % problems["dialogs"]
    assert out["failures"] == [], "in-page checks failed:\n" + "\n".join(out["failures"])
    return out["obs"]


def page_data(html):
    """The JSON embedded in the page."""
    text = Path(html).read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="pyro-data">(.*?)</script>', text, re.S)
    assert m, "no data block in %s" % html
    return json.loads(m.group(1))


def data_stacks(data, run=0):
    """(tid, frames, weight_ns, samples) per leaf of the embedded data; frames are
    (name, file, line) root first, as the collapsed format lists them."""
    s, fns, frames = data["strings"], data["fns"], data["frames"]
    r = data["runs"][run]
    st = r["stacks"]

    def frames_of(i):
        out = []
        while i >= 0:
            fr = st[2 * i + 1]
            fn, line = frames[2 * fr], frames[2 * fr + 1]
            out.append((s[fns[3 * fn]], s[fns[3 * fn + 1]], line))
            i = st[2 * i]
        return tuple(reversed(out))

    leaves = []
    for t, th in enumerate(r["threads"]):
        a, stack = r["leaves"][t], 0
        for k in range(0, len(a), 3):
            stack += a[k]
            leaves.append((th["tid"], frames_of(stack), a[k + 1], a[k + 2]))
    return leaves


def us(ns):
    """Microseconds as the collapsed format rounds them."""
    return max(1, (ns + 500) // 1000)


def clean(name):
    """A name as the collapsed format writes it."""
    return name.replace(";", ":").replace("\n", " ").replace("\r", " ")


def collapsed_key(tid, frames):
    return (tid, tuple((clean(n), clean(f), l) for n, f, l in frames))


def thread_tid(label):
    m = re.match(r"thread (\d+)", label)
    assert m, "thread label %r" % label
    return int(m.group(1))


def matched_share(stacks, test):
    total = sum(s.weight for s in stacks)
    hit = sum(s.weight for s in stacks if any(test(f.name) or test(f.file) for f in s.frames))
    return hit / total


def compare_line_stacks(obs_stacks, stacks, per_thread):
    """The page's line-granularity stacks (self time per node) against the collapsed
    lines: the same stacks, the same weights in microseconds."""
    want = defaultdict(int)
    lines = defaultdict(int)
    for s in stacks:
        key = (s.tid if per_thread else None, tuple(s.frames))
        want[key] += s.weight
        lines[key] += 1
    got = {}
    for st in obs_stacks:
        tid = thread_tid(st["thread"]) if per_thread else None
        frames = tuple((clean(n), clean(f), l) for n, f, l in st["frames"])
        key = (tid, frames)
        assert key not in got, "stack shown twice: %r" % (key,)
        got[key] = us(int(st["self"][0]))
    assert set(got) == set(want), "stacks differ: only in page %r, only in collapsed %r" % (
        sorted(set(got) - set(want))[:3], sorted(set(want) - set(got))[:3])
    for key, w in want.items():
        # the page sums ns before rounding; collapsed rounds each of its lines
        assert abs(got[key] - w) <= lines[key], "weight of %r: page %d us, collapsed %d us" % (key, got[key], w)


# ------------------------------------------------------------------ the file itself

def test_html_file_is_self_contained_and_holds_every_stack(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "p.pyro", samples=3000, stacks=400, threads=3, functions=40, seed=5)
    html = render_html(pyrometer, pyro, tmp_path / "p.html")
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "@@PYRO_" not in text, "a marker was left in the page"
    # Nothing to fetch: no external src/href, no url(), no http(s) anywhere.
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?(?!data:)[^"'\s>]""", text), \
        re.search(r"""\b(?:src|href)\s*=\s*["']?(?!data:)[^"'\s>]""", text).group(0)
    assert "url(" not in text and "http:" not in text and "https:" not in text and "@import" not in text
    assert text.count("</script>") == 2
    # The page's data: every (thread, stack) of the collapsed format once, same weight.
    data = page_data(html)
    assert data["kind"] == "profile" and len(data["runs"]) == 1
    leaves = data_stacks(data)
    mine = sorted((collapsed_key(t, f), us(w)) for t, f, w, _ in leaves)
    theirs = sorted(((s.tid, s.frames), s.weight) for s in collapsed(pyrometer, pyro))
    assert mine == theirs
    meta = data["runs"][0]["meta"]
    assert meta["samples"] == 3000 == sum(n for *_, n in leaves)
    assert meta["python"] == "3.12.1" and meta["pid"] == 4242 and meta["argv"] == ["python3", "synthetic.py"]
    assert meta["mode"] == "wall" and meta["rate_hz"] == 1000 and meta["errors"] == 0
    assert meta["start_ms"] == 1700000000000


def test_html_assets_cannot_end_their_script():
    for name in ("app.js", "style.css"):
        text = (ASSETS / name).read_text(encoding="utf-8").lower()
        assert "</script" not in text and "<!--" not in text and "</style" not in text, name
        # names reach the page through textContent and fillText only
        assert not re.search(r"\.(?:inner|outer)html\b|insertadjacenthtml|document\.write|\beval\(|new function\(",
                             text), name


def test_html_hostile_names_stay_data(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "h.pyro", samples=3000, stacks=300, threads=2, functions=20,
                         hostile=True)
    html = render_html(pyrometer, pyro, tmp_path / "h.html")
    text = html.read_text(encoding="utf-8")
    assert "<img" not in text and "</script><script>" not in text and "onerror=alert" not in text.replace(
        "\\u003cimg src=x onerror=alert(1)\\u003e", "")
    assert text.count("</script>") == 2 and text.count("<script") == 2
    assert "\u2028" not in text
    data = page_data(html)
    for name in HOSTILE:
        assert name in data["strings"], name


# ------------------------------------------------------------------ in the browser

@needs_browser
def test_html_profile_in_browser(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "p.pyro", samples=4000, stacks=500, threads=3, functions=60, seed=7)
    html = render_html(pyrometer, pyro, tmp_path / "p.html")
    stacks = collapsed(pyrometer, pyro)
    obs = browser("profile", html)
    total_us = sum(s.weight for s in stacks)

    # Totals: all threads, each thread, and the roots of the one-root-per-thread view.
    assert obs["allTotal"] == total_us * 1000 and obs["allSamples"] == 4000
    per_tid = defaultdict(int)
    for s in stacks:
        per_tid[s.tid] += s.weight
    assert {thread_tid(t["root"]): t["total"] for t in obs["perThread"]} == \
        {tid: w * 1000 for tid, w in per_tid.items()}
    assert {thread_tid(t["name"]): t["total"] for t in obs["threadRoots"]} == \
        {tid: w * 1000 for tid, w in per_tid.items()}
    assert sorted(thread_tid(t["label"]) for t in obs["threads"] if t["value"].startswith("t")) == sorted(per_tid)

    # Search: the share of time with a matching frame, nested matches counted once.
    assert obs["searchText"]["share"] == pytest.approx(
        matched_share(stacks, lambda s: "func_1" in s.lower()), abs=1e-12)
    assert obs["searchText"]["share"] > 0
    rx = re.compile("^func_1[0-9]$", re.I)
    assert obs["searchRegex"]["share"] == pytest.approx(matched_share(stacks, lambda s: bool(rx.search(s))), abs=1e-12)
    assert 0 < obs["searchRegex"]["share"] < obs["searchText"]["share"]

    # The zoomed frame's total: the time of the stacks through its call path.
    anc = obs["zoom"]["ancestry"][1:]
    through = sum(s.weight for s in stacks if [f.name for f in s.frames[:len(anc)]] == anc)
    assert obs["zoom"]["total"] == through * 1000

    # Table: totals per function (recursion counted once), as the collapsed stacks say.
    for row in obs["table"][:20]:
        with_fn = sum(s.weight for s in stacks if any(f.name == row["name"] for f in s.frames))
        as_leaf = sum(s.weight for s in stacks if s.frames[-1].name == row["name"])
        assert (row["total"], row["self"]) == (with_fn * 1000, as_leaf * 1000), row
        assert row["cells"][3] == row["name"] and row["cells"][4] == "%s:%d" % (row["file"], row["line"])
    assert obs["tableLength"] == len({f.name for s in stacks for f in s.frames})
    picked = obs["picked"]
    assert picked["matched"] == 1000 * sum(s.weight for s in stacks if any(f.name == picked["name"] for f in s.frames))

    # Line granularity: the same stacks as the collapsed format, merged and per thread.
    compare_line_stacks(obs["lineStacksAll"], stacks, per_thread=False)
    compare_line_stacks(obs["lineStacksEach"], stacks, per_thread=True)
    # Function granularity merges the lines of a function.
    fn_total = sum(int(s["self"][0]) for s in obs["fnStacksEach"])
    assert fn_total == total_us * 1000

    meta = dict(obs["meta"])
    assert meta["command"] == "python3 synthetic.py" and meta["python"] == "3.12.1"
    assert meta["samples"] == "4,000" and meta["pid"] == "4242" and meta["mode"] == "wall"
    assert meta["rate"] == "1,000 Hz" and meta["errors"] == "0" and meta["started"].startswith("2023-11-14")
    assert "duration" in meta


@needs_browser
def test_html_real_recording_in_browser(pyrometer, real_profile, tmp_path):
    html = render_html(pyrometer, real_profile, tmp_path / "real.html")
    stacks = collapsed(pyrometer, real_profile)
    obs = browser("profile", html)
    per_tid = defaultdict(int)
    for s in stacks:
        per_tid[s.tid] += s.weight
    assert len(per_tid) > 1, "the recording should have several threads"
    # Weights are arbitrary ns here: collapsed rounds each line to a microsecond.
    assert abs(obs["allTotal"] / 1000 - sum(per_tid.values())) <= len(stacks)
    for t in obs["perThread"]:
        tid = thread_tid(t["root"])
        assert abs(t["total"] / 1000 - per_tid[tid]) <= len(stacks), t
    compare_line_stacks(obs["lineStacksEach"], stacks, per_thread=True)


@needs_browser
def test_html_hostile_names_in_browser(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "h.pyro", samples=3000, stacks=300, threads=2, functions=20,
                         hostile=True)
    html = render_html(pyrometer, pyro, tmp_path / "h.html")
    obs = browser("hostile", html)
    for name in HOSTILE:
        assert name in obs["tableNames"], name
    assert obs["images"] == 0 and obs["imagesAfter"] == 0
    # Totals still agree with the collapsed format (whose names are cleaned).
    stacks = collapsed(pyrometer, pyro)
    for row in obs["table"]:
        with_fn = sum(s.weight for s in stacks if any(f.name == clean(row["name"]) and f.file == row["file"]
                                                      for f in s.frames))
        assert row["total"] == with_fn * 1000, row


@needs_browser
def test_html_empty_profile_in_browser(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "e.pyro", samples=0, stacks=10, threads=2)
    html = render_html(pyrometer, pyro, tmp_path / "e.html")
    obs = browser("empty", html)
    assert obs["rows"] == 0
    assert obs["state"]["rootTotals"] == [0]


@needs_browser
def test_html_diff_of_a_run_with_itself_is_neutral(pyrometer, synth_profile, tmp_path):
    pyro = synth_profile(tmp_path / "p.pyro", samples=3000, stacks=300, threads=3, functions=40, seed=11)
    html = render_diff(pyrometer, pyro, pyro, tmp_path / "d.html")
    data = page_data(html)
    assert data["kind"] == "diff" and data["labels"] == [str(pyro), str(pyro)]
    obs = browser("diff-same", html)
    for mode in ("norm", "abs"):
        view = obs[mode]
        assert view["frames"], mode
        neutral = {f["color"] for f in view["frames"]}
        assert len(neutral) == 1, "colours of an unchanged run: %r" % neutral
        assert all(f["delta"] == 0 and f["before"] == f["after"] for f in view["frames"]), mode
        assert all(r["dself"] == 0 and r["dtotal"] == 0 and r["share"] == 0 for r in view["rows"]), mode
    assert obs["abs"]["state"]["rootTotals"][0] == obs["abs"]["state"]["rootTotals"][1] == \
        1000 * sum(s.weight for s in collapsed(pyrometer, pyro))


def rgb(color):
    return tuple(int(x) for x in re.match(r"rgb\((\d+),(\d+),(\d+)\)", color).groups())


@needs_browser
def test_html_diff_of_a_run_that_only_grew(pyrometer, synth_profile, tmp_path):
    # The same seed with more samples: the first 2000 samples are the same, so every
    # stack's time grew or stayed (in absolute terms).
    before = synth_profile(tmp_path / "before.pyro", samples=2000, stacks=300, threads=2, functions=40, seed=3)
    after = synth_profile(tmp_path / "after.pyro", samples=5000, stacks=300, threads=2, functions=40, seed=3)
    html = render_diff(pyrometer, before, after, tmp_path / "d.html")
    sb, sa = collapsed(pyrometer, before), collapsed(pyrometer, after)
    obs = browser("diff-grew", html)
    view = obs["abs"]
    assert view["root"]["before"] == 1000 * sum(s.weight for s in sb)
    assert view["root"]["after"] == 1000 * sum(s.weight for s in sa)
    grew = [f for f in view["frames"] if f["delta"] > 0]
    assert grew, "nothing grew"
    assert all(f["delta"] >= 0 for f in view["frames"]), [f for f in view["frames"] if f["delta"] < 0][:3]
    for f in view["frames"]:
        r, g, b = rgb(f["color"])
        if f["delta"] > 0:
            assert r > b and r > g, f          # red: slower
        else:
            assert r == g == b, f              # neutral
    # Width: a frame that only exists after still has its after-time.
    only_after = [f for f in view["frames"] if f["before"] == 0 and f["after"] > 0]
    for f in only_after:
        assert f["delta"] == f["after"]
    # Table: change in total per function as the collapsed stacks give it.
    for row in view["rows"][:15]:
        def tot(stacks):
            return 1000 * sum(s.weight for s in stacks if any(f.name == row["name"] for f in s.frames))
        assert (row["tb"], row["ta"]) == (tot(sb), tot(sa)), row
        assert row["dtotal"] == row["ta"] - row["tb"] >= 0
        assert row["cells"][3].startswith("+") or row["dtotal"] == 0, row["cells"]  # the change column
        assert row["cells"][5] == row["name"]
    assert sum(abs(r["share"]) for r in view["rows"]) == pytest.approx(1.0)
    assert obs["sortedByDtotal"] == sorted(obs["sortedByDtotal"], reverse=True)
    # Normalised, the root does not change and the shares balance.
    norm = obs["norm"]
    assert norm["root"]["delta"] == pytest.approx(0, abs=1e-12)
    assert sum(r["dself"] for r in norm["rows"]) == pytest.approx(0, abs=1e-9)
    assert "+" in obs["tip"] or "\u2212" in obs["tip"]
    assert obs["absLine"]["frames"] and all(f["delta"] >= 0 for f in obs["absLine"]["frames"])


# --- memory (record --memory) ---------------------------------------------------------

MIB = 1 << 20
MS = 1000000


def memory_profile(path, with_samples=True):
    """A hand-made profile with memory (format 1.3), so every figure the page shows is
    known. g's name is markup, which must stay text."""
    strings = ["<module>", "a.py", "f", "<img src=x onerror=alert(1)>"]
    frames = [(0, 1, 1, 5), (2, 1, 10, 12), (3, 1, 20, 22)]
    stacks = [(None, 0), (0, 1), (1, 2)]  # <module>; <module> > f; <module> > f > g
    # (stack, allocs, allocated, freed, temporary, live at the end, live at the peak)
    sites = [(1, 3, 200 * MIB, 50 * MIB, 50 * MIB, 150 * MIB, 200 * MIB),
             (None, 1, 10 * MIB, 0, 0, 10 * MIB, 10 * MIB),
             (2, 5, 500 * MIB, 500 * MIB, 500 * MIB, 0, 0)]
    memory = dict(flags=4, sample_bytes=512 * 1024, churn_ns=100 * MS, peak_bytes=210 * MIB,
                  peak_time_ns=15 * MS, time_ns=20 * MS, sites=sites,
                  points=[(5 * MS, 100 * MIB, 150 * MIB), (15 * MS, 210 * MIB, 260 * MIB),
                          (20 * MS, 160 * MIB, 200 * MIB)])
    samples = [(0, 1, 10 * MS, 10 * MS)] if with_samples else []
    return write_pyro(path, strings, frames, stacks, [(100, None, 0)], samples, memory=memory)


def page_weights(by, first_lines=False):
    """{frames by name (and first line), root first: self bytes} from the page's stacks()
    of one measure. Two comprehensions of one function share a name, not a first line."""
    return {tuple((f[0], f[2]) if first_lines else f[0] for f in s["frames"]): s["self"][0] for s in by["stacks"]}


@needs_browser
def test_html_memory_measures_and_plot_in_browser(pyrometer, tmp_path):
    html = render_html(pyrometer, memory_profile(tmp_path / "m.pyro"), tmp_path / "m.html")
    data = page_data(html)
    assert len(data["runs"][0]["memory"]["points"]) == 9
    obs = browser("memory", html)
    f, g = ("<module>", "f"), ("<module>", "f", "<img src=x onerror=alert(1)>")
    assert obs["initial"] == "time", "a run with samples opens on time"
    assert [m["value"] for m in obs["measures"]] == ["time", "alloc", "peak", "live", "temp"]
    # Each measure weighs the sites' stacks by its bytes; the site with no Python frame
    # is not in the graph but in the header.
    assert page_weights(obs["by"]["alloc"]) == {f: 200 * MIB, g: 500 * MIB}
    assert page_weights(obs["by"]["peak"]) == {f: 200 * MIB}
    assert page_weights(obs["by"]["live"]) == {f: 150 * MIB}
    assert page_weights(obs["by"]["temp"]) == {f: 50 * MIB, g: 500 * MIB}
    assert obs["by"]["alloc"]["root"] == 700 * MIB
    assert "Allocations" in obs["by"]["alloc"]["head"] and "Samples" not in obs["by"]["alloc"]["head"]
    assert obs["by"]["alloc"]["firstRow"][0].strip().startswith("500.0 MiB"), obs["by"]["alloc"]["firstRow"]
    assert obs["by"]["alloc"]["firstRow"][2] == "5", obs["by"]["alloc"]["firstRow"]
    assert "sampled every 512.0 KiB" in obs["by"]["peak"]["legend"], obs["by"]["peak"]["legend"]
    tip = obs["by"]["alloc"]["tip"]
    assert obs["by"]["alloc"]["tipFrame"] == "<module>" and "700.0 MiB" in tip and "8 allocations" in tip, tip
    assert "200.0 MiB" in obs["by"]["peak"]["tip"], obs["by"]["peak"]["tip"]
    meta = dict(obs["meta"])
    assert meta["memory"].startswith("peak 210.0 MiB at 15.0 ms"), meta["memory"]
    assert "allocated 710.0 MiB" in meta["memory"] and "leaked 160.0 MiB" in meta["memory"], meta["memory"]
    assert meta["memory without Python frames"].startswith("10.0 MiB"), meta
    # The plot: three points, the peak marked where the file says.
    mem = obs["memory"]
    assert mem["points"] == 3 and mem["info"]["peak_bytes"] == 210 * MIB
    plot = mem["plot"]
    assert plot["tMax"] == 20 and plot["yMax"] == 260 * MIB
    assert plot["peakX"] == pytest.approx(plot["x0"] + (plot["x1"] - plot["x0"]) * 15 / 20, abs=1)
    assert "heap210.0 MiB" in obs["plotTip"] and "rss260.0 MiB" in obs["plotTip"], obs["plotTip"]
    assert obs["timeState"]["measure"] == "time" and not obs["timeThreadsDisabled"]
    assert obs["timeState"]["rootTotals"] == [10 * MS]

    # Memory only (no CPU samples): the page opens on memory held at the peak.
    html = render_html(pyrometer, memory_profile(tmp_path / "m0.pyro", with_samples=False), tmp_path / "m0.html")
    assert browser("memory", html)["initial"] == "peak"


@needs_browser
def test_html_memory_of_a_real_recording_in_browser(pyrometer, tmp_path):
    """record --memory on mem_peak.py: the page's bytes at the peak, per stack, are the
    json report's sites; the BIG line holds 512 MiB of them."""
    from conftest import INTERPRETERS
    from test_memory import agent_dir
    found = [i for i in INTERPRETERS if not i.missing]
    if not found:
        pytest.skip("no CPython found to record with")
    python = found[-1].path
    agent_dir(pyrometer, python)
    out = tmp_path / "peak.pyro"
    proc = run([pyrometer, "record", "--memory", "-o", out, "--", python, TARGETS / "mem_peak.py"], timeout=300)
    assert proc.returncode == 0, describe(proc)
    html = render_html(pyrometer, out, tmp_path / "peak.html")
    obs = browser("memory", html)
    rep = json.loads(report(pyrometer, out, "json").stdout)
    fns = [(f["name"], f["first_line"]) for f in rep["functions"]]
    want = defaultdict(int)
    for s in rep["memory"]["sites"]:
        if s["stack"] and s["at_peak"]:
            want[tuple(fns[fr["function"]] for fr in s["stack"])] += s["at_peak"]
    got = page_weights(obs["by"]["peak"], first_lines=True)
    assert got == dict(want)
    hold = sum(w for st, w in got.items() if any(name == "hold" for name, _ in st))
    assert abs(hold - 612 * MIB) <= 0.02 * 612 * MIB, got
    assert obs["memory"]["plot"]["points"] > 2
