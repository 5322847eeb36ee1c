"""record --memory=native: the malloc interposer (libpyrometer_native.so, preloaded) lets
the memory agent see what C code allocates outside Python's allocators.

On Debian's /usr/bin/python3 with python3-numpy (tools/deps.sh test installs it): a
400,000,000-byte NumPy array is found at its line with =native and not without it; four
threads allocating at once with the sink set neither deadlock nor crash; and, preloaded
with no sink, the interposed functions keep glibc's answers.

The figures are read from the .pyro file by pyro_memory, not from the printed summary.
"""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from e2e_util import RUN_TIMEOUT, TARGETS, describe, last_json, marker_line, record
from pyro_memory import MEM_DISABLED, MEM_NATIVE, MemoryProfile
from pythons import agent_key

DEBIAN_PYTHON = Path("/usr/bin/python3")
TARGET = "native_alloc.py"
ARRAY_BYTES = 400000000
THREADS = 4


@pytest.fixture(scope="module")
def agent(pyrometer):
    """The agent built for /usr/bin/python3 beside the binary (tools/build_agent.sh
    /usr/bin/python3 build/agent), with its interposer; skips when it is not there."""
    if not os.access(str(DEBIAN_PYTHON), os.X_OK):
        pytest.skip("%s not found: these tests run on Debian's CPython" % DEBIAN_PYTHON)
    key = agent_key(DEBIAN_PYTHON)
    if key is None:
        pytest.skip("%s does not report its version and extension suffix" % DEBIAN_PYTHON)
    d = Path(pyrometer).parent / "agent" / key
    lib = d / "libpyrometer_native.so"
    if not (d / "stamp").is_file() or not lib.is_file():
        pytest.skip("no memory agent with libpyrometer_native.so built for %s in %s; run: "
                    "tools/build_agent.sh %s %s" % (DEBIAN_PYTHON, d, DEBIAN_PYTHON, d.parent))
    return lib


