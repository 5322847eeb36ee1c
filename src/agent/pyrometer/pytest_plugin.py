"""pytest markers: limit_memory and limit_leaks (`pytest -p pyrometer`).

    @pytest.mark.limit_memory("24 MB")   fails a test whose peak exceeds 24 MB
    @pytest.mark.limit_leaks("1 MB")     fails a test that still holds over 1 MB when it ends

Peak and leaks count what the test itself allocates (from the moment its
body starts), every allocation recorded (exact); --pyrometer-sample-bytes N
samples instead, for tests too large to record exactly.
"""
import pytest

from . import format_size, memory, parse_size


def pytest_addoption(parser):
    group = parser.getgroup("pyrometer")
    group.addoption("--pyrometer-sample-bytes", type=int, default=0,
                    help="sample allocations every N bytes on average instead of recording each one")


def pytest_configure(config):
    config.addinivalue_line("markers", "limit_memory(limit): fail when the test's peak memory exceeds limit, e.g. '24 MB'")
    config.addinivalue_line("markers", "limit_leaks(limit): fail when the test still holds more than limit when it ends")


def _sites(m, by):
    return "\n".join("    %10s  %s (%s:%d)" % (format_size(s.bytes), s.function, s.file, s.line) for s in m.top(5, by))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    mem = item.get_closest_marker("limit_memory")
    leaks = item.get_closest_marker("limit_leaks")
    if mem is None and leaks is None:
        yield
        return
    sample = item.config.getoption("--pyrometer-sample-bytes")
    m = memory(sample_bytes=sample, exact=not sample)
    with m:
        outcome = yield
    if outcome.excinfo is not None:
        return
    problems = []
    if mem is not None:
        limit = parse_size(mem.args[0])
        if m.peak > limit:
            problems.append("peak memory %s is over the limit of %s (%s); where the peak was allocated:\n%s"
                            % (format_size(m.peak), format_size(limit), mem.args[0], _sites(m, "at_peak")))
    if leaks is not None:
        limit = parse_size(leaks.args[0])
        if m.leaked > limit:
            problems.append("%s still held when the test ended, over the limit of %s (%s); where it was allocated:\n%s"
                            % (format_size(m.leaked), format_size(limit), leaks.args[0], _sites(m, "live")))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
