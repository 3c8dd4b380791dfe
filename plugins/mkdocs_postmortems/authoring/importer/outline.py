"""Read a free-form document's shape: sections by heading or label, `Label: value` facts, prose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ...core.schema import MAX_LINE
from ...core.text import shorten
from ..timetext import find_moments

MAX_LABEL = 120  # longer lines are prose, never a section label
MAX_DEPTH = 40  # sections nested deeper are read as plain lines

MAX_SCAN = 2000  # characters of one line searched for times or item metadata


# Headings or labels that open a section, by what the section holds.
SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary",
        "issue summary",
        "incident summary",
        "executive summary",
        "overview",
        "tl;dr",
        "tldr",
    ),
    "narrative": (
        "what happened",
        "description",
        "incident description",
        "details",
        "details of the incident",
        "incident details",
    ),
    "impact": (
        "impact",
        "customer impact",
        "user impact",
        "impact summary",
        "business impact",
        "who was affected",
        "scope and impact",
    ),
    "duration": ("duration",),
    "timeline": (
        "timeline",
        "incident timeline",
        "timeline of events",
        "chronology",
        "sequence of events",
        "detailed timeline",
    ),
    "detection": ("detection", "how we found out", "how it was detected"),
    "root_cause": (
        "root cause",
        "root causes",
        "root cause analysis",
        "cause",
        "causes",
        "what caused it",
        "what caused the incident",
        "cause of the incident",
        "why it happened",
        "why this happened",
        "why this happens",
        "how did this happen",
        "how it happened",
        "the underlying issue",
        "underlying issue",
        "underlying cause",
        "blameless root cause",
    ),
    "root_cause_and_resolution": (
        "root cause and resolution",
        "resolution and root cause",
        "root cause and remediation",
        "cause and resolution",
    ),
    "trigger": ("trigger", "triggers"),
    "contributing_factors": ("contributing factors", "contributing causes", "contributors"),
    "resolution": (
        "resolution",
        "resolution and recovery",
        "recovery",
        "mitigation",
        "mitigation and recovery",
        "how we fixed it",
        "fix",
    ),
    "remediation": ("remediation", "remediations", "remediation steps"),
    "action_items": (
        "action items",
        "actions",
        "action plan",
        "follow-up actions",
        "follow-up items",
        "follow-ups",
        "follow ups",
        "followups",
        "corrective actions",
        "corrective and preventative measures",
        "corrective and preventive measures",
        "preventative measures",
        "preventive measures",
        "next steps",
        "what we are doing",
        "what we are doing about it",
        "what we're doing",
        "what we're doing about it",
        "improvements",
        "improvements/fixes",
        "tasks",
        "remediation and follow-up steps",
        "remediation and follow-up",
        "follow-up tasks",
        "follow up tasks",
    ),
    "lessons": ("lessons learned", "lessons learnt", "lessons", "learnings", "takeaways"),
    "went_well": ("what went well", "things that went well", "went well"),
    "went_wrong": (
        "what went wrong",
        "things that went wrong",
        "what didn't go well",
        "what did not go well",
        "went wrong",
        "what could have gone better",
        "what can be improved",
        "what could be improved",
        "what didn't go so well",
        "what did not go so well",
    ),
    "got_lucky": (
        "where we got lucky",
        "where did we get lucky",
        "got lucky",
        "where we were lucky",
    ),
}
SECTION_KEYS = {alias: key for key, aliases in SECTION_ALIASES.items() for alias in aliases}
# Sections that only group others; `Duration: 2h` on one line is a fact, not a section.
_CONTAINERS = frozenset({"duration"})
# Sections recognised from a bare line ("Timeline", "What went well") with no markup at all.
_STANDALONE = frozenset(
    {
        "timeline",
        "lessons",
        "went_well",
        "went_wrong",
        "got_lucky",
        "action_items",
        "contributing_factors",
        "root_cause",
        "impact",
        "summary",
    }
)

# `Label: value` facts, wherever they appear (front lines, bullets, footers).
FACT_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "incident", "incident title", "incident name", "name"),
    "date": ("date", "incident date", "date of incident", "day"),
    "authors": ("authors", "author", "written by", "prepared by", "contact", "owner"),
    "severity": ("severity", "sev", "incident severity", "severity level", "level"),
    "services": (
        "services",
        "service",
        "affected services",
        "affected service",
        "services affected",
        "components",
        "affected components",
        "affected systems",
        "systems affected",
        "systems",
    ),
    "started": (
        "start time",
        "start",
        "started",
        "started at",
        "start date/time",
        "impact start",
        "impact started",
        "incident start",
        "incident started",
        "outage start",
        "outage began",
        "began",
        "start of impact",
    ),
    "detected": (
        "detected",
        "detected at",
        "detect",
        "detect time",
        "detection time",
        "detect date/time",
        "time detected",
    ),
    "mitigated": ("mitigated", "mitigated at", "mitigation time", "time mitigated"),
    "resolved": (
        "end time",
        "end",
        "ended",
        "end date/time",
        "resolved",
        "resolved at",
        "resolution time",
        "incident end",
        "outage end",
        "outage ended",
        "end of impact",
        "recovered",
    ),
    "duration": ("duration", "total duration", "outage duration", "impact duration"),
    "time_to_detect": ("time to detect", "ttd", "mttd"),
    "time_to_mitigate": ("time to mitigate", "time to mitigation", "ttm", "mttm"),
    "time_to_resolve": (
        "time to resolve",
        "time to resolution",
        "time to recover",
        "time to recovery",
        "ttr",
        "mttr",
    ),
    "timezone": ("timezone", "time zone", "all times", "times"),
    "tags": ("tags", "labels", "keywords"),
}
FACT_KEYS = {alias: key for key, aliases in FACT_ALIASES.items() for alias in aliases}


HORIZONS = {
    "short-term": "short-term",
    "short term": "short-term",
    "immediate": "short-term",
    "now": "short-term",
    "mid-term": "mid-term",
    "mid term": "mid-term",
    "medium-term": "mid-term",
    "medium term": "mid-term",
    "long-term": "long-term",
    "long term": "long-term",
    "later": "long-term",
}

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FENCE = re.compile(r"^\s*(```|~~~)")
ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
SETEXT_1 = re.compile(r"^ {0,3}=+\s*$")
SETEXT_2 = re.compile(r"^ {0,3}-{2,}\s*$")  # under a line of text: a level-2 heading
_BOLD_LINE = re.compile(r"^( {0,3})(?:\*\*|__)(.+?)(?:\*\*|__)\s*(.*)$")
_BOLD_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\*\*|__)(.+?)(?:\*\*|__)\s*(.*)$")
_LABEL_LINE = re.compile(r"^ {0,3}([A-Za-z][A-Za-z0-9 /&'\u2019;().-]{0,60}?)\s*:\s*(.*)$")
FACT_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?([A-Za-z][A-Za-z0-9 /&'\u2019().-]{0,40}?)\s*"
    r"(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(.+)$"
)
BULLET = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
CHECKBOX = re.compile(r"^\[([ xX])\]\s+")
TABLE_ROW = re.compile(r"^\s*\|(.*?)\|?\s*$")  # GFM rows may leave out the closing pipe
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
EMPHASIS = re.compile(r"(\*\*|__)")
MD_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
# "Monday 3. February" is a date, not the end of a sentence.
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=[A-Z0-9\"'(])")


@dataclass
class Section:
    """A part of the document opened by a heading or a label, holding lines and sub-sections."""

    key: str  # what the section holds ("" when unknown)
    label: str  # the heading as written, without markup
    level: int
    indent: int  # for a labelled bullet, its indent; -1 for a heading
    items: list[str | Section] = field(default_factory=list)

    def lines(self, skip: frozenset[str] = frozenset()) -> Iterator[str]:
        """Yield the section's lines, children included, except children whose key is in skip."""
        for item in self.items:
            if isinstance(item, str):
                yield item
            elif item.key not in skip:
                yield from item.lines(skip)

    def walk(self) -> Iterator[Section]:
        """Yield this section and every section under it, in document order."""
        yield self
        for item in self.items:
            if isinstance(item, Section):
                yield from item.walk()

    def find(self, *keys: str) -> Section | None:
        """Return the first section under this one whose key is one of `keys`."""
        return next((s for s in self.walk() if s.key in keys and s is not self), None)


