"""Reuse the HTML of a page whose Markdown, and everything its conversion reads, is unchanged.

Converting Markdown is the largest cost of a build that the plugin adds to MkDocs' own: every
incident body (about 3 ms a page) and the generated pages still written in Markdown (home,
catalog, insights, follow-ups, guides; the listing pages written as HTML, `html_page`, are
not converted at all). The conversion is a function of the Markdown,
the site's Markdown extensions, the page's place in the site and, for relative links, which
files the site has. The HTML is kept in the build cache under a digest of all of those; on a match
the page gets empty Markdown to convert (MkDocs always converts; an incident page, a
`ConvertedPage`, skips it) and the kept HTML, table of contents, anchors and rendered title
are put back when the conversion is done.

What is never reused: a page whose HTML links to another page of the site and whose links
are not part of the digest (an incident body with a relative link: MkDocs checks those and
warns about broken ones on every build), a page with links to anchors of other pages, and
any page of a site where another plugin changes Markdown or HTML or where an extension reads
other files (snippets): their output does not depend on the page's Markdown alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import TableOfContents, get_toc

from ..core.cache import BuildCache, fingerprint

SPACE = "html"
_PAGES_LOG = logging.getLogger("mkdocs.structure.pages")  # decides if MkDocs keeps anchor links
# Extensions whose output depends on files other than the page.
_READS_FILES = ("snippets", "include", "macros")
# An href or src that is not absolute, protocol-relative, or an anchor on the same page.
_SITE_LINK = re.compile(r"""\s(?:href|src)\s*=\s*["'](?![a-zA-Z][a-zA-Z0-9+.-]*:|//|#)""")


@dataclass(frozen=True)
class Rendered:
    """What MkDocs' conversion of a page's Markdown gave, after the plugin's own changes."""

    html: str
    toc: TableOfContents
    anchors: frozenset[str]
    title: str | None

    def restore(self, page: Page) -> str:
        """Give `page` what its conversion set, and return its HTML."""
        page.toc = self.toc
        page.present_anchor_ids = set(self.anchors)
        page._title_from_render = self.title  # set by MkDocs' own conversion
        return self.html

    @classmethod
    def of(cls, page: Page, html: str) -> Rendered:
        """Return what the conversion of `page` (giving `html`) set."""
        anchors = frozenset(page.present_anchor_ids or ())
        return cls(html, page.toc, anchors, page._title_from_render)


class ConvertedPage(Page):
    """A page whose conversion the plugin may have from elsewhere (this cache, or a worker).

    The plugin gives such a page empty Markdown (`on_page_markdown`) and puts back the kept
    HTML when MkDocs' conversion is done (`on_page_content`). MkDocs converts empty Markdown to
    nothing, but sets up Python-Markdown and the site's extensions for it first, about 1 ms a
    page; `render` skips that and sets what that conversion sets.
    """

    elsewhere = False  # set by the plugin when the page's conversion comes from elsewhere

    def render(self, config: MkDocsConfig, files: Files) -> None:
        """Convert the page, unless its conversion comes from elsewhere and nothing gave it
        Markdown since: then set what converting empty Markdown sets."""
        elsewhere, self.elsewhere = self.elsewhere, False
        if not elsewhere or self.markdown != "":
            super().render(config, files)
            return
        self.content = ""
        self.toc = get_toc([])
        self._title_from_render = None
        self.present_anchor_ids = set()
        if _PAGES_LOG.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = {}


class RenderedPages:
    """The kept HTML of pages, by source path, for one build."""

    def __init__(self, cache: BuildCache, markdown: str | None = None) -> None:
        """Keep pages in `cache`; `markdown` digests the site's Markdown settings (None: off)."""
        self.cache = cache
        self.enabled = markdown is not None
        self._markdown = markdown or ""
        self._pending: dict[str, str] = {}
        self._reused: dict[str, Rendered] = {}
        # The last key of each page with what it digests: `holds` (deciding which pages a
        # worker converts) and `reuse` ask for the same one.
        self._keys: dict[str, tuple[str, tuple[object, ...], str]] = {}

    def reuse(self, page: Page, markdown: str, inputs: Sequence[object]) -> bool:
        """Return whether `page`'s HTML is kept for this `markdown` and other `inputs`."""
        if not self.enabled:
            return False
        uri = page.file.src_uri
        key = self._key(uri, markdown, inputs)
        found = self.cache.lookup(SPACE, uri, key)
        if isinstance(found, Rendered):
            self._reused[uri] = found
            return True
        self._pending[uri] = key
        return False

    def holds(self, uri: str, markdown: str, inputs: Sequence[object]) -> bool:
        """Return whether the page of `uri` is kept for this `markdown` and other `inputs`."""
        return self.enabled and self.cache.holds(SPACE, uri, self._key(uri, markdown, inputs))

    def restore(self, page: Page) -> str | None:
        """Put back the kept conversion of a reused page, returning its HTML (None if not)."""
        found = self._reused.pop(page.file.src_uri, None)
        return None if found is None else found.restore(page)

    def _key(self, uri: str, markdown: str, inputs: Sequence[object]) -> str:
        parts = tuple(inputs)
        kept = self._keys.get(uri)
        if kept is not None and kept[1] == parts and kept[0] == markdown:
            return kept[2]
        key = fingerprint(markdown, uri, self._markdown, *parts)
        self._keys[uri] = markdown, parts, key
        return key

    def keep(self, page: Page, html: str, *, links_in_digest: bool) -> None:
        """Keep `page`'s final HTML for the next build, if nothing outside its digest shapes it."""
        key = self._pending.pop(page.file.src_uri, None)
        if key is None or page.links_to_anchors:
            return
        if not links_in_digest and _SITE_LINK.search(html):
            return
        self.cache.store(SPACE, page.file.src_uri, key, Rendered.of(page, html))


def rendered_pages(cache: BuildCache, config: MkDocsConfig, owner: object) -> RenderedPages:
    """Return the kept pages of a build of `config`, whose only page-changing plugin is `owner`."""
    if changes_pages(config, owner):
        return RenderedPages(cache)
    settings = fingerprint(
        config.markdown_extensions,
        sorted((config.mdx_configs or {}).items()),
        config.use_directory_urls,
        repr(config.validation),
    )
    return RenderedPages(cache, settings)


def changes_pages(config: MkDocsConfig, owner: object, events: Sequence[str] = ()) -> bool:
    """Return whether a plugin other than `owner` changes pages' Markdown or HTML (or hooks
    one of `events`), or a Markdown extension of `config` reads other files."""
    for event in ("page_markdown", "page_content", *events):
        if any(
            getattr(method, "__self__", None) is not owner
            for method in config.plugins.events[event]
        ):
            return True
    names = [str(name) for name in config.markdown_extensions]
    return any(word in name for name in names for word in _READS_FILES)
