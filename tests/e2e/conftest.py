"""Fixtures for the end-to-end tests: the pyrometer binary and the CPythons to test on.

Every test that takes the `python` fixture runs once per interpreter, with ids such as
`py3.12.1` (pyenv) and `debian3.11` (the distribution's /usr/bin/python3, statically
linked). The expected interpreters are always listed; one that is missing or broken is
skipped with the reason, never silently dropped. Any other pyenv CPython of
MIN_VERSION or newer is picked up as well.

The binary is $PYROMETER if set, else build/pyrometer in the repository. A missing
binary is an error, not a skip: a suite that skips everything would look green.

Run from the repository root, one test at a time (timings matter; never use -n):
    python3 -m pytest tests/e2e -q -rs        (or: make e2e)
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from e2e_util import REPO
from pythons import probe, pyenv_root

# pyenv versions always expected on this machine; others >= MIN_VERSION are added.
EXPECTED_PYENV = ("3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")
MIN_VERSION = (3, 6)
DEBIAN_PYTHON = Path("/usr/bin/python3")


class Interpreter:
    """One CPython to test on. `missing` holds the reason to skip it, or None."""

    def __init__(self, test_id, path, version=None, missing=None):
        self.id = test_id
        self.path = Path(path)
        self.version = version  # e.g. (3, 12, 1), as reported by the interpreter itself
        self.missing = missing

    def __str__(self):
        return str(self.path)

    def __fspath__(self):
        return str(self.path)


def discover_interpreters():
    root = pyenv_root()
    names = set(EXPECTED_PYENV)
    versions_dir = root / "versions"
    if versions_dir.is_dir():
        for entry in versions_dir.iterdir():
            m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", entry.name)
            if m and tuple(int(g) for g in m.groups()[:2]) >= MIN_VERSION:
                names.add(entry.name)
    found = []
    for name in sorted(names, key=lambda n: tuple(int(p) for p in n.split("."))):
        path = versions_dir / name / "bin" / "python3"
        version, missing = probe(path)
        if missing:
            missing = "pyenv CPython %s unavailable: %s" % (name, missing)
        found.append(Interpreter("py" + name, path, version, missing))

    version, missing = probe(DEBIAN_PYTHON)
    if missing:
        missing = "Debian's CPython unavailable: %s" % missing
    label = "%d.%d" % version[:2] if version else "3.11"
    found.append(Interpreter("debian" + label, DEBIAN_PYTHON, version, missing))
    return found


INTERPRETERS = discover_interpreters()


@pytest.fixture(scope="session", params=INTERPRETERS, ids=[i.id for i in INTERPRETERS])
def python(request):
    """The interpreter under test (parametrized); skips with the reason if absent."""
    interp = request.param
    if interp.missing:
        pytest.skip(interp.missing)
    return interp


@pytest.fixture(scope="session")
def pyrometer():
    """Path of the pyrometer binary under test."""
    path = Path(os.environ.get("PYROMETER") or REPO / "build" / "pyrometer")
    if not os.access(str(path), os.X_OK):
        pytest.fail("pyrometer binary %s not found or not executable; run `make` or set "
                    "PYROMETER" % path, pytrace=False)
    return path.resolve()


@pytest.fixture(scope="session")
def synth_profile():
    """A function that writes a synthetic .pyro (build/synth-profile) and returns its path:
    synth_profile(path, samples=.., stacks=.., threads=.., functions=.., seed=.., hostile=False)."""
    tool = Path(os.environ.get("SYNTH_PROFILE") or REPO / "build" / "synth-profile")
    if not os.access(str(tool), os.X_OK):
        pytest.fail("synth-profile %s not found; run `make` or set SYNTH_PROFILE" % tool, pytrace=False)

    def make(path, samples=2000, stacks=300, threads=3, functions=60, seed=1, hostile=False):
        args = [str(tool), str(path), "--samples", str(samples), "--stacks", str(stacks),
                "--threads", str(threads), "--functions", str(functions), "--seed", str(seed)]
        if hostile:
            args.append("--hostile")
        subprocess.run(args, check=True, timeout=120)
        return Path(path)
    return make


@pytest.fixture(scope="session")
def real_profile(pyrometer, tmp_path_factory):
    """One real recording of tests/targets/threads.py (several threads, nested calls), made
    with the first interpreter found; for the format tests, which do not depend on the
    version that was sampled."""
    found = [i for i in INTERPRETERS if not i.missing]
    if not found:
        pytest.skip("no CPython found to record with")
    out = tmp_path_factory.mktemp("real") / "threads.pyro"
    proc = subprocess.run([str(pyrometer), "record", "-o", str(out), "--", str(found[-1]),
                           str(REPO / "tests" / "targets" / "threads.py")],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          encoding="utf-8", errors="replace", timeout=120)
    assert proc.returncode == 0 and out.is_file(), proc.stderr
    return out
