"""Write the generated Markdown pages of the site (home page and listings) from the catalog."""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from markupsafe import escape

from ..core.catalog import Catalog
from ..core.loader import Rejected, page_id
from ..core.model import Postmortem
from ..core.yaml_dump import dump
from .html import HtmlBody, Part
from .markup import md_link, md_text


@dataclass(frozen=True)
class GeneratedPage:
    """A page the plugin adds to the site: where it lives and its Markdown (or HTML)."""

    src_uri: str
    markdown: str  # of a page written as HTML: its front matter only
    in_nav: bool = True  # False keeps it out of the navigation (one page per tag, ...)
    listing: tuple[Postmortem, ...] = ()  # incidents its template lists in a table
    # Template data of a page whose template lists things with links (the follow-ups), made
    # once MkDocs knows where incident pages are: given a function from a postmortem to its
    # URL relative to this page, return what the template reads as `pm_data`.
    data: Callable[[Callable[[Postmortem], str]], dict[str, Any]] | None = None
    # A page written as HTML (`views.html`), built without Markdown: its body, and its front
    # matter as data (title escaped, template, hide, search), read without parsing YAML.
    html: HtmlBody | None = None
    meta: Mapping[str, object] | None = None


def relative_path(target: str, start: str) -> str:
    """Return `posixpath.relpath(target, start or ".")` for two relative source paths.

    Without its system calls (it makes both paths absolute from the working folder): listing
    pages make tens of thousands of links per build. Paths that are not plain (absolute, or
    with empty, `.` or `..` parts) go to `relpath` itself.
    """
    to_parts = target.split("/")
    from_parts = start.split("/") if start else []
    if not _plain(to_parts) or not _plain(from_parts) or target.startswith("/"):
        return posixpath.relpath(target, start or ".")
    common = 0
    for mine, theirs in zip(to_parts, from_parts, strict=False):
        if mine != theirs:
            break
        common += 1
    return "/".join([".."] * (len(from_parts) - common) + to_parts[common:]) or "."


def _plain(parts: list[str]) -> bool:
    return all(part not in ("", ".", "..") for part in parts)


# Listing pages link each incident from many pages (its year, tags, services, factors...).
@lru_cache(maxsize=65_536)
def _incident_uri(prefix: str, pm_path: str) -> str:
    folder, name = posixpath.split(pm_path)
    stem, suffix = posixpath.splitext(name)
    if suffix.lower() == ".md":
        # A file name that is not an id (`%2e%2e%2f...`) is published under its safe id.
        name = page_id(stem) + suffix
    return f"{prefix}/{posixpath.join(folder, name)}"


@dataclass(frozen=True)
class Layout:
    """Where things live in the site, as source paths MkDocs resolves links between."""

    prefix: str = "postmortems"  # site folder of the incident pages

    def incident_uri(self, pm_path: str) -> str:
        """Return the source path of the page of the postmortem at `pm_path`."""
        return _incident_uri(self.prefix, pm_path)

    def rejected_uri(self, rejected: Rejected) -> str:
        """Return the source path of the page that reports a file that could not be read."""
        folder = posixpath.dirname(rejected.path)
        return self.incident_uri(posixpath.join(folder, f"{rejected.id}.md"))

    def link(self, from_uri: str, to_uri: str) -> str:
        """Return a relative link from page `from_uri` to page `to_uri` (both source paths)."""
        return relative_path(to_uri, posixpath.dirname(from_uri))

    def incident_link(self, from_uri: str, pm: Postmortem) -> str:
        """Return a Markdown link from page `from_uri` to `pm`, titled with its title."""
        return md_link(pm.title, self.link(from_uri, self.incident_uri(pm.path)))


def listed(pm: Postmortem) -> Postmortem:
    """Return what listing pages (browse, follow-ups, insights, home) are made from of `pm`.

    Not its story, summary, impact, timeline, links, authors, extra fields, estimated-time
    marks or field lines, which only its own page and the exports show: the plugin makes those
    pages from these records, so an edit of those fields cannot change them, by construction.
    """
    return replace(
        pm,
        body="",
        digest="",
        summary="",
        impact=None,
        timeline=(),
        links=(),
        authors=(),
        extra={},
        approximate=(),
        lines={},
    )


