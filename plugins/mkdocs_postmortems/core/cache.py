"""Keep what a build computed from each file, keyed by the file's content, for the next build.

A build reads every postmortem, but parsing, validating and linting one costs about 3 ms, and
all of it depends only on the file's bytes and the site's settings. The cache keeps those
results in memory (a `mkdocs serve` session keeps its plugin, so the next rebuild reuses them)
and in one file in the cache folder (the next `mkdocs build` reuses them).

It never serves stale data:

- every entry is stored under a key (the file's path) with a digest of everything it was
  computed from (the file's bytes and the settings it depends on); a lookup whose digest
  differs is a miss, so a changed file is parsed again, and a renamed file is a new key;
- the whole cache is salted with `FORMAT_VERSION` and a digest of this package's source
  code: a new release or a local code change starts from an empty cache;
- entries not used by a build are dropped when it saves, so a deleted file leaves nothing.

Writes are atomic (a temporary file renamed over the old one), so a crash or two builds at
once leave either the old or the new file, both valid: no lock is needed, the worst case is
a miss. A file that cannot be read or unpickled is ignored and rebuilt. The file holds a
pickle, so like the search index it must stay in the cache folder, never in the published
site.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

FORMAT_VERSION = 1  # bump when what is cached changes shape
FILE_NAME = "build-cache.pickle"
ABANDONED_AFTER_S = 600  # a temporary file this old was left by a writer that died
PACKAGE_DIR = Path(__file__).resolve().parent.parent

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

Mapper = Callable[[Callable[[A], R], Sequence[A]], list[R]]
"""Something that applies a function to every item, like `list(map(...))`: the plugin passes
one that shares the work with a second process (`plugin.forkmap`)."""


def serial_map(function: Callable[[A], R], items: Sequence[A]) -> list[R]:
    """Apply `function` to every item in this process."""
    return [function(item) for item in items]


def code_digest(package: Path = PACKAGE_DIR) -> str:
    """Return a digest of every Python source file of the package, and the format version."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8"))
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(*parts: object) -> str:
    """Return a digest of the `repr` of `parts` (settings that cached values depend on)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


class BuildCache:
    """Values computed from files, by namespace and key, each valid for one digest."""

    def __init__(self, folder: Path | None, salt: str | None = None) -> None:
        self.folder = folder
        self.salt = code_digest() if salt is None else salt
        self._entries: dict[str, dict[Hashable, tuple[str, Any]]] = {}
        self._used: dict[str, set[Hashable]] = {}
        self._changed = False
        self.hits = 0
        self.misses = 0
        self._read()

    @property
    def path(self) -> Path | None:
        """Return the cache file, or None for a cache kept in memory only."""
        return None if self.folder is None else self.folder / FILE_NAME

    def get_or_compute(self, space: str, key: Hashable, digest: str, compute: Callable[[], T]) -> T:
        """Return the value of `key` for `digest`, computing and storing it on a miss."""
        found = self.lookup(space, key, digest)
        if found is not None:
            value: T = found
            return value
        value = compute()
        self.store(space, key, digest, value)
        return value

    def get_or_compute_all(
        self,
        space: str,
        items: Sequence[tuple[Hashable, str, A]],
        compute: Callable[[A], T],
        mapper: Mapper[A, T] = serial_map,
    ) -> list[T]:
        """Return the value of each (key, digest, argument), computing the misses through
        `mapper` (`compute` of the argument) and storing them."""
        values: list[T | None] = []
        missing: list[int] = []
        for key, digest, _ in items:
            found = self.lookup(space, key, digest)
            if found is None:
                missing.append(len(values))
            values.append(found)
        computed = mapper(compute, [items[index][2] for index in missing])
        for index, value in zip(missing, computed, strict=True):
            key, digest, _ = items[index]
            self.store(space, key, digest, value)
            values[index] = value
        return cast("list[T]", values)  # every miss is filled in now

    def lookup(self, space: str, key: Hashable, digest: str) -> Any | None:
        """Return the value stored for `key` if it was computed for `digest`, else None."""
        self.keep(space, key)
        found = self._entries.get(space, {}).get(key)
        if found is not None and found[0] == digest:
            self.hits += 1
            return found[1]
        self.misses += 1
        return None

    def holds(self, space: str, key: Hashable, digest: str) -> bool:
        """Return whether `key` has a value for `digest`, without counting or keeping it."""
        found = self._entries.get(space, {}).get(key)
        return found is not None and found[0] == digest

    def store(self, space: str, key: Hashable, digest: str, value: object) -> None:
        """Keep `value` as what `key` is for `digest`."""
        self.keep(space, key)
        self._entries.setdefault(space, {})[key] = (digest, value)
        self._changed = True

    def keep(self, space: str, key: Hashable) -> None:
        """Keep the entry of `key` through this build's save, whether or not it is looked up."""
        self._used.setdefault(space, set()).add(key)

    def begin(self) -> None:
        """Start a build: entries it does not use are dropped when it saves."""
        self._used = {}
        self.hits = self.misses = 0

    def save(self) -> None:
        """Drop the entries this build did not use and write the cache file if anything changed."""
        for space, entries in self._entries.items():
            used = self._used.get(space, set())
            stale = [key for key in entries if key not in used]
            for key in stale:
                del entries[key]
            self._changed = self._changed or bool(stale)
        if not self._changed or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_abandoned()
        temporary = self.path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as stream:
                self._write(stream)
            temporary.replace(self.path)
        finally:
            temporary.unlink(missing_ok=True)
        self._changed = False

    def _remove_abandoned(self) -> None:
        # A writer killed between writing and renaming leaves its temporary file; one that old
        # cannot belong to a writer still running (a save takes well under a second).
        assert self.folder is not None
        for leftover in self.folder.glob(f".{FILE_NAME}.*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > ABANDONED_AFTER_S:
                    leftover.unlink()

    def _write(self, stream: BinaryIO) -> None:
        # One entry at a time, forgetting what was written before each: pickle remembers every
        # object of a dump: one dump of the whole cache raised the peak of a build of 1,000
        # postmortems from 180 to 231 MiB (measured), about 0.5 GiB at 10,000.
        count = sum(len(entries) for entries in self._entries.values())
        pickle.dump((FORMAT_VERSION, self.salt, count), stream, pickle.HIGHEST_PROTOCOL)
        for space, entries in self._entries.items():
            for key, (digest, value) in entries.items():
                pickle.dump((space, key, digest, value), stream, pickle.HIGHEST_PROTOCOL)

    def _read(self) -> None:
        if self.path is None:
            return
        entries: dict[str, dict[Hashable, tuple[str, Any]]] = {}
        try:
            with self.path.open("rb") as stream:
                header = pickle.load(stream)
                if header[:2] != (FORMAT_VERSION, self.salt):
                    self._changed = True  # other code wrote it: start empty, rewrite on save
                    return
                for _ in range(header[2]):
                    space, key, digest, value = pickle.load(stream)
                    entries.setdefault(space, {})[key] = (digest, value)
        except FileNotFoundError:
            return
        except Exception:  # a torn or foreign file: start empty, rewrite on save
            self._changed = True
            return
        self._entries = entries
