"""Write the pages that browse across incidents: catalog, facets, root causes, lessons, follow-ups.

Every page is Markdown built from the catalog; untrusted text goes through `md_text`/`md_link`.
The catalog's table itself is rendered by a template (`postmortems/catalog.html`) from
`catalog_rows`, because its rows carry the data-* attributes the filter script reads.
Each page is linear in the number of postmortems, and no page embeds an incident's body.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from ..analysis.facets import (
    KIND_BY_KEY,
    KINDS,
    Facet,
    FacetKind,
    FacetStats,
    facets,
    slugs,
    summarize,
)
from ..analysis.recurrence import Recurrence
from ..core.catalog import Catalog, Settings
from ..core.model import Postmortem
from ..core.text import format_duration, plural, shorten
from .follow_ups import FOLLOW_UPS_URI, AgeFlags, follow_ups_page
from .layout import LISTING_TEMPLATE, GeneratedPage, Layout, front_matter
from .markup import (
    css_class,
    md_link,
    md_rich,
    md_text,
    render_inline,
    severity_badge,
)

CATALOG_URI = "catalog.md"
ROOT_CAUSES_URI = "root-causes.md"
LESSONS_FOLDER = "lessons"
BROWSE_FOLDER = "browse"
CATALOG_TEMPLATE = "postmortems/catalog.html"
CATALOG_SCRIPT = "assets/postmortems/catalog.js"
UNCATEGORIZED = "uncategorized"
CATALOG_FILTERS = ("severity", "service", "tag", "category", "year")  # filters the catalog has
PAIR_PAGE_MINIMUM = 2  # incidents a factor needs on a service for a page of the pair
LESSON_KINDS = (
    ("went_wrong", "What went wrong"),
    ("went_well", "What went well"),
    ("got_lucky", "Where we got lucky"),
)


def _page(title: str, body: str, **options: Any) -> str:
    # Listing pages repeat what the incident pages say: they stay out of Material's search
    # index (`searchable=False`), which would otherwise list every incident many times over
    # and spend a third of a build's search indexing on them.
    return front_matter(title, **options) + body


def facet_index_uri(kind: FacetKind) -> str:
    """Return the source path of the index page of facet `kind`."""
    return f"{BROWSE_FOLDER}/{kind.folder}/index.md"


def facet_uri(kind: FacetKind, slug: str) -> str:
    """Return the source path of the page of one facet value."""
    return f"{BROWSE_FOLDER}/{kind.folder}/{slug}.md"


def lessons_index_uri() -> str:
    """Return the source path of the lessons learned page."""
    return f"{LESSONS_FOLDER}/index.md"


def browse_links(from_uri: str, layout: Layout) -> list[tuple[str, str]]:
    """Return (label, relative link) of every browse page, for the home page."""
    targets = [("Catalog of every incident", CATALOG_URI)]
    targets += [(kind.title, facet_index_uri(kind)) for kind in KINDS]
    targets += [
        ("Root causes", ROOT_CAUSES_URI),
        ("Lessons learned", lessons_index_uri()),
        ("Follow-ups", FOLLOW_UPS_URI),
    ]
    return [(label, layout.link(from_uri, uri)) for label, uri in targets]


# --- the catalog -------------------------------------------------------------------------------


def catalog_page(catalog: Catalog) -> GeneratedPage:
    """Return the catalog page; its table is added by the catalog template."""
    count = len(catalog)
    body = (
        "# Catalog of incidents\n\n"
        f"{plural(count, 'incident')}, newest first. Click a column heading to sort; "
        "the filters narrow the table, and the address of the page keeps them, so a "
        "filtered view can be shared as a link.\n"
    )
    return GeneratedPage(
        CATALOG_URI,
        _page(
            "Catalog",
            body,
            searchable=False,
            template=CATALOG_TEMPLATE,
            hide=["navigation", "toc"],
        ),
    )


def _lines(values: Iterable[str]) -> Markup:
    # Names are single lines (the format forbids breaks), so a newline separates them safely;
    # they stay exact, to equal the filter options' values.
    return escape("\n".join(values))


def catalog_rows(catalog: Catalog, url_for: Callable[[Postmortem], str]) -> list[dict[str, Any]]:
    """Return the catalog table rows: every value escaped, filter data in data-* attributes."""
    settings = catalog.settings
    rows = []
    for pm in catalog:
        resolve = pm.time_to_resolve
        severity = pm.severity or "unknown"
        rows.append(
            {
                "url": escape(url_for(pm)),
                "title": escape(pm.title),
                "date": escape(pm.date.isoformat()),
                "year": escape(str(pm.date.year)),
                "severity": escape(severity),
                "severity_class": css_class(severity),
                "severity_rank": settings.severity_rank(severity),
                "services": [escape(s) for s in pm.services],
                "categories": [escape(c) for c in pm.root_cause_categories],
                "services_list": _lines(pm.services),
                "tags_list": _lines(pm.tags),
                "categories_list": _lines(pm.root_cause_categories),
                "trigger": escape(pm.trigger or ""),
                "resolve": escape(format_duration(resolve)),
                "resolve_seconds": "" if resolve is None else int(resolve.total_seconds()),
                "status": escape(pm.status),
            }
        )
    return rows


def catalog_filters(catalog: Catalog) -> dict[str, list[Markup]]:
    """Return the values each catalog filter offers, escaped, in a useful order."""
    severities = {pm.severity or "unknown" for pm in catalog}
    settings = catalog.settings
    return {
        "severity": [
            escape(s) for s in sorted(severities, key=lambda s: (settings.severity_rank(s), s))
        ],
        "service": _sorted_values(s for pm in catalog for s in pm.services),
        "tag": _sorted_values(t for pm in catalog for t in pm.tags),
        "category": _sorted_values(c for pm in catalog for c in pm.root_cause_categories),
        "year": [escape(y) for y in sorted({str(pm.date.year) for pm in catalog}, reverse=True)],
    }


def _sorted_values(values: Iterable[str]) -> list[Markup]:
    return [escape(v) for v in sorted(set(values), key=lambda v: (v.casefold(), v))]


# --- facet pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetSet:
    """Every facet of every kind, and the slug of each category for cross links."""

    by_kind: dict[str, list[Facet]]

    def slug(self, kind_key: str, name: str) -> str | None:
        """Return the slug of value `name` of kind `kind_key`, if it has a page."""
        return self.slug_map.get((kind_key, name))

    def size(self, kind_key: str, name: str) -> int:
        """Return how many incidents carry value `name` of kind `kind_key`."""
        sizes: dict[tuple[str, str], int] | None = self.__dict__.get("_sizes")
        if sizes is None:
            sizes = {
                (key, facet.name): len(facet.incidents)
                for key, group in self.by_kind.items()
                for facet in group
            }
            object.__setattr__(self, "_sizes", sizes)
        return sizes.get((kind_key, name), 0)

    @property
    def slug_map(self) -> dict[tuple[str, str], str]:
        """Return every facet's slug by (kind key, name): what facet links on a page depend on."""
        cached: dict[tuple[str, str], str] | None = self.__dict__.get("_cache")
        if cached is None:
            cached = {
                (key, facet.name): facet.slug
                for key, group in self.by_kind.items()
                for facet in group
            }
            object.__setattr__(self, "_cache", cached)
        return cached


