"""The text-side reports: tree, lines, json (validated against docs/report.schema.json),
`pyrometer diff` (text and json against docs/diff.schema.json), `record --format`, and the
rules every output shares (-o writes a complete file or leaves the old one; bad names).

Totals are checked against the collapsed format, computed independently here: a
function's self time is the weight of the stacks it ends, its total time the weight of
the stacks it appears in (once per stack). The synthetic profiles weigh every sample
1 ms exactly, so the microseconds of the collapsed format are exact.
"""
import json
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from e2e_util import REPO, TARGETS, describe, marker_line, parse_collapsed, report, write_pyro

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed (apt-get install python3-jsonschema)")

REPORT_SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text())
DIFF_SCHEMA = json.loads((REPO / "docs" / "diff.schema.json").read_text())


def run(pyrometer, *args, check=True, timeout=120):
    proc = subprocess.run([str(pyrometer)] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8",
                          errors="replace", timeout=timeout)
    if check:
        assert proc.returncode == 0, describe(proc)
    return proc


def json_report(pyrometer, path):
    proc = run(pyrometer, "report", path, "--format", "json")
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, REPORT_SCHEMA, cls=jsonschema.Draft202012Validator)
    return doc


def collapsed_totals(stacks):
    """{name: [self_us, total_us]} and {(name, line): [self_us, total_us]} from collapsed stacks."""
    fns = defaultdict(lambda: [0, 0])
    lines = defaultdict(lambda: [0, 0])
    for s in stacks:
        leaf = s.frames[-1]
        fns[leaf.name][0] += s.weight
        lines[(leaf.name, leaf.line)][0] += s.weight
        for name in {f.name for f in s.frames}:
            fns[name][1] += s.weight
        for key in {(f.name, f.line) for f in s.frames}:
            lines[key][1] += s.weight
    return fns, lines


@pytest.fixture(scope="module")
def synth(synth_profile, tmp_path_factory):
    return synth_profile(tmp_path_factory.mktemp("synth") / "synth.pyro", samples=20000, stacks=1500,
                         threads=3, functions=120)


def test_json_totals_match_the_collapsed_stacks(pyrometer, synth):
    doc = json_report(pyrometer, synth)
    stacks = parse_collapsed(report(pyrometer, synth, "collapsed").stdout)
    fns, lines = collapsed_totals(stacks)
    meta = doc["metadata"]
    assert meta["samples"] == 20000 and meta["total_ns"] == 20000 * 10**6
    assert sum(t["time_ns"] for t in doc["threads"]) == meta["total_ns"]
    assert sum(f["self_ns"] for f in doc["functions"]) == meta["total_ns"] - meta["idle_ns"]
    by_name = {f["name"]: f for f in doc["functions"]}
    assert set(by_name) == set(fns)
    for name, (self_us, total_us) in fns.items():
        assert (by_name[name]["self_ns"], by_name[name]["total_ns"]) == (self_us * 1000, total_us * 1000), name
    ids = {f["id"]: f["name"] for f in doc["functions"]}
    got_lines = {(ids[l["function"]], l["line"]): (l["self_ns"], l["total_ns"]) for l in doc["lines"]}
    assert got_lines == {k: (v[0] * 1000, v[1] * 1000) for k, v in lines.items()}
    selfs = [f["self_ns"] for f in doc["functions"]]
    assert selfs == sorted(selfs, reverse=True)


