"""pyrometer's in-process side: memory tracking from Python.

    with pyrometer.memory() as m:
        work()
    print(m.peak, m.top(5))

`python -m pyrometer run app.py` records a whole program's memory to a
.pyro file, and `pytest -p pyrometer` adds the limit_memory and
limit_leaks markers. The numbers are estimates from allocations sampled by
bytes (about one per `sample_bytes` allocated), exact with exact=True.
"""
import collections
import re

from . import _agent

__all__ = ["memory", "Site", "parse_size", "format_size"]
VERSION = _agent.VERSION

Site = collections.namedtuple("Site", "bytes function file line stack")
Site.__doc__ = "An allocation site: bytes, the allocating function, file and line, and the whole stack (leaf first)."

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000 ** 2, "mb": 1000 ** 2, "g": 1000 ** 3,
          "gb": 1000 ** 3, "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}


def parse_size(text):
    """'24 MB' -> 24000000; KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024."""
    if isinstance(text, (int, float)):
        return int(text)
    m = re.match(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*$", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError("not a size: %r (examples: 24 MB, 512 KiB, 1.5 GB)" % (text,))
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_size(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


class memory(object):
    """Track the allocations made inside a with-block.

    After the block: peak (the most bytes held at once by blocks allocated
    inside it), allocated, leaked (still held when it ended), and top(n, by)
    for the sites behind them. path= also writes a .pyro file that
    `pyrometer report` reads. Only one tracker runs in a process at a time.
    """

    def __init__(self, sample_bytes=None, exact=False, path=None):
        self.sample_bytes = sample_bytes or 0
        self.exact = exact
        self.path = path
        self._stats = None

    def __enter__(self):
        _agent.start(path=self.path, sample_bytes=self.sample_bytes, exact=self.exact)
        return self

    def __exit__(self, *exc):
        try:
            self._stats = _agent.stats()
        finally:
            _agent.stop()
        return False

    def _get(self):
        if self._stats is None:
            return _agent.stats()
        return self._stats

    @property
    def peak(self):
        return self._get()["peak"]

    @property
    def allocated(self):
        return sum(s["allocated"] for s in self._get()["sites"])

    @property
    def leaked(self):
        return self._get()["live"]

    @property
    def stats(self):
        return self._get()

    def top(self, n=10, by="at_peak"):
        """The n sites holding the most bytes; by: at_peak, allocated, live (leaked) or temporary."""
        by = {"leaked": "live", "peak": "at_peak"}.get(by, by)
        sites = [s for s in self._get()["sites"] if s[by] > 0]
        sites.sort(key=lambda s: -s[by])
        out = []
        for s in sites[:n]:
            leaf = s["stack"][0] if s["stack"] else ("(no Python frame)", "", 0, 0)
            out.append(Site(s[by], leaf[0], leaf[1], leaf[3], s["stack"]))
        return out

    def report(self, n=10, by="at_peak"):
        """The top sites as text, one a line."""
        lines = []
        for s in self.top(n, by):
            lines.append("  %10s  %s (%s:%d)" % (format_size(s.bytes), s.function, s.file, s.line))
        return "\n".join(lines) if lines else "  (no allocation sampled)"


def pytest_configure(config):
    # `pytest -p pyrometer` loads this module as the plugin; the hooks live
    # in pytest_plugin, which imports pytest.
    from . import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "pyrometer.pytest_plugin")
