"""Keep the Whoosh index of a site in a crash-safe cache folder, reused across searches.

The CLI's `search` and `similar` bring the index up to date before reading it (`refresh`
parses only changed files); the site build does not write it (the site's search uses the
compact data of `views.search_page`, and the plugin ranks related incidents itself). The index
lives in a cache folder (never in the docs or site folders: Whoosh stores pickles). Each update
writes a complete new *generation* folder and then switches the `CURRENT` pointer file
atomically, so a process killed at any point leaves the previous generation intact, and a
search running while another command writes keeps reading the generation it opened. A
generation holds the Whoosh index, the related-incident features and lists, and a manifest
(path -> id and file digest, plus a checksum of every other file of the generation), so a
truncated, overwritten or half-written (power cut) generation is detected and rebuilt instead
of trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock
from whoosh import index as whoosh_index

from ..analysis.related import Features, Related, compute_related
from ..core.loader import iter_source_files, load_file
from ..core.model import Postmortem
from ..core.vocabulary import Vocabularies
from .documents import document, features, features_from_json, features_to_json, schema
from .query import Searcher

FORMAT = 3
"""Version of the schema, manifest and features; a generation of another version is rebuilt."""

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
RELATED = "related.json"
FEATURES = "features.json"
HASHES = "hashes.json"
LOCK = "lock"


@dataclass(frozen=True)
class Entry:
    """What the manifest records about one indexed file."""

    id: str
    digest: str


@dataclass(frozen=True)
class UpdateStats:
    """What an update did: postmortems (re)indexed, reused and removed, and how long it took."""

    indexed: int = 0
    reused: int = 0
    removed: int = 0
    seconds: float = 0.0
    related_seconds: float = 0.0
    rebuilt: str = ""  # why the previous generation was discarded, if it was

    def summary(self) -> str:
        """Return the one-line report of the update."""
        line = (
            f"search index: {self.indexed} postmortem{'s' if self.indexed != 1 else ''} "
            f"indexed, {self.reused} reused, {self.removed} removed in {self.seconds:.2f} s "
            f"(related incidents {self.related_seconds:.2f} s)"
        )
        return line + (f"; rebuilt because {self.rebuilt}" if self.rebuilt else "")


Progress = Callable[[str, int, int], None]  # (phase, done, total)


class IndexUnusable(Exception):
    """The index cannot be used: missing, of another version, or damaged."""


@dataclass
class Generation:
    """One complete, immutable snapshot of the index, as read from the cache folder.

    The features and related lists are read on first use: a search needs neither.
    """

    folder: Path
    entries: dict[str, Entry]  # by path
    _related: Related | None = None
    _features: dict[str, Features] | None = None

    @property
    def related(self) -> Related:
        """Return the related incidents of every postmortem of this generation."""
        if self._related is None:
            raw = _read_json(self.folder / RELATED)
            try:
                self._related = {
                    ident: [(str(o), float(s), [str(r) for r in why]) for o, s, why in items]
                    for ident, items in raw.items()
                }
            except (TypeError, ValueError, AttributeError) as error:
                raise IndexUnusable(f"the related lists are damaged ({error!r})") from None
        return self._related

    @property
    def features(self) -> dict[str, Features]:
        """Return what related-incident ranking compares, by path."""
        if self._features is None:
            raw = _read_json(self.folder / FEATURES)
            try:
                self._features = {
                    path: features_from_json(self.entries[path].id, row)
                    for path, row in raw.items()
                }
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                raise IndexUnusable(f"the related features are damaged ({error!r})") from None
            if set(self._features) != set(self.entries):
                raise IndexUnusable("the related features do not match the index")
        return self._features


class SearchIndex:
    """The search index of one site, kept in `cache_dir`."""

    def __init__(self, cache_dir: Path) -> None:
        self.home = cache_dir / f"search-v{FORMAT}"

    # -- reading ---------------------------------------------------------------------------

    def current(self, *, verify: bool = True) -> Generation:
        """Return the generation `CURRENT` points at; raise IndexUnusable if it is unusable."""
        for attempt in range(3):
            try:
                name = (self.home / CURRENT).read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                raise IndexUnusable("there is no index yet") from None
            except OSError as error:
                raise IndexUnusable(f"the index pointer cannot be read ({error})") from None
            folder = self.home / name
            if not re.fullmatch(r"g-\d+", name):
                raise IndexUnusable("the index pointer is damaged")
            try:
                return _read_generation(folder, verify=verify)
            except FileNotFoundError:
                # A newer update may have switched generations and pruned this one between our
                # two reads; read the pointer again.
                if attempt == 2:
                    raise IndexUnusable("the index generation is missing") from None
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """Open the current generation for searching (it stays readable until closed)."""
        for attempt in range(5):
            generation = self.current(verify=False)
            try:
                ix = whoosh_index.open_dir(str(generation.folder))
                whoosh_searcher = ix.searcher()
                break
            except Exception as error:  # Whoosh raises many types on a missing or bad index
                # Writers keep the previous generation, but a fast series of updates can prune
                # the one we just read the pointer of: read the pointer again.
                if attempt == 4 or self.current(verify=False).folder == generation.folder:
                    raise IndexUnusable(f"the index cannot be opened ({error})") from None
        with whoosh_searcher:
            yield Searcher(whoosh_searcher, ix)

    # -- writing ---------------------------------------------------------------------------

    def update(self, records: Sequence[Postmortem], progress: Progress | None = None) -> Update:
        """Bring the index in line with `records` (a loaded catalog); reuse unchanged files."""
        started = time.perf_counter()
        by_path = {pm.path: pm for pm in records}
        wanted = {pm.path: pm.digest for pm in records}
        with self._locked():
            generation, why = self._usable()
            old = generation.entries if generation else {}
            changed = [by_path[p] for p, d in wanted.items() if p not in old or old[p].digest != d]
            removed = [p for p in old if p not in wanted or old[p].digest != wanted[p]]
            if generation is not None and not changed and not removed:
                stats = UpdateStats(reused=len(old), seconds=time.perf_counter() - started)
                return Update(generation, stats)
            return self._write(generation, why, changed, removed, wanted, started, progress)

    def refresh(
        self, root: Path, vocabularies: Vocabularies, progress: Progress | None = None
    ) -> Update:
        """Bring the index in line with the files under `root`, parsing only changed files."""
        started = time.perf_counter()
        files = [f for f in iter_source_files(root) if f.suffix.lower() == ".md"]
        with self._locked():
            digests = self._digests(root, files)
            generation, why = self._usable()
            old = generation.entries if generation else {}
            stale = [p for p, d in digests.items() if p not in old or old[p].digest != d]
            fresh: list[Postmortem] = []
            for number, path in enumerate(stale, 1):
                loaded = load_file(root, root / path, vocabularies)
                if isinstance(loaded, Postmortem):
                    fresh.append(loaded)
                if progress is not None:
                    progress("reading", number, len(stale))
            # Keep the catalog's rule for duplicate ids: the first file by path wins.
            ids: dict[str, str] = {}
            kept: dict[str, str] = {}
            fresh_paths = {pm.path: pm for pm in fresh}
            for path in sorted(set(digests) & (set(old) | set(fresh_paths))):
                ident = fresh_paths[path].id if path in fresh_paths else old[path].id
                if ident not in ids and (path in fresh_paths or old[path].digest == digests[path]):
                    ids[ident] = path
                    kept[path] = digests[path]
            changed = [pm for pm in fresh if pm.path in kept]
            removed = [p for p in old if p not in kept or old[p].digest != kept[p]]
            if generation is not None and not changed and not removed:
                stats = UpdateStats(reused=len(old), seconds=time.perf_counter() - started)
                return Update(generation, stats)
            return self._write(generation, why, changed, removed, kept, started, progress)

    def _digests(self, root: Path, files: list[Path]) -> dict[str, str]:
        # Hashing 10,000 files costs more than the rest of a search, so a file whose size,
        # mtime, ctime and inode are as recorded keeps its recorded digest. A file changed
        # within the filesystem's timestamp granularity of the recording is hashed anyway.
        try:
            recorded = json.loads((self.home / HASHES).read_text(encoding="utf-8"))
            known: dict[str, list[Any]] = dict(recorded["files"])
            written = int(recorded["written"])
        except (OSError, ValueError, KeyError, TypeError):
            known, written = {}, 0
        digests: dict[str, str] = {}
        current: dict[str, list[Any]] = {}
        for file in files:
            path = file.relative_to(root).as_posix()
            try:
                info = file.stat()
                key = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
                before = known.get(path)
                settled = info.st_mtime_ns < written - 2_000_000_000
                if before is not None and before[:4] == key and settled:
                    digest = str(before[4])
                else:
                    digest = hashlib.sha256(file.read_bytes()).hexdigest()
            except OSError:
                continue  # unreadable files are reported by lint; they cannot be indexed
            digests[path] = digest
            current[path] = [*key, digest]
        if current != known:
            _write_atomic(
                self.home / HASHES,
                json.dumps({"written": time.time_ns(), "files": current}, separators=(",", ":")),
            )
        return digests

    def _usable(self) -> tuple[Generation | None, str]:
        try:
            return self.current(verify=True), ""
        except IndexUnusable as error:
            reason = str(error)
            return None, "" if reason == "there is no index yet" else reason

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # One writer at a time (a `mkdocs serve` rebuild and a CLI search may overlap); the
        # kernel drops the lock when its holder dies, even by SIGKILL.
        self.home.mkdir(parents=True, exist_ok=True)
        # filelock uses flock on POSIX and msvcrt on Windows, so the plugin imports anywhere.
        with FileLock(self.home / LOCK):
            yield

    def _write(
        self,
        generation: Generation | None,
        why: str,
        changed: list[Postmortem],
        removed: list[str],
        wanted: dict[str, str],
        started: float,
        progress: Progress | None,
    ) -> Update:
        numbers = [int(p.name[2:]) for p in self.home.glob("g-*") if p.name[2:].isdigit()]
        name = f"g-{max(numbers, default=0) + 1}"
        work = self.home / f"tmp-{name}-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        if generation is not None:
            shutil.copytree(generation.folder, work, ignore=shutil.ignore_patterns("*.json"))
            ix = whoosh_index.open_dir(str(work))
        else:
            work.mkdir(parents=True)
            ix = whoosh_index.create_in(str(work), schema())
        entries = dict(generation.entries) if generation else {}
        old_features = generation.features if generation else {}
        found = dict(old_features)
        writer = ix.writer(limitmb=256)
        try:
            for path in removed:
                writer.delete_by_term("path", path)
                entries.pop(path, None)
                found.pop(path, None)
            for number, pm in enumerate(changed, 1):
                writer.add_document(**document(pm))
                entries[pm.path] = Entry(pm.id, pm.digest)
                if progress is not None and (number % 100 == 0 or number == len(changed)):
                    progress("indexing", number, len(changed))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        found.update((pm.path, features(pm)) for pm in changed)
        entries = {p: entries[p] for p in sorted(entries) if p in wanted}
        found = {p: found[p] for p in entries}
        related_started = time.perf_counter()
        if generation is not None and found == old_features:
            # Related lists depend only on the features; an edit that left every compared
            # field as it was (a body, timeline or lessons edit) keeps them.
            related = generation.related
        else:
            related = compute_related(list(found.values()))
        related_seconds = time.perf_counter() - related_started
        _write_json(work / RELATED, related)
        _write_json(
            work / FEATURES,
            {p: features_to_json(f) for p, f in found.items()},
        )
        _write_json(
            work / MANIFEST,
            {
                "format": FORMAT,
                "entries": {p: [e.id, e.digest] for p, e in entries.items()},
                "files": _checksums(work),
            },
        )
        _fsync_dir(work)
        final = self.home / name
        work.rename(final)
        _write_atomic(self.home / CURRENT, name + "\n")
        self._prune(keep={name, generation.folder.name if generation else name})
        stats = UpdateStats(
            indexed=len(changed),
            reused=len(entries) - len(changed),
            removed=len([p for p in removed if p not in {pm.path for pm in changed}]),
            seconds=time.perf_counter() - started,
            related_seconds=related_seconds,
            rebuilt=why,
        )
        return Update(Generation(final, entries, related, found), stats)

    def _prune(self, keep: set[str]) -> None:
        # The previous generation stays: a search that read the old pointer a moment ago may
        # still be opening it. Anything older, and folders left by killed writers, go.
        for path in self.home.iterdir():
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Update:
    """The generation an update left current, and what the update did."""

    generation: Generation
    stats: UpdateStats


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as error:
        raise IndexUnusable(f"{path.name} is damaged ({error})") from None


def _read_generation(folder: Path, *, verify: bool) -> Generation:
    manifest = _read_json(folder / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexUnusable("the index was written by another version")
    try:
        entries = {
            str(path): Entry(str(ident), str(digest))
            for path, (ident, digest) in manifest["entries"].items()
        }
        files = dict(manifest["files"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise IndexUnusable(f"the index manifest is damaged ({error!r})") from None
    if verify and _checksums(folder) != files:
        raise IndexUnusable("the index files do not match their checksums")
    return Generation(folder, entries)


def _checksums(folder: Path) -> dict[str, str]:
    # Every file but the manifest that lists them and Whoosh's (empty) lock file: the related
    # lists and features are covered too, so damage is found without parsing them.
    sums = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != MANIFEST and "LOCK" not in path.name:
            sums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def _write_json(path: Path, data: object) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, separators=(",", ":"), sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
