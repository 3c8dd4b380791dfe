"""Render Material's sidebar navigation and header once for all the pages that are not in it.

Every page of a Material site carries the whole navigation, and drawing it is the largest part
of the theme's work on a page (about 1.5 ms of 4.6 for a listing page of a site with two dozen
entries). The plugin adds thousands of pages that are not in the navigation (incidents and
listings), and for those pages the navigation's HTML is the same except for its relative
links: no entry is active, and no entry is the page. So the navigation is drawn once per set of
relative links and reused.

It is done at the template level: the theme's environment resolves `partials/nav.html` to a
one-line template that calls `pm_navigation()`, which renders the real partial (whatever the
site's `custom_dir` or Material provides) or returns the copy drawn for a page with the same
relative links. Pages in the navigation, pages of other templates without a `page`, and sites
whose navigation partials are not Material's own (a custom partial may show anything of the
page) are always drawn. `tests/test_navcache.py` builds sites with the cache on and off and
compares every page byte for byte.

The header (a quarter of the theme's work on a listing page) is the same for such pages but
for its relative links and the page's title. It is drawn once per set of links with a token for
the title, through a stand-in page that has only a title and a URL: if the partial asks the
page for anything else (a site's or a later Material's header might), the header is drawn for
every page for the rest of the build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import normalize_url

NAV = "partials/nav.html"
HEADER = "partials/header.html"
# What Material's navigation partial includes: when any of them comes from elsewhere (a site's
# custom_dir), the navigation may show anything of the page and is never reused.
PARTIALS = (NAV, "partials/nav-item.html", "partials/logo.html", "partials/source.html")
# The same for the header (whose translations, `lang.t`, are the same on every page).
HEADER_PARTIALS = (
    HEADER,
    "partials/logo.html",
    "partials/palette.html",
    "partials/javascripts/palette.html",
    "partials/alternate.html",
    "partials/search.html",
    "partials/source.html",
    "partials/tabs.html",
    "partials/tabs-item.html",
)
_ORIGINALS = {
    "postmortems/theme-navigation.html": NAV,
    "postmortems/theme-header.html": HEADER,
}
_SHIMS = {NAV: "{{ pm_navigation() }}", HEADER: "{{ pm_header() }}"}
_TITLE = "\x00pm-page-title\x00"  # stands for the page's title in a header drawn for many


class _Uncacheable(Exception):
    """A partial asked the stand-in page for something only the real page has."""


class _TitledPage:
    """What the header partial may read of a page: a title (the token) and its URL."""

    def __init__(self, page: Page) -> None:
        self.title = _TITLE
        self.meta = {"title": _TITLE}
        self.url = page.url

    def __getattr__(self, name: str) -> Any:
        raise _Uncacheable(name)


class NavigationCache:
    """The navigation HTML drawn in one build, by the relative links it holds."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[str, ...], Markup] = {}
        self._headers: dict[tuple[object, ...], tuple[str, str]] = {}
        self._keyed: tuple[object, tuple[str, ...]] = (None, ())  # the last page's key
        self._nav_pages: set[int] = set()
        self._header = False  # the header is drawn once per set of links
        self._targets: tuple[str, ...] = ()
        self.hits = 0
        self.misses = 0
        self.header_hits = 0
        self.header_misses = 0

    def install(self, env: jinja2.Environment, nav: Navigation, extra: list[Any]) -> bool:
        """Let `env` reuse navigation HTML for this build; return whether it does.

        `extra` holds the other URLs the partial may link to (the logo, a home page URL)."""
        self.hits = self.misses = self.header_hits = self.header_misses = 0
        if env.loader is None or not from_material(env.loader, PARTIALS):
            return False
        self._drawn, self._headers, self._keyed = {}, {}, (None, ())
        self._header = from_material(env.loader, HEADER_PARTIALS)
        self._nav_pages = {id(page) for page in nav.pages}
        self._targets = tuple(_urls(nav, [str(url) for url in extra if url]))
        shims = dict(_SHIMS) if self._header else {NAV: _SHIMS[NAV]}
        env.loader = _ShimLoader(env.loader, shims, dict(_ORIGINALS))
        env.globals["pm_navigation"] = self._render
        env.globals["pm_header"] = self._render_header
        return True

    def outside(self, page: object) -> bool:
        """Return whether `page` is a page outside the navigation (drawn from the cache)."""
        return isinstance(page, Page) and id(page) not in self._nav_pages and page.parent is None

    def links(self, page: Page) -> tuple[str, ...]:
        """Return every URL the partials may link to, relative to `page` (made once per page:
        the header and the navigation both ask)."""
        if self._keyed[0] is not page:
            self._keyed = page, tuple(normalize_url(url, page) for url in self._targets)
        return self._keyed[1]

    def near_links(self, page: Page) -> tuple[str, ...]:
        """Return the URLs the partials may link to that share `page`'s first segment, relative
        to it: the others' relative forms depend only on the page's depth (its base URL)."""
        head = page.url.split("/", 1)[0] + "/"
        return tuple(normalize_url(url, page) for url in self._targets if url.startswith(head))

    @jinja2.pass_context
    def _render_header(self, context: jinja2.runtime.Context) -> Markup:
        template = context.environment.get_template("postmortems/theme-header.html")
        page = context.get("page")
        if not self._header or not self.outside(page):
            return Markup(template.render(context.get_all()))
        assert isinstance(page, Page)
        key = (self.links(page), context.get("base_url"))
        drawn = self._headers.get(key)
        if drawn is None:
            try:
                html = template.render({**context.get_all(), "page": _TitledPage(page)})
            except _Uncacheable:
                html = ""
            if html.count(_TITLE) != 1:
                self._header = False  # this header shows more of the page: draw it each time
                return Markup(template.render(context.get_all()))
            before, after = html.split(_TITLE)
            drawn = self._headers[key] = before, after
            self.header_misses += 1
        else:
            self.header_hits += 1
        # What Material's header shows: `page.meta.title` if set, else `page.title`.
        title = page.meta.get("title") if page.meta else None
        return Markup(f"{drawn[0]}{title or page.title}{drawn[1]}")

    @jinja2.pass_context
    def _render(self, context: jinja2.runtime.Context) -> Markup:
        template = context.environment.get_template("postmortems/theme-navigation.html")
        page = context.get("page")
        if not self.outside(page):
            return Markup(template.render(context.get_all()))
        assert isinstance(page, Page)
        key = self.links(page)
        drawn = self._drawn.get(key)
        if drawn is None:
            self.misses += 1
            drawn = self._drawn[key] = Markup(template.render(context.get_all()))
        else:
            self.hits += 1
        return drawn


