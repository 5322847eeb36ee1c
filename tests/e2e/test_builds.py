"""The builds people actually run: venvs, `python -m`, shared libpython, an embedding app.

Each test runs per interpreter (the `python` fixture) and asserts complete stacks: every
sample of the busy function is its whole caller chain, root first, down to the
module-level frame, with the right files and lines.

- venv: `python -m venv --without-pip` with symlinks (the default) and with --copies;
  the target runs under the venv's bin/python.
- `python -m runmod`: the package's frames, with their real paths, under runpy's
  `_run_module_as_main` and `_run_code`.
- shared libpython: the pyenv CPythons here are built with --enable-shared, so the
  interpreter lives in libpython3.X.so and the executable is a small stub; the test checks
  (ldd, then the target's /proc/PID/maps) that this is the case and skips a static build
  (Debian's /usr/bin/python3 is the static case, profiled by the rest of the suite).
- embedded: tests/embed/host.c, compiled here per interpreter against its libpython,
  runs tests/targets/embedded.py on its main thread, on a C thread that enters through
  PyGILState_Ensure, and on two C threads in two sub-interpreters, each in its own hot
  function. The interpreter label (`thread TID (interp N)`) is checked on its own in
  test_embedded_interpreter_labels.
"""
import ast
import json
import os
import re
import shutil
import subprocess

import pytest

from e2e_util import (REPO, RUN_TIMEOUT, TARGETS, describe, last_json, marker_line,
                      python_frames, record)

SECONDS = 2          # how long each target's busy function runs under pyrometer
ALONE_SECONDS = 1    # the embedding host run on its own, without pyrometer
HOST_SOURCE = REPO / "tests" / "embed" / "host.c"
EMBED_ROLES = ("main", "thread", "sub1", "sub2")

# In wall mode (the default) a busy function's weight is about the wall time it ran: at
# least this share of SECONDS (samples lost at its ends or torn), and never more than the
# whole recording took. (A busy machine can stall the sampler; the sample after a stall
# stands for all of it, so a stall just before the function starts can add to it:
# tighter upper bounds are test_accuracy's business, on a quiet machine.)
MIN_SHARE = 0.75


# --- stacks ----------------------------------------------------------------------------

def show(stack):
    label = "" if stack.interp is None else " (interp %d)" % stack.interp
    return "thread %d%s: %s  %d us" % (stack.tid, label, ";".join(
        "%s (%s:%d)" % f for f in stack.frames), stack.weight)


def function_lines(path, name):
    """The line numbers of module-level function `name` in `path`, def to last line."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return range(node.lineno, node.end_lineno + 1)
    raise AssertionError("no function %s in %s" % (name, path))


class Expect:
    """One expected frame: the function's name, its file (a path, or a compiled pattern
    the whole file name must match) and the lines allowed (any if None)."""

    def __init__(self, name, file, lines=None):
        self.name = name
        self.file = file
        self.lines = lines

    def matches(self, frame, check_line=True):
        if hasattr(self.file, "fullmatch"):
            file_ok = self.file.fullmatch(frame.file) is not None
        else:
            file_ok = frame.file == str(self.file)
        return frame.name == self.name and file_ok and (
            not check_line or self.lines is None or frame.line in self.lines)

    def __repr__(self):
        file = getattr(self.file, "pattern", self.file)
        if self.lines is None:
            return "%s (%s)" % (self.name, file)
        if len(self.lines) == 1:
            return "%s (%s:%d)" % (self.name, file, self.lines[0])
        return "%s (%s:%d-%d)" % (self.name, file, self.lines[0], self.lines[-1])


def chain_weight(stacks, chain):
    """Check that every stack holding the chain's leaf function is exactly `chain`, root
    first, with at most a "(garbage collection)" frame on top (the collector can run
    inside any allocating function); return their total weight and the tids they were on."""
    leaf = chain[-1]
    weight, tids = 0, set()
    for s in stacks:
        if not any(leaf.matches(f, check_line=False) for f in s.frames):
            continue
        frames = python_frames(s)
        ok = len(frames) == len(chain) and all(e.matches(f) for e, f in zip(chain, frames))
        assert ok, "incomplete or wrong stack for %s:\n  got      %s\n  expected %s" % (
            leaf.name, show(s), ";".join(map(repr, chain)))
        weight += s.weight
        tids.add(s.tid)
    return weight, tids


def assert_busy_weight(weight, what, rec):
    assert weight >= MIN_SHARE * SECONDS * 1e6, \
        "%s: only %.3fs of complete stacks in a %ss run" % (what, weight / 1e6, SECONDS)
    assert weight <= rec.elapsed * 1e6, \
        "%s: %.3fs of stacks in a %.3fs recording" % (what, weight / 1e6, rec.elapsed)


def assert_on_thread(tids, tid, what):
    """The busy function was sampled on its own thread and no other."""
    assert tids == {tid}, "%s sampled on threads %r; it ran on %d%s" % (
        what, sorted(tids), tid, " (thread 0: samples whose kernel tid pyrometer did not "
        "know)" if 0 in tids else "")


def buildinfo_chain():
    target = TARGETS / "buildinfo.py"
    return [Expect("<module>", target, [marker_line("buildinfo.py", "ENTRY")]),
            Expect("main", target, [marker_line("buildinfo.py", "MIDDLE")]),
            Expect("middle", target, [marker_line("buildinfo.py", "SPIN")]),
            Expect("spin", target, function_lines(target, "spin"))]


def check_buildinfo_stacks(rec):
    """buildinfo.py's busy chain is complete in every sample and holds its run time."""
    weight, tids = chain_weight(rec.collapsed(), buildinfo_chain())
    assert_busy_weight(weight, "buildinfo.py's spin", rec)
    assert_on_thread(tids, rec.target_json()["pid"], "buildinfo.py's spin")


