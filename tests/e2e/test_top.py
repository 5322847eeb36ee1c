"""`pyrometer top`: the live view driven in tmux, and its plain fallback without a
terminal, on every CPython found (conftest.py)."""
import shutil
import subprocess
import time

import pytest

from e2e_util import TARGETS, describe

HOT = "spin ("  # tests/targets/split.py: both workers call spin, the hot leaf


def table_rows(screen):
    """The rows under the last table header of a screen or of plain output."""
    lines = screen.splitlines()
    heads = [i for i, line in enumerate(lines) if "%Self" in line and "Function" in line]
    return [line for line in lines[heads[-1] + 1:] if line.strip()] if heads else []


class Tmux:
    def __init__(self, tmp_path):
        self.socket = str(tmp_path / "tmux.sock")

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.socket] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=check)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "top").stdout

    def wait_for(self, predicate, seconds):
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if predicate(screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)


@pytest.fixture
def tmux(tmp_path):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (apt-get install -y tmux; `make test` installs it)")
    t = Tmux(tmp_path)
    yield t
    t.run("kill-server", check=False)


def test_top_in_tmux_shows_the_hot_function_and_restores_the_terminal(pyrometer, python, tmux, tmp_path):
    after = tmp_path / "after.txt"
    script = ("stty -a > %s.before; %s top -r 200 -- %s %s 60; echo TOP-EXIT=$? >> %s; stty -a >> %s; sleep 60"
              % (after, pyrometer, python, TARGETS / "split.py", after, after))
    tmux.run("new-session", "-d", "-s", "top", "-x", "150", "-y", "40", "sh", "-c", script)
    start = time.monotonic()
    screen = tmux.wait_for(lambda s: table_rows(s) and HOT in table_rows(s)[0], 3)
    rows = table_rows(screen)
    assert rows and HOT in rows[0], "after %.1fs the hot function is not on top:\n%s" % (
        time.monotonic() - start, screen)
    assert "pyrometer top - pid" in screen and "sorted by self" in screen, screen
    tmux.run("send-keys", "-t", "top", "t")
    screen = tmux.wait_for(lambda s: "sorted by total" in s, 3)
    assert "sorted by total" in screen, screen
    first = table_rows(screen)[0].split()
    assert float(first[1].rstrip("%")) > 90, screen  # the root: nearly every sample
    tmux.run("send-keys", "-t", "top", "l")
    screen = tmux.wait_for(lambda s: "by line" in s, 3)
    assert "by line" in screen, screen
    # ] selects the first thread: split.py's main thread, named by Python.
    tmux.run("send-keys", "-t", "top", "]")
    screen = tmux.wait_for(lambda s: '"MainThread" (1 of' in s, 3)
    assert '"MainThread" (1 of' in screen, screen
    tmux.run("send-keys", "-t", "top", "q")
    deadline = time.monotonic() + 10
    while not (after.exists() and "TOP-EXIT=" in after.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    text = after.read_text() if after.exists() else ""
    assert "TOP-EXIT=0" in text, (text, tmux.screen())
    before = (tmp_path / "after.txt.before").read_text()
    settings = lambda s: sorted(w for w in s.split() if w.lstrip("-") in ("icanon", "echo", "isig", "icrnl"))
    assert settings(text) == settings(before), (before, text)
    assert "-icanon" not in text and "-echo " not in text, text


def test_top_without_a_terminal_prints_plain_tables(pyrometer, python):
    proc = subprocess.run([str(pyrometer), "top", "-i", "0.5", "-r", "200", "--", str(python),
                           str(TARGETS / "split.py"), "2.5"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert proc.returncode == 0, describe(proc)
    assert "\033" not in proc.stdout, "escape sequences without a terminal"
    tables = proc.stdout.count("pyrometer top - pid")
    assert tables >= 3, describe(proc)
    rows = table_rows(proc.stdout)
    assert rows and HOT in rows[0], proc.stdout


def test_top_errors(pyrometer):
    gone = subprocess.Popen(["true"])
    gone.wait()
    proc = subprocess.run([str(pyrometer), "top", "-p", str(gone.pid)], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=30)
    assert proc.returncode == 1 and "no such process" in proc.stderr.lower(), describe(proc)
    proc = subprocess.run([str(pyrometer), "top"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert proc.returncode == 2 and "usage: pyrometer top" in proc.stderr, describe(proc)
    h = subprocess.run([str(pyrometer), "top", "-h"], stdout=subprocess.PIPE, universal_newlines=True)
    assert h.returncode == 0 and "--window" in h.stdout and "q quit" in h.stdout
