"""Read list layouts written for GitHub the way GitHub does, before Python-Markdown sees them.

Postmortems are often written in GitHub's editor, where a list may start right under a
paragraph line and nested items are indented by two spaces. Python-Markdown needs a blank line
before a list and four spaces per level, so without this the seed's nested bullet lists render
as one run-on paragraph. Fenced code blocks are left exactly as they are.
"""

from __future__ import annotations

import re

_ITEM = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])(?: +|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _nesting_unit(lines: list[str]) -> int:
    indents = {len(m.group(1)) for line in lines if (m := _ITEM.match(line)) and m.group(1)}
    return min(indents) if indents else 4


def normalize_lists(markdown: str) -> str:
    """Return `markdown` with blank lines before lists and two-space nesting made four-space."""
    lines = markdown.split("\n")
    scale = 2 if _nesting_unit(lines) == 2 else 1
    out: list[str] = []
    fence: str | None = None
    previous = "blank"  # blank | text | list
    for line in lines:
        opener = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            previous = "text"
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        if _ITEM.match(line):
            if previous == "text":
                out.append("")
            previous = "list"
            out.append(" " * (indent * scale) + line[indent:])
        elif not line.strip():
            # A blank line inside a list keeps the list open for indented continuations.
            previous = "blank" if previous != "list" else "list-blank"
            out.append(line)
        elif previous in ("list", "list-blank") and (indent or previous == "list"):
            out.append(" " * (indent * scale) + line[indent:])  # a continuation of an item
        else:
            previous = "text"
            out.append(line)
    return "\n".join(out)