# --- interpreters ----------------------------------------------------------------------

_CONFIG = {}


def config(python):
    """Some sysconfig variables of the interpreter under test (not of the one running
    pytest), cached per interpreter."""
    key = str(python)
    if key not in _CONFIG:
        names = ("INCLUDEPY", "LIBDIR", "LDLIBRARY", "LDVERSION", "VERSION", "abiflags")
        proc = subprocess.run(
            [key, "-c", "import json, sys, sysconfig; json.dump(dict((n, "
             "sysconfig.get_config_var(n)) for n in sys.argv[1:]), sys.stdout)"] + list(names),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
            timeout=RUN_TIMEOUT)
        assert proc.returncode == 0, describe(proc)
        _CONFIG[key] = json.loads(proc.stdout)
    return _CONFIG[key]


def linked_libpython(python):
    """The libpython the interpreter's executable is linked against (as ldd resolves it),
    or None for a static build."""
    proc = subprocess.run(["ldd", os.path.realpath(str(python))], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=RUN_TIMEOUT)
    if "not a dynamic executable" in proc.stdout:
        return None
    assert proc.returncode == 0, describe(proc)
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*(libpython\S*)\s+=>\s+(\S+)", line)
        if m:
            assert m.group(2) != "not", "%s cannot find %s:\n%s" % (python, m.group(1),
                                                                     proc.stdout)
            return m.group(2)
    return None


# --- venv ------------------------------------------------------------------------------

