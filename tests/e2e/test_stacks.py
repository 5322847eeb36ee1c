"""Whole stacks and threads: 800-deep recursion, and busy versus sleeping threads.

recurse.py sits 800 frames deep for the whole run: every sample of the spinning main
thread must be the complete chain, root to leaf, with the right line in every frame.
threads.py runs 4 busy and 4 sleeping workers: wall mode must show all 8 (each on its
own OS thread id, with its own stack), cpu mode only the 4 busy ones. thread_churn.py
starts hundreds of short threads a second: none of their stacks may land on the main
thread.
"""
import itertools
import subprocess

import pytest

from e2e_util import TARGETS, has_function, marker_line, python_frames, record, weight_where

RECURSE_SECONDS = 2
DEPTH = 800
THREAD_SECONDS = 2

# Samples caught while the 800 frames are being pushed or popped (a few hundred
# microseconds at each end of the run) legitimately show a shorter chain.
MAX_PARTIAL_FRACTION = 0.02


def run_lengths(names):
    """['a', 'b', 'b', 'b'] -> 'a, b x3': a readable form of a very deep stack."""
    parts = []
    for name, group in itertools.groupby(names):
        n = len(list(group))
        parts.append(name if n == 1 else "%s x%d" % (name, n))
    return ", ".join(parts)


def test_deep_recursion_stacks_are_complete(pyrometer, python, tmp_path):
    entry = marker_line("recurse.py", "ENTRY")
    recurse = marker_line("recurse.py", "RECURSE")
    leaf = marker_line("recurse.py", "LEAF")
    rec = record(pyrometer, tmp_path / "recurse.pyro",
                 [python, TARGETS / "recurse.py", RECURSE_SECONDS, DEPTH]).check()
    summary = rec.summary()
    assert summary.errors <= 0.01 * summary.samples, \
        "%d errors in %d samples" % (summary.errors, summary.samples)

    complete_names = ["<module>"] + ["descend"] * DEPTH + ["spin"]
    complete_lines = [entry] + [recurse] * (DEPTH - 1) + [leaf]
    complete = partial = 0
    for s in rec.collapsed():
        # A collection during the recursion puts its frame on top of the chain.
        frames = python_frames(s)
        names = [f.name for f in frames]
        if "descend" not in names:
            continue  # start-up or shutdown, before or after the recursion
        if names == complete_names:
            lines = [f.line for f in frames[:-1]]
            assert lines == complete_lines, "wrong line numbers in the 800-deep stack: %s" % (
                run_lengths(["%s:%d" % (f.name, f.line) for f in s.frames]))
            complete += s.weight
        elif names == ["<module>"] + ["descend"] * (len(names) - 1) and len(names) <= DEPTH + 1:
            partial += s.weight  # caught while descending or unwinding
        else:
            pytest.fail("sampled stack is not the recursion chain: " + run_lengths(names))
    assert complete > 0, "no complete 800-deep stack was sampled"
    assert partial <= MAX_PARTIAL_FRACTION * (complete + partial), (
        "%.1f%% of the recursion's samples are incomplete chains"
        % (100.0 * partial / (complete + partial)))


@pytest.fixture(scope="module")
def threads_wall(pyrometer, python, tmp_path_factory):
    out = tmp_path_factory.mktemp("threads-wall") / "threads.pyro"
    return record(pyrometer, out, [python, TARGETS / "threads.py", THREAD_SECONDS],
                  mode="wall").check()


@pytest.fixture(scope="module")
def threads_cpu(pyrometer, python, tmp_path_factory):
    out = tmp_path_factory.mktemp("threads-cpu") / "threads.pyro"
    return record(pyrometer, out, [python, TARGETS / "threads.py", THREAD_SECONDS],
                  mode="cpu").check()


def tids_running(stacks, func):
    return {s.tid for s in stacks if has_function(func)(s)}


def test_wall_mode_shows_every_thread(threads_wall):
    truth = threads_wall.target_json()
    stacks = threads_wall.collapsed()
    busy = tids_running(stacks, "busy_worker")
    sleepy = tids_running(stacks, "sleepy_worker")
    main = tids_running(stacks, "<module>")
    assert len(busy) == 4 and len(sleepy) == 4, "busy tids %r, sleepy tids %r" % (busy, sleepy)
    assert not busy & sleepy and not main & (busy | sleepy), \
        "threads share stacks: busy %r sleepy %r main %r" % (busy, sleepy, main)
    assert main == {truth["pid"]}, "main thread tids %r, target pid %d" % (main, truth["pid"])
    if None not in truth["busy_tids"] + truth["sleepy_tids"]:
        assert busy == set(truth["busy_tids"]), "busy tids %r, the target's own %r" % (
            busy, truth["busy_tids"])
        assert sleepy == set(truth["sleepy_tids"]), "sleepy tids %r, the target's own %r" % (
            sleepy, truth["sleepy_tids"])
    assert threads_wall.summary().threads == 9, threads_wall.summary().block
    # In wall mode a sleeping thread is sampled like any other: each worker's weight is
    # its lifetime as it measured it (the last to start may start late: the busy
    # threads hold the GIL), give or take 3% and 10 ms.
    for tid, seconds in truth["thread_wall"].items():
        profiled = weight_where(stacks, lambda s: s.tid == int(tid)) / 1e6
        assert abs(profiled - seconds) <= 0.03 * seconds + 0.010, \
            "thread %s: %.3fs in the wall profile, but it ran for %.3fs" % (
                tid, profiled, seconds)


