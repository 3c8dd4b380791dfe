"""Group the catalog by facet (tag, service, category, trigger, factor, year) with stats.

Each facet value gets a slug that is safe in a URL and a file name and unique within its kind:
two names that clean to the same text (`db-1` and `db_1`), a name that cleans to nothing
(`<>`) or a reserved one (`index`) get a short hash of the exact name appended.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from ..core.catalog import Catalog, Settings
from ..core.model import Postmortem, known
from ..core.text import slugify
from .stats import median_duration

RESERVED_SLUGS = frozenset({"index"})  # the facet kind's own index page


@dataclass(frozen=True)
class FacetKind:
    """One way of grouping incidents: its names and how to read its values off a postmortem."""

    key: str  # tag, service, category, trigger, factor, year
    title: str  # plural heading, e.g. "Tags"
    singular: str  # e.g. "tag"
    folder: str  # site folder of its pages
    values: Callable[[Postmortem], Iterable[str]]
    newest_first: bool = False  # order of the index: by name, or years newest first


def _trigger(pm: Postmortem) -> Iterable[str]:
    return (pm.trigger,) if pm.trigger else ()


KINDS: tuple[FacetKind, ...] = (
    # Placeholders ("TODO-service") are not facet values: they would group unrelated incidents.
    FacetKind("tag", "Tags", "tag", "tags", lambda pm: known(pm.tags)),
    FacetKind("service", "Services", "service", "services", lambda pm: known(pm.services)),
    FacetKind(
        "category",
        "Root-cause categories",
        "root-cause category",
        "categories",
        lambda pm: known(pm.root_cause_categories),
    ),
    FacetKind("trigger", "Triggers", "trigger", "triggers", _trigger),
    FacetKind(
        "factor",
        "Contributing factors",
        "contributing factor",
        "factors",
        lambda pm: pm.contributing_factors,
    ),
    FacetKind("year", "Years", "year", "years", lambda pm: (str(pm.date.year),), True),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}


@dataclass(frozen=True)
class Facet:
    """One value of a facet kind and the incidents that carry it (catalog order, newest first)."""

    kind: FacetKind
    name: str
    slug: str
    incidents: tuple[Postmortem, ...]


@dataclass(frozen=True)
class FacetStats:
    """Small statistics of a group of incidents."""

    count: int
    by_severity: tuple[tuple[str, int], ...]  # in vocabulary order, unknown last
    median_time_to_resolve: timedelta | None
    resolved_known: int  # how many incidents the median is computed from
    co_categories: tuple[tuple[str, int], ...]  # most frequent first


def _hashed(base: str, name: str, length: int = 8) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:length]
    return f"{base}-{digest}" if base else digest


def slugs(names: Iterable[str]) -> dict[str, str]:
    """Return a slug for each of `names`: lowercase ASCII letters, digits and dashes, unique.

    A name keeps its plain cleaned form only when no other name cleans to the same text, so
    a slug never depends on the order names arrive in.
    """
    unique = sorted(set(names))
    bases = {name: slugify(name) for name in unique}
    counts = Counter(bases.values())
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in unique:
        base = bases[name]
        if base and counts[base] == 1 and base not in RESERVED_SLUGS:
            result[name] = base
            taken.add(base)
    for name in unique:
        if name in result:
            continue
        length = 8
        candidate = _hashed(bases[name], name, length)
        while candidate in taken:  # a hash clash with another name: lengthen until unique
            length += 4
            candidate = _hashed(bases[name], name, length)
        result[name] = candidate
        taken.add(candidate)
    return result


def facets(catalog: Catalog, kind: FacetKind) -> list[Facet]:
    """Return every value of `kind` in `catalog` with its incidents, ordered for an index page."""
    groups: dict[str, list[Postmortem]] = defaultdict(list)
    for pm in catalog:
        for value in dict.fromkeys(kind.values(pm)):  # a value listed twice counts once
            groups[value].append(pm)
    slug_of = slugs(groups)
    ordered = sorted(groups, reverse=kind.newest_first, key=lambda n: (n.casefold(), n))
    return [Facet(kind, name, slug_of[name], tuple(groups[name])) for name in ordered]


def summarize(
    incidents: Iterable[Postmortem], settings: Settings, *, exclude_category: str | None = None
) -> FacetStats:
    """Return the stats of `incidents`; `exclude_category` is left out of co-occurring ones."""
    rows = list(incidents)
    severities = Counter(pm.severity or "unknown" for pm in rows)
    by_severity = tuple(
        sorted(severities.items(), key=lambda item: (settings.severity_rank(item[0]), item[0]))
    )
    resolve_times = [took for pm in rows if (took := pm.time_to_resolve) is not None]
    categories = Counter(
        category
        for pm in rows
        for category in dict.fromkeys(pm.root_cause_categories)
        if category != exclude_category
    )
    return FacetStats(
        count=len(rows),
        by_severity=by_severity,
        median_time_to_resolve=median_duration(resolve_times),
        resolved_known=len(resolve_times),
        co_categories=tuple(sorted(categories.items(), key=lambda item: (-item[1], item[0]))),
    )
