"""Keep what a build computed from each file, keyed by the file's content, for the next build.

A build reads every postmortem, but parsing, validating and linting one costs about 3 ms, and
all of it depends only on the file's bytes and the site's settings. The cache keeps those
results in memory (a `mkdocs serve` session keeps its plugin, so the next rebuild reuses them)
and in files in the cache folder (the next `mkdocs build` reuses them).

It never serves stale data:

- every entry is stored under a key (the file's path) with a digest of everything it was
  computed from (the file's bytes and the settings it depends on); a lookup whose digest
  differs is a miss, so a changed file is parsed again, and a renamed file is a new key;
- the whole cache is salted with `FORMAT_VERSION` and a digest of this package's source
  code: a new release or a local code change starts from an empty cache;
- entries not used by a build are dropped when it saves, so a deleted file leaves nothing.

What it costs a build is what the build uses and what it changed. Each value is kept as its
pickled bytes and unpickled on its first lookup (then the bytes are let go), so a value nobody
asks for costs nothing and one asked for in a worker process is unpickled there. On disk, the
entries of each namespace are spread over shard files by a stable hash of their key
(`SHARD_ENTRIES` entries each); a save writes only the shards whose entries changed, with the
bytes read from disk for their unchanged entries, so nothing unchanged is pickled again. A
shard file is named by the SHA-256 of its content and never modified; the manifest, which
lists the shards and the salt, is written last. A save that writes many shards can share them
with a second process (`save`'s mapper). Entries computed in a worker process are sent to the
build as bytes (`watch_stores`, `take_stores`, `store_pickled`), and values a second process
computed for the build (`map_pickled`) are saved as the bytes it sent them as.

Every file is written under a temporary name and renamed, and the manifest only after every
shard it names, so a crash or two builds at once leave either the old or the new manifest,
each naming complete shards; a shard whose content does not match its name (a torn write, a
damaged disk) or that is missing (removed by a concurrent build) is ignored, and a value that
does not unpickle is a miss. Since every entry carries its own digest, entries from any
mixture of shards are correct: the worst case is a miss. Shards no manifest names are removed
by the next save. The files hold pickles, so like the search index they must stay in the cache
folder, never in the published site.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import os
import pickle
import re
import time
import zlib
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

FORMAT_VERSION = 2  # bump when what is cached changes shape
FOLDER_NAME = "build-cache"  # in the cache folder: the manifest and the shards
MANIFEST_NAME = "manifest.pickle"
LEGACY_NAME = "build-cache.pickle"  # format 1, one file: removed by the first save
SHARD_ENTRIES = 32  # about this many entries per shard file (1,000 postmortems: 32 shards)
MAX_SHARDS = 64  # per namespace (each file a rename and a manifest line; 10,000: 156 entries)
ABANDONED_AFTER_S = 600  # a temporary file or unnamed shard this old was left by a dead writer
PACKAGE_DIR = Path(__file__).resolve().parent.parent
_SPACE = re.compile(r"[a-z][a-z0-9_]*")  # namespaces are part of shard file names
_SHARD = re.compile(r"([a-z][a-z0-9_]*)-(\d+)-([0-9a-f]{64})\.pickle")

T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

Mapper = Callable[[Callable[[A], R], Sequence[A]], list[R]]
"""Something that applies a function to every item, like `list(map(...))`: the plugin passes
one that shares the work with a second process (`plugin.forkmap`)."""


@runtime_checkable
class PickledMapper(Protocol):
    """A mapper that can give results another process computed with the bytes it sent them as
    (`plugin.forkmap.ForkMap`)."""

    def map_pickled(
        self, function: Callable[[A], R], items: Sequence[A]
    ) -> list[tuple[R, bytes | None]]:
        """Return `[function(item) for item in items]`, each with its `dumps` bytes if it
        arrived pickled (None: computed in this process)."""
        ...


Stored = tuple[str, Hashable, str, bytes]
"""An entry as bytes, as a worker process sends it: namespace, key, digest, pickled value."""

Layout = dict[str, tuple[int, list[tuple[str, int]]]]
"""The manifest's namespaces: the number of buckets, and each shard file with its entries."""


def serial_map(function: Callable[[A], R], items: Sequence[A]) -> list[R]:
    """Apply `function` to every item in this process."""
    return [function(item) for item in items]