def normalize_label(label: str) -> str:
    """Return the comparable form of a heading or label (`**Root Causes:**` -> `root causes`)."""
    text = EMPHASIS.sub("", label).strip().strip("`*_ ").rstrip(":").strip()
    text = text.replace("&", "and").replace("\u2019", "'").lower()
    text = re.sub(r"^\d+(?:\.\d+)*[.)]?\s+", "", text)  # numbered headings: "3. Root cause"
    return re.sub(r"\s+", " ", text)


def section_key(label: str) -> str:
    """Return the kind of section a heading opens, or '' when it is not one we map."""
    if len(label) > MAX_LABEL:
        return ""
    text = normalize_label(label)
    if text in SECTION_KEYS:
        return SECTION_KEYS[text]
    bare = re.sub(r"\s*\(.*?\)\s*", " ", text).strip()
    if bare in SECTION_KEYS:
        return SECTION_KEYS[bare]
    if text.startswith("timeline"):
        return "timeline"
    return ""


def _is_timeish(label: str) -> bool:
    return any(m.clock is not None or m.day is not None for m in find_moments(label))


def _heading(line: str, following: str) -> tuple[int, str, str, int] | None:
    """Return (level, label, inline text, indent) when `line` opens a section."""
    atx = ATX.match(line)
    if atx:
        return len(atx.group(1)), atx.group(2).strip(), "", -1
    if line.strip() and not line.startswith((" ", "\t", "-", "*", "+", "|", ">", "#")):
        if SETEXT_1.match(following):
            return 1, line.strip(), "", -1
        if SETEXT_2.match(following):
            return 2, line.strip(), "", -1
    for pattern, level_of in ((_BOLD_LINE, None), (_BOLD_BULLET, 8)):
        match = pattern.match(line)
        if not match:
            continue
        indent, label, rest = len(match.group(1)), match.group(2).strip(), match.group(3).strip()
        colon = label.endswith(":")
        label = label.rstrip(":").strip()
        if rest.startswith(":"):
            colon, rest = True, rest[1:].strip()
        if not label or _is_timeish(label):
            return None
        key = section_key(label)
        if key in _CONTAINERS and rest:
            return None
        if rest and not (colon and key):
            return None
        if not rest and not colon and level_of is not None and not key and not horizon_of(label):
            return None  # a bold bullet item, not a label
        level = 7 if level_of is None else level_of + indent
        return level, label, rest, (-1 if level_of is None else indent)
    if (
        line.strip()
        and not line.startswith((" ", "\t"))
        and section_key(line) in _STANDALONE
        and normalize_label(line) == re.sub(r"\s+", " ", line.strip().lower())
    ):
        # A known heading on a line of its own, as in documents exported as plain text.
        return 7, line.strip(), "", -1
    label_line = _LABEL_LINE.match(line)
    if label_line:
        key = section_key(label_line.group(1))
        rest = label_line.group(2).strip()
        if key and not (key in _CONTAINERS and rest):
            return 7, label_line.group(1).strip(), rest, -1
    return None