def add_shims(env: jinja2.Environment, shims: dict[str, str], originals: dict[str, str]) -> None:
    """Let the environment `install` shimmed also answer `shims` (template sources by name),
    and `originals` (names for the theme's own templates, by the name they take)."""
    assert isinstance(env.loader, _ShimLoader)
    env.loader.shims.update(shims)
    env.loader.originals.update(originals)


class _ShimLoader(jinja2.BaseLoader):
    """The theme's loader, with `partials/nav.html` (and the header) drawn through the cache."""

    def __init__(
        self, inner: jinja2.BaseLoader, shims: dict[str, str], originals: dict[str, str]
    ) -> None:
        self.inner = inner
        self.shims = shims
        self.originals = originals

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        shim = self.shims.get(template)
        if shim is not None:
            return shim, None, lambda: True
        return self.inner.get_source(environment, self.originals.get(template, template))

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def from_material(loader: jinja2.BaseLoader, names: tuple[str, ...]) -> bool:
    """Return whether the partials `names` are the ones Material ships (or absent from it)."""
    if isinstance(loader, _ShimLoader):
        loader = loader.inner
    if not isinstance(loader, jinja2.FileSystemLoader):
        return False
    material = _material_templates()
    for name in names:
        candidates = (Path(folder) / name for folder in loader.searchpath)
        found = next((path for path in candidates if path.is_file()), None)
        if found is not None and found.resolve() != (material / name).resolve():
            return False
        if found is None and name in (NAV, HEADER):
            return False
    return True


def _material_templates() -> Path:
    import material  # the theme package; only its location is used

    return (Path(material.__file__).parent / "templates").resolve()


def _urls(nav: Navigation, extra: list[str]) -> Iterator[str]:
    """Yield every URL the navigation partial turns into a link relative to the page."""
    if nav.homepage is not None:
        yield nav.homepage.url
    yield ""  # the root, for links to the home page when there is none in the navigation
    yield from extra

    def walk(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, Section):
                yield from walk(item.children)
            elif isinstance(item, Page | Link) and item.url is not None:
                yield item.url

    yield from walk(nav.items)