@pytest.fixture(scope="module")
def numpy_python(agent):
    """/usr/bin/python3, once it is known to import numpy."""
    proc = subprocess.run([str(DEBIAN_PYTHON), "-c", "import numpy"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    if proc.returncode != 0:
        pytest.skip("%s cannot import numpy (Debian: apt-get install python3-numpy, or "
                    "tools/deps.sh test): %s" % (DEBIAN_PYTHON, (proc.stderr.strip().splitlines() or [""])[-1]))
    return DEBIAN_PYTHON


def innermost_target_line(m, stack):
    """The line of the innermost frame of the target file in a site's stack (the target's
    line that called into NumPy's own Python code, such as numpy.ones), or None."""
    for name, file, first_line, line in m.frames_of(stack):
        if os.path.basename(file) == TARGET:
            return line
    return None


def bytes_at_line(m, line, measure):
    return sum(site[measure] for stack, site in m.sites.items()
               if stack is not None and innermost_target_line(m, stack) == line)


def record_array(pyrometer, python, tmp_path, how):
    out = tmp_path / ("array-%s.pyro" % how.strip("=-"))
    rec = record(pyrometer, out, [python, TARGETS / TARGET, "array"], extra=[how]).check()
    assert last_json(rec.proc.stdout)["array_bytes"] == ARRAY_BYTES, describe(rec.proc)
    m = MemoryProfile(rec.path)
    assert m.present and not m.flags & MEM_DISABLED, "no working memory agent: %r\n%s" % (
        m.message, describe(rec.proc))
    return rec, m


def test_native_finds_the_numpy_array(pyrometer, numpy_python, tmp_path):
    rec, m = record_array(pyrometer, numpy_python, tmp_path, "--memory=native")
    assert m.flags & MEM_NATIVE, "flags %d lack NATIVE (2)\n%s" % (m.flags, describe(rec.proc))
    found = bytes_at_line(m, marker_line(TARGET, "BIG"), "at_peak")
    assert abs(found - ARRAY_BYTES) <= 0.02 * ARRAY_BYTES, \
        "the BIG line held %d bytes at the peak, truth %d (peak %d)\n%s" % (
            found, ARRAY_BYTES, m.peak_bytes, describe(rec.proc))


def test_without_native_the_array_is_not_seen(pyrometer, numpy_python, tmp_path):
    # NumPy takes an array's data from malloc, not PyMem: only the interposer sees it.
    rec, m = record_array(pyrometer, numpy_python, tmp_path, "--memory")
    assert not m.flags & MEM_NATIVE, "flags %d have NATIVE without =native" % m.flags
    found = bytes_at_line(m, marker_line(TARGET, "BIG"), "allocated")
    assert found < 0.05 * ARRAY_BYTES and m.peak_bytes < 0.25 * ARRAY_BYTES, \
        "without =native the BIG line allocated %d bytes (peak %d): is the array not from " \
        "malloc any more?\n%s" % (found, m.peak_bytes, describe(rec.proc))


def test_threads_allocating_at_once_do_not_deadlock(pyrometer, numpy_python, tmp_path):
    out = tmp_path / "threads.pyro"
    args = [str(pyrometer), "record", "--memory=native", "-o", str(out), "--", str(numpy_python),
            str(TARGETS / TARGET), "threads", "1"]
    # Its own session, so that a hung target is killed with the recorder.
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, errors="replace",
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail("four threads allocating with the sink set ran for %d s instead of about 1 s "
                    "(deadlock?)\n--- stdout ---\n%s\n--- stderr ---\n%s" % (RUN_TIMEOUT, stdout, stderr[-4000:]))
    done = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    assert proc.returncode == 0 and out.is_file(), describe(done)
    rounds = last_json(stdout)["rounds"]
    assert len(rounds) == THREADS and min(rounds) > 0, "rounds per thread %r\n%s" % (rounds, describe(done))
    m = MemoryProfile(out)
    assert m.present and m.flags & MEM_NATIVE and not m.flags & MEM_DISABLED, \
        "flags %d, message %r\n%s" % (m.flags, m.message, describe(done))
    # Each round allocates at least 5 MB through malloc (the arrays' data); the agent,
    # sampling, must have seen a good part of it in `worker`.
    seen = sum(site["allocated"] for stack, site in m.sites.items()
               if stack is not None and any(f[0] == "worker" for f in m.frames_of(stack)))
    assert seen >= 0.5 * 5e6 * sum(rounds), "worker allocated %d bytes in %d rounds\n%s" % (
        seen, sum(rounds), describe(done))


CHECKS = r"""
import ctypes, errno, json
libc = ctypes.CDLL(None, use_errno=True)
libc.malloc.restype = libc.calloc.restype = libc.realloc.restype = ctypes.c_void_p
libc.reallocarray.restype = libc.memalign.restype = libc.aligned_alloc.restype = ctypes.c_void_p
libc.valloc.restype = libc.pvalloc.restype = ctypes.c_void_p
libc.realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.reallocarray.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
page = 4096
out = {"sink": hasattr(libc, "pyro_native_set_sink")}
p = ctypes.c_void_p(1)
out["pm_bad"] = libc.posix_memalign(ctypes.byref(p), ctypes.c_size_t(24), ctypes.c_size_t(10))
out["pm_bad_kept"] = p.value == 1
out["pm_ok"] = libc.posix_memalign(ctypes.byref(p), ctypes.c_size_t(256), ctypes.c_size_t(1000))
out["pm_aligned"] = p.value % 256 == 0
libc.free(p)
big = 1 << 62
ctypes.set_errno(0)
out["calloc_overflow"] = libc.calloc(big, 8)
out["calloc_errno"] = ctypes.get_errno() == errno.ENOMEM
q = libc.calloc(100, 10)
out["calloc_zero"] = ctypes.string_at(q, 1000) == bytes(1000)
ctypes.set_errno(0)
out["reallocarray_overflow"] = libc.reallocarray(q, big, 8)
out["reallocarray_errno"] = ctypes.get_errno() == errno.ENOMEM
q = libc.reallocarray(q, 1000, 10)
ctypes.memset(q, 7, 10000)
q = libc.realloc(q, 100)
out["realloc_kept"] = ctypes.string_at(q, 100) == b"\x07" * 100
libc.free(q)
out["realloc_null"] = libc.realloc(None, 0) is not None
out["aligned"] = [libc.memalign(64, 100) % 64, libc.aligned_alloc(64, 128) % 64,
                  libc.valloc(100) % page, libc.pvalloc(100) % page]
print(json.dumps(out))
"""


def test_interposer_without_a_sink_keeps_glibc_answers(agent):
    # The agent is not loaded: every call only forwards.
    proc = subprocess.run([str(DEBIAN_PYTHON), "-c", CHECKS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=dict(os.environ, LD_PRELOAD=str(agent)),
                          timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, describe(proc)
    got = last_json(proc.stdout)
    want = {"sink": True, "pm_bad": 22, "pm_bad_kept": True, "pm_ok": 0, "pm_aligned": True,
            "calloc_overflow": None, "calloc_errno": True, "calloc_zero": True,
            "reallocarray_overflow": None, "reallocarray_errno": True, "realloc_kept": True,
            "realloc_null": True, "aligned": [0, 0, 0, 0]}
    assert got == want, "with %s preloaded:\n got  %r\n want %r" % (agent, got, want)
