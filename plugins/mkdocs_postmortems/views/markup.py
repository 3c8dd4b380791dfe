"""Turn untrusted front-matter text into safe HTML or safe Markdown.

MkDocs' Jinja environment does not autoescape, and Markdown passes raw HTML through, so every
value from a postmortem reaches a page through one of these functions.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from ..core.text import slugify
from ..core.validate import is_safe_url


class _DropUnsafeLinks(Treeprocessor):
    """Remove href/src attributes whose scheme could run script."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_url(value):
                    del element.attrib[attribute]


class _SafeMarkdown(Extension):
    """Treat raw HTML as text and drop unsafe link targets."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DropUnsafeLinks(md), "postmortems_safe_links", 0)


@lru_cache(maxsize=1)
def _converter() -> markdown.Markdown:
    return markdown.Markdown(extensions=[_SafeMarkdown(), "sane_lists"])


# Most front-matter prose is plain sentences, and Markdown's fixed cost per call was nearly all
# of an incident card's time (18 calls, 1.4 ms of 1.4 ms per page). Text made only of these
# characters, not starting like a list item, renders as a paragraph of itself; a property test
# checks that against Markdown.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ,.;:'\"()/%?-]*")
_LIST_ITEM = re.compile(r"[0-9]+[.)]")


def _is_plain(text: str) -> bool:
    """Return whether `text` renders as a paragraph of itself (no markup, no HTML, no list)."""
    return bool(_PLAIN.fullmatch(text)) and not _LIST_ITEM.match(text) and not text.endswith(" ")


def _convert(text: str) -> str:
    converter = _converter()
    try:
        return converter.convert(text)
    finally:
        converter.reset()


def markdown_html(text: str) -> str:
    """Return `text` rendered as Markdown with raw HTML shown as text and unsafe links removed."""
    return f"<p>{text}</p>" if _is_plain(text) else _convert(text)


def inline_html(text: str) -> str:
    """Return `text` rendered as Markdown without the wrapping paragraph when it is one."""
    if _is_plain(text):
        return text  # what markdown_html gives, unwrapped
    html = _convert(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def render_markdown(text: str) -> Markup:
    """Return `markdown_html(text)` as `Markup`."""
    return Markup(markdown_html(text))


def render_inline(text: str) -> Markup:
    """Return `inline_html(text)` as `Markup`."""
    return Markup(inline_html(text))


@lru_cache(maxsize=65_536, typed=True)
def escaped(text: str) -> Markup:
    """Return `text` escaped, the same object for the same text.

    Incident cards show the titles, dates and severities of other incidents, and services,
    owners and statuses repeat across the corpus; escaping each once saves a third of a card's
    escapes. `typed`: a `Markup` and a `str` of the same characters are different keys, and
    both come back escaped (as `escape(str(text))`: a `Markup` is not trusted here).
    """
    return escape(str(text))


@lru_cache(maxsize=65_536)
def escaped_text(text: str) -> str:
    """Return `text` escaped as `escaped` does, as a plain `str`, the same object for the same
    text.

    For template data shown without a filter that is pickled: the build cache keeps every
    incident card, and a card of `Markup` values took eight times as long to pickle as one of
    `str` (a subclass goes through `copyreg`), and ten times as long to unpickle (each value
    through `Markup.__new__`). The replacements are MarkupSafe's (a property test compares
    them); `str()` first, since `Markup.replace` escapes its arguments.
    """
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def md_text(value: object) -> str:
    """Return `value` as Markdown that renders literally, whatever extensions a site enables.

    Every ASCII punctuation character becomes a numeric character reference, which Markdown
    leaves alone and the browser shows as the character: no emphasis, links, HTML, table cell
    breaks, emoji shortcodes or maths can come out of it.
    """
    return " ".join(str(value).split()).translate(_LITERAL)


# ASCII punctuation (and controls) to numeric references, in one C-level pass: listing pages
# call this about 30 times per incident, and a loop per character cost 0.3 s per 1,000.
_LITERAL = {
    code: f"&#{code};" for code in range(128) if not (chr(code).isalnum() or chr(code) == " ")
}


def md_link(text: object, target: str) -> str:
    """Return a Markdown link with literal `text` to `target` (a path or a safe URL)."""
    target = target.replace(" ", "%20").replace(")", "%29").replace("(", "%28")
    return f"[{md_text(text)}]({target})"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _code_spans(value: object) -> list[tuple[str, bool]]:
    """Return the pieces of `value` on one line, each with whether it is a `code span`."""
    text = " ".join(str(value).split())
    pieces, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        if match.start() > position:
            pieces.append((text[position : match.start()], False))
        pieces.append((match.group(1), True))
        position = match.end()
    pieces.append((text[position:], False))
    return pieces


def html_rich(value: object) -> Markup:
    """Return `value` on one line as escaped HTML, but keep its `code spans` as code.

    Summaries and root causes quote commands ("`rm -rf`"); shown literally the backticks are
    noise.
    """
    return Markup(
        "".join(
            f"<code>{escape(piece)}</code>" if code else str(escape(piece))
            for piece, code in _code_spans(value)
        )
    )


@lru_cache(maxsize=4096)  # vocabulary values: a few dozen in a corpus, on every card and row
def css_class(value: str) -> str:
    """Return a CSS- and URL-safe form of a vocabulary value or name (`SEV 1` -> `sev-1`)."""
    return slugify(value) or "x"


def severity_badge(severity: str | None) -> Markup:
    """Return the severity badge every table shows: the same as the incident card's."""
    value = severity or "unknown"
    return Markup(
        f'<span class="pm-badge pm-sev pm-sev--{css_class(value)}">{escape(value)}</span>'
    )


def title_header(label: str) -> str:
    """Return a Markdown table header cell for the column of titles, which keeps its width."""
    return f'<span class="pm-col-title">{md_text(label)}</span>'
