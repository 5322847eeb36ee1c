"""Run by test_memory with `pytest -p pyrometer`: one test over its limit, one under."""
import pytest

HELD = []


@pytest.mark.limit_memory("20 MB")
def test_over_the_limit():
    big = [bytearray(1 << 20) for _ in range(40)]  # OVER
    assert len(big) == 40


@pytest.mark.limit_memory("20 MB")
def test_under_the_limit():
    small = [bytearray(1 << 20) for _ in range(5)]
    assert len(small) == 5


@pytest.mark.limit_leaks("1 MB")
def test_leaks_too_much():
    HELD.extend(bytearray(1 << 20) for _ in range(4))  # LEAKS


@pytest.mark.limit_leaks("1 MB")
def test_frees_what_it_allocates():
    tmp = [bytearray(1 << 20) for _ in range(4)]
    del tmp
