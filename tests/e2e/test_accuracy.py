"""Does the profile match the truth? Time shares, weights, lines, rates and the summary.

split.py splits CPU work about 70/30 between work_a and work_b and measures the real
split itself; the profile's share must be within 3 percentage points of that measured
share, in wall mode (against perf_counter) and in cpu mode (against process_time). The
collapsed weights must add up to the time the target measured. hotline.py spends ~90%
of its time on one marked line, which must come out as the hottest line with every
frame's line right. The text summary must be well formed, consistent with the collapsed
output, and identical between `record` and `report --format text`.
"""
import os

import pytest

from e2e_util import (TARGETS, Summary, describe, describe_stack, has_function, marker_line,
                      python_frames, record, report, same_file, weight_where)

HOTLINE_SECONDS = 2
HOTLINE_RATE = 250  # also exercises -r; 500 samples are plenty for a 90% line

SHARE_TOLERANCE = 0.03      # 3 percentage points, absolute
WEIGHT_TOLERANCE = 0.10     # collapsed weights vs the target's own clock, relative
RATE_TOLERANCE = 0.15       # achieved vs requested sampling rate, relative (2 busy cores)
MAX_ERROR_FRACTION = 0.01   # torn or unreadable stacks, as a fraction of samples

# The time shares are a property of the release binary. A sanitizer build reads the
# target two to three times slower, so a walk checks its stack over a wider window and
# drops more samples that fall in short calls (docs/VERSIONS.md, "Consistent stacks"):
# its shares measure the instrumentation, not pyrometer. The sanitizer pass still runs
# every structural check here; the release pass (make test) runs the figures.
SANITIZERS = os.environ.get("PYROMETER_SANITIZERS", "")

# The release pass checks the shares on 10 s (~10000 samples: binomial noise on a share
# ~0.46 points). The sampler's own bias on split.py is +1 to +1.5 points on some
# versions (docs/VERSIONS.md, "Consistent stacks"; python3 bench/accuracy), which put
# the 3-point bound only about 2.5 standard deviations away on 5 s. The sanitizer pass
# checks structure only, on 5 s.
SPLIT_SECONDS = 5 if SANITIZERS else 10


def release_figures_only():
    if SANITIZERS:
        pytest.skip("time shares are checked on the release build; this binary is built with "
                    "-fsanitize=%s, which widens the stack check's window" % SANITIZERS)


@pytest.fixture(scope="module")
def split_wall(pyrometer, python, tmp_path_factory):
    out = tmp_path_factory.mktemp("split-wall") / "split.pyro"
    # No -r and no --mode: the defaults (1000 Hz, wall) are what this recording checks.
    return record(pyrometer, out, [python, TARGETS / "split.py", SPLIT_SECONDS]).check()


@pytest.fixture(scope="module")
def split_cpu(pyrometer, python, tmp_path_factory):
    out = tmp_path_factory.mktemp("split-cpu") / "split.pyro"
    return record(pyrometer, out, [python, TARGETS / "split.py", SPLIT_SECONDS],
                  mode="cpu").check()


@pytest.fixture(scope="module")
def hotline(pyrometer, python, tmp_path_factory):
    out = tmp_path_factory.mktemp("hotline") / "hotline.pyro"
    return record(pyrometer, out, [python, TARGETS / "hotline.py", HOTLINE_SECONDS],
                  rate=HOTLINE_RATE).check()


def measured_share(truth):
    return truth["work_a"] / (truth["work_a"] + truth["work_b"])


def profiled_share(stacks):
    a = weight_where(stacks, has_function("work_a"))
    b = weight_where(stacks, has_function("work_b"))
    assert a + b > 0, "no samples in work_a or work_b"
    return a / (a + b)


@pytest.mark.parametrize("mode", ["wall", "cpu"])
def test_split_share_matches_measured_truth(mode, split_wall, split_cpu):
    release_figures_only()
    rec = split_wall if mode == "wall" else split_cpu
    truth = rec.target_json()[mode]
    expected = measured_share(truth)
    assert 0.6 < expected < 0.8, "target did not split its work ~70/30: %r" % truth
    got = profiled_share(rec.collapsed())
    assert abs(got - expected) <= SHARE_TOLERANCE, (
        "work_a share %.1f%% in the profile, %.1f%% measured by the target (%s mode)"
        % (100 * got, 100 * expected, mode))


@pytest.mark.parametrize("mode", ["wall", "cpu"])
def test_collapsed_weights_are_the_time_spent(mode, split_wall, split_cpu):
    release_figures_only()
    rec = split_wall if mode == "wall" else split_cpu
    truth = rec.target_json()[mode]
    stacks = rec.collapsed()
    for func in ("work_a", "work_b"):
        seconds = weight_where(stacks, has_function(func)) / 1e6
        assert abs(seconds - truth[func]) <= WEIGHT_TOLERANCE * truth[func], (
            "%s: collapsed weights add up to %.3fs, the target measured %.3fs (%s mode)"
            % (func, seconds, truth[func], mode))