def test_cpu_mode_shows_only_running_threads(threads_cpu):
    truth = threads_cpu.target_json()
    stacks = threads_cpu.collapsed()
    total = weight_where(stacks, lambda s: True)
    busy_weight = weight_where(stacks, has_function("busy_worker"))
    sleepy_weight = weight_where(stacks, has_function("sleepy_worker"))
    assert total > 0, "cpu mode recorded nothing"
    assert sleepy_weight <= 0.01 * total, \
        "sleeping threads have %.1f%% of the cpu profile" % (100.0 * sleepy_weight / total)
    busy = tids_running(stacks, "busy_worker")
    assert len(busy) == 4, "busy tids in cpu mode: %r" % busy
    for tid in busy:
        share = weight_where(stacks, lambda s: s.tid == tid) / busy_weight
        assert share >= 0.05, "busy thread %d has only %.1f%% of busy time" % (tid, 100 * share)
    # Each worker measured its own CPU time, and the main thread its CPU time inside
    # main(), where it starts the workers and then waits in join() (3.7+). The cpu-mode
    # weights must match, give or take 10% and 10 ms (the kernel's CPU accounting moves
    # in scheduler ticks of a few ms).
    for tid, seconds in truth["thread_cpu"].items():
        if seconds is None:
            continue
        in_main = int(tid) == truth["pid"]
        profiled = weight_where(stacks, lambda s: s.tid == int(tid) and (
            not in_main or has_function("main", "threads.py")(s))) / 1e6
        assert abs(profiled - seconds) <= 0.1 * seconds + 0.010, (
            "thread %s%s: %.3fs in the cpu profile, but it used %.3fs of CPU"
            % (tid, " in main()" if in_main else "", profiled, seconds))
    # And the whole profile holds about the CPU time the process used.
    assert abs(total / 1e6 - truth["cpu"]) <= 0.1 * truth["cpu"], \
        "cpu profile holds %.2fs, the target used %.2fs of CPU" % (total / 1e6, truth["cpu"])


def test_cpu_mode_counts_an_os_thread_once_across_interpreters(pyrometer, python, tmp_path):
    """An OS thread inside a sub-interpreter has a thread state in each interpreter;
    its CPU time must be counted once, not once per state."""
    probe = subprocess.run([str(python), "-c", "try:\n import _interpreters\nexcept ImportError:\n"
                            " import _xxsubinterpreters"], stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        pytest.skip("%s has no _interpreters/_xxsubinterpreters module to run code in a "
                    "sub-interpreter" % python)
    rec = record(pyrometer, tmp_path / "sub.pyro", [python, TARGETS / "subinterp_cpu.py", 2],
                 mode="cpu").check()
    cpu_us = rec.target_json()["cpu"] * 1e6
    stacks = rec.collapsed()
    total = weight_where(stacks, lambda s: True)
    hot = weight_where(stacks, has_function("hot_in_sub"))
    assert total <= cpu_us * 1.15, "profile holds %.0f us of CPU, the target used %.0f us" % (
        total, cpu_us)
    assert hot >= cpu_us * 0.8, "hot_in_sub has %.0f us of the target's %.0f us" % (hot, cpu_us)


def test_a_new_threads_stack_is_never_its_creators(pyrometer, python, tmp_path):
    # A thread state made for a new thread carries its creator's ids until the thread
    # starts: ids read before the start and frames read after would show the new
    # thread's stack under the main thread. thread_churn.py starts ~800 threads a second.
    rec = record(pyrometer, tmp_path / "churn.pyro",
                 [python, TARGETS / "thread_churn.py", THREAD_SECONDS]).check()
    truth = rec.target_json()
    stacks = rec.collapsed()
    churn = [s for s in stacks if has_function("churn_worker")(s)]
    assert churn, "no churn_worker stack was sampled in %d threads" % truth["started"]
    under_main = sum(s.weight for s in churn if s.tid == truth["pid"])
    assert under_main == 0, "%d us of churn_worker stacks are under the main thread (tid %d)" % (
        under_main, truth["pid"])
    assert not any(has_function("spawner")(s) for s in churn), \
        "a churn_worker stack also holds the main thread's spawner frame"
    if truth["worker_tids"]:
        strangers = {s.tid for s in churn} - set(truth["worker_tids"])
        assert not strangers, "churn_worker stacks under tids %r that no worker had" % sorted(strangers)