def facet_set(catalog: Catalog) -> FacetSet:
    """Return the facets of `catalog` for every facet kind."""
    return FacetSet({kind.key: facets(catalog, kind) for kind in KINDS})


def _stats_markdown(
    stats: FacetStats, from_uri: str, layout: Layout, found: FacetSet, link_categories: bool = True
) -> str:
    parts = ["| Severity | Incidents |\n| --- | ---: |\n"]
    parts += [f"| {severity_badge(name)} | {count} |\n" for name, count in stats.by_severity]
    median = (
        f"**{format_duration(stats.median_time_to_resolve)}**, from "
        f"{plural(stats.resolved_known, 'incident')} with a resolve time"
        if stats.median_time_to_resolve is not None
        else "unknown (no incident has both a start and a resolve time)"
    )
    parts.append(f"\nMedian time to resolve: {median}.\n\n")
    if stats.co_categories:
        shown = []
        for name, count in stats.co_categories[:8]:
            slug = found.slug("category", name) if link_categories else None
            label = (
                md_link(name, layout.link(from_uri, facet_uri(KIND_BY_KEY["category"], slug)))
                if slug
                else md_text(name)
            )
            shown.append(f"{label} ({count})")
        parts.append("Root-cause categories seen here: " + ", ".join(shown) + ".\n\n")
    return "".join(parts)