def make_venv(python, where, copies):
    """Create a venv (without pip: offline and fast); return its bin/python."""
    args = [str(python), "-m", "venv", "--without-pip"] + (["--copies"] if copies else [])
    proc = subprocess.run(args + [str(where)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, "cannot create a venv\n" + describe(proc)
    venv_python = where / "bin" / "python"
    assert os.access(str(venv_python), os.X_OK), "no %s after:\n%s" % (venv_python,
                                                                        describe(proc))
    return venv_python


@pytest.mark.parametrize("copies", [False, True], ids=["symlinks", "copies"])
def test_venv(pyrometer, python, tmp_path, copies):
    venv = tmp_path / "venv"
    venv_python = make_venv(python, venv, copies)
    if copies:
        assert not venv_python.is_symlink(), "--copies made a symlink: %s" % venv_python
    else:
        assert venv_python.is_symlink(), "the default venv is not symlinked: %s" % venv_python

    rec = record(pyrometer, tmp_path / "venv.pyro",
                 [venv_python, TARGETS / "buildinfo.py", SECONDS]).check()
    truth = rec.target_json()
    real_venv = os.path.realpath(str(venv))
    assert os.path.realpath(truth["prefix"]) == real_venv, \
        "the target did not run in the venv: %r" % truth
    assert os.path.realpath(truth["base_prefix"]) != real_venv, truth
    # With --copies the process runs the venv's own copy of the executable; with
    # symlinks, the base interpreter's.
    in_venv = truth["exe"].startswith(real_venv + os.sep)
    assert in_venv == copies, "/proc/PID/exe is %s, venv %s" % (truth["exe"], real_venv)
    check_buildinfo_stacks(rec)


# --- python -m -------------------------------------------------------------------------

# runpy is frozen from 3.11 on (Debian's 3.11 too), a file before.
RUNPY_FILE = re.compile(r"<frozen runpy>|/.*/runpy\.py")


def test_run_module(pyrometer, python, tmp_path):
    main_py = TARGETS / "runmod" / "__main__.py"
    work_py = TARGETS / "runmod" / "work.py"
    # -B: no __pycache__ in the source tree. cwd puts the package on sys.path.
    rec = record(pyrometer, tmp_path / "runmod.pyro",
                 [python, "-B", "-m", "runmod", SECONDS], cwd=str(TARGETS)).check()
    truth = rec.target_json()
    assert (truth["main_file"], truth["work_file"]) == (str(main_py), str(work_py)), truth

    chain = [Expect("_run_module_as_main", RUNPY_FILE),
             Expect("_run_code", RUNPY_FILE),
             Expect("<module>", main_py, [marker_line("runmod/__main__.py", "ENTRY")]),
             Expect("main", work_py, [marker_line("runmod/work.py", "SPIN")]),
             Expect("spin", work_py, function_lines(work_py, "spin"))]
    weight, tids = chain_weight(rec.collapsed(), chain)
    assert_busy_weight(weight, "runmod.work.spin", rec)
    assert_on_thread(tids, truth["pid"], "runmod.work.spin")


# --- shared libpython ------------------------------------------------------------------

def test_shared_libpython(pyrometer, python, tmp_path):
    """pyenv's CPythons here are shared builds (--enable-shared): the interpreter is in
    lib/libpython3.X[m].so and bin/python3.X only calls into it. Check that the one under
    test really is (ldd, then the running target's /proc/PID/maps), then that its stacks
    are complete. A static build is skipped: Debian's python3 is the static case, and the
    rest of the suite profiles it."""
    linked = linked_libpython(python)
    if linked is None:
        pytest.skip("%s is a static build: ldd lists no libpython (the static case is "
                    "Debian's python3, covered by the rest of the suite)" % python)
    rec = record(pyrometer, tmp_path / "shared.pyro",
                 [python, TARGETS / "buildinfo.py", SECONDS]).check()
    mapped = [os.path.realpath(p) for p in rec.target_json()["libpython"]]
    assert mapped == [os.path.realpath(linked)], \
        "%s links %s, but the target's /proc/PID/maps has %r" % (python, linked, mapped)
    cfg = config(python)
    assert os.path.realpath(os.path.join(cfg["LIBDIR"], cfg["LDLIBRARY"])) == mapped[0], \
        "libpython %s is not the interpreter's own LIBDIR/LDLIBRARY %r" % (mapped[0], cfg)
    check_buildinfo_stacks(rec)


# --- embedded interpreter --------------------------------------------------------------

@pytest.fixture(scope="module")
def embed_host(python, tmp_path_factory):
    """tests/embed/host.c compiled against the interpreter's libpython, with the flags
    from its sysconfig (INCLUDEPY, LIBDIR, LDVERSION: python3.6m on 3.6). Skips when the
    interpreter has no shared libpython or no headers to build against."""
    cfg = config(python)
    libdir, include = cfg["LIBDIR"], cfg["INCLUDEPY"]
    ldversion = cfg["LDVERSION"] or (cfg["VERSION"] + (cfg["abiflags"] or ""))
    shared = os.path.join(libdir or "", "libpython%s.so" % ldversion)
    if not (libdir and os.path.exists(shared)):
        pytest.skip("%s has no shared libpython to embed (%s not found)" % (python, shared))
    if not (include and os.path.exists(os.path.join(include, "Python.h"))):
        pytest.skip("%s has no headers to embed it (no Python.h in %s)" % (python, include))
    cc = shutil.which("cc")
    assert cc, "no C compiler `cc` on PATH to build tests/embed/host.c"
    host = tmp_path_factory.mktemp("embed") / "host"
    proc = subprocess.run(
        [cc, "-O1", "-g", "-Wall", "-Wextra", "-I" + include, "-o", str(host), str(HOST_SOURCE),
         "-L" + libdir, "-lpython" + ldversion, "-Wl,-rpath," + libdir, "-lpthread"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, "cannot build the embedding host\n" + describe(proc)
    return host


def check_host_output(stdout, python):
    """The host's JSON: every role ran, each on its own thread, in the right interpreter.
    Returns it."""
    truth = last_json(stdout)
    roles = truth["roles"]
    assert all(roles[r]["ok"] for r in EMBED_ROLES) and truth["finalize"] == 0, truth
    tids = [roles[r]["tid"] for r in EMBED_ROLES]
    assert len(set(tids)) == 4 and roles["main"]["tid"] == truth["pid"], truth
    if python.version >= (3, 7):  # 3.6 has no interpreter ids: the host reports -1
        ids = [roles[r]["interp"] for r in EMBED_ROLES]
        assert ids[:2] == [0, 0] and 0 not in ids[2:] and ids[2] != ids[3], truth
    return truth


def test_embedded_host_runs_alone(embed_host, python):
    """The host on its own, without pyrometer: it must work on every version first."""
    proc = subprocess.run([str(embed_host), str(TARGETS / "embedded.py"), str(ALONE_SECONDS)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0 and proc.stderr == "", describe(proc)
    truth = check_host_output(proc.stdout, python)
    assert truth["python"] == "%d.%d.%d" % python.version[:3], truth


@pytest.fixture(scope="module")
def embed_recording(pyrometer, python, embed_host, tmp_path_factory):
    out = tmp_path_factory.mktemp("embed-rec") / "host.pyro"
    rec = record(pyrometer, out, [embed_host, TARGETS / "embedded.py", SECONDS]).check()
    return rec, check_host_output(rec.proc.stdout, python), rec.collapsed()


def embedded_chain(role):
    target = TARGETS / "embedded.py"
    return [Expect("<module>", target, [marker_line("embedded.py", "ENTRY")]),
            Expect("run", target, [marker_line("embedded.py", "RUN")]),
            Expect("hot_" + role, target, function_lines(target, "hot_" + role))]


def test_embedded_stacks(embed_recording):
    """Each role's hot function, on its own thread, complete down to the script's
    module-level frame, for about the time it ran."""
    rec, truth, stacks = embed_recording
    for role in EMBED_ROLES:
        weight, tids = chain_weight(stacks, embedded_chain(role))
        assert_busy_weight(weight, "hot_" + role, rec)
        assert_on_thread(tids, truth["roles"][role]["tid"], "hot_" + role)


def test_embedded_interpreter_labels(embed_recording, python):
    """Threads from more than one interpreter: every thread root is labelled
    `thread TID (interp N)`; the main interpreter's (main thread and the PyGILState
    thread) with 0, each sub-interpreter's with its own non-zero id: CPython's own id
    from 3.7; on 3.6, which numbers none, the order of creation."""
    _, truth, stacks = embed_recording
    unlabelled = [s for s in stacks if s.interp is None]
    assert not unlabelled, "%d of %d stacks carry no interpreter label, e.g.\n%s" % (
        len(unlabelled), len(stacks), "\n".join(show(s) for s in unlabelled[:3]))

    seen = {}
    for role in EMBED_ROLES:
        hot = "hot_" + role
        labels = {s.interp for s in stacks if any(f.name == hot for f in s.frames)}
        assert len(labels) == 1, "%s has stacks labelled with interpreters %r" % (hot, labels)
        seen[role] = labels.pop()
    assert seen["main"] == 0 and seen["thread"] == 0, \
        "main-interpreter threads labelled %r" % seen
    assert seen["sub1"] != 0 and seen["sub2"] != 0 and seen["sub1"] != seen["sub2"], \
        "sub-interpreter threads labelled %r" % seen
    if python.version >= (3, 7):
        ids = dict((r, truth["roles"][r]["interp"]) for r in EMBED_ROLES)
    else:  # numbered in order of creation (docs/VERSIONS.md); host.c makes sub1 first
        ids = {"main": 0, "thread": 0, "sub1": 1, "sub2": 2}
    assert seen == ids, "labels %r, the interpreters' ids %r" % (seen, ids)
