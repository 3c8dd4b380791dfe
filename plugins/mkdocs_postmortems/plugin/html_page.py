"""Build the plugin's pages written as HTML (`views.html`) without a Markdown conversion.

MkDocs gives every documentation file a `Page`: it reads the source, runs `on_page_markdown`,
converts the Markdown with the site's extensions and runs `on_page_content`. A file whose
`page` a plugin has set in `on_files` keeps it (`structure.nav` only checks that it is a
`Page`), so the plugin's HTML pages get an `HtmlPage`: reading its source writes its HTML
(links resolved from MkDocs' `File.url` of each target, by the adapter) and takes the
front matter from the generated page without parsing YAML; rendering gives the page that
HTML, its table of contents, the ids it holds and no conversion at all. Every plugin's
`on_page_read_source`, `on_page_markdown` and `on_page_content` still runs; a plugin that
gives the page its own source, or changes its Markdown (the HTML, here), gets MkDocs'
conversion of that text, as for any page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from markdown.util import parseBoolValue
from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils.meta import get_data

from ..views.html import Headings, Made

PARAGRAPH_SIGN = Markup("&para;")  # the toc extension's permalink text for `permalink: true`


class HtmlPage(Page):
    """A page whose body the plugin writes as HTML: read and rendered without Markdown."""

    def __init__(
        self,
        title: str,
        file: File,
        config: MkDocsConfig,
        meta: Mapping[str, object],
        write: Callable[[Page], Made],
    ) -> None:
        """Make the page of `file`, titled `title` (escaped), with its front matter `meta`;
        `write` returns its HTML once the site's files are known."""
        super().__init__(title, file, config)
        self._front = meta
        self._write = write
        self._made: Made | None = None

    def read_source(self, config: MkDocsConfig) -> None:
        """Write the page's HTML (its "Markdown" for other plugins) and take its front matter,
        unless a plugin gives the page another source: then read that as MkDocs does."""
        source = config.plugins.on_page_read_source(page=self, config=config)
        if source is not None:
            self._made = None
            self.markdown, self.meta = get_data(source)
            return
        self._made = self._write(self)
        self.markdown = self._made.html
        # A copy per build: plugins change page.meta (render_share sets the template).
        self.meta = {key: _copy(value) for key, value in self._front.items()}

    def render(self, config: MkDocsConfig, files: Files) -> None:
        """Give the page its written HTML, table of contents and anchors; convert with
        Markdown only what another plugin put in its place."""
        made = self._made
        if made is None or self.markdown != made.html:
            super().render(config, files)
            return
        self.content = made.html
        self.toc = get_toc(made.toc)
        self.present_anchor_ids = set(made.ids)


def _copy(value: object) -> object:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def headings_of(config: MkDocsConfig) -> Headings:
    """Return how the site's toc extension shapes headings (ids, permalinks), from its options.

    Not followed: `toc_depth` and `baselevel` (the plugin's pages have levels 1 and 2), and
    a `permalink` whose text is not a string.
    """
    toc: Mapping[str, Any] = (config.mdx_configs or {}).get("toc") or {}
    defaults = Headings()
    permalink = toc.get("permalink", False)
    enabled = parseBoolValue(permalink, False)  # None: a string, the link's own text
    text = PARAGRAPH_SIGN if enabled else escape(permalink) if enabled is None else Markup("")
    return Headings(
        slugify=toc.get("slugify") or defaults.slugify,
        separator=str(toc.get("separator", defaults.separator)),
        permalink=str(text),
        permalink_class=str(toc.get("permalink_class", defaults.permalink_class)),
        permalink_title=str(toc.get("permalink_title", defaults.permalink_title)),
        permalink_leading=bool(parseBoolValue(toc.get("permalink_leading", False), False)),
    )


def nav_titles(nav: object) -> dict[str, str]:
    """Return the titles the site's `nav` option gives pages, by source path.

    MkDocs gives a page the title of its `nav` entry; it keeps a page a plugin made, title and
    all, so the plugin sets these itself.
    """
    return dict(_titled(nav))


def _titled(item: object) -> Iterator[tuple[str, str]]:
    if isinstance(item, list):
        for child in item:
            yield from _titled(child)
    elif isinstance(item, dict):
        for title, value in item.items():
            if isinstance(value, str):
                yield value, str(title)
            else:
                yield from _titled(value)