def test_collapsed_stacks_have_the_call_structure(split_wall):
    """Every stack through work_a/work_b is exactly <module>;main;work_x[;spin], in the
    main thread (tid == pid), and each (thread, stack) appears on one line only."""
    pid = split_wall.target_json()["pid"]
    stacks = split_wall.collapsed()
    keys = [(s.tid, s.frames) for s in stacks]
    assert len(keys) == len(set(keys)), "a (thread, stack) pair appears on several lines"
    assert all(s.weight > 0 for s in stacks), "a stack has weight 0"
    assert {s.tid for s in stacks} == {pid}, "threads %r, expected only the main thread %d" % (
        sorted({s.tid for s in stacks}), pid)
    bad = []
    for s in stacks:
        names = [f.name for f in python_frames(s)]
        if "work_a" in names or "work_b" in names:
            shaped = names[:2] == ["<module>", "main"] and names[2] in ("work_a", "work_b") \
                and names[3:] in ([], ["spin"])
            if not shaped or not all(same_file(f.file, "split.py") for f in s.frames):
                bad.append(s)
    assert not bad, "%d stacks (%d us of %d us) through work_a/work_b are impossible:\n%s" % (
        len(bad), sum(s.weight for s in bad), sum(s.weight for s in stacks),
        "\n".join(describe_stack(s) for s in bad[:5]))


def test_summary_line_reports_rate_threads_and_errors(split_wall):
    summary = split_wall.summary()
    truth = split_wall.target_json()
    assert summary.target_rate == 1000, "default rate should be 1000 Hz"
    assert abs(summary.rate - 1000) <= RATE_TOLERANCE * 1000, \
        "achieved only %.1f Hz of 1000 Hz" % summary.rate
    assert summary.threads == 1
    assert summary.errors <= MAX_ERROR_FRACTION * summary.samples, \
        "%d errors in %d samples" % (summary.errors, summary.samples)
    # The recording spans at least the target's own run and at most pyrometer's lifetime.
    covered = summary.samples / summary.rate
    assert truth["elapsed"] * 0.95 <= covered <= split_wall.elapsed * 1.05, (
        "%d samples at %.1f Hz cover %.2fs; target ran %.2fs, pyrometer %.2fs"
        % (summary.samples, summary.rate, covered, truth["elapsed"], split_wall.elapsed))


def test_summary_sections_agree_with_truth(split_wall):
    summary = split_wall.summary()
    truth = split_wall.target_json()["wall"]
    for rows in (summary.self_rows, summary.total_rows, summary.line_rows):
        assert rows, "empty section in\n" + summary.block
        percents = [r.percent for r in rows]
        assert percents == sorted(percents, reverse=True), "rows not sorted:\n" + summary.block
    top_self = summary.self_rows[0]
    assert top_self.name == "spin" and same_file(top_self.file, "split.py"), summary.block
    a = summary.function_row("total", "work_a")
    b = summary.function_row("total", "work_b")
    assert a and b, "work_a/work_b missing from total time:\n" + summary.block
    # spin's loop header and body carry nearly all the time; the third line may be anything.
    assert all(same_file(r.file, "split.py") for r in summary.line_rows[:2]), summary.block
    release_figures_only()
    share = a.percent / (a.percent + b.percent)
    assert abs(share - measured_share(truth)) <= SHARE_TOLERANCE, (
        "summary gives work_a %.1f%% of work_a+work_b, target measured %.1f%%\n%s"
        % (100 * share, 100 * measured_share(truth), summary.block))
    assert abs(a.seconds - truth["work_a"]) <= WEIGHT_TOLERANCE * truth["work_a"], (
        "summary gives work_a %.3fs total, target measured %.3fs" % (a.seconds, truth["work_a"]))


def test_report_text_is_the_record_summary(pyrometer, split_wall):
    proc = report(pyrometer, split_wall.path, "text")
    assert proc.returncode == 0, describe(proc)
    assert Summary(proc.stdout).block == split_wall.summary().block


def test_report_default_format_is_text(pyrometer, split_wall):
    proc = report(pyrometer, split_wall.path)
    assert proc.returncode == 0, describe(proc)
    assert Summary(proc.stdout).block == split_wall.summary().block


def test_hottest_line_and_every_frame_line(hotline):
    hot = marker_line("hotline.py", "HOT")
    call_hot = marker_line("hotline.py", "CALL-HOT")
    call_main = marker_line("hotline.py", "CALL-MAIN")

    summary = hotline.summary()
    top = summary.line_rows[0]
    assert same_file(top.file, "hotline.py") and top.line == hot and top.name == "hot", \
        "hottest line should be hotline.py:%d hot\n%s" % (hot, summary.block)

    stacks = hotline.collapsed()
    in_hot = [s for s in stacks if s.frames and s.frames[-1].name == "hot"]
    for s in in_hot:
        got = [(f.name, f.line) for f in s.frames[:-1]]
        assert got == [("<module>", call_main), ("main", call_hot)], \
            "callers of hot() have wrong names or lines: %r" % (s.frames,)
    on_line = weight_where(in_hot, lambda s: s.frames[-1].line == hot)
    total = weight_where(stacks, has_function("hot"))
    assert on_line >= 0.8 * total, "only %.1f%% of hot()'s time on its HOT line %d" % (
        100.0 * on_line / max(total, 1), hot)


def test_rate_option_sets_the_sampling_rate(hotline):
    summary = hotline.summary()
    assert summary.target_rate == HOTLINE_RATE
    assert abs(summary.rate - HOTLINE_RATE) <= RATE_TOLERANCE * HOTLINE_RATE, \
        "achieved %.1f Hz of %d Hz" % (summary.rate, HOTLINE_RATE)
    assert summary.samples >= 0.9 * HOTLINE_RATE * HOTLINE_SECONDS, \
        "%d samples in a %ds run at %d Hz" % (summary.samples, HOTLINE_SECONDS, HOTLINE_RATE)