def test_json_call_tree_adds_up(pyrometer, synth):
    doc = json_report(pyrometer, synth)
    nodes = doc["call_tree"]
    children = defaultdict(list)
    assert [n["id"] for n in nodes] == list(range(len(nodes)))
    for n in nodes:
        if n["parent"] is not None:
            assert n["parent"] < n["id"], "a parent comes before its children"
            children[n["parent"]].append(n)
            assert nodes[n["parent"]]["thread"] == n["thread"]
    roots = [n for n in nodes if n["parent"] is None]
    assert all(r["function"] is None for r in roots)
    thread_time = {t["index"]: t["time_ns"] for t in doc["threads"]}
    assert {r["thread"]: r["total_ns"] for r in roots} == {k: v for k, v in thread_time.items() if v}
    for n in nodes:
        assert n["total_ns"] == n["self_ns"] + sum(c["total_ns"] for c in children[n["id"]]), n
        assert n["total_samples"] == n["self_samples"] + sum(c["total_samples"] for c in children[n["id"]])
    # Every stack of the input is one path of the tree, with its weight.
    stacks = parse_collapsed(report(pyrometer, synth, "collapsed").stdout)
    name_of = {f["id"]: f["name"] for f in doc["functions"]}
    leaf_weight = defaultdict(int)
    for n in nodes:
        if n["self_ns"]:
            path, cur = [], n
            while cur["function"] is not None:
                path.append(name_of[cur["function"]])
                cur = nodes[cur["parent"]]
            leaf_weight[(n["thread"], tuple(reversed(path)))] += n["self_ns"]
    tid_index = {t["native_id"]: t["index"] for t in doc["threads"]}
    want = defaultdict(int)
    for s in stacks:
        want[(tid_index[s.tid], tuple(f.name for f in s.frames))] += s.weight * 1000
    assert dict(leaf_weight) == dict(want)


def test_json_of_a_real_recording(pyrometer, real_profile):
    doc = json_report(pyrometer, real_profile)
    meta = doc["metadata"]
    assert meta["complete"] and meta["warning"] is None and meta["command"][-1].endswith("threads.py")
    names = {f["name"] for f in doc["functions"]}
    assert {"busy_worker", "sleepy_worker"} <= {n.split(".")[-1] for n in names}
    assert len([t for t in doc["threads"] if t["samples"]]) >= 9


def test_hostile_names_survive_json_exactly(pyrometer, synth_profile, tmp_path):
    path = synth_profile(tmp_path / "hostile.pyro", hostile=True, functions=12)
    text = run(pyrometer, "report", path, "--format", "json").stdout
    assert "<img" not in text and "</script>" not in text, "markup characters must be escaped in JSON"
    names = {f["name"] for f in json.loads(text)["functions"]}
    assert {"<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "new\nline",
            'quote"and\\back', "caf\u00e9_\u65e5\u672c", "line\u2028sep"} <= names


def test_json_memory(pyrometer, tmp_path):
    """A hand-made profile with memory (format 1.3) and no CPU samples: the memory object
    validates and holds the file's numbers; sites by bytes allocated, stacks root first."""
    ms = 10**6
    memory = dict(flags=1 | 4, sample_bytes=1, peak_bytes=3000, peak_time_ns=15 * ms, time_ns=20 * ms,
                  sites=[(1, 3, 2000, 500, 500, 1500, 2000), (None, 1, 1000, 0, 0, 1000, 1000),
                         (0, 5, 5000, 5000, 4000, 0, 0)],
                  points=[(5 * ms, 100, 10000), (15 * ms, 3000, 0)])
    path = write_pyro(tmp_path / "mem.pyro", ["<module>", "a.py", "f"], [(0, 1, 1, 5), (2, 1, 10, 12)],
                      [(None, 0), (0, 1)], [(100, None, 0)], [], memory=memory)
    doc = json_report(pyrometer, path)
    m = doc["memory"]
    ids = {f["id"]: f["name"] for f in doc["functions"]}
    assert (m["exact"], m["native"], m["ended"], m["disabled"], m["message"]) == (True, False, True, False, None)
    assert (m["sample_bytes"], m["peak_bytes"], m["peak_time_s"]) == (1, 3000, 0.015)
    assert m["totals"] == {"allocated": 8000, "freed": 5500, "temporary": 4500, "leaked": 2500}
    sites = [([(ids[fr["function"]], fr["line"]) for fr in s["stack"]],
              s["allocs"], s["allocated"], s["freed"], s["temporary"], s["leaked"], s["at_peak"]) for s in m["sites"]]
    assert sites == [([("<module>", 5)], 5, 5000, 5000, 4000, 0, 0),
                     ([("<module>", 5), ("f", 12)], 3, 2000, 500, 500, 1500, 2000),
                     ([], 1, 1000, 0, 0, 1000, 1000)]
    assert m["timeline"] == [[0.005, 100, 10000], [0.015, 3000, 0]]
    assert "memory" not in json_report(pyrometer, write_pyro(tmp_path / "cpu.pyro", ["f", "a.py"], [(0, 1, 1, 2)],
                                                            [(None, 0)], [(1, None, 0)], [(0, 0, 10 * ms, ms)]))


