"""Apply a function to many items with a second process doing the second half.

Parsing and validating 10,000 postmortems takes about 20 s on one core, and MkDocs' build
uses one core of machines that have two or more. `ForkMap` forks a child that computes the
second half of the items and sends the results back through a pipe, while this process
computes the first half. The function must be pure (no effect outside its result) and its
results picklable.

When it cannot pay or cannot be trusted it is `list(map(...))`: for few items, when forking is
unavailable or unsafe (see `parallel.unavailable`), and for the whole second half whenever the
child fails in any way (an exception, a result that does not pickle, a crash): the half is then
computed here, so an exception surfaces exactly as it would in one process. The child never
returns into the caller: it ends with `os._exit` and prints nothing.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

from mkdocs.plugins import get_plugin_logger

from ..core.cache import dumps

log = get_plugin_logger("postmortems")

T = TypeVar("T")
R = TypeVar("R")

# Below this many items the fork and the pickling cost more than the half saved (a postmortem
# parses in about 2 ms; forking a build process with its records takes 10-30 ms).
MIN_ITEMS = 200


def fork_allowed(command: str | None) -> bool:
    """Return whether this process may fork: Linux, one thread, not `mkdocs serve`."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and command != "serve"
        and threading.active_count() == 1
    )


def cores() -> int:
    """Return how many processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def refusal(workers: str | int, command: str | None) -> str | None:
    """Return why a build under the `workers` option forks no process (None: it may fork)."""
    if workers == 0:
        return "workers: 0"
    if not fork_allowed(command):
        return "this process may not fork (mkdocs serve, other threads, or not Linux)"
    if workers == "auto" and cores() < 2:
        return "one processor"
    return None


class ForkMap:
    """A mapper that shares its work with a forked child when `enabled`."""

    def __init__(self, enabled: bool, min_items: int = MIN_ITEMS) -> None:
        """Share the work of calls with more than `min_items` items when `enabled`."""
        self.enabled = enabled
        self.min_items = min_items
        self.shared = 0  # items the child computed, over this object's life
        self.children: list[int] = []  # the processes it forked (each reaped before returning)

    def __call__(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Return `[function(item) for item in items]`."""
        return [result for result, _ in self._map(function, items, each=False)]

    def map_pickled(
        self, function: Callable[[T], R], items: Sequence[T]
    ) -> list[tuple[R, bytes | None]]:
        """Return `[function(item) for item in items]`, each result the child computed with
        the bytes it sent it as (`cache.dumps`), None for the others: the build cache saves
        those bytes instead of pickling the value again (`cache.PickledMapper`)."""
        return self._map(function, items, each=True)

    def _map(
        self, function: Callable[[T], R], items: Sequence[T], *, each: bool
    ) -> list[tuple[R, bytes | None]]:
        """Compute the items, the second half in a child where that pays; `each`: the child
        pickles each result on its own, and the parent keeps the bytes with it."""
        if not self.enabled or len(items) < self.min_items:
            return [(function(item), None) for item in items]
        half = len(items) // 2
        first, second = items[:half], items[half:]
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            os.close(read_fd)
            os.close(write_fd)
            log.debug(f"cannot fork ({error}); computing every item here")
            return [(function(item), None) for item in items]
        if pid == 0:  # pragma: no cover - the child; coverage does not follow forks
            try:
                os.close(read_fd)
                _child(function, second, write_fd, each)
            finally:
                os._exit(0)
        self.children.append(pid)
        os.close(write_fd)
        results: list[tuple[R, bytes | None]] = [(function(item), None) for item in first]
        theirs = _collect(pid, read_fd, len(second), each)
        if theirs is None:
            return results + [(function(item), None) for item in second]
        self.shared += len(theirs)
        return results + cast("list[tuple[R, bytes | None]]", theirs)


def _child(function: Callable[[T], R], items: Sequence[T], fd: int, each: bool) -> None:
    # Objects from before the fork are shared with the parent until written: keep the
    # collector from writing to all of them.
    gc.freeze()
    try:
        results = [function(item) for item in items]
        sent = [dumps(result) for result in results] if each else results
        payload = pickle.dumps(sent, pickle.HIGHEST_PROTOCOL)
    except BaseException:
        payload = b""  # the parent computes the half itself and meets the error there
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(payload)


def _collect(pid: int, fd: int, count: int, each: bool) -> list[tuple[object, bytes | None]] | None:
    """Read the child's results (with the bytes of each, if it pickled each) and reap it;
    None if they are not all there."""
    try:
        with os.fdopen(fd, "rb") as pipe:
            payload = pipe.read()
    finally:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if not payload:
        log.debug("the second process gave no results; computing its half here")
        return None
    try:
        sent = pickle.loads(payload)
        if not isinstance(sent, list) or len(sent) != count:
            return None
        if not each:
            return [(result, None) for result in sent]
        return [(pickle.loads(blob), blob) for blob in sent]
    except Exception as error:
        log.debug(f"cannot read the second process's results ({error}); computing them here")
        return None
