"""Damaged .pyro files: truncated, overwritten, and randomly altered copies of a real one.

A truncated file must still report what was complete: exit 0, a warning on stderr that
names a byte offset, and stacks that are a subset of the full file's with no more weight
(all of them when only the last byte is missing).
A corrupt file must exit 1 with "pyrometer: error:" naming the offset. Whatever the
damage, `report` must never crash or hang: exit 0 or 1, nothing else.
"""
import random
import subprocess

import pytest

from e2e_util import TARGETS, describe, named_offsets, parse_collapsed, record, report

SECONDS = 1.5
RANDOM_DAMAGE_CASES = 25


@pytest.fixture(scope="module")
def original(pyrometer, python, tmp_path_factory):
    """A real recording: (its bytes, its stacks as {(tid, frames): weight})."""
    out = tmp_path_factory.mktemp("original") / "hotline.pyro"
    rec = record(pyrometer, out, [python, TARGETS / "hotline.py", SECONDS]).check()
    stacks = {(s.tid, s.frames): s.weight for s in rec.collapsed()}
    assert stacks, "the original recording is empty"
    return out.read_bytes(), stacks


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check_handled(proc):
    """Exit 0 or 1 only (no crash), with a proper error line when 1. Return the problem
    as a string, or None if the run was acceptable."""
    if proc.returncode == 1:
        if not any(l.startswith("pyrometer: error:") for l in proc.stderr.splitlines()):
            return "exit 1 without a 'pyrometer: error:' line"
        return None
    if proc.returncode != 0:
        return "exit status %d (crash?)" % proc.returncode
    try:
        parse_collapsed(proc.stdout)
    except AssertionError as e:
        return "exit 0 but malformed output: %s" % e
    return None


def check_truncated(proc, cut, full_stacks):
    """A report of a file cut at byte `cut`: a problem string, or None if correct."""
    if proc.returncode != 0:
        return "exit status %d, expected 0 with a warning" % proc.returncode
    if "warning" not in proc.stderr.lower():
        return "no warning on stderr"
    offsets = named_offsets(proc.stderr)
    if not any(0 <= off <= cut for off in offsets):
        return "warning names no byte offset within the %d bytes left: %r" % (cut, proc.stderr)
    for s in parse_collapsed(proc.stdout):
        key = (s.tid, s.frames)
        if key not in full_stacks:
            return "stack not in the complete file: %r" % (key,)
        if s.weight > full_stacks[key]:
            return "stack weighs %d, more than %d in the complete file" % (
                s.weight, full_stacks[key])
    return None


def test_truncated_file_reports_what_was_complete(pyrometer, original, tmp_path):
    """Cut off the last byte: only the closing chunk is lost, so every sample is kept."""
    data, full = original
    cut = len(data) - 1
    proc = report(pyrometer, write(tmp_path, "cut.pyro", data[:cut]), "collapsed")
    problem = check_truncated(proc, cut, full)
    assert problem is None, "%s\n%s" % (problem, describe(proc))
    kept = {(s.tid, s.frames): s.weight for s in parse_collapsed(proc.stdout)}
    assert kept == full, "a file missing only its last byte lost samples: %d of %d us kept" % (
        sum(kept.values()), sum(full.values()))


def test_truncation_anywhere_is_handled(pyrometer, original, tmp_path):
    """Cut at many points: a cut inside the header may be an error (exit 1); any later
    cut is a truncated file (exit 0, warning, a subset of the stacks), and a longer
    piece of the file never reports less than a shorter one."""
    data, full = original
    cuts = sorted({0, 1, 4, 8, 16, 32, 64, len(data) - 1}
                  | {len(data) * k // 10 for k in range(1, 10)})
    problems = []
    kept_before = 0
    for cut in cuts:
        proc = report(pyrometer, write(tmp_path, "cut.pyro", data[:cut]), "collapsed")
        problem = check_handled(proc)
        if problem is None and proc.returncode == 0:
            problem = check_truncated(proc, cut, full)
        if problem is None and proc.returncode == 1 and cut >= len(data) // 10:
            problem = "a file cut at %d of %d bytes was refused instead of read" % (
                cut, len(data))
        if problem is None and proc.returncode == 0:
            kept = sum(s.weight for s in parse_collapsed(proc.stdout))
            if kept < kept_before:
                problem = "kept %d us, less than a shorter cut kept (%d us)" % (kept, kept_before)
            kept_before = kept
        if problem:
            problems.append("cut at %d: %s; stderr: %s" % (cut, problem, proc.stderr.strip()))
    assert not problems, "\n".join(problems)


def test_bad_magic_is_an_error(pyrometer, original, tmp_path):
    data, _ = original
    proc = report(pyrometer, write(tmp_path, "magic.pyro", b"XXXX" + data[4:]), "collapsed")
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith("pyrometer: error:"), describe(proc)


def test_overwritten_middle_is_an_error_naming_the_offset(pyrometer, original, tmp_path):
    """48 bytes of 0xff: no varint is that long, so whatever they land in is invalid."""
    data, _ = original
    at = len(data) // 2
    damaged = data[:at] + b"\xff" * 48 + data[at + 48:]
    proc = report(pyrometer, write(tmp_path, "corrupt.pyro", damaged), "collapsed")
    assert proc.returncode == 1, describe(proc)
    assert proc.stderr.startswith("pyrometer: error:"), describe(proc)
    assert any(0 <= off <= at + 48 for off in named_offsets(proc.stderr)), \
        "the error names no offset at or before the damage (bytes %d-%d)\n%s" % (
            at, at + 48, describe(proc))


def test_random_damage_never_crashes(pyrometer, original, tmp_path):
    data, _ = original
    rng = random.Random(20240601)
    problems = []
    for case in range(RANDOM_DAMAGE_CASES):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = write(tmp_path, "random-%d.pyro" % case, bytes(damaged))
        try:
            proc = report(pyrometer, path, "collapsed", timeout=10)
        except subprocess.TimeoutExpired:
            problems.append("case %d: report hung for 10 s" % case)
            continue
        problem = check_handled(proc)
        if problem:
            problems.append("case %d: %s; stderr: %s" % (case, problem, proc.stderr.strip()))
        else:
            path.unlink()
    assert not problems, "damaged copies kept in %s\n%s" % (tmp_path, "\n".join(problems))


def test_text_report_of_truncated_file(pyrometer, original, tmp_path):
    data, _ = original
    cut = len(data) * 3 // 4
    proc = report(pyrometer, write(tmp_path, "cut.pyro", data[:cut]), "text")
    assert proc.returncode == 0, describe(proc)
    assert "warning" in proc.stderr.lower(), describe(proc)
    assert "samples" in proc.stdout, describe(proc)
