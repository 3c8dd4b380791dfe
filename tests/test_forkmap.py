"""A second process computes half of the items, and any failure of it changes nothing."""

from __future__ import annotations

import os
import pickle
import signal
import sys

import pytest

from mkdocs_postmortems.plugin.forkmap import MIN_ITEMS, ForkMap

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
ITEMS = list(range(MIN_ITEMS * 2 + 1))


def _reaped(mapper: ForkMap) -> bool:
    """Return whether every process `mapper` forked is gone and reaped (other tests of the
    same runner may have children of their own)."""
    for pid in mapper.children:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True


def test_the_second_half_is_computed_by_another_process() -> None:
    mapper = ForkMap(enabled=True)
    results = mapper(lambda item: (item * 2, os.getpid()), ITEMS)
    assert [value for value, _ in results] == [item * 2 for item in ITEMS]
    pids = [pid for _, pid in results]
    half = len(ITEMS) // 2
    assert set(pids[:half]) == {os.getpid()}
    assert len(set(pids[half:])) == 1
    assert pids[-1] != os.getpid()
    assert mapper.shared == len(ITEMS) - half
    assert len(mapper.children) == 1
    assert _reaped(mapper)


@pytest.mark.parametrize(("enabled", "items"), [(False, ITEMS), (True, ITEMS[: MIN_ITEMS - 1])])
def test_few_items_or_disabled_stay_in_this_process(enabled: bool, items: list[int]) -> None:
    mapper = ForkMap(enabled=enabled)
    assert set(mapper(lambda _: os.getpid(), items)) == {os.getpid()}
    assert mapper.shared == 0
    assert mapper.children == []


def test_an_error_in_the_second_half_surfaces_here_as_without_it() -> None:
    def parse(item: int) -> int:
        if item == ITEMS[-3]:
            raise ValueError(f"bad item {item}")
        return item

    mapper = ForkMap(enabled=True)
    with pytest.raises(ValueError, match=f"bad item {ITEMS[-3]}"):
        mapper(parse, ITEMS)
    assert mapper.children
    assert _reaped(mapper)


def test_a_killed_or_unpicklable_second_half_is_computed_here() -> None:
    parent = os.getpid()

    def killed(item: int) -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    mapper = ForkMap(enabled=True)
    assert mapper(killed, ITEMS) == ITEMS
    results = mapper(lambda item: lambda: item, ITEMS)  # functions do not pickle
    assert [make() for make in results] == ITEMS
    assert mapper.shared == 0
    assert len(mapper.children) == 2
    assert _reaped(mapper)


def test_results_of_the_second_process_come_with_the_bytes_it_sent() -> None:
    mapper = ForkMap(enabled=True)
    results = mapper.map_pickled(lambda item: {"item": item, "pid": os.getpid()}, ITEMS)
    half = len(ITEMS) // 2
    assert [value["item"] for value, _ in results] == ITEMS
    assert all(blob is None and value["pid"] == os.getpid() for value, blob in results[:half])
    theirs = results[half:]
    assert all(blob is not None and pickle.loads(blob) == value for value, blob in theirs)
    assert {value["pid"] for value, _ in theirs} != {os.getpid()}
    assert mapper.shared == len(theirs)
    # A failing second half is computed here, without bytes, as by `mapper(...)`.
    results = mapper.map_pickled(lambda item: lambda: item, ITEMS)
    assert [(make(), blob) for make, blob in results] == [(item, None) for item in ITEMS]
    assert _reaped(mapper)
