"""Draw the plugin's pages outside the navigation from one shell per kind of page.

Material draws every page through `base.html`: the head, the header, the navigation, the table
of contents, the content, the footer and the scripts' configuration. For the plugin's pages
outside the navigation (1,000 incident pages and over 1,000 listing pages at 1,000
postmortems) all of it but a few values is the same on every page of a kind: the title, the
description, the canonical and edit URLs, the table of contents and the content. `navcache`
already draws the navigation and the header once; this module draws the rest once too.

How: those pages get `TEMPLATE`, which calls `pm_stencil()`. For the first page of a kind it
draws the page's own template through a wrapper that extends it and puts a marker where the
`content` block goes, with a stand-in page (a copy of the page) whose varying values are
markers, and with the table of contents partial answering a marker. The output, cut at the
markers, is the shell of that kind. A page is then drawn by rendering its own template's
`content` block and the table of contents partial in the context the shell's render had
there, and filling the shell with them and the page's values.

What makes a kind (the key): the template, the page's relative links (`navcache`), its base
URL and first URL segment, its table of contents' first entry (the skip link), its front
matter other than title and description, which values it has, and every other context value.

Why it can be trusted: a marker holds `<&>`, so a value that a template escapes, strips or
changes in any way leaves a broken marker and the kind is drawn in full; a marker for the
page's content outside the block does the same. The shell is trusted only after it gave, for
two pages of its kind, exactly the HTML of their full render; until then and whenever a
check fails, pages are drawn in full. Only pages outside the navigation with a `content` block
in their own template are drawn so; `tests/test_stencil.py` compares whole sites with the
stencil on and off, with site templates that show more of the page.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from markupsafe import Markup
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

TEMPLATE = "postmortems/stencil.html"
TOC = "partials/toc.html"
TOC_ORIGINAL = "postmortems/theme-toc.html"
TOC_PARTIALS = (TOC, "partials/toc-item.html")
SHIMS = {TEMPLATE: "{{ pm_stencil() }}", TOC: "{{ pm_toc() }}"}
ORIGINALS = {TOC_ORIGINAL: TOC}
# The template that gives a page's own template a marker for its content block.
_WRAPPER = "{% extends pm_stencil_own %}{% block content %}{{ pm_stencil_block() }}{% endblock %}"
CHECKS = 2  # pages of a kind drawn in full, and found equal to the shell's, before it is used

# Mixed case and `<&>`: escaping, stripping tags or changing case leaves a broken marker.
_MARK = "\x00Pm-StenciL:{}<&>\x00"
_MARKS = re.compile("\x00Pm-StenciL:([a-z_]+)<&>\x00")
_PAGE_VALUES = ("title", "canonical_url", "abs_url", "edit_url")
_META_VALUES = ("title", "description")
_TOC_VALUES = ("id", "title")  # of the first heading
BLOCK, TOC_SLOT, CONTENT = "block", "toc", "content"
# Context values that differ per page and that the shell may not show: the page itself, and
# the build time MkDocs gives each page's context.
_OWN_VALUES = frozenset({"page", "build_date_utc"})


class _Refused(Exception):
    """The shell cannot stand for the pages of its kind."""


class _Mark(str):
    """A value of the stand-in page: a template may show it; anything it computes from it
    (a length, a part, a test) refuses the shell, which could not hold for other pages."""

    def __bool__(self) -> bool:
        return True  # stands for a value that is not empty (_shown)

    def _refuse(self, *args: object) -> Any:
        raise _Refused("a template computes with a value of the page")

    __len__ = __contains__ = __iter__ = __getitem__ = _refuse


class _FirstHeading(TableOfContents):
    """The stand-in page's headings: the first (Material's skip link), and nothing more."""

    def __init__(self, first: AnchorLink) -> None:
        super().__init__([first])

    def __iter__(self) -> Iterator[AnchorLink]:
        yield self.items[0]
        raise _Refused("a template reads more of the headings than the first")

    def __len__(self) -> int:
        raise _Refused("a template counts the headings")


_ABSENT = object()


def _shown(value: object) -> object:
    """Return what pages of one shell share of a value it fills in: that it is there (a marker
    is never empty), or which empty value it is."""
    if value is _ABSENT:
        return "absent"
    return True if value else _signature(value)


@dataclass
class _Shell:
    """The HTML of a kind of page cut at its markers, and the contexts of its two slots."""

    pieces: list[str]
    slots: list[str]
    block: dict[str, Any]
    toc: dict[str, Any] | None
    checks: int = 0
    tocs: dict[object, str] = field(default_factory=dict)  # drawn, by headings (Material's)


_REFUSED = "refused"


class Stencils:
    """The shells drawn in one build, by kind of page."""

    def __init__(self) -> None:
        self._own: dict[str, str] = {}  # by source path: the page's own template
        self._shells: dict[tuple[object, ...], _Shell | str] = {}
        self._shaping: dict[str, Any] | None = None  # while a shell is drawn: what it captured
        self._links: Callable[[Page], tuple[str, ...]] = lambda page: ()
        self._outside: Callable[[object], bool] = lambda page: False
        self._content_data: frozenset[str] = frozenset()
        self._wrapper: jinja2.Template | None = None
        self._material_toc = False
        self.hits = 0
        self.misses = 0

    @property
    def refused(self) -> int:
        """Return how many kinds of page this build draws in full: their shell failed a check."""
        return sum(1 for shell in self._shells.values() if shell == _REFUSED)

    def reset(self) -> None:
        """Forget the shells and counts of the last build (a new build begins)."""
        self.hits = self.misses = 0
        self._shells = {}

    def install(
        self,
        env: jinja2.Environment,
        pages: Iterable[Page],
        *,
        links: Callable[[Page], tuple[str, ...]],
        outside: Callable[[object], bool],
        content_data: Iterable[str] = (),
        material_toc: bool = False,
    ) -> None:
        """Draw `pages` from shells in this build.

        `links` gives a page's relative links (the navigation's, but those its base URL and
        first URL segment decide), `outside` whether a page is outside the navigation, and
        `content_data` the names of the context values the pages' content blocks show;
        `material_toc` says the table of contents partials are Material's own."""
        self.reset()
        self._links, self._outside = links, outside
        self._content_data = frozenset(content_data)
        self._wrapper = env.from_string(_WRAPPER)
        self._material_toc = material_toc
        for page in pages:
            uri = page.file.src_uri
            own = page.meta.get("template") or "main.html"
            if own == TEMPLATE:  # kept from an earlier build (a dirty build skips pages)
                if uri not in self._own:
                    continue
            else:
                self._own[uri] = own
            page.meta["template"] = TEMPLATE
        env.globals["pm_stencil"] = self._draw
        env.globals["pm_toc"] = self._toc
        env.globals["pm_stencil_block"] = self._block_mark

    @jinja2.pass_context
    def _draw(self, context: jinja2.runtime.Context) -> Markup:
        page = context.get("page")
        env = context.environment
        values = context.get_all()
        own_name = self._own.get(page.file.src_uri, "main.html") if isinstance(page, Page) else ""
        own = env.get_template(own_name or "main.html")
        key = self._key(page, values, own_name, own, env) if own_name else None
        shell = self._shells.get(key) if key is not None else _REFUSED
        if key is not None and isinstance(shell, _Shell) and shell.checks >= CHECKS:
            try:
                html = self._fill(shell, page, values, own, env)
            except jinja2.TemplateError:
                self._shells[key] = _REFUSED
            else:
                self.hits += 1
                return Markup(html)
        full = own.render(values)
        self.misses += 1
        if key is not None and shell != _REFUSED:
            try:
                made = shell if isinstance(shell, _Shell) else self._shape(page, values, own_name)
                if self._fill(made, page, values, own, env) != full:
                    raise _Refused("differs from the page drawn in full")
            except (_Refused, jinja2.TemplateError):
                self._shells[key] = _REFUSED
            else:
                made.checks += 1
                self._shells[key] = made
        return Markup(full)

    def _key(
        self,
        page: Page,
        values: Mapping[str, Any],
        own_name: str,
        own: jinja2.Template,
        env: jinja2.Environment,
    ) -> tuple[object, ...] | None:
        """Return what pages drawn from one shell share, or None for a page drawn in full."""
        if (
            "content" not in own.blocks
            or not self._outside(page)
            or page.previous_page is not None
            or page.next_page is not None
        ):
            return None
        first = next(iter(page.toc), None)
        meta = page.meta
        context = tuple(
            (name, _signature(value))
            for name, value in values.items()
            if name not in _OWN_VALUES
            and name not in self._content_data
            and env.globals.get(name, _ABSENT) is not value
        )
        return (
            own_name,
            values.get("base_url"),
            page.url.split("/", 1)[0],
            self._links(page),
            None if first is None else first.level,
            _signature({name: meta[name] for name in meta if name not in _META_VALUES}),
            tuple(_shown(meta.get(name, _ABSENT)) for name in _META_VALUES),
            tuple(_shown(getattr(page, name, None)) for name in _PAGE_VALUES),
            page.is_homepage,
            context,
        )

    def _shape(self, page: Page, values: Mapping[str, Any], own_name: str) -> _Shell:
        """Draw the shell of `page`'s kind: its own template with markers for its values."""
        stand_in = copy.copy(page)
        stand_in.meta = dict(page.meta)
        for name in _META_VALUES:
            if page.meta.get(name):
                stand_in.meta[name] = _Mark(_MARK.format(f"meta_{name}"))
        for name in _PAGE_VALUES:
            if getattr(page, name, None):
                setattr(stand_in, name, _Mark(_MARK.format(name)))
        stand_in.content = _Mark(_MARK.format(CONTENT))
        stand_in.markdown = _Mark(_MARK.format(CONTENT))
        first = next(iter(page.toc), None)
        if first is not None:  # Material's skip link goes to the first heading
            first = copy.copy(first)
            for name in _TOC_VALUES:
                setattr(first, name, _Mark(_MARK.format(f"toc_{name}")))
            stand_in.toc = _FirstHeading(first)
        captured: dict[str, Any] = {}
        self._shaping = captured
        assert self._wrapper is not None  # installed
        try:
            html = self._wrapper.render({**values, "page": stand_in, "pm_stencil_own": own_name})
        finally:
            self._shaping = None
        parts = _MARKS.split(html)
        pieces, slots = parts[::2], parts[1::2]
        fillable = {
            *(f"meta_{name}" for name in _META_VALUES),
            *(f"toc_{name}" for name in _TOC_VALUES),
            *_PAGE_VALUES,
            BLOCK,
            TOC_SLOT,
        }
        if (
            any("\x00" in piece for piece in pieces)
            or not set(slots) <= fillable
            or slots.count(BLOCK) != 1
            or slots.count(TOC_SLOT) > 1
            or BLOCK not in captured
        ):
            raise _Refused("the template shows more of the page than its values")
        return _Shell(pieces, slots, captured[BLOCK], captured.get(TOC_SLOT))

    def _fill(
        self,
        shell: _Shell,
        page: Page,
        values: Mapping[str, Any],
        own: jinja2.Template,
        env: jinja2.Environment,
    ) -> str:
        """Return `page` drawn from `shell`: its content block, its table of contents and its
        values in their places."""
        out = [shell.pieces[0]]
        for slot, piece in zip(shell.slots, shell.pieces[1:], strict=True):
            if slot == BLOCK:
                context = own.new_context({**shell.block, **values})
                out.append(env.concat(own.blocks["content"](context)))
            elif slot == TOC_SLOT:
                out.append(self._toc_of(shell, page, values, env))
            elif slot.startswith("meta_"):
                out.append(str(page.meta[slot[5:]]))
            elif slot.startswith("toc_"):
                out.append(str(getattr(next(iter(page.toc)), slot[4:])))
            else:
                out.append(str(getattr(page, slot)))
            out.append(piece)
        return "".join(out)

    def _toc_of(
        self, shell: _Shell, page: Page, values: Mapping[str, Any], env: jinja2.Environment
    ) -> str:
        """Return the table of contents of `page` in `shell`: drawn once per set of headings
        when the partials are Material's (which show nothing else of the page)."""
        assert shell.toc is not None
        headings = _headings(page.toc) if self._material_toc else None
        drawn = shell.tocs.get(headings) if headings is not None else None
        if drawn is None:
            drawn = env.get_template(TOC_ORIGINAL).render({**shell.toc, **values})
            if headings is not None:
                shell.tocs[headings] = drawn
        return drawn

    @jinja2.pass_context
    def _block_mark(self, context: jinja2.runtime.Context) -> str:
        """In a shell: keep the context of the content block, and mark its place."""
        if self._shaping is None:
            raise jinja2.TemplateError("pm_stencil_block outside a shell")
        self._shaping[BLOCK] = context.get_all()
        return _MARK.format(BLOCK)

    @jinja2.pass_context
    def _toc(self, context: jinja2.runtime.Context) -> Markup:
        """The table of contents partial: a marker in a shell, else the partial itself."""
        if self._shaping is not None:
            self._shaping[TOC_SLOT] = context.get_all()
            return Markup(_MARK.format(TOC_SLOT))
        template = context.environment.get_template(TOC_ORIGINAL)
        return Markup(template.render(context.get_all()))


def _headings(toc: Iterable[AnchorLink]) -> tuple[object, ...]:
    """Return what Material's table of contents shows of `toc`, hashable."""
    return tuple((item.title, item.id, item.level, _headings(item.children)) for item in toc)


def _signature(value: object) -> object:
    """Return a hashable stand-in for `value`: equal for equal plain data, else its identity
    (a list of objects, such as the site's pages, is the same object for every page)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple) and (not value or isinstance(value[0], str)):
        return tuple(_signature(item) for item in value)  # URLs of scripts and style sheets
    if isinstance(value, dict):
        return tuple((str(name), _signature(item)) for name, item in value.items())
    return ("object", id(value))
