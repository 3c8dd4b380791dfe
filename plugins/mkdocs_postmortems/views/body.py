"""Show each fact of an incident once: fold the body's sections that the card already shows.

Imported write-ups keep their original body, whose "Issue Summary", "Timeline", "Root Cause"
and task lists say again what the card above them shows from the front matter. Those sections
move, in their order, into one collapsed "Original write-up" block at the end of the body;
every other section (background, investigation...) stays where the author put it. Nothing is
dropped: the block opens with one click, and the page's search index still holds every word.

A section starts at a Markdown heading or at a paragraph that is only bold text ("**Timeline:**",
the way many write-ups head their parts) and runs to the next heading of the same or a higher
level. A section folds only when the card shows its topic for this incident (a "Timeline"
heading folds only if the front matter has a timeline).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import escape

from ..core.model import Postmortem

_HEADING = re.compile(
    r"<h([1-6])\b[^>]*>(?P<real>.*?)</h\1>"
    r"|<p>\s*<strong>(?P<bold>[^<]{1,100}?)</strong>\s*:?\s*</p>",
    re.DOTALL,
)
_TAG = re.compile(r"<[^>]+>")
_ELEMENT = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
# Elements without an end tag: they never open a level.
VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
PSEUDO_LEVEL = 7  # a bold paragraph ranks below every real heading

# Words in a heading that name a part of the card, with the fields that part shows.
TOPICS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("summary",), "summary"),
    (("timeline", "chronology", "sequence of events"), "timeline"),
    (("root cause", "root-cause", "causes"), "root_cause"),
    (("impact",), "impact"),
    (
        (
            "action item",
            "corrective",
            "preventative",
            "preventive",
            "follow-up",
            "follow up",
            "tasks",
            "remediation",
        ),
        "action_items",
    ),
    (("lessons", "went well", "went wrong", "got lucky"), "lessons"),
)


@dataclass(frozen=True)
class _Section:
    start: int
    end: int
    title: str


def heading_text(markup: str) -> str:
    """Return the plain text of a heading's inner HTML, without permalink marks or colons."""
    text = _TAG.sub("", markup).replace("¶", "").replace("&para;", "")
    return " ".join(text.split()).strip(" :")


def card_topics(pm: Postmortem) -> set[str]:
    """Return the topics the card of `pm` shows (keys of `TOPICS`)."""
    shown = {
        "summary": bool(pm.summary),
        "timeline": bool(pm.timeline),
        "root_cause": bool(pm.root_cause),
        "impact": pm.impact is not None,
        "action_items": bool(pm.action_items),
        "lessons": bool(pm.lessons),
    }
    return {topic for topic, present in shown.items() if present}


def repeats_card(title: str, topics: Iterable[str]) -> bool:
    """Return whether a section headed `title` covers a topic in `topics`."""
    lowered = title.casefold()
    wanted = set(topics)
    return any(
        topic in wanted and any(word in lowered for word in words) for words, topic in TOPICS
    )


def _top_level(html: str) -> set[int]:
    """Return the offsets of the tags that sit at the top level of `html` (in no element)."""
    depth, top = 0, set()
    for match in _ELEMENT.finditer(html):
        closing, name, self_closing = match.groups()
        if closing:
            depth = max(depth - 1, 0)
            continue
        if depth == 0:
            top.add(match.start())
        if not self_closing and name.lower() not in VOID:
            depth += 1
    return top


def _sections(html: str) -> list[_Section]:
    # Only top-level headings start sections: a bold line inside a list item is part of the
    # list, and cutting there would split an element in two.
    top = _top_level(html)
    marks = []
    for match in _HEADING.finditer(html):
        if match.start() not in top:
            continue
        level = int(match.group(1)) if match.group(1) else PSEUDO_LEVEL
        title = heading_text(match.group("real") or match.group("bold") or "")
        marks.append((match.start(), level, title))
    sections = []
    for index, (start, level, title) in enumerate(marks):
        end = next((s for s, lv, _ in marks[index + 1 :] if lv <= level), len(html))
        sections.append(_Section(start, end, title))
    return sections


def fold_repeated(html: str, pm: Postmortem) -> str:
    """Return the body `html` with the sections the card already shows folded at the end."""
    topics = card_topics(pm)
    folded: list[_Section] = []
    for section in _sections(html):
        inside = any(f.start <= section.start < f.end for f in folded)
        if not inside and repeats_card(section.title, topics):
            folded.append(section)
    if not folded:
        return html
    kept, position = [], 0
    for section in folded:
        kept.append(html[position : section.start])
        position = section.end
    kept.append(html[position:])
    rest = "".join(kept)
    parts = "".join(html[section.start : section.end] for section in folded)
    if not _TAG.sub("", _HEADING.sub("", rest)).strip():
        # Only the write-up's own title is left (a bold line with nothing under it): fold it too.
        rest, parts = "", html
    names = ", ".join(str(escape(section.title)) for section in folded)
    return (
        rest.rstrip()
        + '\n<details class="pm-original">\n<summary>Original write-up: '
        + names
        + " (shown in the card above)</summary>\n"
        + parts
        + "\n</details>\n"
    )