def listing_cells(pm: Postmortem) -> dict[str, Markup]:
    """Return the cells of `pm`'s row in a listing table that do not depend on the page."""
    return {
        "date": escape(pm.date.isoformat()),
        "title": escape(pm.title),
        "severity": escape(pm.severity or "unknown"),
        "severity_class": escape(css_class(pm.severity or "unknown")),
        "services": escape(", ".join(pm.services)),
        "resolve": escape(format_duration(pm.time_to_resolve)),
        "root_cause": render_inline(shorten(pm.root_cause, sentence=True)),
    }


def listing_rows(
    rows: Iterable[Postmortem],
    url_for: Callable[[Postmortem], str],
    cells: Callable[[Postmortem], dict[str, Markup]] = listing_cells,
) -> list[dict[str, Markup]]:
    """Return the rows of a listing page's incident table, every value escaped.

    An incident is listed on many pages (its tags, services, factors, year...): `cells` may
    return the page-independent cells it computed for an earlier page."""
    return [{**cells(pm), "url": escape(url_for(pm))} for pm in rows]


def _catalog_query(kind: FacetKind, name: str) -> str:
    return "?" + urlencode({kind.key: name})


def facet_page(facet: Facet, settings: Settings, layout: Layout, found: FacetSet) -> GeneratedPage:
    """Return the page of one facet value: stats, then its incidents, newest first."""
    kind = facet.kind
    uri = facet_uri(kind, facet.slug)
    exclude = facet.name if kind.key == "category" else None
    stats = summarize(facet.incidents, settings, exclude_category=exclude)
    links = [md_link("All " + kind.title.lower(), layout.link(uri, facet_index_uri(kind)))]
    if kind.key in CATALOG_FILTERS:
        catalog_link = layout.link(uri, CATALOG_URI) + _catalog_query(kind, facet.name)
        links.append(md_link("These incidents in the catalog", catalog_link))
    body = [
        f"# {md_text(kind.singular.capitalize())}: {md_text(facet.name)}\n\n",
        f"{plural(stats.count, 'incident')}. {' · '.join(links)}\n\n",
        "## At a glance\n\n",
        _stats_markdown(stats, uri, layout, found),
        _by_service(facet, uri, layout, found) if kind.key == "factor" else "",
        # The table of incidents is rendered by the listing template: Python-Markdown costs
        # about 100 times more per row, and facet pages hold every incident several times.
        "## Incidents\n",
    ]
    title = f"{kind.singular.capitalize()}: {facet.name}"
    markdown = _page(title, "".join(body), searchable=False, template=LISTING_TEMPLATE)
    return GeneratedPage(uri, markdown, in_nav=False, listing=facet.incidents)