def map_pickled(
    mapper: Mapper[A, R], function: Callable[[A], R], items: Sequence[A]
) -> list[tuple[R, bytes | None]]:
    """Return `mapper(function, items)`, each result with its pickled bytes where the mapper
    has them (`PickledMapper`): `store` keeps them for the save, which then pickles only the
    values computed in this process."""
    if isinstance(mapper, PickledMapper):
        return mapper.map_pickled(function, items)
    return [(result, None) for result in mapper(function, items)]


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


def dumps(value: object) -> bytes:
    """Return `value` pickled as the cache stores values (`pickle.loads` reads it back)."""
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


_UNREAD = object()  # the value of an entry not unpickled yet


class _Entry:
    """One cached value: its digest, its pickled bytes and/or the value, and its shard."""

    __slots__ = ("blob", "digest", "shard", "value")

    def __init__(self, digest: str, blob: bytes | None, value: object, shard: str | None) -> None:
        self.digest = digest
        self.blob = blob  # None for a value computed in this process (pickled when saved)
        self.value = value  # _UNREAD until unpickled
        self.shard = shard  # the file it was read from or written to (None: not on disk)

    def loaded(self) -> Any:
        """Return the value, unpickling it on first use (raises if it does not unpickle)."""
        if self.value is _UNREAD:
            assert self.blob is not None
            self.value = pickle.loads(self.blob)
            # Not both in memory (300 MB of bytes at 10,000): a save that rewrites the entry's
            # shard takes its bytes from the shard file again (`_write_shard`).
            self.blob = None
        return self.value

    def stored(self, read: dict[tuple[Hashable, str], bytes], key: Hashable) -> bytes:
        """Return the bytes to write for this entry of `key`: those it has, those `read` from
        its shard file, or its value pickled now (not kept: the save is the last use)."""
        if self.blob is not None:
            return self.blob
        found = read.get((key, self.digest))
        return found if found is not None else dumps(self.value)


