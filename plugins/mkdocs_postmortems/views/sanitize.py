"""Clean the rendered HTML of a postmortem body with an allow-list, so no script can run from it.

A postmortem body is Markdown from an untrusted author, and Markdown passes raw HTML through
(`<script>`, `<img onerror=...>`, `attr_list`'s `{onclick=...}`). The allow-list keeps what
Markdown and Material's extensions produce: headings with ids and permalinks, tables with
alignment, highlighted code, admonitions and details, task lists, footnotes, images and links
with safe schemes. Everything else is dropped; `<script>` and `<style>` lose their content too.
"""

from __future__ import annotations

import nh3

from ..core.validate import SAFE_URL_SCHEMES

_TAGS = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span"),
        *("a", "img", "figure", "figcaption", "blockquote", "q", "cite"),
        *("em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup"),
        *("abbr", "dfn", "kbd", "samp", "var", "code", "pre", "wbr"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"),
        *("details", "summary", "input", "label", "time"),
    }
)

# Attributes allowed on every tag: styling hooks and accessibility, never event handlers.
_GENERIC = frozenset({"class", "id", "title", "lang", "dir", "role", "aria-hidden", "aria-label"})

_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(_GENERIC),
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"align", "colspan", "rowspan", "scope", "style"},
    "td": {"align", "colspan", "rowspan", "style"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "input": {"checked", "disabled", "name"},
    "label": {"for"},
    "details": {"open"},
    "time": {"datetime"},
}

# Only the attribute values that task lists and content tabs use.
_ATTRIBUTE_VALUES = {"input": {"type": {"checkbox", "radio"}}}


def sanitize_html(html: str) -> str:
    """Return `html` with every tag, attribute and URL outside the allow-list removed."""
    return nh3.clean(
        html,
        tags=set(_TAGS),
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes=set(SAFE_URL_SCHEMES),
        filter_style_properties={"text-align"},
        strip_comments=True,
        # Relative links stay as they are; we never add target=_blank, so rel is not needed.
        link_rel=None,
    )
