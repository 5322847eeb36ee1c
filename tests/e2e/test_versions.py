"""Version detection and versions newer than any layout pyrometer knows.

The version must come from the target's memory (Py_Version on 3.11+, the debug offsets
on 3.13+, the text Py_GetVersion() wrote for sys.version on every version), not from
file names. The "next version" is simulated without touching pyrometer: a copy of
CPython 3.13's libpython whose version fields are patched, preloaded into an ordinary
3.13 interpreter. What pyrometer reads is then exactly what it would read from a newer
release that kept 3.13's layout, or, with an offset broken as well, one that changed it.
"""
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import INTERPRETERS
from e2e_util import TARGETS, describe, has_function, record, report, weight_where

PT_LOAD = 1


def libpython_of(python):
    """The shared libpython the interpreter loads, or None for a static build."""
    out = subprocess.run([str(python), "-c",
                          "import sysconfig, os; d = sysconfig.get_config_var('LIBDIR'); "
                          "n = sysconfig.get_config_var('INSTSONAME'); "
                          "print(os.path.join(d, n) if d and n and sysconfig.get_config_var('Py_ENABLE_SHARED') else '')"],
                         stdout=subprocess.PIPE, universal_newlines=True, check=True)
    path = out.stdout.strip()
    return path if path and os.path.isfile(path) else None


def symbol_value(lib, name):
    """The link-time address of an exported symbol (nm from binutils, which gcc brings)."""
    out = subprocess.run(["nm", "-D", "--defined-only", lib], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise AssertionError("%s does not export %s" % (lib, name))


def file_offset(data, vaddr):
    """The file offset of a link-time address, from the ELF64 program headers."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD and p_vaddr <= vaddr < p_vaddr + p_filesz:
            return vaddr - p_vaddr + p_offset
    raise AssertionError("address 0x%x is not in a loaded segment with file data" % vaddr)


def patched_libpython(tmp_path, lib, py_version=None, debug_version=None, debug_patch=None,
                      name=None):
    """A copy of lib with Py_Version and/or the _Py_DebugOffsets version replaced,
    and debug_patch(offset_of_debug_offsets, bytearray) applied if given."""
    data = bytearray(open(lib, "rb").read())
    if py_version is not None:
        off = file_offset(data, symbol_value(lib, "Py_Version"))
        struct.pack_into("<I", data, off, py_version)
    runtime = None
    if debug_version is not None or debug_patch is not None:
        runtime = file_offset(data, symbol_value(lib, "_PyRuntime"))
        assert data[runtime:runtime + 8] == b"xdebugpy", "no _Py_DebugOffsets at _PyRuntime"
    if debug_version is not None:
        struct.pack_into("<Q", data, runtime + 8, debug_version)
    if debug_patch is not None:
        debug_patch(runtime, data)
    out = tmp_path / (name or os.path.basename(lib))
    out.write_bytes(bytes(data))
    return out


def py313():
    for interp in INTERPRETERS:
        if interp.version and interp.version[:2] == (3, 13) and not interp.missing:
            lib = libpython_of(interp)
            if lib:
                return interp, lib
    pytest.skip("needs a shared-libpython CPython 3.13 (pyenv 3.13.0) to patch; none found")


HEX_314 = 0x030E00F0  # 3.14.0 final


def record_preloaded(pyrometer, tmp_path, python, lib, target="split.py", duration=2):
    cmd = ["env", "LD_PRELOAD=%s" % lib, str(python), str(TARGETS / target)]
    return record(pyrometer, tmp_path / "out.pyro", command=cmd, duration=duration)


def test_next_version_read_through_debug_offsets_with_one_warning(pyrometer, tmp_path):
    python, lib = py313()
    fake = patched_libpython(tmp_path, lib, py_version=HEX_314, debug_version=HEX_314)
    rec = record_preloaded(pyrometer, tmp_path, python, fake).check()
    warnings = [l for l in rec.proc.stderr.splitlines() if "warning" in l]
    assert len(warnings) == 1, "expected exactly one warning:\n" + describe(rec.proc)
    assert "3.14.0" in warnings[0] and "newer" in warnings[0] and "_Py_DebugOffsets" in warnings[0], \
        warnings[0]
    stacks = rec.collapsed()
    total = weight_where(stacks, lambda s: True)
    spin = weight_where(stacks, has_function("spin", "split.py"))
    assert total > 0 and spin / total > 0.5, "spin should dominate:\n" + describe(rec.proc)
    head = report(pyrometer, rec.path).stdout.splitlines()[0]
    assert "Python 3.14.0" in head, head


def test_next_version_whose_layout_fails_validation_is_refused(pyrometer, tmp_path):
    python, lib = py313()

    def break_frame_offsets(runtime, data):
        # interpreter_frame.size, the first field after cookie, version, free_threaded,
        # runtime_state (3 fields), interpreter_state (13), thread_state (9): set to 0,
        # as a release that moved the frame would leave our mirror reading garbage.
        off = runtime + 8 * (1 + 1 + 1 + 3 + 13 + 9)
        struct.pack_into("<Q", data, off, 0)

    fake = patched_libpython(tmp_path, lib, py_version=HEX_314, debug_version=HEX_314,
                             debug_patch=break_frame_offsets)
    rec = record_preloaded(pyrometer, tmp_path, python, fake)
    assert rec.returncode != 0, describe(rec.proc)
    assert "Python 3.14.0" in rec.proc.stderr, describe(rec.proc)
    assert "interpreter_frame" in rec.proc.stderr, describe(rec.proc)


def test_version_mismatch_between_sources_is_refused(pyrometer, tmp_path):
    """Py_Version says 3.14, the debug offsets say 3.13: refused, naming both."""
    python, lib = py313()
    fake = patched_libpython(tmp_path, lib, py_version=HEX_314)
    rec = record_preloaded(pyrometer, tmp_path, python, fake)
    assert rec.returncode != 0, describe(rec.proc)
    assert "3.14.0" in rec.proc.stderr and "does not match" in rec.proc.stderr, describe(rec.proc)


def test_version_comes_from_memory_not_the_file_name(pyrometer, python, tmp_path):
    """The interpreter's libpython, copied under a name with no version in it: the
    report still names the exact version (x.y.z), which no file name here carries.

    For a static interpreter whose distribution also ships a libpython (Debian), the
    preloaded copy is mapped but unused, next to the executable's own runtime: pyrometer
    must pick the runtime that lists interpreters, or it would record nothing."""
    lib = libpython_of(python)
    if lib is None:
        pytest.skip("%s is statically linked: its version source is Py_Version in the "
                    "executable, covered by every other test" % python)
    renamed = tmp_path / "libpython-renamed.so"
    shutil.copyfile(lib, str(renamed))
    rec = record_preloaded(pyrometer, tmp_path, python, renamed).check()
    maps_name = "libpython-renamed.so"
    want = "%d.%d.%d" % python.version
    head = report(pyrometer, rec.path).stdout.splitlines()[0]
    assert re.search(r"Python %s\b" % re.escape(want), head), \
        "expected Python %s from %s (loaded as %s):\n%s" % (want, python, maps_name, head)
    stacks = rec.collapsed()
    assert weight_where(stacks, has_function("spin", "split.py")) > 0, describe(rec.proc)