def outline(text: str) -> Section:
    """Return the document as a tree of sections; lines outside any heading sit in the root."""
    root = Section("", "", 0, -1)
    stack = [root]
    lines = text.split("\n")
    fenced = False
    skip_next = False
    for index, line in enumerate(lines):
        if skip_next:
            skip_next = False
            stack[-1].items.append(line)
            continue
        if _FENCE.match(line):
            fenced = not fenced
        indent = len(line) - len(line.lstrip(" "))
        if line.strip():
            while stack[-1].indent >= 0 and indent <= stack[-1].indent:
                stack.pop()
        following = lines[index + 1] if index + 1 < len(lines) else ""
        found = (
            None
            if fenced or _FENCE.match(line) or len(stack) > MAX_DEPTH
            else _heading(line, following)
        )
        if found is None:
            stack[-1].items.append(line)
            continue
        level, label, inline, bullet_indent = found
        if (SETEXT_1.match(following) or SETEXT_2.match(following)) and not ATX.match(line):
            skip_next = True
        while len(stack) > 1 and stack[-1].level >= level:
            stack.pop()
        section = Section(section_key(label), EMPHASIS.sub("", label), level, bullet_indent)
        if inline:
            section.items.append(inline)
        stack[-1].items.append(section)
        stack.append(section)
    return root


def facts(text: str) -> dict[str, str]:
    """Return the first value of every known `Label: value` line in `text`."""
    found: dict[str, str] = {}
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        match = FACT_LINE.match(line)
        if not match:
            continue
        key = FACT_KEYS.get(normalize_label(match.group(1)))
        value = EMPHASIS.sub("", match.group(2)).strip()
        if key and value and key not in found:
            found[key] = value
    return found


def clean_line(text: str) -> str:
    """Return one line of Markdown as plain prose: no list markers, emphasis or label markup."""
    line = text.strip()
    bullet = BULLET.match(line)
    if bullet:
        line = bullet.group(2)
    line = CHECKBOX.sub("", line)
    line = EMPHASIS.sub("", line)
    return re.sub(r"\s+", " ", line).strip()


def prose(lines: Iterator[str] | list[str]) -> str:
    """Return Markdown lines as paragraphs of plain prose; list items become sentences."""
    paragraphs: list[list[str]] = [[]]
    fenced = False
    for raw in lines:
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        if fenced or TABLE_ROW.match(raw) or TABLE_RULE.match(raw):
            continue
        if not raw.strip() or ATX.match(raw) or SETEXT_1.match(raw) or SETEXT_2.match(raw):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        line = clean_line(raw)
        if not line:
            continue
        if BULLET.match(raw.strip()) and paragraphs[-1]:
            last = paragraphs[-1][-1]
            if not last.endswith((".", "!", "?", ":", ";")):
                paragraphs[-1][-1] = last + "."
        paragraphs[-1].append(line)
    return "\n\n".join(" ".join(p) for p in paragraphs if p).strip()


def sentences(text: str, count: int) -> str:
    parts = SENTENCE_END.split(" ".join(text.split()))
    return " ".join(parts[:count]).strip()


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """Return `text` on one line, cut at a word boundary to fit `limit`."""
    return shorten(text, limit)


def horizon_of(label: str) -> str | None:
    if len(label) > MAX_LABEL:
        return None
    text = re.sub(r"\s*\(.*?\)\s*", "", normalize_label(label)).strip()
    return HORIZONS.get(text)


def first_match(text: str, terms: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """Return (term, word) for the term whose pattern occurs first in `text`."""
    best: tuple[int, str, str] | None = None
    for term, pattern in terms:
        match = re.search(pattern, text, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), term, match.group(0))
    return (best[1], best[2]) if best else None
