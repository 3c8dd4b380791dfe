"""Write the body of a generated listing page as HTML, without Python-Markdown.

Converting the Markdown of a listing page cost 2-3 ms (setting up `markdown.Markdown`, inline
patterns, the toc extension) for a body of a few lines and links, and a site of 1,000
postmortems has more than a thousand such pages (one per contributing factor and service).
A page written here is a sequence of trusted HTML pieces (every untrusted value escaped as
it is added), headings and links to other pages by source path. The adapter turns the links
into URLs relative to the page (from MkDocs' `File.url`, as MkDocs would for a `.md` link)
when MkDocs renders the page; the site's toc settings (`Headings`) give each heading its id
and permalink, as the toc extension does for Markdown headings.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, slugify, unique
from markupsafe import Markup, escape

from .markup import escaped


@dataclass(frozen=True)
class Link:
    """A link to another page of the site, by its source path."""

    target: str  # source path of the page linked to
    text: Markup  # escaped
    query: str = ""  # added to the page's URL as it is (a catalog filter: "?service=api")


@dataclass(frozen=True)
class Heading:
    """A heading: its id and table of contents entry come from the site's toc settings."""

    level: int
    text: str  # plain text, escaped when written


Part = Markup | Link | Heading


@dataclass(frozen=True)
class HtmlBody:
    """The body of a page: HTML pieces, links and headings, in order."""

    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Headings:
    """How the site's Markdown shapes headings (`toc` options): ids and permalinks."""

    slugify: Callable[[str, str], str] = slugify
    separator: str = "-"
    permalink: str = ""  # HTML (trusted) of the link after (or before) each heading; "": none
    permalink_class: str = "headerlink"
    permalink_title: str = "Permanent link"
    permalink_leading: bool = False


@dataclass(frozen=True)
class Made:
    """A body written for one page: its HTML, table of contents and the ids it holds."""

    html: str
    toc: list[Any]  # nested tokens, as the toc extension gives them (its stubs' type)
    ids: frozenset[str] = field(default_factory=frozenset)


def write(body: HtmlBody, url: Callable[[str], str], headings: Headings) -> Made:
    """Return the HTML of `body`, `url` giving the URL of a source path relative to the page."""
    out: list[str] = []
    tokens: list[Any] = []  # the toc extension's token type, from its stubs
    ids: set[str] = set()
    for part in body.parts:
        if isinstance(part, Link):
            out.append(f'<a href="{escape(url(part.target) + part.query)}">{part.text}</a>')
        elif isinstance(part, Heading):
            out.append(_heading(part, headings, ids, tokens))
        else:
            out.append(part)
    nested: list[Any] = nest_toc_tokens(tokens)
    return Made("".join(out), nested, frozenset(ids))


def _heading(part: Heading, style: Headings, ids: set[str], tokens: list[dict[str, Any]]) -> str:
    ident = unique(style.slugify(part.text, style.separator), ids)
    name = str(escape(part.text))
    tokens.append({"level": part.level, "id": ident, "name": name, "html": name, "children": []})
    inner = name
    if style.permalink:
        title = f' title="{escape(style.permalink_title)}"' if style.permalink_title else ""
        anchor = (
            f'<a class="{escape(style.permalink_class)}" href="#{escape(ident)}"{title}>'
            f"{style.permalink}</a>"
        )
        inner = anchor + inner if style.permalink_leading else inner + anchor
    tag = f"h{part.level}"
    return f'<{tag} id="{escape(ident)}">{inner}</{tag}>\n'


# --- building blocks: each escapes what it is given unless it is Markup already (`escaped`:
# listing pages repeat titles, services and labels, escaped once each) --------------


Content = Part | str | Sequence[Part | str]  # plain strings are escaped
_PARTS = (Markup, Link, Heading)  # a tuple: isinstance with one is faster than with a union


def text(value: object) -> Markup:
    """Return `value` as HTML text, escaped (the browser shows any white space as one space)."""
    return escaped(str(value))


def link(label: object, target: str, query: str = "") -> Link:
    """Return a link with literal `label` (or Markup) to the page made from `target`."""
    return Link(target, label if isinstance(label, Markup) else escaped(str(label)), query)


def heading(level: int, title: str) -> Heading:
    """Return a heading of `level` with the literal text `title`."""
    return Heading(level, " ".join(title.split()))


def safe(content: Content) -> list[Part]:
    """Return `content` as parts, its plain strings escaped."""
    if isinstance(content, _PARTS):
        return [content]
    if isinstance(content, str):
        return [escaped(content)]
    return [part if isinstance(part, _PARTS) else escaped(part) for part in content]


def element(tag: str, content: Content) -> list[Part]:
    """Return the parts of one `tag` element (`p`, `strong`...) holding `content`."""
    end = f"</{tag}>\n" if tag == "p" else f"</{tag}>"
    return [Markup(f"<{tag}>"), *safe(content), Markup(end)]


_UL, _END_UL = Markup("<ul>\n"), Markup("</ul>\n")
_LI, _END_LI = Markup("<li>"), Markup("</li>\n")


def bullets(items: Iterable[Content]) -> list[Part]:
    """Return the parts of a bulleted list of `items`."""
    out: list[Part] = [_UL]
    for item in items:
        out.append(_LI)
        out += safe(item)
        out.append(_END_LI)
    out.append(_END_UL)
    return out


def joined(items: Sequence[Content], separator: str) -> list[Part]:
    """Return `items` with the literal `separator` between them."""
    out: list[Part] = []
    between = escaped(separator)
    for index, item in enumerate(items):
        if index:
            out.append(between)
        out += safe(item)
    return out


_RIGHT = ' style="text-align: right;"'  # what the tables extension writes for `---:`
_TD = {align: Markup(f"<td{align}>") for align in ("", _RIGHT)}
_END_TD, _TR, _END_TR = Markup("</td>\n"), Markup("<tr>\n"), Markup("</tr>\n")
_TABLE_START, _TABLE_END = Markup("<table>\n<thead>\n<tr>\n"), Markup("</tbody>\n</table>\n")
_HEAD_END = Markup("</tr>\n</thead>\n<tbody>\n")


def table(
    header: Sequence[str], rows: Iterable[Sequence[Content]], right: Collection[int] = ()
) -> list[Part]:
    """Return the parts of a table as the tables extension writes one; the columns at the
    indexes in `right` are aligned right (numbers)."""
    aligns = [_RIGHT if index in right else "" for index in range(len(header))]
    cells = [_TD[align] for align in aligns]
    out: list[Part] = [_TABLE_START]
    for name, align in zip(header, aligns, strict=True):
        out.append(Markup(f"<th{align}>{escape(name)}</th>\n"))
    out.append(_HEAD_END)
    for row in rows:
        out.append(_TR)
        for cell, start in zip(row, cells, strict=True):
            out.append(start)
            out += safe(cell)
            out.append(_END_TD)
        out.append(_END_TR)
    out.append(_TABLE_END)
    return out