def _pairs(facet: Facet, found: FacetSet) -> list[tuple[str, str, list[Postmortem]]]:
    """Return (service, its slug, incidents) for each service `facet`'s incidents hit, most
    incidents first."""
    by_service: dict[str, list[Postmortem]] = defaultdict(list)
    for pm in facet.incidents:
        for service in dict.fromkeys(pm.services):
            by_service[service].append(pm)
    ordered = sorted(by_service.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    return [(s, found.slug("service", s) or "", members) for s, members in ordered]


def factor_service_uri(facet: Facet, service_slug: str) -> str:
    """Return the source path of the page of one contributing factor on one service."""
    return f"{BROWSE_FOLDER}/{facet.kind.folder}/{facet.slug}/{service_slug}.md"


def _by_service(facet: Facet, uri: str, layout: Layout, found: FacetSet) -> str:
    pairs = _pairs(facet, found)
    lines = [
        "## By service\n\n",
        "Where this factor played a part, service by service. A service with two incidents or "
        "more has a page of its own: a theme, not a one-off.\n\n",
        "| Service | Incidents | Latest |\n| --- | ---: | --- |\n",
    ]
    for service, slug, members in pairs:
        if len(members) >= PAIR_PAGE_MINIMUM and slug:
            name = md_link(service, layout.link(uri, factor_service_uri(facet, slug)))
            latest = layout.incident_link(uri, members[0])
        else:
            name, latest = md_text(service), layout.incident_link(uri, members[0])
        lines.append(f"| {name} | {len(members)} | {latest} |\n")
    return "".join(lines) + "\n"


def factor_service_pages(
    facet: Facet, settings: Settings, layout: Layout, found: FacetSet
) -> list[GeneratedPage]:
    """Return a page for each service that `facet` (a contributing factor) hit at least
    `PAIR_PAGE_MINIMUM` times: its incidents there, newest first."""
    pages = []
    factor_page = facet_uri(facet.kind, facet.slug)
    for service, slug, members in _pairs(facet, found):
        if len(members) < PAIR_PAGE_MINIMUM or not slug:
            continue
        uri = factor_service_uri(facet, slug)
        service_page = facet_uri(KIND_BY_KEY["service"], slug)
        stats = summarize(tuple(members), settings)
        service_link = md_link(service, layout.link(uri, service_page))
        factor_link = md_link(facet.name, layout.link(uri, factor_page))
        body = [
            f"# {md_text(facet.name)} · {md_text(service)}\n\n",
            f"{plural(len(members), 'incident')} on {service_link} where a contributing factor "
            f"was: {factor_link}.\n\n## At a glance\n\n",
            _stats_markdown(stats, uri, layout, found),
            "## Incidents\n",
        ]
        title = f"{facet.name} · {service}"
        markdown = _page(title, "".join(body), searchable=False, template=LISTING_TEMPLATE)
        pages.append(GeneratedPage(uri, markdown, in_nav=False, listing=tuple(members)))
    return pages


def facet_index_page(
    kind: FacetKind, group: list[Facet], settings: Settings, layout: Layout
) -> GeneratedPage:
    """Return the index page of facet `kind`: every value with its count and median."""
    uri = facet_index_uri(kind)
    body = [f"# {md_text(kind.title)}\n\n"]
    if not group:
        body.append(f"No incident has a {md_text(kind.singular)} yet.\n")
        return GeneratedPage(uri, _page(kind.title, "".join(body), searchable=False))
    ordered = group if kind.newest_first else sorted(group, key=lambda f: -len(f.incidents))
    body.append(
        f"{plural(len(group), kind.singular)}"
        + (", the most frequent first" if not kind.newest_first else ", newest first")
        + ".\n\n"
    )
    body.append(
        f"| {md_text(kind.singular.capitalize())} | Incidents | Worst severity "
        "| Median time to resolve | Latest |\n| --- | ---: | --- | --- | --- |\n"
    )
    for facet in ordered:
        stats = summarize(facet.incidents, settings)
        worst = stats.by_severity[0][0] if stats.by_severity else "unknown"
        link = md_link(facet.name, layout.link(uri, facet_uri(kind, facet.slug)))
        body.append(
            f"| {link} | {stats.count} | {severity_badge(worst)} "
            f"| {format_duration(stats.median_time_to_resolve)} "
            f"| {facet.incidents[0].date.isoformat()} |\n"
        )
    return GeneratedPage(uri, _page(kind.title, "".join(body), searchable=False))


# --- root causes, lessons, follow-ups ----------------------------------------------------------


def _category_order(names: Iterable[str], settings: Settings) -> list[str]:
    known = [term.value for term in settings.terms("root_cause_category")]
    rank = {name: index for index, name in enumerate(known)}
    return sorted(set(names), key=lambda n: (n == UNCATEGORIZED, rank.get(n, len(rank)), n))


def _by_category(catalog: Catalog) -> dict[str, list[Postmortem]]:
    groups: dict[str, list[Postmortem]] = defaultdict(list)
    for pm in catalog:
        for category in dict.fromkeys(pm.root_cause_categories) or (UNCATEGORIZED,):
            groups[category].append(pm)
    return groups


def root_causes_page(catalog: Catalog, layout: Layout, found: FacetSet) -> GeneratedPage:
    """Return the page of every root cause, grouped by root-cause category."""
    uri = ROOT_CAUSES_URI
    groups = _by_category(catalog)
    descriptions = {t.value: t.description for t in catalog.settings.terms("root_cause_category")}
    body = [
        "# Root causes\n\n",
        "What breaks here: every incident's root cause, grouped by root-cause category "
        "(an incident with several categories appears under each).\n\n",
    ]
    if not groups:
        body.append("No postmortems yet.\n")
    for name in _category_order(groups, catalog.settings):
        members = groups[name]
        body.append(f"\n## {md_text(name)}\n\n")
        if descriptions.get(name):
            body.append(f"{md_text(descriptions[name])}\n\n")
        slug = found.slug("category", name)
        if slug:
            page = layout.link(uri, facet_uri(KIND_BY_KEY["category"], slug))
            body.append(
                f"{plural(len(members), 'incident')}; {md_link('the category page', page)}.\n\n"
            )
        body += [
            f"- {layout.incident_link(uri, pm)} ({pm.date.isoformat()}, "
            f"{severity_badge(pm.severity)}): "
            f"{md_rich(shorten(pm.root_cause, 300, sentence=True))}\n"
            for pm in members
        ]
    return GeneratedPage(uri, _page("Root causes", "".join(body), searchable=False))


def _theme(pm: Postmortem) -> str:
    return pm.root_cause_categories[0] if pm.root_cause_categories else UNCATEGORIZED


def lesson_pages(catalog: Catalog, layout: Layout) -> list[GeneratedPage]:
    """Return the lessons learned index and one page per theme (the main root-cause category).

    Every lesson appears once, on the page of its incident's first root-cause category, so
    the pages together stay linear in the number of lessons.
    """
    themes: dict[str, list[Postmortem]] = defaultdict(list)
    for pm in catalog:
        if pm.lessons:
            themes[_theme(pm)].append(pm)
    order = _category_order(themes, catalog.settings)
    slug_of = slugs(order)
    index = lessons_index_uri()
    totals: Counter[str] = Counter()
    pages: list[GeneratedPage] = []
    keyed: list[tuple[tuple[int, str, str], str]] = []
    for theme in order:
        members = themes[theme]
        counts = Counter(
            {key: sum(len(getattr(pm.lessons, key)) for pm in members) for key, _ in LESSON_KINDS}
        )
        totals.update(counts)
        uri = f"{LESSONS_FOLDER}/{slug_of[theme]}.md"
        body = [
            f"# Lessons: {md_text(theme)}\n\n",
            f"Lessons from {plural(len(members), 'incident')} whose main root-cause category "
            f"is {md_text(theme)}, newest first. "
            f"{md_link('All lessons', layout.link(uri, index))}\n",
        ]
        for key, heading in LESSON_KINDS:
            lessons = [(pm, text) for pm in members for text in getattr(pm.lessons, key)]
            if lessons:
                body.append(f"\n## {heading}\n\n")
                body += [
                    f"- {md_text(text)} ({layout.incident_link(uri, pm)})\n" for pm, text in lessons
                ]
        pages.append(
            GeneratedPage(
                uri, _page(f"Lessons: {theme}", "".join(body), searchable=False), in_nav=False
            )
        )
        cells = " | ".join(str(counts[key]) for key, _ in LESSON_KINDS)
        keyed.append(
            (
                (-len(members), theme.casefold(), theme),
                f"| {md_link(theme, layout.link(index, uri))} | {len(members)} | {cells} |\n",
            )
        )
    body = [
        "# Lessons learned\n\n",
        "What went wrong, what went well and where we got lucky, across every incident, "
        "grouped by theme: the incident's main root-cause category. The themes with most "
        "incidents come first.\n\n",
    ]
    rows = [row for _, row in sorted(keyed)]
    if rows:
        body.append(
            f"{totals['went_wrong']} went wrong, {totals['went_well']} went well, "
            f"{totals['got_lucky']} got lucky.\n\n"
            "| Theme | Incidents | Went wrong | Went well | Got lucky |\n"
            "| --- | ---: | ---: | ---: | ---: |\n"
        )
        body += rows
    else:
        body.append("No postmortem records lessons yet.\n")
    pages.insert(0, GeneratedPage(index, _page("Lessons learned", "".join(body), searchable=False)))
    return pages


# --- everything together -----------------------------------------------------------------------


def browse_pages(
    catalog: Catalog,
    layout: Layout,
    found: FacetSet | None = None,
    ages: AgeFlags | None = None,
) -> list[GeneratedPage]:
    """Return every browse page of the site, the catalog first (`found`: its facets, if known;
    `ages`: when follow-ups are flagged for their age)."""
    found = found or facet_set(catalog)
    pages = [catalog_page(catalog)]
    for kind in KINDS:
        group = found.by_kind[kind.key]
        pages.append(facet_index_page(kind, group, catalog.settings, layout))
        for facet in group:
            pages.append(facet_page(facet, catalog.settings, layout, found))
            if kind.key == "factor":
                pages += factor_service_pages(facet, catalog.settings, layout, found)
    pages.append(root_causes_page(catalog, layout, found))
    pages += lesson_pages(catalog, layout)
    pages.append(follow_ups_page(catalog, ages))
    return pages


def recurrence_card(
    found: list[Recurrence], url_for: Callable[[Postmortem], str | None]
) -> list[dict[str, Any]]:
    """Return the "this has happened before" entries of an incident card, escaped.

    One entry per earlier incident, with every reason the two are linked.
    """
    entries = []
    for recurrence in found:
        previous = recurrence.previous
        url = url_for(previous)
        if url is not None:
            entries.append(
                {
                    "url": escape(url),
                    "title": escape(previous.title),
                    "date": escape(previous.date.isoformat()),
                    "days": escape(str(recurrence.days)),
                    "why": escape("; ".join(recurrence.reasons)),
                }
            )
    return entries


def card_facet_links(
    pm: Postmortem, found: FacetSet, url_for: Callable[[str], str]
) -> dict[str, dict[str, Markup]]:
    """Return, per facet kind, the page URL of each of `pm`'s values, keyed by escaped name.

    `url_for` turns a page's source path into a URL relative to the incident page. A
    contributing factor links only when other incidents share it: its page would show this
    incident alone.
    """
    links: dict[str, dict[str, Markup]] = {}
    for kind in KINDS:
        urls = {}
        for name in kind.values(pm):
            slug = found.slug(kind.key, name)
            if kind.key == "factor" and found.size(kind.key, name) < PAIR_PAGE_MINIMUM:
                continue
            if slug is not None:
                urls[str(escape(name))] = escape(url_for(facet_uri(kind, slug)))
        links[kind.key] = urls
    return links