class BuildCache:
    """Values computed from files, by namespace and key, each valid for one digest."""

    def __init__(self, folder: Path | None, salt: str | None = None) -> None:
        self.folder = folder
        self.salt = code_digest() if salt is None else salt
        self._entries: dict[str, dict[Hashable, _Entry]] = {}
        self._used: dict[str, set[Hashable]] = {}
        self._layout: Layout = {}  # as in the manifest on disk
        self._shards: dict[str, int] = {}  # entries of each shard file read or written
        self._known: set[str] = set()  # shard files of manifests this process read or wrote
        self._changed = False  # the manifest on disk must be written again
        self._journal: list[tuple[str, Hashable]] | None = None
        self.hits = 0
        self.misses = 0
        with _no_collection():
            self._read()

    @property
    def shard_dir(self) -> Path | None:
        """Return the folder of the manifest and the shards, or None for a cache in memory."""
        return None if self.folder is None else self.folder / FOLDER_NAME

    @property
    def path(self) -> Path | None:
        """Return the manifest file, or None for a cache kept in memory only."""
        return None if self.shard_dir is None else self.shard_dir / MANIFEST_NAME

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
        computed = map_pickled(mapper, compute, [items[index][2] for index in missing])
        for index, (value, pickled) in zip(missing, computed, strict=True):
            key, digest, _ = items[index]
            self.store(space, key, digest, value, pickled)
            values[index] = value
        return cast("list[T]", values)  # every miss is filled in now

    def lookup(self, space: str, key: Hashable, digest: str) -> Any | None:
        """Return the value stored for `key` if it was computed for `digest`, else None."""
        self.keep(space, key)
        entries = self._entries.get(space, {})
        found = entries.get(key)
        if found is not None and found.digest == digest:
            try:
                value = found.loaded()
            except Exception:  # written by other versions of our dependencies: a miss
                del entries[key]
            else:
                self.hits += 1
                return value
        self.misses += 1
        return None

    def holds(self, space: str, key: Hashable, digest: str) -> bool:
        """Return whether `key` has a value for `digest`, without counting or keeping it."""
        found = self._entries.get(space, {}).get(key)
        return found is not None and found.digest == digest

    def digests(self, space: str) -> dict[Hashable, str]:
        """Return the digest of every key that has a value in namespace `space`."""
        return {key: entry.digest for key, entry in self._entries.get(space, {}).items()}

    def store(
        self, space: str, key: Hashable, digest: str, value: object, pickled: bytes | None = None
    ) -> None:
        """Keep `value` as what `key` is for `digest`; `pickled`: its `dumps` bytes, if at hand
        (a value another process sent: kept for the save, which writes them as they are)."""
        self._put(space, key, _Entry(digest, pickled, value, None))

    def store_pickled(self, space: str, key: Hashable, digest: str, blob: bytes) -> None:
        """Keep the pickled value `blob` as what `key` is for `digest` (unpickled on lookup)."""
        self._put(space, key, _Entry(digest, blob, _UNREAD, None))

    def _put(self, space: str, key: Hashable, entry: _Entry) -> None:
        if not _SPACE.fullmatch(space):
            raise ValueError(f"cache namespace {space!r} is not a lowercase name")
        self.keep(space, key)
        self._entries.setdefault(space, {})[key] = entry
        if self._journal is not None:
            self._journal.append((space, key))

    def watch_stores(self) -> None:
        """Note every value stored from now on, for `take_stores` (in a worker process)."""
        self._journal = []

    def take_stores(self) -> list[Stored]:
        """Return the values stored since the last call (or `watch_stores`), pickled, for
        `store_pickled` in the build process."""
        if not self._journal:
            return []
        taken = []
        for space, key in dict.fromkeys(self._journal):
            entry = self._entries.get(space, {}).get(key)
            if entry is not None:
                taken.append((space, key, entry.digest, entry.stored({}, key)))
        self._journal = []
        return taken

    def keep(self, space: str, key: Hashable) -> None:
        """Keep the entry of `key` through this build's save, whether or not it is looked up."""
        self._used.setdefault(space, set()).add(key)

    def begin(self) -> None:
        """Start a build: entries it does not use are dropped when it saves."""
        self._used = {}
        self.hits = self.misses = 0

    def save(self, mapper: Mapper[_Shard, str] = serial_map) -> None:
        """Drop the entries this build did not use; write the shards that changed (through
        `mapper`: a save after a cold build at 10,000 postmortems pickles 300 MB), then the
        manifest, if anything changed."""
        for space, entries in self._entries.items():
            used = self._used.get(space, set())
            for key in [key for key in entries if key not in used]:
                del entries[key]
        folder = self.shard_dir
        if folder is None:
            return
        folder.mkdir(parents=True, exist_ok=True)
        with _no_collection():
            self._save_in(folder, mapper)

    def _save_in(self, folder: Path, mapper: Mapper[_Shard, str]) -> None:
        layout: Layout = {}
        to_write: list[_Shard] = []
        for space, entries in sorted(self._entries.items()):
            if entries:
                layout[space] = self._plan(space, entries, to_write)
        # Interleaved, so each half of a shared write holds shards of every namespace.
        to_write.sort(key=lambda shard: (shard.bucket, shard.space))
        for shard, name in zip(
            to_write, mapper(partial(_write_shard, folder), to_write), strict=True
        ):
            for entry in shard.entries:
                entry.shard = name
            self._shards[name] = len(shard.entries)
            layout[shard.space][1][shard.position] = (name, len(shard.entries))
        if layout != self._layout or self._changed:
            _write_atomically(
                folder / MANIFEST_NAME,
                pickle.dumps((FORMAT_VERSION, self.salt, layout), pickle.HIGHEST_PROTOCOL),
            )
        self._layout = layout
        self._changed = False
        named = {name for _, shards in layout.values() for name, _ in shards}
        self._known |= named
        self._shards = {name: count for name, count in self._shards.items() if name in named}
        self._remove_unnamed(folder, named)

    def _plan(
        self, space: str, entries: dict[Hashable, _Entry], to_write: list[_Shard]
    ) -> tuple[int, list[tuple[str, int]]]:
        """Return the buckets and shards of `space`, adding the shards to write to `to_write`
        (their places in the list are filled in once they are written)."""
        buckets = self._layout.get(space, (0, []))[0]
        wanted = _bucket_count(len(entries))
        if buckets < 1 or not wanted // 4 <= buckets <= wanted * 4:
            buckets = wanted  # far from the best size: spread the entries again
        groups: dict[int, list[tuple[Hashable, _Entry]]] = {}
        for key, entry in entries.items():
            groups.setdefault(_bucket(key, buckets), []).append((key, entry))
        shards: list[tuple[str, int]] = []
        for bucket, group in sorted(groups.items()):
            origin = group[0][1].shard
            if not (
                origin is not None
                and self._shards.get(origin) == len(group)
                and all(entry.shard == origin for _, entry in group)
            ):
                to_write.append(_Shard(space, bucket, len(shards), group))
                origin = ""
            shards.append((origin, len(group)))
        return buckets, shards

    def _remove_unnamed(self, folder: Path, named: set[str]) -> None:
        """Remove the shards the manifest does not name that this process knew (replaced ones),
        or that are too old to belong to a save under way; abandoned temporary files; the file
        of format 1."""
        now = time.time()
        for path in folder.iterdir():
            name = path.name
            shard = _SHARD.fullmatch(name) is not None and name not in named
            if not (shard or (name.startswith(".") and name.endswith(".tmp"))):
                continue
            with contextlib.suppress(OSError):
                replaced = shard and name in self._known
                if replaced or now - path.stat().st_mtime > ABANDONED_AFTER_S:
                    path.unlink()
        self._known &= named
        if self.folder is not None:
            (self.folder / LEGACY_NAME).unlink(missing_ok=True)

    def _read(self) -> None:
        folder = self.shard_dir
        if folder is None:
            return
        try:
            version, salt, layout = pickle.loads((folder / MANIFEST_NAME).read_bytes())
        except FileNotFoundError:
            return
        except Exception:  # a damaged or foreign file: start empty, rewrite on save
            self._changed = True
            return
        if (version, salt) != (FORMAT_VERSION, self.salt):
            # Other code wrote it: start empty, and replace it and its shards on save.
            self._changed = True
            with contextlib.suppress(Exception):
                self._known = {name for _, shards in layout.values() for name, _ in shards}
            return
        for space, (_, shards) in layout.items():
            entries = self._entries.setdefault(space, {})
            for name, count in shards:
                self._known.add(name)
                rows = _read_shard(folder / name)
                if rows is None or len(rows) != count:
                    # Damaged or removed: its entries are misses, written again on save.
                    with contextlib.suppress(OSError):
                        (folder / name).unlink()
                    self._changed = True
                    continue
                self._shards[name] = count
                for key, digest, blob in rows:
                    entries[key] = _Entry(digest, blob, _UNREAD, name)
        self._layout = layout