def parse_tree(text):
    """{thread header: [(depth, total%, self% or None, label)]} from the tree format, whose
    rows are: total% in columns 0-8, self% (blank on a hidden-calls row) in 9-17, then the
    tree from column 20, three columns per level below the first."""
    threads, rows = {}, None
    for line in text.splitlines():
        if line.startswith("thread "):
            rows = threads.setdefault(line, [])
            continue
        total, self_pct, rest = line[:9].strip(), line[9:18].strip(), line[20:]
        if rows is None or not re.fullmatch(r"\d+\.\d%", total):
            continue
        label = rest.lstrip("\u2502\u251c\u2514\u2500 ")
        prefix = len(rest) - len(label)
        rows.append((prefix // 3 + 1, float(total[:-1]), float(self_pct[:-1]) if self_pct else None, label))
    return threads


@pytest.mark.parametrize("min_percent", ["0", "2", "30"])
def test_tree_adds_up_at_every_threshold(pyrometer, synth, min_percent):
    text = run(pyrometer, "report", synth, "--format", "tree", "--min-percent", min_percent).stdout
    threads = parse_tree(text)
    assert len(threads) == 3, text[:2000]
    hidden_lines = 0
    for header, rows in threads.items():
        assert rows, header
        # Each node: total = self + its children (shown or hidden), to rounding.
        for i, (depth, total, self_pct, label) in enumerate(rows):
            if self_pct is None:
                hidden_lines += 1
                assert float(min_percent) > 0 and "under %s%%" % min_percent in label
                continue
            assert total >= float(min_percent) - 0.05, (header, rows[i])
            kids = []
            for d, t, _s, _l in rows[i + 1:]:
                if d <= depth:
                    break
                if d == depth + 1:
                    kids.append(t)
            assert abs(total - self_pct - sum(kids)) <= 0.1 * (len(kids) + 2), (header, rows[i], kids)
        top = [t for d, t, _s, _l in rows if d == 1]
        assert abs(sum(top) - 100.0) <= 0.1 * (len(top) + 1), (header, top)
    if min_percent == "0":
        assert hidden_lines == 0
    if min_percent == "30":
        assert hidden_lines > 0


def test_lines_lists_the_hot_line_with_its_source(pyrometer, python, tmp_path):
    out = tmp_path / "hot.pyro"
    run(pyrometer, "record", "-o", out, "--", python, TARGETS / "hotline.py", "1")
    text = run(pyrometer, "report", out, "--format", "lines", "-n", "3").stdout
    hot = marker_line("hotline.py", "HOT")
    first = text.split("\n\n")[1]
    assert first.startswith("hot  "), text
    rows = {}
    for line in first.splitlines()[2:]:
        m = re.match(r"^  +(?:(\d+\.\d)%  +(\d+\.\d)%|\s+)\s+(\d+)  (.*)$", line)
        if m:
            rows[int(m.group(3))] = (m.group(1) and float(m.group(1)), m.group(4))
    assert "# HOT" in rows[hot][1], first
    assert rows[hot][0] == max(v[0] for v in rows.values() if v[0] is not None), first
    assert rows[hot][0] > 50, first
    assert "def hot(n):" in rows[hot - 2][1] or "def hot(n):" in rows[hot - 3][1], first


def test_lines_says_when_the_source_is_missing(pyrometer, synth):
    text = run(pyrometer, "report", synth, "--format", "lines", "-n", "2").stdout
    assert text.count("(source not available: No such file or directory)") == 2, text


@pytest.fixture(scope="module")
def before_after(pyrometer, tmp_path_factory):
    from conftest import INTERPRETERS
    found = [i for i in INTERPRETERS if not i.missing]
    if not found:
        pytest.skip("no CPython found")
    d = tmp_path_factory.mktemp("diff")
    for mode in ("slow", "fast"):
        run(pyrometer, "record", "-o", d / (mode + ".pyro"), "--", found[-1], TARGETS / "optimise.py", mode)
    return d / "slow.pyro", d / "fast.pyro"


def test_diff_puts_the_optimised_function_first(pyrometer, before_after):
    before, after = before_after
    doc = json.loads(run(pyrometer, "diff", before, after, "--format", "json").stdout)
    jsonschema.validate(doc, DIFF_SCHEMA, cls=jsonschema.Draft202012Validator)
    top = doc["functions"][0]
    assert top["name"] == "lookup", [f["name"] for f in doc["functions"][:5]]
    assert top["self_change_ns"] < 0 and top["after"]["self_ns"] < top["before"]["self_ns"]
    assert doc["change_ns"] < 0 and doc["share_basis"] == "net"
    assert top["share_of_change"] > 0.6, top
    steady = next(f for f in doc["functions"] if f["name"] == "steady")
    assert abs(steady["self_change_ns"]) < abs(top["self_change_ns"]) / 3, steady
    assert abs(sum(f["share_of_change"] for f in doc["functions"]) - 1.0) < 1e-3
    assert sum(f["self_change_ns"] for f in doc["functions"]) == doc["change_ns"]
    line = doc["lines"][0]
    assert line["name"] == "lookup" and line["self_change_ns"] < 0
    # The same, as text: first row of each table, with a minus sign.
    text = run(pyrometer, "diff", before, after).stdout
    fn_rows = text.split("Functions by change in self time\n")[1].splitlines()
    assert re.search(r"\s-\d[\d.]*m?s\s.*\slookup\s", fn_rows[1]), text
    # Swapped, the sign flips.
    rev = json.loads(run(pyrometer, "diff", after, before, "--format", "json").stdout)
    assert rev["functions"][0]["name"] == "lookup" and rev["functions"][0]["self_change_ns"] > 0


def test_diff_of_a_profile_with_itself_is_empty(pyrometer, synth):
    doc = json.loads(run(pyrometer, "diff", synth, synth, "--format", "json").stdout)
    jsonschema.validate(doc, DIFF_SCHEMA, cls=jsonschema.Draft202012Validator)
    assert doc["change_ns"] == 0 and all(f["self_change_ns"] == 0 for f in doc["functions"])
    assert "(no change)" in run(pyrometer, "diff", synth, synth).stdout


def test_record_writes_the_format_and_keeps_the_pyro(pyrometer, python, tmp_path):
    out = tmp_path / "run.json"
    rec = run(pyrometer, "record", "--format", "json", "-o", out, "--", python, TARGETS / "hotline.py", "0.5")
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, REPORT_SCHEMA, cls=jsonschema.Draft202012Validator)
    kept = tmp_path / "run.pyro"
    assert kept.is_file(), rec.stderr
    assert json_report(pyrometer, kept) == doc
    assert "json written to %s" % out in rec.stderr


def test_output_file_is_replaced_only_when_complete(pyrometer, synth, tmp_path):
    out = tmp_path / "keep.txt"
    out.write_text("precious")
    bad = tmp_path / "bad.pyro"
    bad.write_bytes(b"\x89PYRO\r\n\x1a" + b"\xff" * 64)
    proc = run(pyrometer, "report", bad, "--format", "tree", "-o", out, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("pyrometer: error:"), describe(proc)
    assert out.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    # /dev/null and other non-regular files are written directly.
    assert run(pyrometer, "report", synth, "--format", "json", "-o", "/dev/null").stdout == ""


def test_report_rejects_unknown_formats_and_bad_options(pyrometer, synth):
    proc = run(pyrometer, "report", synth, "--format", "svg", check=False)
    assert proc.returncode == 2 and "unknown format 'svg'" in proc.stderr and "speedscope" in proc.stderr
    for opt in (["--min-percent", "101"], ["--min-percent", "x"], ["--top", "0"]):
        proc = run(pyrometer, "report", synth, *opt, check=False)
        assert proc.returncode == 2, describe(proc)
    proc = run(pyrometer, "diff", synth, check=False)
    assert proc.returncode == 2 and "two .pyro files" in proc.stderr
    proc = run(pyrometer, "diff", synth, synth, "--format", "pprof", check=False)
    assert proc.returncode == 2
    assert run(pyrometer, "diff", "-h").stdout.startswith("usage: pyrometer diff")
    assert "--min-percent" in run(pyrometer, "report", "-h").stdout
    assert "--pid PID" in run(pyrometer, "report", "-h").stdout
    assert "--format" in run(pyrometer, "record", "-h").stdout
