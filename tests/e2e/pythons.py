"""Finding the CPythons on this machine: shared by the e2e tests and bench/.

No pytest here, so the benchmarks can import it too.
"""
import os
import shutil
import subprocess
from pathlib import Path


def probe(path):
    """(version tuple, None) if `path` runs as a CPython, else (None, reason)."""
    if not os.access(str(path), os.X_OK):
        return None, "%s not found" % path
    try:
        out = subprocess.run(
            [str(path), "-c", "import sys, platform; "
                              "print(platform.python_implementation(), *sys.version_info[:3])"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s does not run: %s" % (path, e)
    words = out.stdout.split()
    if out.returncode != 0 or len(words) != 4 or words[0] != "CPython":
        return None, "%s is not a working CPython: %s" % (path, out.stdout.strip())
    return tuple(int(w) for w in words[1:]), None


def pyenv_root():
    """$PYENV_ROOT, else `pyenv root`, else ~/.pyenv or /root/.pyenv."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, universal_newlines=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    for candidate in (Path.home() / ".pyenv", Path("/root/.pyenv")):
        if candidate.is_dir():
            return candidate
    return Path("/root/.pyenv")


def agent_key(python):
    """The directory name tools/build_agent.sh gives the memory agent built for `python`
    (its version and extension ABI: 3.11.7-cpython-311-x86_64-linux-gnu), or None when
    it does not say."""
    out = subprocess.run([str(python), "-I", "-S", "-c",
                          "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); "
                          "print(sysconfig.get_config_var('EXT_SUFFIX') or '.so')"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                         timeout=30).stdout.split()
    if len(out) != 2:
        return None
    key = out[1].lstrip(".")
    return "%s-%s" % (out[0], key[:-3] if key.endswith(".so") else key)