@dataclass(frozen=True)
class _Shard:
    """The entries of one bucket of a namespace, to be written to one shard file."""

    space: str
    bucket: int
    position: int  # in the namespace's list of shards
    group: list[tuple[Hashable, _Entry]]

    @property
    def entries(self) -> list[_Entry]:
        """Return the entries of the shard."""
        return [entry for _, entry in self.group]


def _write_shard(folder: Path, shard: _Shard) -> str:
    """Write `shard` to a file in `folder` named by its content, and return the name (in any
    process: a second writer of the same content writes the same file)."""
    # Entries read from disk and unpickled since: their bytes, from the files they were read
    # from (never pickled again: it costs, and the bytes would differ from what was read).
    read: dict[tuple[Hashable, str], bytes] = {}
    for origin in {entry.shard for _, entry in shard.group if entry.blob is None}:
        if origin is not None:
            for key, digest, blob in _read_shard(folder / origin) or ():
                read[key, digest] = blob
    rows = [(key, entry.digest, entry.stored(read, key)) for key, entry in shard.group]
    data = pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)
    name = f"{shard.space}-{shard.bucket}-{hashlib.sha256(data).hexdigest()}.pickle"
    if not (folder / name).is_file():  # else the same content is there already
        _write_atomically(folder / name, data)
    return name


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Keep the cyclic garbage collector off: reading and saving the cache make no cycles,
    but their many small objects can start a collection of every object of the build (2.7 s
    of a save at 10,000 postmortems, measured)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _read_shard(path: Path) -> list[tuple[Hashable, str, bytes]] | None:
    """Return the rows of a shard file, or None if it is missing or not what its name says."""
    match = _SHARD.fullmatch(path.name)
    try:
        data = path.read_bytes()
        if match is None or hashlib.sha256(data).hexdigest() != match.group(3):
            return None
        rows = pickle.loads(data)
    except Exception:
        return None
    return rows if isinstance(rows, list) else None


def _bucket_count(entries: int) -> int:
    """Return the number of shards for a namespace of `entries` (a power of two)."""
    wanted = max(entries / SHARD_ENTRIES, 1)
    return int(min(2 ** round(math.log2(wanted)), MAX_SHARDS))


def _bucket(key: Hashable, buckets: int) -> int:
    """Return the shard of `key` among `buckets`, the same in every process."""
    return zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % buckets


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` under a temporary name and rename it, so no reader sees part."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
