"""Build part of the plugin's pages through the theme in a worker process.

Once every page is converted, MkDocs draws each one through the theme's templates, one after
another: at 1,000 postmortems about 7 s of a build (5 ms an incident page, 2 ms a listing
page), which the worker of `parallel` can share like the conversion. At `on_env` the plugin
forks a worker that builds the plugin's pages from the last one backwards exactly as MkDocs'
build does (`_build_page`: the context, every plugin's `on_page_context`, the template,
`on_post_page`, writing the file), while the build goes forward; they meet in the middle.

A page's template is chosen before any plugin hook runs for it, so each of the plugin's pages
is given `TEMPLATE`, which draws the page's own template unless the worker has built the page
(decided in `on_page_context` when the build reaches it): then the build draws nothing, and
MkDocs' note that it skipped an empty page is dropped. What the worker logged while building
the page is logged by the build at that point, so `--strict` counts its warnings.

On top of the conditions of `parallel.unavailable`, it needs that no other plugin hooks
`post_page`: such a plugin would see an empty page in the build and its work on the real
one would stay in the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from ..core.cache import BuildCache, Stored
from .parallel import Job, Sink, replay

TEMPLATE = "postmortems/built-elsewhere.html"
# With `workers: auto`, fewer of the plugin's pages than this are all built here: the worker
# would save a few tenths of a second at most (a page takes 2-5 ms to build).
AUTO_MIN_PAGES = 250
# MkDocs' note for a page whose template drew nothing, around the page's source path.
_SKIPPED_BEFORE, _SKIPPED_AFTER = "Page skipped: '", "'. Generated empty output."
_BUILD_LOGGER = "mkdocs.commands.build"


def shares_rendering(config: MkDocsConfig, owner: object) -> bool:
    """Return whether pages can be built in a worker: no other plugin sees built pages."""
    return all(
        getattr(method, "__self__", None) is owner for method in config.plugins.events["post_page"]
    ) and hasattr(mkdocs_build, "_build_page")


@dataclass(frozen=True)
class Built:
    """What building a page in the worker logged and put in the build cache (the incident
    card); its HTML is in the site folder already."""

    records: tuple[dict[str, Any], ...]
    stored: tuple[Stored, ...] = ()

    def restore(self, page: Page, files: Files) -> str:
        """Log what the worker logged for `page`, here, as the build would have."""
        replay(self.records)
        return ""

    def keep(self, cache: BuildCache) -> None:
        """Keep in the build's `cache` what the worker stored in its own (as bytes: the
        build does not need the values, the next build unpickles what it uses)."""
        for entry in self.stored:
            cache.store_pickled(*entry)


class Pages:
    """The plugin's pages the build may leave to the worker, and which the worker built."""

    def __init__(self, pages: Iterable[Page]) -> None:
        """Give each of `pages` the template that draws it unless the worker built it."""
        self.own: dict[str, str | None] = {}
        for page in pages:
            self.own[page.file.src_uri] = page.meta.get("template")
            page.meta["template"] = TEMPLATE
        self.elsewhere: set[str] = set()
        self._filter = _DropSkipped(self.elsewhere)
        logging.getLogger(_BUILD_LOGGER).addFilter(self._filter)

    def restore_templates(self, pages: Iterable[Page]) -> None:
        """Put back the pages' own templates (in the worker, or when no worker started)."""
        for page in pages:
            own = self.own.get(page.file.src_uri)
            if own is None:
                page.meta.pop("template", None)
            else:
                page.meta["template"] = own

    def template_of(self, page: Page) -> str:
        """Return the template `page` is drawn with when the build draws it."""
        return self.own.get(page.file.src_uri) or "main.html"

    def close(self) -> None:
        """Stop dropping MkDocs' notes (the build is over)."""
        logging.getLogger(_BUILD_LOGGER).removeFilter(self._filter)


class _DropSkipped(logging.Filter):
    """Drop MkDocs' "Page skipped" note for the pages the worker built."""

    def __init__(self, elsewhere: set[str]) -> None:
        super().__init__()
        self._elsewhere = elsewhere

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not (message.startswith(_SKIPPED_BEFORE) and message.endswith(_SKIPPED_AFTER)):
            return True
        return message[len(_SKIPPED_BEFORE) : -len(_SKIPPED_AFTER)] not in self._elsewhere


def builder(
    config: MkDocsConfig, files: Files, nav: Navigation, env: Any, cache: BuildCache
) -> Job:
    """Return the worker's job: build one page as MkDocs' build does, writing its file, and
    send what that stored in the build `cache` (which must `watch_stores` in the worker)."""
    pages = files.documentation_pages(inclusion=InclusionLevel.is_included)

    def build(file: File, sink: Sink) -> Built:
        assert file.page is not None
        with sink.recording() as records:
            mkdocs_build._build_page(file.page, config, pages, nav, env)
        return Built(tuple(records), tuple(cache.take_stores()))

    return build
