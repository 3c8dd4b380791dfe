"""Build what the site shows of search: the search page, its data file and related links.

The browser search ships one compact JSON file with only the searched and shown fields
(title, root cause, summary, impact, contributing factors, facets), facet values stored once
and referred to by number, so 10,000 postmortems stay far below Material's full-text index
(81 MB at 10,000). The page's script indexes it with MiniSearch (vendored from the npm
registry, with its license), with the command line's fields, boosts, stop words and stems.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from ..analysis.related import Related
from ..core.catalog import Catalog
from ..core.model import Postmortem, is_placeholder
from ..search.documents import cause, record_words, search_text, vocabulary
from ..search.stopwords import STOP_WORDS
from ..search.synonyms import Table, synonym_groups
from .layout import GeneratedPage
from .markup import escaped_text

DATA_FORMAT = 2
ASSETS = {
    # site path -> package path (relative to the package's assets folder)
    "assets/postmortems/minisearch.js": "vendor/minisearch/minisearch.umd.js",
    "assets/postmortems/minisearch-LICENSE.txt": "vendor/minisearch/LICENSE.txt",
    "assets/postmortems/search.js": "search.js",
    "assets/postmortems/search.css": "search.css",
}
DATA_URI = "assets/postmortems/search-data.json"
DATA_GZIP_URI = DATA_URI + ".gz"
FIELDS = (
    *("url", "title", "date", "severity", "services", "tags", "categories", "trigger"),
    *("cause", "text"),
)


def search_page(src_uri: str) -> GeneratedPage:
    """Return the "Search root causes" page; its template holds the form and the script."""
    markdown = (
        "---\n"
        "title: Search root causes\n"
        "template: postmortems/search.html\n"
        "search:\n"
        "  exclude: true\n"
        "---\n\n"
        "# Search root causes\n\n"
        "Have we seen this before? Search every postmortem's root cause, title, tags, "
        "services and categories; narrow the list by severity, service, tag, category or "
        "year. Common abbreviations are searched with their long forms (db and database, "
        "k8s and kubernetes, oom and out of memory).\n"
    )
    return GeneratedPage(src_uri, markdown)


def search_data(
    catalog: Catalog,
    synonyms: Table,
    url_of: Callable[[Postmortem], str],
    words_of: Callable[[Postmortem], dict[str, str]] = record_words,
) -> str:
    """Return the JSON the search page loads: facet values, synonyms and one row per incident.

    A row is `[url, title, date, severity, services, tags, categories, trigger, root cause,
    text]`, with facets as numbers into the `facets` lists (the same value is stored once).
    The searched fields, the stop words and the stem of every word are those of the command
    line's Whoosh index, so the page ranks the same incidents first (`words_of`: each
    record's words and stems, `search.documents.record_words` or a cache of it).
    """
    facets: dict[str, dict[str, int]] = {
        "severity": {},
        "service": {},
        "tag": {},
        "category": {},
    }

    def number(kind: str, value: str) -> int:
        return facets[kind].setdefault(value, len(facets[kind]))

    order = [term.value for term in catalog.settings.terms("severity")]
    for value in order:
        number("severity", value)
    rows: list[list[Any]] = []
    for pm in catalog:
        rows.append(
            [
                url_of(pm),
                pm.title,
                pm.date.isoformat(),
                number("severity", pm.severity or "unknown"),
                [number("service", s) for s in pm.services],
                [number("tag", t) for t in pm.tags],
                [number("category", c) for c in pm.root_cause_categories],
                "" if is_placeholder(pm.trigger or "") else pm.trigger or "",
                cause(pm),
                search_text(pm),
            ]
        )
    data = {
        "format": DATA_FORMAT,
        "fields": list(FIELDS),
        "facets": {kind: list(values) for kind, values in facets.items()},
        "synonyms": synonym_groups(synonyms),
        "stopWords": sorted(STOP_WORDS),
        "stems": vocabulary(catalog, words_of),
        "docs": rows,
    }
    # Escaping "<" keeps the file inert even if a browser were tricked into reading it as HTML.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def compress(data: str) -> bytes:
    """Return `data` gzipped, byte for byte the same on every build (no timestamp, no name).

    The page fetches this copy and inflates it with the browser's DecompressionStream, so a
    host that does not compress JSON still sends a tenth of the bytes; the plain copy is the
    fallback for browsers without DecompressionStream and hosts that mislabel `.gz` files.
    """
    return gzip.compress(data.encode("utf-8"), compresslevel=9, mtime=0)


def similar_links(
    ident: str, catalog: Catalog, related: Related, url_for: Callable[[str], str | None], limit: int
) -> list[dict[str, str]]:
    """Return the card data of the incidents related to `ident`, escaped, best first."""
    items = []
    for other_id, _score, reasons in related.get(ident, []):
        other = catalog.get(other_id)
        url = url_for(other_id)
        if other is None or url is None:
            continue
        items.append(
            {
                "id": escaped_text(other.id),
                "url": escaped_text(url),
                "title": escaped_text(other.title),
                "date": escaped_text(other.date.isoformat()),
                "severity": escaped_text(other.severity or "unknown"),
                "why": escaped_text("; ".join(reasons)),
            }
        )
        if len(items) == limit:
            break
    return items


def search_terms(catalog: Catalog, ident: str) -> dict[str, Markup] | None:
    """Return the escaped root cause and facets of `ident` for Material's own search index."""
    pm = catalog.get(ident)
    if pm is None:
        return None
    return {
        "root_cause": escape(" ".join(pm.root_cause.split())),
        "tags": escape(", ".join(pm.tags)),
        "services": escape(", ".join(pm.services)),
        "categories": escape(", ".join(pm.root_cause_categories)),
        "trigger": escape(pm.trigger or ""),
        "factors": escape("; ".join(pm.contributing_factors)),
    }
