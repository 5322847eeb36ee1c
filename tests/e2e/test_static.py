"""A statically linked interpreter on every version.

Debian's python3 is the static build the whole suite already runs on, but it exists only
for 3.11. Every pyenv CPython also installs `python.o` (the interpreter's main) and
`libpython3.X.a` in its config directory, so the test links the same kind of binary
for each version: the interpreter's symbols then live in the executable, not in a
libpython, exactly as in distribution builds. The binary is named `python-static`, with
no version in its name, so the version must come from the process's memory.
"""
import subprocess
from pathlib import Path

import pytest

from e2e_util import TARGETS, describe, has_function, record, report, weight_where


def static_build_inputs(python):
    """(python.o, libpython.a, home) for the interpreter, or None with the reason."""
    out = subprocess.run(
        [str(python), "-c",
         "import sysconfig, sys; g = sysconfig.get_config_var; "
         "print(g('LIBPL') or ''); print(g('LIBRARY') or ''); print(sys.base_prefix)"],
        stdout=subprocess.PIPE, universal_newlines=True, check=True)
    libpl, library, home = out.stdout.splitlines()
    main_o = Path(libpl) / "python.o"
    archive = Path(libpl) / library
    if not (main_o.is_file() and archive.is_file() and library.endswith(".a")):
        return None, "%s has no python.o and static libpython in %r to link" % (python, libpl)
    return (main_o, archive, home), None


@pytest.fixture(scope="module")
def static_python(python, tmp_path_factory):
    if str(python).startswith("/usr/bin/"):
        pytest.skip("%s is itself a static build (the whole suite runs on it)" % python)
    inputs, why = static_build_inputs(python)
    if inputs is None:
        pytest.skip(why)
    main_o, archive, home = inputs
    exe = tmp_path_factory.mktemp("static") / "python-static"
    # -export-dynamic: extension modules in lib-dynload resolve the API from the executable.
    cmd = ["cc", "-o", str(exe), str(main_o), str(archive), "-ldl", "-lm", "-lpthread", "-lutil",
           "-Xlinker", "-export-dynamic"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode == 0, "linking a static interpreter failed:\n" + proc.stdout
    maps = subprocess.run(["ldd", str(exe)], stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert "libpython" not in maps, "the static interpreter still links libpython:\n" + maps
    return exe, home


def test_static_interpreter_gives_complete_stacks_and_its_version(pyrometer, python, static_python,
                                                                 tmp_path):
    exe, home = static_python
    cmd = ["env", "PYTHONHOME=%s" % home, str(exe), str(TARGETS / "split.py")]
    rec = record(pyrometer, tmp_path / "static.pyro", command=cmd, duration=2).check()
    stacks = rec.collapsed()
    total = weight_where(stacks, lambda s: True)
    spin = weight_where(stacks, has_function("spin", "split.py"))
    assert total > 0 and spin / total > 0.5, "spin should dominate:\n" + describe(rec.proc)
    # Complete: every stack through spin reaches down to the script's module frame.
    for s in stacks:
        if has_function("spin", "split.py")(s):
            assert s.frames[0].name == "<module>" and s.frames[0].file.endswith("split.py"), s
    head = report(pyrometer, rec.path).stdout.splitlines()[0]
    want = "Python %d.%d.%d," % python.version
    assert want in head, "expected %r in %r" % (want, head)