def page_meta(
    title: str, *, hide: Sequence[str] = (), searchable: bool = True, **meta: str
) -> dict[str, object]:
    """Return the metadata (front matter) of a generated page.

    The title is escaped because MkDocs and Material print page titles without escaping.
    `hide` lists Material parts to hide (navigation, toc); `searchable=False` keeps the page
    out of the search index.
    """
    data: dict[str, object] = {"title": str(escape(title)), **meta}
    if hide:
        data["hide"] = list(hide)
    if not searchable:
        # Pages that only repeat incident facts stay out of the search index, which would
        # otherwise hold every incident many times over.
        data["search"] = {"exclude": True}
    return data


def front_matter(
    title: str, *, hide: Sequence[str] = (), searchable: bool = True, **meta: str
) -> str:
    """Return YAML front matter for a generated page (`page_meta`).

    Values are JSON strings (valid YAML, no quoting traps).
    """
    data = page_meta(title, hide=hide, searchable=searchable, **meta)
    return "---\n" + dump(data) + "---\n\n"


def html_page(
    src_uri: str,
    title: str,
    parts: Iterable[Part],
    *,
    in_nav: bool = True,
    listing: tuple[Postmortem, ...] = (),
    hide: Sequence[str] = (),
    searchable: bool = True,
    **options: str,
) -> GeneratedPage:
    """Return a page written as HTML (`views.html`): `parts` are its body, the rest as for
    `page_meta`. Its file holds the front matter alone, for whoever reads it, as JSON (which
    is YAML): a tenth of the time of block YAML, for more than a thousand pages."""
    meta = page_meta(title, hide=hide, searchable=searchable, **options)
    return GeneratedPage(
        src_uri,
        "---\n" + json.dumps(meta) + "\n---\n",
        in_nav=in_nav,
        listing=listing,
        html=HtmlBody(tuple(parts)),
        meta=meta,
    )


NEWEST_ON_HOME = 20
LISTING_TEMPLATE = "postmortems/listing.html"  # page Markdown, then a table of its `listing`


def home_page(
    catalog: Catalog,
    layout: Layout,
    src_uri: str = "index.md",
    links: list[tuple[str, str]] | None = None,
    catalog_uri: str = "catalog.md",
) -> GeneratedPage:
    """Return the home page: what the knowledge base holds, `links` to browse, the newest."""
    parts = [
        front_matter("Postmortems", hide=["navigation"], searchable=False),
        "# Postmortem knowledge base\n\n",
    ]
    count = len(catalog)
    severities = Counter(pm.severity or "unknown" for pm in catalog)
    order = [term.value for term in catalog.settings.terms("severity")] + ["unknown"]
    by_severity = ", ".join(
        f"{severities[name]} {md_text(name)}" for name in order if severities.get(name)
    )
    not_done = sum(len(pm.open_action_items) for pm in catalog)
    parts.append(
        f"{count} incident{'s' if count != 1 else ''}"
        + (f" ({by_severity})" if by_severity else "")
        + f", {not_done} follow-up{'s' if not_done != 1 else ''} not done.\n\n"
    )
    broken = len(catalog.rejected) + sum(1 for pm in catalog if pm.has_errors)
    if broken:
        parts.append(
            f"**{broken} file{'s' if broken != 1 else ''} in the postmortems folder "
            "have problems**: their pages show what to fix, and `postmortems lint` lists them.\n\n"
        )
        for rejected in catalog.rejected:
            target = layout.link(src_uri, layout.rejected_uri(rejected))
            parts.append(f"- {md_link(rejected.path, target)} could not be read\n")
        parts.append("\n")
    if not count:
        parts.append('No postmortems yet. Add one with `postmortems new "Title"`.\n')
        return GeneratedPage(src_uri, "".join(parts))
    if links:
        parts.append("## Browse\n\n")
        parts += [f"- {md_link(label, target)}\n" for label, target in links]
        parts.append("\n")
    newest = list(catalog)[:NEWEST_ON_HOME]
    if count > len(newest):
        rest = md_link(f"All {count} incidents in the catalog", layout.link(src_uri, catalog_uri))
        parts.append(f"## Newest {len(newest)} of {count}\n\n{rest}, to sort and filter.\n")
    else:
        parts.append("## Incidents, newest first\n")
    # The table is the listing template's, as on every browse page: the same severity badge,
    # and columns that give way on a phone.
    parts[0] = front_matter(
        "Postmortems", hide=["navigation"], searchable=False, template=LISTING_TEMPLATE
    )
    return GeneratedPage(src_uri, "".join(parts), listing=tuple(newest))
