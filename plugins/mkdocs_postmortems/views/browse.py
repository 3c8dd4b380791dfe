"""Write the pages that browse across incidents: catalog, facets, root causes, lessons, follow-ups.

Facet, root-cause and lessons pages are written as HTML (`views.html`: Python-Markdown cost
2-3 ms a page, and the pages of contributing factors by service alone number a thousand at
1,000 postmortems), every untrusted value escaped as it is added; the catalog's short
introduction is Markdown, and the follow-ups page is made in `follow_ups`.
The catalog's table itself is rendered by a template (`postmortems/catalog.html`) from
`catalog_rows`, because its rows carry the data-* attributes the filter script reads.
Each page is linear in the number of postmortems, and no page embeds an incident's body.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
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
from ..core.cache import fingerprint
from ..core.catalog import Catalog, Settings
from ..core.model import Postmortem
from ..core.text import format_duration, plural, shorten
from .follow_ups import FOLLOW_UPS_URI, AgeFlags, follow_ups_page
from .html import Content, Link, Part, bullets, element, heading, joined, link, table, text
from .layout import LISTING_TEMPLATE, GeneratedPage, Layout, front_matter, html_page
from .markup import (
    css_class,
    escaped_text,
    html_rich,
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


def _stats_html(stats: FacetStats, found: FacetSet) -> list[Part]:
    parts = table(
        ["Severity", "Incidents"],
        [(severity_badge(name), str(count)) for name, count in stats.by_severity],
        right={1},
    )
    median: list[Part] = (
        [
            *element("strong", format_duration(stats.median_time_to_resolve)),
            text(f", from {plural(stats.resolved_known, 'incident')} with a resolve time"),
        ]
        if stats.median_time_to_resolve is not None
        else [text("unknown (no incident has both a start and a resolve time)")]
    )
    parts += element("p", [text("Median time to resolve: "), *median, text(".")])
    if stats.co_categories:
        shown: list[list[Part]] = []
        for name, count in stats.co_categories[:8]:
            slug = found.slug("category", name)
            label = link(name, facet_uri(KIND_BY_KEY["category"], slug)) if slug else text(name)
            shown.append([label, text(f" ({count})")])
        seen = joined(shown, ", ")
        parts += element("p", [text("Root-cause categories seen here: "), *seen, text(".")])
    return parts


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
    links = [link("All " + kind.title.lower(), facet_index_uri(kind))]
    if kind.key in CATALOG_FILTERS:
        query = _catalog_query(kind, facet.name)
        links.append(link("These incidents in the catalog", CATALOG_URI, query))
    title = f"{kind.singular.capitalize()}: {facet.name}"
    body = [
        heading(1, title),
        *element("p", [text(f"{plural(stats.count, 'incident')}. "), *joined(links, " · ")]),
        heading(2, "At a glance"),
        *_stats_html(stats, found),
        *(_by_service(facet, layout, found) if kind.key == "factor" else ()),
        # The table of incidents is rendered by the listing template from `listing`.
        heading(2, "Incidents"),
    ]
    return html_page(
        uri,
        title,
        body,
        in_nav=False,
        listing=facet.incidents,
        searchable=False,
        template=LISTING_TEMPLATE,
    )


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


def _incident_link(layout: Layout, pm: Postmortem) -> Link:
    return link(pm.title, layout.incident_uri(pm.path))


def _by_service(facet: Facet, layout: Layout, found: FacetSet) -> list[Part]:
    rows = []
    for service, slug, members in _pairs(facet, found):
        has_page = len(members) >= PAIR_PAGE_MINIMUM and slug
        name = link(service, factor_service_uri(facet, slug)) if has_page else text(service)
        rows.append((name, str(len(members)), _incident_link(layout, members[0])))
    return [
        heading(2, "By service"),
        *element(
            "p",
            "Where this factor played a part, service by service. A service with two incidents "
            "or more has a page of its own: a theme, not a one-off.",
        ),
        *table(["Service", "Incidents", "Latest"], rows, right={1}),
    ]


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
        stats = summarize(tuple(members), settings)
        title = f"{facet.name} · {service}"
        body = [
            heading(1, title),
            *element(
                "p",
                [
                    text(f"{plural(len(members), 'incident')} on "),
                    link(service, facet_uri(KIND_BY_KEY["service"], slug)),
                    text(" where a contributing factor was: "),
                    link(facet.name, factor_page),
                    text("."),
                ],
            ),
            heading(2, "At a glance"),
            *_stats_html(stats, found),
            heading(2, "Incidents"),
        ]
        pages.append(
            html_page(
                factor_service_uri(facet, slug),
                title,
                body,
                in_nav=False,
                listing=tuple(members),
                searchable=False,
                template=LISTING_TEMPLATE,
            )
        )
    return pages


def facet_index_page(
    kind: FacetKind, group: list[Facet], settings: Settings, layout: Layout
) -> GeneratedPage:
    """Return the index page of facet `kind`: every value with its count and median."""
    uri = facet_index_uri(kind)
    body: list[Part] = [heading(1, kind.title)]
    if not group:
        body += element("p", f"No incident has a {kind.singular} yet.")
        return html_page(uri, kind.title, body, searchable=False)
    ordered = group if kind.newest_first else sorted(group, key=lambda f: -len(f.incidents))
    order = ", the most frequent first" if not kind.newest_first else ", newest first"
    body += element("p", f"{plural(len(group), kind.singular)}{order}.")
    rows = []
    for facet in ordered:
        stats = summarize(facet.incidents, settings)
        worst = stats.by_severity[0][0] if stats.by_severity else "unknown"
        rows.append(
            (
                link(facet.name, facet_uri(kind, facet.slug)),
                str(stats.count),
                severity_badge(worst),
                format_duration(stats.median_time_to_resolve),
                facet.incidents[0].date.isoformat(),
            )
        )
    header = [kind.singular.capitalize(), "Incidents", "Worst severity"]
    header += ["Median time to resolve", "Latest"]
    body += table(header, rows, right={1})
    return html_page(uri, kind.title, body, searchable=False)


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
    groups = _by_category(catalog)
    descriptions = {t.value: t.description for t in catalog.settings.terms("root_cause_category")}
    body: list[Part] = [
        heading(1, "Root causes"),
        *element(
            "p",
            "What breaks here: every incident's root cause, grouped by root-cause category "
            "(an incident with several categories appears under each).",
        ),
    ]
    if not groups:
        body += element("p", "No postmortems yet.")
    for name in _category_order(groups, catalog.settings):
        members = groups[name]
        body.append(heading(2, name))
        if descriptions.get(name):
            body += element("p", descriptions[name])
        slug = found.slug("category", name)
        if slug:
            page = link("the category page", facet_uri(KIND_BY_KEY["category"], slug))
            body += element("p", [text(f"{plural(len(members), 'incident')}; "), page, text(".")])
        body += bullets(
            [
                _incident_link(layout, pm),
                text(f" ({pm.date.isoformat()}, "),
                severity_badge(pm.severity),
                text("): "),
                html_rich(shorten(pm.root_cause, 300, sentence=True)),
            ]
            for pm in members
        )
    return html_page(ROOT_CAUSES_URI, "Root causes", body, searchable=False)


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
    keyed: list[tuple[tuple[int, str, str], list[Content]]] = []
    for theme in order:
        members = themes[theme]
        counts = Counter(
            {key: sum(len(getattr(pm.lessons, key)) for pm in members) for key, _ in LESSON_KINDS}
        )
        totals.update(counts)
        uri = f"{LESSONS_FOLDER}/{slug_of[theme]}.md"
        title = f"Lessons: {theme}"
        body: list[Part] = [
            heading(1, title),
            *element(
                "p",
                [
                    text(
                        f"Lessons from {plural(len(members), 'incident')} whose main root-cause "
                        f"category is {theme}, newest first. "
                    ),
                    link("All lessons", index),
                ],
            ),
        ]
        for key, kind_title in LESSON_KINDS:
            lessons = [(pm, said) for pm in members for said in getattr(pm.lessons, key)]
            if lessons:
                body.append(heading(2, kind_title))
                body += bullets(
                    [text(f"{said} ("), _incident_link(layout, pm), text(")")]
                    for pm, said in lessons
                )
        pages.append(html_page(uri, title, body, in_nav=False, searchable=False))
        cells: list[Content] = [link(theme, uri), str(len(members))]
        cells += [str(counts[key]) for key, _ in LESSON_KINDS]
        keyed.append(((-len(members), theme.casefold(), theme), cells))
    body = [
        heading(1, "Lessons learned"),
        *element(
            "p",
            "What went wrong, what went well and where we got lucky, across every incident, "
            "grouped by theme: the incident's main root-cause category. The themes with most "
            "incidents come first.",
        ),
    ]
    if keyed:
        body += element(
            "p",
            f"{totals['went_wrong']} went wrong, {totals['went_well']} went well, "
            f"{totals['got_lucky']} got lucky.",
        )
        header = ["Theme", "Incidents", "Went wrong", "Went well", "Got lucky"]
        body += table(header, [cells for _, cells in sorted(keyed)], right={1, 2, 3, 4})
    else:
        body += element("p", "No postmortem records lessons yet.")
    pages.insert(0, html_page(index, "Lessons learned", body, searchable=False))
    return pages


# --- everything together -----------------------------------------------------------------------


class PageMemo(Protocol):
    """Pages kept from a previous build, each under a key of everything it is made from."""

    def __call__(self, key: object, make: Callable[[], list[GeneratedPage]]) -> list[GeneratedPage]:
        """Return the pages kept under `key`, or make (and keep) them."""


def browse_pages(
    catalog: Catalog,
    layout: Layout,
    found: FacetSet | None = None,
    ages: AgeFlags | None = None,
    memo: PageMemo | None = None,
    facts: Callable[[Postmortem], str] | None = None,
) -> list[GeneratedPage]:
    """Return every browse page of the site, the catalog first (`found`: its facets, if known;
    `ages`: when follow-ups are flagged for their age).

    With `memo` and `facts` (a digest of everything a page can show of a postmortem), the
    pages of a facet value are kept while its incidents' facts, the settings, the layout and
    the facet slugs are the same: an edit remakes the pages of the values it touches.
    """
    found = found or facet_set(catalog)
    pages = [catalog_page(catalog)]
    shared = fingerprint(
        sorted(catalog.settings.vocabularies.items()),
        catalog.settings.today,
        layout,
        sorted(found.slug_map.items()),
    )
    for kind in KINDS:
        group = found.by_kind[kind.key]
        pages.append(facet_index_page(kind, group, catalog.settings, layout))
        for facet in group:

            def make(facet: Facet = facet) -> list[GeneratedPage]:
                made = [facet_page(facet, catalog.settings, layout, found)]
                if facet.kind.key == "factor":
                    made += factor_service_pages(facet, catalog.settings, layout, found)
                return made

            if memo is None or facts is None:
                pages += make()
                continue
            key = (shared, kind.key, facet.name, facet.slug, [facts(pm) for pm in facet.incidents])
            pages += memo(key, make)
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
                    "url": escaped_text(url),
                    "title": escaped_text(previous.title),
                    "date": escaped_text(previous.date.isoformat()),
                    "days": escaped_text(str(recurrence.days)),
                    "why": escaped_text("; ".join(recurrence.reasons)),
                }
            )
    return entries


def card_facet_uri(found: FacetSet, kind_key: str, name: str) -> str | None:
    """Return the source path of the page an incident card links value `name` of kind
    `kind_key` to, if any.

    A contributing factor links only when other incidents share it: its page would show this
    incident alone.
    """
    slug = found.slug(kind_key, name)
    if slug is None:
        return None
    if kind_key == "factor" and found.size(kind_key, name) < PAIR_PAGE_MINIMUM:
        return None
    return facet_uri(KIND_BY_KEY[kind_key], slug)
