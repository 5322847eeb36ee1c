"""An unprivileged user recording a root-owned Python process is refused clearly.

Runs pyrometer as `nobody` (through runuser, or setpriv) against a Python target started
by root. It must exit 1 with a "pyrometer: error:" message that says permission was
denied and names CAP_SYS_PTRACE as what would allow it. Needs root to switch users, so
it is skipped, with the reason, otherwise.
"""
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from e2e_util import assert_error, start_target, stop


def as_nobody():
    """The command prefix that runs a command as user nobody, or skip the test."""
    if os.geteuid() != 0:
        pytest.skip("switching to an unprivileged user needs root")
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine")
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    if shutil.which("setpriv"):
        gid = pwd.getpwnam("nobody").pw_gid
        return ["setpriv", "--reuid", "nobody", "--regid", str(gid), "--clear-groups"]
    pytest.skip("neither runuser nor setpriv is installed")


@pytest.fixture
def shared_dir():
    """A directory nobody can use: a copy of the binary (the repository may not be
    readable by nobody) and a world-writable place for the output file."""
    path = Path(tempfile.mkdtemp(prefix="pyrometer-e2e-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(str(path), ignore_errors=True)


def test_unprivileged_user_gets_permission_error(pyrometer, python, shared_dir):
    prefix = as_nobody()
    binary = shared_dir / "pyrometer"
    shutil.copy(str(pyrometer), str(binary))
    binary.chmod(0o755)
    target = start_target(python, "attach.py", 20, 0)
    try:
        proc = subprocess.run(
            prefix + [str(binary), "record", "-p", str(target.pid), "--duration", "1",
                      "-o", str(shared_dir / "out.pyro")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=30, cwd=str(shared_dir))
    finally:
        stop(target)
    assert_error(proc, "permission", "CAP_SYS_PTRACE")
