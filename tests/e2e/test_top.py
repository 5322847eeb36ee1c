"""`pyrometer top`: the live view driven in tmux, and its plain fallback without a
terminal, on every CPython found (conftest.py)."""
import re
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


def test_top_names_the_selected_thread(pyrometer, python, tmux):
    tmux.run("new-session", "-d", "-s", "top", "-x", "150", "-y", "40", "sh", "-c",
             "%s top -r 200 -- %s %s 30; sleep 60" % (pyrometer, python, TARGETS / "threads.py"))
    screen = tmux.wait_for(lambda s: re.search(r"^all (9|[1-9]\d) threads", s, re.M), 5)
    m = re.search(r"^all (\d+) threads", screen, re.M)
    assert m, screen
    # ] steps through the threads; each is shown with the name threading gave it
    # (3.13 may list one more thread state).
    seen = set()
    for i in range(1, int(m.group(1)) + 1):
        tmux.run("send-keys", "-t", "top", "]")
        pattern = r'^thread \d+ (?:"([^"]+)" )?\(%d of' % i
        screen = tmux.wait_for(lambda s: re.search(pattern, s, re.M), 3)
        m = re.search(pattern, screen, re.M)
        assert m, screen
        seen.add(m.group(1))
    assert {"MainThread", "busy-0", "sleepy-3"} <= seen, seen
    tmux.run("send-keys", "-t", "top", "q")


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
