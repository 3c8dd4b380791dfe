"""Hold every postmortem of one build: the single source of truth every view derives from."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .cache import BuildCache, Mapper, fingerprint, map_pickled, serial_map
from .loader import (
    LoadResult,
    Rejected,
    iter_source_files,
    load_bytes,
    page_id,
    read_source,
    refuse_unsafe,
)
from .model import Postmortem
from .problems import Level, Problem, did_you_mean
from .vocabulary import DEFAULT_VOCABULARIES, Term, Vocabularies

MARKDOWN_SUFFIX = ".md"
RECORDS = "record"  # the build cache's space for parsed files


@dataclass(frozen=True)
class Settings:
    """What the core needs to know about a site: vocabularies and the build date."""

    vocabularies: Vocabularies = field(default_factory=lambda: dict(DEFAULT_VOCABULARIES))
    today: date = field(default_factory=date.today)

    def terms(self, name: str) -> tuple[Term, ...]:
        """Return the terms of vocabulary `name`."""
        return tuple(self.vocabularies.get(name, ()))

    def severity_rank(self, severity: str) -> int:
        """Return the position of `severity` in its vocabulary (0 is the worst); unknown last."""
        values = [term.value for term in self.terms("severity")]
        return values.index(severity) if severity in values else len(values)


@dataclass(frozen=True)
class Catalog:
    """Every postmortem (newest first), every rejected file, and the assets beside them."""

    postmortems: tuple[Postmortem, ...]
    rejected: tuple[Rejected, ...] = ()
    assets: tuple[str, ...] = ()  # non-Markdown files, relative to the source folder
    settings: Settings = field(default_factory=Settings)

    def __iter__(self) -> Iterator[Postmortem]:
        return iter(self.postmortems)

    def __len__(self) -> int:
        return len(self.postmortems)

    def get(self, ident: str) -> Postmortem | None:
        """Return the postmortem with id `ident`, if any."""
        return self._by_id.get(ident)

    @property
    def _by_id(self) -> dict[str, Postmortem]:
        cached: dict[str, Postmortem] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {pm.id: pm for pm in self.postmortems}
            object.__setattr__(self, "_index", cached)
        return cached

    @property
    def problems(self) -> list[Problem]:
        """Return every problem of every file, sorted by file and line."""
        found = [p for pm in self.postmortems for p in pm.problems]
        found += [p for rejected in self.rejected for p in rejected.problems]
        return sorted(found, key=lambda p: (p.path, p.line or 0, p.field, p.message))

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that are errors."""
        return [p for p in self.problems if p.level == Level.ERROR]


def build_catalog(
    loaded: list[Postmortem | Rejected], settings: Settings, assets: tuple[str, ...] = ()
) -> Catalog:
    """Return the catalog of `loaded` records after the checks that span files."""
    rejected = [item for item in loaded if isinstance(item, Rejected)]
    records = [item for item in loaded if isinstance(item, Postmortem)]
    records, duplicates = _drop_duplicate_ids(records)
    rejected += duplicates
    ids = {pm.id for pm in records}
    records = [_check_related(pm, ids) for pm in records]
    records.sort(
        key=lambda pm: (pm.date, pm.started.isoformat() if pm.started else "", pm.id), reverse=True
    )
    return Catalog(tuple(records), tuple(sorted(rejected, key=lambda r: r.path)), assets, settings)


def load_catalog(
    root: Path,
    settings: Settings,
    cache: BuildCache | None = None,
    mapper: Mapper[tuple[bytes, str, Vocabularies], LoadResult] = serial_map,
) -> Catalog:
    """Read every file under `root` into a catalog; nothing is skipped without a report.

    With a `cache`, a file whose bytes and vocabularies are those of a previous load is not
    parsed again. The files to parse are parsed through `mapper`.
    """
    if not root.is_dir():
        return Catalog((), settings=settings)
    loaded: list[LoadResult | None] = []
    assets: list[str] = []
    vocabularies = fingerprint(sorted(settings.vocabularies.items()))
    to_parse: list[tuple[int, str, bytes, str]] = []  # position, path, bytes, digest
    for file in iter_source_files(root):
        if file.suffix.lower() == MARKDOWN_SUFFIX:
            source = read_source(root, file)
            if isinstance(source, Rejected):
                loaded.append(source)
                continue
            path, raw = source
            digest = hashlib.sha256(raw).hexdigest() + vocabularies
            found = cache.lookup(RECORDS, path, digest) if cache is not None else None
            if found is None:
                to_parse.append((len(loaded), path, raw, digest))
            loaded.append(found)
        elif (refused := refuse_unsafe(root, file, page_id(file.name))) is not None:
            # An asset linking out of the folder would publish its target with the site.
            loaded.append(refused)
        else:
            assets.append(file.relative_to(root).as_posix())
    jobs = [(raw, path, settings.vocabularies) for _, path, raw, _ in to_parse]
    parsed = map_pickled(mapper, _parse, jobs)
    for (position, path, _, digest), (result, pickled) in zip(to_parse, parsed, strict=True):
        loaded[position] = result
        if cache is not None:
            cache.store(RECORDS, path, digest, result, pickled)
    return build_catalog([r for r in loaded if r is not None], settings, tuple(assets))


def _parse(job: tuple[bytes, str, Vocabularies]) -> LoadResult:
    return load_bytes(*job)


def _drop_duplicate_ids(records: list[Postmortem]) -> tuple[list[Postmortem], list[Rejected]]:
    counts = Counter(pm.id for pm in records)
    first: dict[str, str] = {}
    kept: list[Postmortem] = []
    dropped: list[Rejected] = []
    for pm in sorted(records, key=lambda pm: pm.path):
        if counts[pm.id] > 1 and pm.id in first:
            problem = Problem(
                pm.path,
                None,
                "id",
                f"id '{pm.id}' is already used by {first[pm.id]}",
                "rename one of the files; ids must be unique",
                rule="duplicate-id",
            )
            dropped.append(
                Rejected(
                    f"{pm.id}-duplicate-{len(dropped) + 1}",
                    pm.path,
                    (*pm.problems, problem),
                    pm.body,
                )
            )
            continue
        first.setdefault(pm.id, pm.path)
        kept.append(pm)
    return kept, dropped


def _check_related(pm: Postmortem, ids: set[str]) -> Postmortem:
    extra: list[Problem] = []
    for index, other in enumerate(pm.related):
        if other == pm.id:
            extra.append(
                Problem(
                    pm.path,
                    pm.lines.get(f"related[{index}]"),
                    f"related[{index}]",
                    "a postmortem cannot be related to itself",
                    "remove it",
                    rule="related-exists",
                )
            )
        elif other not in ids:
            hint = did_you_mean(other, ids) or "use the file name without .md"
            extra.append(
                Problem(
                    pm.path,
                    pm.lines.get(f"related[{index}]"),
                    f"related[{index}]",
                    f"no postmortem has the id '{other}'",
                    hint,
                    rule="related-exists",
                )
            )
    if not extra:
        return pm
    valid = tuple(other for other in pm.related if other in ids and other != pm.id)
    return replace(pm, related=valid, problems=(*pm.problems, *extra))
