"""Render Material's sidebar navigation once for all the pages that are not in it.

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
# What Material's navigation partial includes: when any of them comes from elsewhere (a site's
# custom_dir), the navigation may show anything of the page and is never reused.
PARTIALS = (NAV, "partials/nav-item.html", "partials/logo.html", "partials/source.html")
_ORIGINAL = "postmortems/theme-navigation.html"
_SHIM = "{{ pm_navigation() }}"


class NavigationCache:
    """The navigation HTML drawn in one build, by the relative links it holds."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[str, ...], Markup] = {}
        self._nav_pages: set[int] = set()
        self._targets: tuple[str, ...] = ()
        self.hits = 0
        self.misses = 0

    def install(self, env: jinja2.Environment, nav: Navigation, extra: list[Any]) -> bool:
        """Let `env` reuse navigation HTML for this build; return whether it does.

        `extra` holds the other URLs the partial may link to (the logo, a home page URL)."""
        self.hits = self.misses = 0
        if env.loader is None or not _material_partials(env.loader):
            return False
        self._drawn = {}
        self._nav_pages = {id(page) for page in nav.pages}
        self._targets = tuple(_urls(nav, [str(url) for url in extra if url]))
        env.loader = _ShimLoader(env.loader)
        env.globals["pm_navigation"] = self._render
        return True

    @jinja2.pass_context
    def _render(self, context: jinja2.runtime.Context) -> Markup:
        template = context.environment.get_template(_ORIGINAL)
        page = context.get("page")
        if not isinstance(page, Page) or id(page) in self._nav_pages or page.parent is not None:
            return Markup(template.render(context.get_all()))
        key = tuple(normalize_url(url, page) for url in self._targets)
        drawn = self._drawn.get(key)
        if drawn is None:
            self.misses += 1
            drawn = self._drawn[key] = Markup(template.render(context.get_all()))
        else:
            self.hits += 1
        return drawn


class _ShimLoader(jinja2.BaseLoader):
    """The theme's loader, with `partials/nav.html` drawn through the cache."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template == NAV:
            return _SHIM, None, lambda: True
        return self.inner.get_source(environment, NAV if template == _ORIGINAL else template)

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def _material_partials(loader: jinja2.BaseLoader) -> bool:
    """Return whether the navigation partials are the ones Material ships."""
    if isinstance(loader, _ShimLoader):
        loader = loader.inner
    if not isinstance(loader, jinja2.FileSystemLoader):
        return False
    material = _material_templates()
    for name in PARTIALS:
        candidates = (Path(folder) / name for folder in loader.searchpath)
        found = next((path for path in candidates if path.is_file()), None)
        if found is None or found.resolve().parent.parent != material:
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
