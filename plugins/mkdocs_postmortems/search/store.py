"""Index postmortems with Whoosh and search them: the only module that imports Whoosh.

The index lives in a cache folder (never in the docs or site folders: Whoosh stores pickles).
Each update writes a complete new *generation* folder and then switches the `CURRENT` pointer
file atomically, so a process killed at any point leaves the previous generation intact, and a
search running while a build writes keeps reading the generation it opened. A generation holds
the Whoosh index, the related-incident features and lists, and a manifest (path -> id and file
digest, plus a checksum of every other file of the generation), so a truncated, overwritten or
half-written (power cut) generation is detected and rebuilt instead of trusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.query import DateRange, Query

from ..analysis.related import Features, Related, compute_related
from ..core.loader import iter_source_files, load_file
from ..core.model import Postmortem
from ..core.vocabulary import Vocabularies
from .synonyms import Table, expand_query

FORMAT = 1
"""Version of the schema, manifest and features; a generation of another version is rebuilt."""

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
RELATED = "related.json"
FEATURES = "features.json"
HASHES = "hashes.json"
LOCK = "lock"

_STEMMED = StemmingAnalyzer()
_PLAIN = StandardAnalyzer()

# Default search fields and how much a match in each counts: the root cause is what people
# search for ("have we seen this before?"), then the title.
# Few fields on purpose: each default field adds a posting-list walk to every query
# (measured at 1,000 postmortems: about 20 ms per query with seven fields, 8 ms with four).
FIELD_BOOSTS = {"root_cause": 3.0, "title": 2.0, "keywords": 1.5, "text": 1.0}
# Field names a query may use, with the schema field each one means.
QUERY_FIELDS = {
    "root_cause": "root_cause",
    "title": "title",
    "summary": "text",
    "text": "text",
    "factors": "text",
    "lessons": "text",
    "id": "id",
    "tag": "tag",
    "tags": "tag",
    "service": "service",
    "services": "service",
    "category": "category",
    "categories": "category",
    "team": "team",
    "teams": "team",
    "severity": "severity",
    "trigger": "trigger",
}


def _schema() -> Schema:
    keyword = {"lowercase": True, "commas": True, "scorable": True, "stored": True}
    return Schema(
        path=ID(unique=True, stored=True),
        id=ID(stored=True),
        title=TEXT(analyzer=_STEMMED, stored=True),
        root_cause=TEXT(analyzer=_STEMMED, stored=True),
        keywords=TEXT(analyzer=_STEMMED),
        text=TEXT(analyzer=_STEMMED),  # summary, contributing factors, lessons, action items
        summary=STORED(),
        # Unstemmed copy of every text field: fuzzy terms and spelling suggestions need real
        # words (a fuzzy "databse~" misses the stem "databas" on stemmed fields).
        exact=TEXT(analyzer=_PLAIN, phrase=False),  # no phrases: only fuzzy terms search it
        tag=KEYWORD(**keyword),
        service=KEYWORD(**keyword),
        category=KEYWORD(**keyword),
        team=KEYWORD(**keyword),
        severity=KEYWORD(lowercase=True, commas=True, stored=True),
        trigger=KEYWORD(lowercase=True, commas=True, stored=True),
        date=DATETIME(stored=True),
    )


def _joined(values: Iterable[str]) -> str:
    return ",".join(value.replace(",", " ") for value in values)


def _document(pm: Postmortem) -> dict[str, Any]:
    lessons = [*pm.lessons.went_well, *pm.lessons.went_wrong, *pm.lessons.got_lucky]
    lessons += [item.title for item in pm.action_items]
    facets = [*pm.tags, *pm.services, *pm.root_cause_categories, *pm.teams]
    if pm.trigger:
        facets.append(pm.trigger)
    # Hyphenated tags ("missing-index") are also words a person types ("missing index").
    keywords = " ".join(value.replace("-", " ").replace("_", " ") for value in facets)
    # Lessons and action items stay out of `exact`: they double its size and are rarely what a
    # misspelt word was meant to find.
    texts = [pm.title, pm.summary, pm.root_cause, *pm.contributing_factors, keywords]
    return {
        "path": pm.path,
        "id": pm.id,
        "title": pm.title,
        "summary": pm.summary,
        "root_cause": pm.root_cause,
        "text": "\n".join([pm.summary, *pm.contributing_factors, *lessons]),
        "keywords": keywords,
        "exact": "\n".join(texts),
        "tag": _joined(pm.tags),
        "service": _joined(pm.services),
        "category": _joined(pm.root_cause_categories),
        "team": _joined(pm.teams),
        "severity": pm.severity or "unknown",
        "trigger": pm.trigger or "",
        "date": datetime(pm.date.year, pm.date.month, pm.date.day),  # noqa: DTZ001 (a day)
    }


def key_terms(text: str) -> list[str]:
    """Return the distinct stemmed words of `text` (stop words and short words dropped)."""
    return list(dict.fromkeys(t.text for t in _STEMMED(text) if len(t.text) > 2))


def features(pm: Postmortem) -> Features:
    """Return what related-incident ranking compares: facets and root-cause key terms."""
    cause = " ".join([pm.root_cause, pm.trigger or "", *pm.contributing_factors])
    return Features(
        id=pm.id,
        categories=tuple(value.lower() for value in pm.root_cause_categories),
        services=tuple(value.lower() for value in pm.services),
        tags=tuple(value.lower() for value in pm.tags),
        terms=tuple(key_terms(cause)),
    )


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
                    path: Features(
                        self.entries[path].id, *(tuple(str(v) for v in values) for values in row)
                    )
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
        """Bring the index in line with `records` (a build's catalog); reuse unchanged files."""
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
        with (self.home / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

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
            ix = whoosh_index.create_in(str(work), _schema())
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
                writer.add_document(**_document(pm))
                entries[pm.path] = Entry(pm.id, pm.digest)
                found[pm.path] = features(pm)
                if progress is not None and (number % 100 == 0 or number == len(changed)):
                    progress("indexing", number, len(changed))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        entries = {p: entries[p] for p in sorted(entries) if p in wanted}
        found = {p: found[p] for p in entries}
        related_started = time.perf_counter()
        if generation is not None and found == old_features:
            # Related lists depend only on the features; an edit that left every root cause,
            # category, service and tag as it was (a body, timeline or title edit) keeps them.
            related = generation.related
        else:
            related = compute_related(list(found.values()))
        related_seconds = time.perf_counter() - related_started
        _write_json(work / RELATED, related)
        _write_json(
            work / FEATURES,
            {p: [f.categories, f.services, f.tags, f.terms] for p, f in found.items()},
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


# -- searching -------------------------------------------------------------------------------


class QueryError(ValueError):
    """A query that cannot be run, with a message that says how to fix it."""


@dataclass(frozen=True)
class Hit:
    """One search result."""

    id: str
    path: str
    title: str
    date: str
    severity: str
    root_cause: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    score: float
    snippet: str


@dataclass(frozen=True)
class Results:
    """The hits of a query, and a corrected query when some words are unknown."""

    hits: list[Hit]
    total: int
    suggestion: str | None = None
    partial: bool = False  # no incident matched every word; these match some


_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]+):")
_WORD = re.compile(r"(?<![\w:~*\-])([A-Za-z][A-Za-z0-9]*)(?![\w:~*\-])")
_OPERATOR_WORDS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def check_query(text: str) -> None:
    """Raise QueryError when `text` is empty, unbalanced or names an unknown field."""
    if not text.strip():
        raise QueryError("the query is empty; try e.g. 'connection pool exhausted'")
    if text.count('"') % 2:
        raise QueryError('the query has an unclosed quote (")')
    depth = 0
    for char in _strip_phrases(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError("the query has unbalanced parentheses")
    for match in _FIELD_PREFIX.finditer(_strip_phrases(text)):
        if match.group(1) not in QUERY_FIELDS:
            known = ", ".join(sorted({"root_cause", "tag", "service", "category", "severity"}))
            raise QueryError(
                f"unknown field '{match.group(1)}:'; use one of {known}, trigger, team, title"
            )


def _strip_phrases(text: str) -> str:
    return re.sub(r'"[^"]*"', " ", text)


class _Formatter(Formatter):  # type: ignore[misc]
    """Wrap matched words in the given markers."""

    def __init__(self, start: str, end: str) -> None:
        self.start, self.end = start, end
        self.between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"{self.start}{get_text(text, token, replace)}{self.end}"


# Fuzzy terms are compared with indexed words; on stemmed fields those are stems (the parser
# even stems the typed word: "databse~" becomes "databs~"), so a bare fuzzy word is searched in
# `exact`, the unstemmed copy of every text field.
_BARE_FUZZY = re.compile(r'(?<![\w:"~*\-])([^\W\d_][\w-]*~\d*)')


class Searcher:
    """Run queries against one open generation."""

    def __init__(self, searcher: Any, ix: Any) -> None:
        self._searcher = searcher
        self._ix = ix

    def parse(self, text: str, synonyms: Table, *, every_word: bool = True) -> Query:
        """Return the Whoosh query of `text` with synonyms expanded.

        Words are combined with AND unless `every_word` is false; then with a plain OR (a
        coordination factor, OrGroup.factory, measured 40% slower at p95, and BM25 already
        ranks incidents that match more of the words higher).
        """
        check_query(text)
        parser = MultifieldParser(
            list(FIELD_BOOSTS),
            self._ix.schema,
            fieldboosts=FIELD_BOOSTS,
            group=AndGroup if every_word else OrGroup,
        )
        parser.add_plugin(FuzzyTermPlugin())
        aliases: dict[str, list[str]] = {real: [] for real in set(QUERY_FIELDS.values())}
        for alias, real in QUERY_FIELDS.items():
            if alias != real:
                aliases[real].append(alias)
        parser.add_plugin(FieldAliasPlugin({k: v for k, v in aliases.items() if v}))
        try:
            query = parser.parse(_BARE_FUZZY.sub(r"exact:\1", expand_query(text, synonyms)))
        except Exception as error:  # Whoosh's parser errors have no common base
            raise QueryError(f"the query cannot be read ({error})") from None
        return query

    def stored(self, path: str) -> dict[str, str]:
        """Return the title, date and severity indexed for the postmortem at `path` ({} if none)."""
        fields = self._searcher.document(path=path)
        if not fields:
            return {}
        return {
            "title": str(fields.get("title", "")),
            "date": fields["date"].date().isoformat() if "date" in fields else "",
            "severity": str(fields.get("severity", "")),
        }

    def suggest(self, text: str, synonyms: Table) -> str | None:
        """Return `text` with unknown words replaced by the closest indexed words, if any."""
        reader = self._searcher.reader()
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(1)
            if word in _OPERATOR_WORDS or word.lower() in synonyms:
                return word
            tokens = [t.text for t in _PLAIN(word)]
            if not tokens or all(reader.doc_frequency("exact", t) for t in tokens):
                return word
            stems = [t.text for t in _STEMMED(word)]
            if stems and any(reader.doc_frequency(f, stems[0]) for f in FIELD_BOOSTS):
                return word  # a form of an indexed word ("limit" when "limits" is indexed)
            # Closest first, and sharing the first letter(s): building the edit-distance
            # automaton for distance 2 over the whole word list measured ~150 ms at 10,000.
            found = self._searcher.suggest("exact", tokens[0], limit=1, maxdist=1, prefix=1)
            if not found and len(tokens[0]) > 4:
                found = self._searcher.suggest("exact", tokens[0], limit=1, maxdist=2, prefix=2)
            if found:
                changed = True
                return str(found[0])
            return word

        fixed = _WORD.sub(fix, text)
        return fixed if changed else None

    def search(
        self,
        text: str,
        *,
        synonyms: Table,
        limit: int = 10,
        since: date | None = None,
        until: date | None = None,
        marks: tuple[str, str] = ("**", "**"),
    ) -> Results:
        """Return the best `limit` hits for `text`: incidents matching every word, else any.

        Matching every word first is what people expect of a search box, and it is fast
        (intersections skip through posting lists); when nothing matches every word, the
        incidents matching some of them are better than nothing mid-incident.
        """
        query = self.parse(text, synonyms)
        date_filter = None
        if since or until:
            start = datetime.combine(since, datetime.min.time()) if since else None
            end = datetime.combine(until, datetime.max.time()) if until else None
            date_filter = DateRange("date", start, end)
        results = self._searcher.search(query, limit=limit, filter=date_filter)
        partial = False
        if results.is_empty():
            some = self.parse(text, synonyms, every_word=False)
            if some != query:
                results = self._searcher.search(some, limit=limit, filter=date_filter)
                partial = not results.is_empty()
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = _Formatter(*marks)
        hits = []
        for hit in results:
            snippet = ""
            stored = hit.fields()
            for name, value in (("root_cause", None), ("text", stored.get("summary", ""))):
                snippet = hit.highlights(name, text=value, top=2)
                if snippet:
                    break
            if not snippet:
                snippet = _shorten(stored.get("root_cause", ""), 160)
            hits.append(
                Hit(
                    id=stored["id"],
                    path=stored["path"],
                    title=stored["title"],
                    date=stored["date"].date().isoformat(),
                    severity=stored.get("severity", ""),
                    root_cause=stored.get("root_cause", ""),
                    services=_split(stored.get("service", "")),
                    tags=_split(stored.get("tag", "")),
                    categories=_split(stored.get("category", "")),
                    score=round(float(hit.score), 4),
                    snippet=" ".join(snippet.split()),
                )
            )
        suggestion = self.suggest(text, synonyms)
        return Results(hits, results.estimated_length(), suggestion, partial)


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)
