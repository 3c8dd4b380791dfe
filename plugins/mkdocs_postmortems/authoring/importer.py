"""Turn a free-form postmortem into the format: extracted front matter over the original text.

`import_text` is pure (text in, `ImportResult` out). It reads the layouts postmortems are commonly
written in: bold labels with nested bullets (`**Issue Summary:**`, `- **Duration:**`), Markdown
headings (`## Root cause`), `Label: text` lines (the Google SRE template's header), timelines as
tables or lists of timed lines, and footers such as `Time to detect: 54 minutes`. The original
text is kept whole as the body, so nothing that could not be mapped is lost; every value that was
inferred rather than read is listed in `guesses`, and every field that could not be found in
`missing`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import PurePath

from ..core.schema import MAX_ITEMS, MAX_LINE, MAX_TEXT, TIME_FIELDS
from ..core.text import format_duration, shorten, slugify
from ..core.vocabulary import DEFAULT_VOCABULARIES, match_term
from ..core.yaml_dump import dump
from ..core.yaml_load import MAX_FRONT_MATTER_BYTES
from .timetext import (
    AMBIGUOUS,
    Moment,
    Zone,
    find_moments,
    first_day,
    parse_duration,
    zone_named,
)

SERVICE_PLACEHOLDER = "TODO-service"
ROOT_CAUSE_PLACEHOLDER = "TODO: the source does not say what was wrong; write the root cause here."
SUMMARY_SENTENCES = 3
MAX_LABEL = 120  # longer lines are prose, never a section label
MAX_DEPTH = 40  # sections nested deeper are read as plain lines
MAX_SOURCE_BYTES = 1536 * 1024  # leaves room for the front matter under the 2 MiB file limit
MAX_SCAN = 2000  # characters of one line searched for times or item metadata
MAX_SUMMARY = 600

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
    "narrative": ("what happened", "description", "incident description", "details"),
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
        "why it happened",
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

_HORIZONS = {
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
_ACTION_TYPES = {
    "mitigate": "mitigate",
    "mitigation": "mitigate",
    "prevent": "prevent",
    "prevention": "prevent",
    "detect": "detect",
    "detection": "detect",
    "process": "process",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_SETEXT_1 = re.compile(r"^ {0,3}=+\s*$")
_BOLD_LINE = re.compile(r"^( {0,3})(?:\*\*|__)(.+?)(?:\*\*|__)\s*(.*)$")
_BOLD_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\*\*|__)(.+?)(?:\*\*|__)\s*(.*)$")
_LABEL_LINE = re.compile(r"^ {0,3}([A-Za-z][A-Za-z0-9 /&'\u2019;().-]{0,60}?)\s*:\s*(.*)$")
_FACT_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?([A-Za-z][A-Za-z0-9 /&'\u2019().-]{0,40}?)\s*"
    r"(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:|:)\s*(.+)$"
)
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\[([ xX])\]\s+")
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_TITLE_PREFIX = re.compile(
    r"^(?:incident\s+)?(?:post[- ]?mortem|post[- ]incident review|incident report|"
    r"incident review|retrospective|pir|rca)\b\s*(?:[:\-\u2013\u2014|]|for\b|of\b|on\b)?\s*",
    re.IGNORECASE,
)
_TIME_AT_START = re.compile(r"^[\s*_~]*")
_EVENT_SEPARATOR = re.compile(r"^[\s*_]*(?:\)|[:\-\u2013\u2014|]|\s)*\s*")
_DOCUMENT_ZONE = re.compile(
    r"all\s+times|times\s+are|times\s+in|time\s*\(|timeline\s*\(", re.IGNORECASE
)
_ZONE_TOKEN = re.compile(
    r"[A-Za-z]+/[A-Za-z_]+|(?:UTC|GMT)[+-]\d{1,2}(?::\d{2})?|[+-]\d{2}:\d{2}|\b[A-Z]{1,5}\b"
)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b)")
_USERS = re.compile(
    r"\b(users?|customers?|accounts?|members?|people|visitors?|merchants?|sellers?|tenants?|"
    r"organi[sz]ations?|teams?|user base)\b",
    re.IGNORECASE,
)
_REQUESTS = re.compile(
    r"\b(requests?|errors?|error rate|calls?|queries|traffic|transactions?|responses?|"
    r"deliveries|jobs?|builds?|uploads?|downloads?|pulls?|pushes|messages?|purges?)\b",
    re.IGNORECASE,
)
_USER_COUNT = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:\w+\s+)?(?:users|customers|accounts|merchants|sellers)\b",
    re.IGNORECASE,
)
_SERVICE_NAME = re.compile(
    r"\b([A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*)[ -](service|api)\b", re.IGNORECASE
)
_NOT_A_SERVICE = frozenset(
    (
        "a",
        "an",
        "the",
        "our",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "any",
        "all",
        "each",
        "every",
        "one",
        "other",
        "same",
        "core",
        "main",
        "entire",
        "whole",
        "web",
        "affected",
        "internal",
        "external",
        "backend",
        "frontend",
        "critical",
        "primary",
        "secondary",
        "key",
        "public",
        "private",
        "new",
        "old",
        "legacy",
        "dependent",
        "downstream",
        "upstream",
        "third-party",
        "cloud",
        "customer",
        "customers",
        "user",
        "users",
        "of",
        "to",
        "for",
        "by",
        "in",
        "on",
        "with",
        "from",
        "and",
        "or",
        "is",
        "was",
        "be",
        "rest",
        "http",
        "https",
        "partial",
        "full",
        "degraded",
        "broken",
        "slow",
        "failing",
        "impacted",
    )
)
_TICKET_ID = re.compile(r"^[A-Z][A-Z0-9]{1,14}-\d+$")
_META_GROUP = re.compile(r"\s*[(\[]([^()\[\]]+)[)\]]")
_META_PART = re.compile(
    r"^(owner|owned by|assignee|assigned to|dri|due|due date|by|deadline|eta|priority|type|"
    r"status|horizon)\s*[:=]?\s*(.+)$",
    re.IGNORECASE,
)
_META_FIELDS = {
    "owner": "owner",
    "owned by": "owner",
    "assignee": "owner",
    "assigned to": "owner",
    "dri": "owner",
    "due": "due",
    "due date": "due",
    "by": "due",
    "deadline": "due",
    "eta": "due",
    "priority": "priority",
    "type": "type",
    "status": "status",
    "horizon": "horizon",
}
_STATUS_WORDS = {
    "done": "done",
    "completed": "done",
    "complete": "done",
    "fixed": "done",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "wip": "in-progress",
    "todo": "open",
    "to do": "open",
    "open": "open",
    "proposed": "proposed",
    "won't do": "wont-do",
    "wont do": "wont-do",
    "wontfix": "wont-do",
}
_TRAILING_OWNER = re.compile(
    r"\s*(?:[-\u2013\u2014,;]\s*)?\b(?:owner|assignee|dri)\s*:\s*([^,;()\[\]]+?)\s*$"
    r"|\s+@([A-Za-z0-9][\w.-]*\w)\s*$",
    re.IGNORECASE,
)
_LEADING_TAG = re.compile(
    r"^(?:(P[0-3])|(mitigate|prevent|detect|process)|([A-Z][A-Z0-9]{1,14}-\d+))\s*[:\-\u2013\u2014]?\s+",
)
_ROW_STATUS = re.compile(r"\b(DONE|TODO|IN PROGRESS|WONTFIX|FIXED)\b")

_START_WORDS = re.compile(
    r"\b(?:outage|incident|impact|errors?|failures?|degradation|problems?|issues?)\s+"
    r"(?:\w+\s+)?(?:begins?|began|starts?|started)\b|\b(?:begins?|began)\b|"
    r"\bstart of (?:the )?(?:impact|outage|incident)\b|\bfirst (?:errors?|failures?|timeouts?)\b",
    re.IGNORECASE,
)
_DETECT_WORDS = re.compile(
    r"\b(?:alerts?|alerted|alerting|paged|pages|page fired|detected|noticed|pagerduty|"
    r"alarms?|first (?:customer )?reports?|customers? report(?:s|ed)?|users? report(?:s|ed)?|"
    r"reported|support tickets?)\b",
    re.IGNORECASE,
)
_MITIGATE_WORDS = re.compile(
    r"\b(?:mitigat\w*|rolled back|roll(?:ed)?[- ]back|rollback|revert(?:ed)?|failed over|"
    r"failover|restored|recover(?:ed|ing|y)|fix (?:was |is )?deployed|deployed (?:the |a |an )?"
    r"(?:\w+ )?fix|deployed it|emergency fix|error rates? (?:return|drop)\w*|impact ends?|"
    r"(?:succeed\w*|working) again)\b",
    re.IGNORECASE,
)
_RESOLVE_WORDS = re.compile(
    r"\b(?:resolved|all[- ]clear|closed|outage ends?|incident (?:ends?|over|closed)|"
    r"fully (?:recovered|restored|resolved)|back to normal|declared over|stable)\b",
    re.IGNORECASE,
)
_DETECTION_TERMS = (
    ("monitoring-alert", r"alert|monitor|\bpag(?:ed|er|ing)\b|alarm|dashboard|prometheus"),
    ("customer-report", r"customer|support ticket|users? report|tweet|complain"),
    ("automated-test", r"synthetic|canary|probe|smoke test|health ?check"),
    ("employee-report", r"employee|\bnoticed\b|\bstaff\b|internal report|colleague"),
)
_TRIGGER_TERMS = (
    ("config-change", r"config|feature flag|flag flip|setting"),
    ("code-deploy", r"deploy|release|rollout|rolled out|new version|build"),
    ("data-change", r"migration|backfill|schema change|bulk (?:update|delete)"),
    ("traffic-surge", r"traffic|surge|spike in (?:load|requests)|load spike|viral|news"),
    ("time-based", r"expir|leap|cron|midnight|daylight saving"),
    ("maintenance", r"maintenance|operator|manual(?:ly)? (?:ran|command)"),
    ("hardware-failure", r"hardware|disk fail|power|nic fail"),
    ("dependency-change", r"dependency|upstream|vendor|provider"),
    ("infrastructure-change", r"infrastructure|terraform|cluster upgrade|network change"),
)
_CATEGORY_TERMS = (
    ("database", r"database|missing index|\bsql\b|replica|postgres|mysql|table lock|query plan"),
    ("performance", r"inefficient|suboptimal|\bslow|latency|performance|\bleak"),
    ("configuration-error", r"misconfigur|config(?:uration)? (?:error|value|change)|wrong setting"),
    ("capacity", r"capacity|exhaust|out of memory|\boom\b|disk (?:was )?full|saturat"),
    ("dns", r"\bdns\b"),
    (
        "expired-credential",
        r"expired (?:\w+ )?(?:certificate|cert|key|token|credential|password|domain)"
        r"|(?:certificate|cert|token|key|domain) (?:had |has )?expired",
    ),
    ("network", r"\bbgp\b|packet loss|load balancer|network partition|routing"),
    ("software-bug", r"\bbug\b|regression|null pointer|race condition|\bexceptions?\b|defect"),
    ("dependency-failure", r"third-party|vendor|provider outage|upstream (?:outage|failure)"),
)


class ImportProblem(Exception):
    """The text cannot be imported; carries what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class ImportResult:
    """What the importer made of one source: front matter, body, and its report."""

    front_matter: dict[str, object]
    body: str
    stem: str
    guesses: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Return the postmortem file text: YAML front matter, then the original text."""
        return f"---\n{dump(self.front_matter)}---\n\n{self.body}"


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


@dataclass
class _Entry:
    """A timed line of a timeline."""

    at: datetime
    event: str
    approximate: bool
    context: str  # the key of the section the line sits in (detection, resolution...)
    zone_stated: bool


@dataclass
class _Context:
    """What the importer knows about the document while reading it."""

    day: date | None = None
    zone: Zone | None = None
    guesses: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def normalize_label(label: str) -> str:
    """Return the comparable form of a heading or label (`**Root Causes:**` -> `root causes`)."""
    text = _EMPHASIS.sub("", label).strip().strip("`*_ ").rstrip(":").strip()
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
    atx = _ATX.match(line)
    if atx:
        return len(atx.group(1)), atx.group(2).strip(), "", -1
    if (
        line.strip()
        and not line.startswith((" ", "\t", "-", "*", "+", "|", ">"))
        and _SETEXT_1.match(following)
    ):
        return 1, line.strip(), "", -1
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
        if not rest and not colon and level_of is not None and not key and not _horizon(label):
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
        if _SETEXT_1.match(following) and not _ATX.match(line):
            skip_next = True
        while len(stack) > 1 and stack[-1].level >= level:
            stack.pop()
        section = Section(section_key(label), _EMPHASIS.sub("", label), level, bullet_indent)
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
        match = _FACT_LINE.match(line)
        if not match:
            continue
        key = FACT_KEYS.get(normalize_label(match.group(1)))
        value = _EMPHASIS.sub("", match.group(2)).strip()
        if key and value and key not in found:
            found[key] = value
    return found


def _clean(text: str) -> str:
    """Return one line of Markdown as plain prose: no list markers, emphasis or label markup."""
    line = text.strip()
    bullet = _BULLET.match(line)
    if bullet:
        line = bullet.group(2)
    line = _CHECKBOX.sub("", line)
    line = _EMPHASIS.sub("", line)
    return re.sub(r"\s+", " ", line).strip()


def prose(lines: Iterator[str] | list[str]) -> str:
    """Return Markdown lines as paragraphs of plain prose; list items become sentences."""
    paragraphs: list[list[str]] = [[]]
    fenced = False
    for raw in lines:
        if _FENCE.match(raw):
            fenced = not fenced
            continue
        if fenced or _TABLE_ROW.match(raw) or _TABLE_RULE.match(raw):
            continue
        if not raw.strip() or _ATX.match(raw) or _SETEXT_1.match(raw):
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        line = _clean(raw)
        if not line:
            continue
        if _BULLET.match(raw.strip()) and paragraphs[-1]:
            last = paragraphs[-1][-1]
            if not last.endswith((".", "!", "?", ":", ";")):
                paragraphs[-1][-1] = last + "."
        paragraphs[-1].append(line)
    return "\n\n".join(" ".join(p) for p in paragraphs if p).strip()


def _sentences(text: str, count: int) -> str:
    parts = _SENTENCE_END.split(" ".join(text.split()))
    return " ".join(parts[:count]).strip()


def _line(text: str, limit: int = MAX_LINE) -> str:
    """Return `text` on one line, cut at a word boundary to fit `limit`."""
    return shorten(text, limit)


def _horizon(label: str) -> str | None:
    if len(label) > MAX_LABEL:
        return None
    text = re.sub(r"\s*\(.*?\)\s*", "", normalize_label(label)).strip()
    return _HORIZONS.get(text)


def _first_match(text: str, terms: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """Return (term, word) for the term whose pattern occurs first in `text`."""
    best: tuple[int, str, str] | None = None
    for term, pattern in terms:
        match = re.search(pattern, text, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), term, match.group(0))
    return (best[1], best[2]) if best else None


# ---------------------------------------------------------------- extraction steps


def _document_zone(text: str, facts_found: dict[str, str], ctx: _Context) -> None:
    candidates = []
    if "timezone" in facts_found:
        candidates.append(facts_found["timezone"].split()[0].strip("()."))
    for statement in _DOCUMENT_ZONE.finditer(text):
        window = text[statement.end() : statement.end() + 30].split("\n")[0]
        candidates.extend(_ZONE_TOKEN.findall(window))
    for candidate in candidates:
        zone = zone_named(candidate)
        if zone is not None:
            ctx.zone = zone
            if zone.label.upper() in AMBIGUOUS:
                ctx.guesses.append(
                    f"time zone: read {zone.label} as {AMBIGUOUS[zone.label.upper()]}"
                )
            return


_NOT_INCIDENT_DAY = re.compile(
    r"^\W*(?:posted|published|updated|last updated|written|created|authored|revised)\b", re.I
)


def _incident_day(text: str) -> date | None:
    """Return the first full date of the text, skipping publication lines ("Posted ...")."""
    for line in text.split("\n"):
        if not _NOT_INCIDENT_DAY.match(line):
            day = first_day(line)
            if day is not None:
                return day
    return None


def _leading_h1(text: str) -> str | None:
    """Return `text` without its first line when that line is a level-1 heading, else None."""
    lines = text.split("\n")
    first = _ATX.match(lines[0])
    if first is not None and first.group(1) == "#":
        rest = lines[1:]
    elif len(lines) > 1 and lines[0].strip() and _SETEXT_1.match(lines[1]):
        rest = lines[2:]
    else:
        return None
    return "\n".join(rest).lstrip("\n") or "\n"


def _title(
    root: Section, facts_found: dict[str, str], source: str, ctx: _Context
) -> tuple[str, bool]:
    """Return the title, and whether it is the document's leading level-1 heading."""
    title = facts_found.get("title", "")
    from_heading = False
    first = next((item for item in root.items if isinstance(item, Section)), None)
    # Only the document's first heading can be its title, and not when it names a section.
    if not title and first is not None and not first.key and first.indent < 0:
        title = first.label.strip()
        from_heading = first.level == 1
    if not title:
        for line in root.items:
            if not isinstance(line, str) or not line.strip():
                continue
            fact = _FACT_LINE.match(line)
            if fact and normalize_label(fact.group(1)) in FACT_KEYS:
                break
            candidate = _clean(line)
            if len(candidate) <= 120 and not candidate.endswith("."):
                title = candidate
            break
    if not title:
        stem = PurePath(source).stem if source else ""
        title = re.sub(r"^\d{4}-\d{2}-\d{2}[-_ ]*", "", stem).replace("-", " ").replace("_", " ")
        title = title.strip().capitalize()
        if title:
            ctx.guesses.append(f"title: taken from the file name ('{title}')")
    title = re.sub(r"^\d{4}-\d{2}-\d{2}\s*[:\-\u2013\u2014|]\s*", "", title)
    stripped = _TITLE_PREFIX.sub("", title).strip(" :-\u2013\u2014")
    if stripped and stripped != title:
        ctx.guesses.append(f"title: dropped the prefix from '{title}'")
        title = stripped
    if not title:
        ctx.missing.append("title: none found; set to 'Untitled incident', rename it")
        title = "Untitled incident"
    return _line(_MD_LINK.sub(r"\1", title), 200), from_heading


def _when(value: str, ctx: _Context) -> tuple[datetime | None, bool, bool]:
    """Return the first moment in `value`, whether its zone was assumed, whether it is "about"."""
    for moment in find_moments(value):
        if moment.clock is None:
            continue
        at = moment.resolve(ctx.day, ctx.zone)
        if at is not None:
            return at, moment.zone is None and ctx.zone is None, moment.approximate
    return None, False, False


def _timeline(root: Section, ctx: _Context) -> list[_Entry]:
    section = root.find("timeline")
    if section is None:
        return []
    entries: list[_Entry] = []
    day = ctx.day
    previous: datetime | None = None

    def add(moment: Moment, event: str, context: str) -> None:
        nonlocal previous, day
        at = moment.resolve(day, ctx.zone)
        if at is None:
            return
        if moment.day is None and previous is not None and at < previous - timedelta(hours=1):
            # A time-only line earlier than the last one is on the next day.
            at += timedelta(days=1)
            day = at.date()
            ctx.guesses.append(f"timeline: '{moment.clock}' read as the next day, {day}")
        zone_stated = moment.zone is not None or ctx.zone is not None
        entries.append(
            _Entry(at, event, moment.approximate or not zone_stated, context, zone_stated)
        )
        previous = at

    def walk(node: Section, context: str) -> None:
        nonlocal day
        table: list[list[str]] = []
        for item in [*node.items, ""]:
            if isinstance(item, Section):
                heading_day = first_day(item.label)
                if heading_day:
                    day = heading_day
                walk(item, item.key or context)
                continue
            row = _TABLE_ROW.match(item)
            if row:
                table.append([cell.strip() for cell in row.group(1).split("|")])
                continue
            if table:
                for moment, event in _table_events(table):
                    add(moment, event, context)
                table = []
            line = item.strip()
            if not line:
                continue
            text = _clean(line)
            moments = [m for m in find_moments(text[:MAX_SCAN]) if m.day or m.clock]
            if not moments:
                continue
            first = moments[0]
            if first.clock is None:
                if first.day is not None and first.year_given and len(text) - first.end < 40:
                    day = first.day  # a line naming the day of the lines below it
                continue
            lead = text[: first.start]
            if _TIME_AT_START.fullmatch(lead) or lead.strip("*_ ") == "":
                event = _EVENT_SEPARATOR.sub("", text[first.end :], count=1)
            else:
                event = text
            if first.day is not None and first.year_given:
                day = first.day
            add(first, event.strip() or text, context)

    walk(section, "timeline")
    return entries


def _table_events(table: list[list[str]]) -> list[tuple[Moment, str]]:
    header = [normalize_label(cell) for cell in table[0]]
    rows = [row for row in table[1:] if not all(re.fullmatch(r":?-*:?", c) for c in row)]
    time_col = next(
        (i for i, h in enumerate(header) if re.search(r"time|when|timestamp|utc", h)), None
    )
    date_col = next((i for i, h in enumerate(header) if h.startswith("date")), None)
    if time_col is None:
        time_col = date_col
    if time_col is None:
        return []
    event_col = next(
        (
            i
            for i, h in enumerate(header)
            if i not in (time_col, date_col)
            and re.search(r"event|description|what|action|detail|update|note|summary", h)
        ),
        None,
    )
    if event_col is None:
        others = [i for i in range(len(header)) if i not in (time_col, date_col)]
        if not others:
            return []
        event_col = others[-1]
    found: list[tuple[Moment, str]] = []
    for row in rows:
        if max(time_col, event_col, date_col or 0) >= len(row):
            continue
        when = _EMPHASIS.sub("", row[time_col])
        if date_col is not None and date_col != time_col:
            when = f"{_EMPHASIS.sub('', row[date_col])} {when}"
        moments = [m for m in find_moments(when) if m.clock is not None]
        if not moments:
            continue
        moment = moments[0]
        if moment.zone is None:
            zone = zone_named(re.sub(r".*\((.+)\).*", r"\1", table[0][time_col]))
            if zone is not None:
                moment = Moment(moment.start, moment.end, moment.day, moment.clock, zone)
        found.append((moment, _clean(row[event_col])))
    return found


def _times(
    facts_found: dict[str, str], entries: list[_Entry], root: Section, ctx: _Context
) -> tuple[dict[str, datetime], list[str], list[str]]:
    """Return the incident's times, those that are estimates, and those whose zone was assumed."""
    times: dict[str, datetime] = {}
    assumed: list[str] = []
    estimated: list[str] = []
    sources: dict[str, str] = {}
    for name in TIME_FIELDS:
        if name in facts_found:
            at, zone_assumed, about = _when(facts_found[name], ctx)
            if at is not None:
                times[name] = at
                sources[name] = "stated"
                if zone_assumed:
                    assumed.append(name)
                if about:
                    estimated.append(name)

    def pick(name: str, entry: _Entry, why: str) -> None:
        times[name] = entry.at
        sources[name] = why
        if not entry.zone_stated:
            assumed.append(name)
        elif entry.approximate:
            estimated.append(name)
        ctx.guesses.append(
            f"{name}: {_iso(entry.at)} from the timeline line '{_line(entry.event, 70)}'"
        )

    if entries:
        if "started" not in times:
            match = next((e for e in entries if _START_WORDS.search(e.event)), None)
            pick("started", match or entries[0], "timeline")
        if "detected" not in times:
            match = next(
                (e for e in entries if e.context == "detection" or _DETECT_WORDS.search(e.event)),
                None,
            )
            if match is not None:
                pick("detected", match, "timeline")
        if "mitigated" not in times:
            floor = times.get("detected") or times.get("started")
            match = next(
                (
                    e
                    for e in entries
                    if _MITIGATE_WORDS.search(e.event) and (floor is None or e.at >= floor)
                ),
                None,
            )
            if match is not None:
                pick("mitigated", match, "timeline")
        if "resolved" not in times:
            matches = [e for e in entries if _RESOLVE_WORDS.search(e.event)]
            if matches:
                pick("resolved", matches[-1], "timeline")
    for name, key in (("detected", "detection"), ("mitigated", "resolution")):
        section = root.find(key)
        if name in times or section is None:
            continue
        # "Detected when a customer opened a ticket at 10:31 UTC": a time in the section itself.
        at, zone_assumed, about = _when(prose(section.lines())[:MAX_SCAN], ctx)
        if at is not None:
            times[name] = at
            if zone_assumed:
                assumed.append(name)
            if about:
                estimated.append(name)
            ctx.guesses.append(f"{name}: {_iso(at)} from the '{section.label}' section")
    _apply_durations(facts_found, times, ctx)
    _keep_in_order(times, sources, ctx)
    approximate = [n for n in TIME_FIELDS if n in times and (n in assumed or n in estimated)]
    return times, approximate, [n for n in TIME_FIELDS if n in times and n in assumed]


def _apply_durations(
    facts_found: dict[str, str], times: dict[str, datetime], ctx: _Context
) -> None:
    started = times.get("started")
    for fact, name in (
        ("time_to_detect", "detected"),
        ("time_to_mitigate", "mitigated"),
        ("time_to_resolve", "resolved"),
        ("duration", "resolved"),
    ):
        if fact not in facts_found:
            continue
        span = parse_duration(facts_found[fact])
        label = fact.replace("_", " ")
        if span is None:
            ctx.missing.append(f"{label}: could not read '{facts_found[fact]}' as a duration")
            continue
        if started is None:
            continue
        if name not in times:
            times[name] = started + span
            ctx.guesses.append(
                f"{name}: {_iso(times[name])} computed from started + {label} '{facts_found[fact]}'"
            )
        elif abs((times[name] - started) - span) > timedelta(minutes=1):
            ctx.guesses.append(
                f"{label}: the source says '{facts_found[fact]}' but its times give "
                f"{format_duration(times[name] - started)}; the times were kept (check them)"
            )


def _keep_in_order(times: dict[str, datetime], sources: dict[str, str], ctx: _Context) -> None:
    kept: list[str] = []
    for name in TIME_FIELDS:
        if name not in times:
            continue
        earlier = [k for k in kept if times[k] > times[name]]
        if earlier:
            # Keep a stated time over one picked from the timeline; else keep the earlier field.
            stated_over_guess = (
                sources.get(name) == "stated" and sources.get(earlier[-1]) != "stated"
            )
            drop = earlier[-1] if stated_over_guess else name
            ctx.guesses.append(
                f"{drop}: dropped {_iso(times[drop])}, it is out of order with "
                f"{name if drop != name else earlier[-1]} (check the times)"
            )
            del times[drop]
            if drop != name:
                kept.remove(drop)
                kept.append(name)
            continue
        kept.append(name)


def _iso(moment: datetime) -> str:
    text = moment.isoformat(timespec="minutes")
    return text.removesuffix("+00:00") + ("Z" if text.endswith("+00:00") else "")


def _intro(root: Section) -> str:
    """Return the first real paragraph before any section: not a fact line, not a date line."""
    title = next((item for item in root.items if isinstance(item, Section)), None)
    for node in (root, title) if title is not None and not title.key else (root,):
        text = _first_paragraph(node)
        if text:
            return text
    return ""


def _first_paragraph(node: Section) -> str:
    paragraph: list[str] = []
    for item in [*node.items, ""]:
        if isinstance(item, str) and item.strip() and not _TABLE_ROW.match(item):
            paragraph.append(item)
            continue
        if paragraph:
            head = _FACT_LINE.match(paragraph[0])
            is_fact = head is not None and normalize_label(head.group(1)) in FACT_KEYS
            text = prose(paragraph)
            if not is_fact and not _NOT_INCIDENT_DAY.match(paragraph[0]) and len(text) >= 80:
                return text
            paragraph = []
        if isinstance(item, Section):
            break
    return ""


def _summary(root: Section, impact_text: str, root_cause: str, ctx: _Context) -> str:
    section = root.find("summary")
    text = ""
    if section is not None:
        text = prose(section.lines(skip=frozenset(SECTION_ALIASES)))
    if not text:
        text = _intro(root)
        if text:
            ctx.guesses.append("summary: taken from the opening paragraph")
    if not text:
        narrative = root.find("narrative")
        if narrative is not None:
            text = prose(narrative.lines())
            if text:
                ctx.guesses.append(f"summary: taken from the section '{narrative.label}'")
    if not text:
        parts = [_sentences(impact_text, 2), _sentences(root_cause, 1)]
        text = " ".join(p for p in parts if p and not p.startswith("TODO"))
        if text:
            ctx.guesses.append("summary: composed from the impact and root cause")
    if not text:
        ctx.missing.append("summary: none found; write two or three sentences")
        return "TODO: summarise what happened, the impact and the fix."
    short = _sentences(text.split("\n\n")[0], SUMMARY_SENTENCES)
    return short if len(short) <= MAX_SUMMARY else _line(short, MAX_SUMMARY)


def _root_cause(root: Section, ctx: _Context) -> str:
    section = root.find("root_cause")
    if section is None:
        container = root.find("root_cause_and_resolution")
        if container is not None:
            section = container.find("root_cause") or container
    if section is None:
        ctx.missing.append("root_cause: no 'Root cause' section; write what was wrong")
        return ROOT_CAUSE_PLACEHOLDER
    skip = frozenset(SECTION_ALIASES) - {"root_cause", "contributing_factors"}
    text = prose(section.lines(skip=skip))
    if not text:
        ctx.missing.append("root_cause: the 'Root cause' section is empty")
        return ROOT_CAUSE_PLACEHOLDER
    return text


def _impact(root: Section, ctx: _Context) -> tuple[dict[str, object], str]:
    section = root.find("impact")
    if section is None:
        ctx.missing.append("impact: no 'Impact' section")
        return {}, ""
    text = prose(section.lines(skip=frozenset(SECTION_ALIASES) - {"impact"}))
    if not text:
        return {}, ""
    impact: dict[str, object] = {"description": text}
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        for match in _PERCENT.finditer(sentence):
            value = float(match.group(1))
            if value > 100:
                continue
            number: float | int = int(value) if value.is_integer() else value
            after = sentence[match.end() : match.end() + 40]
            users, requests = _USERS.search(after), _REQUESTS.search(after)
            about_requests = requests is not None and (
                users is None or requests.start() < users.start()
            )
            if about_requests and "requests_failed_percent" not in impact:
                impact["requests_failed_percent"] = number
                ctx.guesses.append(
                    f"impact.requests_failed_percent: {number} from '{match.group(0)}'"
                )
            elif (
                not about_requests
                and _USERS.search(sentence)
                and "users_affected_percent" not in impact
            ):
                impact["users_affected_percent"] = number
                ctx.guesses.append(
                    f"impact.users_affected_percent: {number} from '{match.group(0)}'"
                )
    count = _USER_COUNT.search(text)
    if count:
        impact["users_affected"] = int(count.group(1).replace(",", ""))
        ctx.guesses.append(
            f"impact.users_affected: {impact['users_affected']} from '{count.group(0)}'"
        )
    return impact, text


def _severity(
    facts_found: dict[str, str], text: str, impact: dict[str, object], ctx: _Context
) -> str:
    value = facts_found.get("severity", "")
    written = re.search(r"\bSEV[- ]?([0-4])\b", text, re.IGNORECASE)
    if not value and written:
        value = written.group(0)
    if value:
        level = _severity_of(value)
        if level:
            if level.lower().replace(" ", "") != value.lower().replace(" ", "").replace("-", ""):
                ctx.guesses.append(f"severity: {level} from '{value}' (check the scale matches)")
            return level
    percent = impact.get("users_affected_percent") or impact.get("requests_failed_percent")
    if isinstance(percent, int | float):
        level = "SEV1" if percent >= 50 else "SEV2" if percent >= 10 else "SEV3"
        ctx.guesses.append(f"severity: {level} guessed from {percent}% affected (none stated)")
        return level
    ctx.guesses.append("severity: SEV3 by default, none stated (set the right level)")
    return "SEV3"


def _severity_of(value: str) -> str | None:
    text = value.strip().lower()
    match = re.search(r"\b(?:sev(?:erity)?|s|level)\s*[-_ ]?\s*([0-4])\b", text) or re.match(
        r"^([0-4])\b", text
    )
    if match:
        return f"SEV{max(1, int(match.group(1)))}"
    priority = re.search(r"\bp([0-4])\b", text)
    if priority:
        return f"SEV{max(1, int(priority.group(1)))}"
    for word, level in (
        ("critical", "SEV1"),
        ("major", "SEV2"),
        ("high", "SEV2"),
        ("minor", "SEV3"),
        ("medium", "SEV3"),
        ("moderate", "SEV3"),
        ("low", "SEV4"),
    ):
        if re.search(rf"\b{word}\b", text):
            return level
    return None


def _services(facts_found: dict[str, str], texts: list[str], ctx: _Context) -> list[str]:
    if "services" in facts_found:
        names = [
            _line(_MD_LINK.sub(r"\1", part).strip(" `.*"), 100)
            for part in re.split(r",|;|\band\b", facts_found["services"])
        ]
        names = [n for n in names if n]
        if names:
            return list(dict.fromkeys(names))
    found: dict[str, str] = {}
    for text in texts:
        for match in _SERVICE_NAME.finditer(text):
            word = match.group(1)
            if word.lower() in _NOT_A_SERVICE or word.isdigit():
                continue
            name = f"{word.lower()}-{match.group(2).lower()}"
            found.setdefault(name, match.group(0))
    if found:
        quoted = ", ".join(f"'{phrase}'" for phrase in found.values())
        ctx.guesses.append(f"services: {', '.join(found)} guessed from {quoted} (check them)")
        return list(found)[:5]
    ctx.missing.append(
        f"services: none named; set to the placeholder '{SERVICE_PLACEHOLDER}', replace it"
    )
    return [SERVICE_PLACEHOLDER]


def _vocab_guess(
    field_name: str, text: str, terms: tuple[tuple[str, str], ...], ctx: _Context
) -> str | None:
    found = _first_match(text, terms)
    if found is None:
        return None
    ctx.guesses.append(f"{field_name}: {found[0]} from the word '{found[1]}'")
    return found[0]


def _categories(root_cause: str, ctx: _Context) -> list[str]:
    if root_cause == ROOT_CAUSE_PLACEHOLDER:
        return []
    found = []
    for term, pattern in _CATEGORY_TERMS:
        match = re.search(pattern, root_cause, re.IGNORECASE)
        if match:
            found.append((match.start(), term, match.group(0)))
    found.sort()
    chosen = found[:3]
    if chosen:
        words = ", ".join(f"{term} ('{word}')" for _, term, word in chosen)
        ctx.guesses.append(f"root_cause_categories: {words}")
    return [term for _, term, _ in chosen]


def _bullet_items(section: Section) -> list[tuple[str, list[str], Section]]:
    """Return (item text, nested detail lines, owning section) for every list item under it."""
    items: list[tuple[str, list[str], Section]] = []
    for node in section.walk():
        item_indent: int | None = None
        for entry in node.items:
            if not isinstance(entry, str) or not entry.strip():
                continue
            bullet = _BULLET.match(entry)
            if bullet is None:
                if items and items[-1][2] is node and entry.startswith(" "):
                    items[-1][1].append(entry.strip())  # a wrapped line of the item above
                continue
            indent = len(bullet.group(1))
            if item_indent is None or indent <= item_indent:
                item_indent = indent
                items.append((bullet.group(2), [], node))
            elif items and items[-1][2] is node:
                items[-1][1].append(_clean(entry))
    return items


def _action_sections(root: Section) -> list[Section]:
    found: list[Section] = []
    for section in root.walk():
        if section.key not in ("action_items", "remediation"):
            continue
        if any(section in s.walk() for s in found):
            continue  # nested under one already taken
        found.append(section)
    return found


def _actions(root: Section, ctx: _Context) -> list[dict[str, object]]:
    actions: list[dict[str, object]] = []
    for section in _action_sections(root):
        for table in _tables(section):
            actions.extend(_table_actions(table))
        for text, details, owner_section in _bullet_items(section):
            item = _action(text, details)
            if item is None:
                continue
            horizon = next(
                (h for s in _path_to(section, owner_section) if (h := _horizon(s.label))), None
            )
            if horizon and "horizon" not in item:
                item["horizon"] = horizon
            kind = next(
                (
                    _ACTION_TYPES[n]
                    for s in _path_to(section, owner_section)
                    if (n := normalize_label(s.label)) in _ACTION_TYPES
                ),
                None,
            )
            if kind and "type" not in item:
                item["type"] = kind
            actions.append(item)
    if not actions:
        ctx.missing.append("action_items: no action items found")
    else:
        without = [a for a in actions if "owner" not in a]
        if without:
            ctx.missing.append(f"action_items: {len(without)} of {len(actions)} have no owner")
        # Nobody has agreed to an item without an owner yet: it stays proposed until someone does.
        unagreed = [a for a in without if "status" not in a]
        for item in unagreed:
            item["status"] = "proposed"
        if unagreed:
            ctx.guesses.append(
                f"action_items: {len(unagreed)} without an owner or status set to 'proposed' "
                "(give each an owner, then set status: open)"
            )
    return actions


def _path_to(top: Section, target: Section) -> list[Section]:
    """Return the sections from `top` down to `target`, nearest first."""

    def search(node: Section, trail: list[Section]) -> list[Section] | None:
        if node is target:
            return [*trail, node]
        for item in node.items:
            if isinstance(item, Section):
                found = search(item, [*trail, node])
                if found:
                    return found
        return None

    return list(reversed(search(top, []) or []))


def _tables(section: Section) -> list[list[list[str]]]:
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*section.lines(), ""]:
        row = _TABLE_ROW.match(line)
        if row:
            current.append([cell.strip() for cell in row.group(1).split("|")])
        elif current:
            tables.append(current)
            current = []
    return tables


_ACTION_COLUMNS = (
    ("title", r"^(?:action(?: item)?s?|items?|tasks?|description|what|remediation|title|fix)$"),
    ("type", r"^(?:type|kind|category)$"),
    ("owner", r"^(?:owners?|assignee|assigned to|who|responsible|dri)$"),
    ("ticket", r"^(?:bug|bugs|ticket|tickets|issue|issues|jira|link|tracking|tracker)$"),
    ("priority", r"^(?:priority|prio|pri)$"),
    ("status", r"^(?:status|state|done)$"),
    ("due", r"^(?:due|due date|deadline|eta|target|target date)$"),
    ("horizon", r"^(?:horizon|when|term|timeframe)$"),
)


def _table_actions(table: list[list[str]]) -> list[dict[str, object]]:
    header = [normalize_label(cell) for cell in table[0]]
    columns: dict[str, int] = {}
    for name, pattern in _ACTION_COLUMNS:
        for index, cell in enumerate(header):
            if re.match(pattern, cell) and index not in columns.values():
                columns[name] = index
                break
    if "title" not in columns:
        return []
    items = []
    for row in table[1:]:
        if all(re.fullmatch(r":?-*:?", cell) for cell in row):
            continue
        cells = {name: row[i] if i < len(row) else "" for name, i in columns.items()}
        if "status" not in cells:
            for name, value in cells.items():
                word = _ROW_STATUS.search(value)
                if word:
                    cells[name] = _ROW_STATUS.sub("", value).strip()
                    cells["status"] = word.group(1)
                    break
        item = _action(cells.pop("title"), [])
        if item is None:
            continue
        for name, value in cells.items():
            _set_action_field(item, name, _EMPHASIS.sub("", value).strip())
        items.append(item)
    return items


def _set_action_field(item: dict[str, object], name: str, value: str) -> None:
    if not value or value in ("-", "\u2014", "n/a", "N/A"):
        return
    notes: list[str] = [str(item["notes"])] if "notes" in item else []
    if name == "ticket":
        link = _MD_LINK.search(value)
        url = link.group(2) if link else value
        if re.match(r"https?://", url):
            item["ticket"] = url
            if link and not _TICKET_ID.match(link.group(1)):
                notes.append(f"Ticket: {link.group(1)}")
        else:
            notes.append(f"Ticket: {value}")
    elif name in ("type", "priority", "horizon", "status"):
        vocabulary = {
            "type": "action_type",
            "priority": "priority",
            "horizon": "horizon",
            "status": "action_status",
        }[name]
        lowered = value.lower()
        wanted = _STATUS_WORDS.get(
            lowered, _ACTION_TYPES.get(lowered, _HORIZONS.get(lowered, value))
        )
        term = match_term(wanted, DEFAULT_VOCABULARIES[vocabulary])
        if term:
            item[name] = term
        else:
            notes.append(f"{name.capitalize()}: {value}")
    elif name == "due":
        if _real_date(value):
            item["due"] = value
        else:
            notes.append(f"Due: {value}")
    else:
        item[name] = _line(_MD_LINK.sub(r"\1", value), 100).lstrip("@")
    if notes:
        item["notes"] = "\n".join(notes)


def _real_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _metadata(text: str) -> list[tuple[str, str]] | None:
    """Return the fields of `(owner: x, due 2024-04-01, P1)`, or None when it is plain prose."""
    found: list[tuple[str, str]] = []
    for raw in re.split(r"[,;]", text):
        part = raw.strip()
        lowered = part.lower()
        meta = _META_PART.match(part)
        if meta:
            found.append((_META_FIELDS[meta.group(1).lower()], meta.group(2).strip()))
        elif re.fullmatch(r"P[0-3]", part):
            found.append(("priority", part))
        elif lowered in _ACTION_TYPES:
            found.append(("type", lowered))
        elif lowered in _STATUS_WORDS:
            found.append(("status", lowered))
        elif _horizon(part):
            found.append(("horizon", part))
        elif re.fullmatch(r"@[A-Za-z0-9][\w.-]*", part):
            found.append(("owner", part))
        else:
            return None
    return found or None


def _action(text: str, details: list[str]) -> dict[str, object] | None:
    item: dict[str, object] = {}
    line = text.strip()
    if len(line) > MAX_SCAN:
        # Too long to be one item with metadata: keep it whole, as the title and notes.
        return {"title": _line(line), "notes": line[:MAX_TEXT]}
    box = _CHECKBOX.match(line)
    if box:
        item["status"] = "done" if box.group(1).lower() == "x" else "open"
        line = line[box.end() :]
    line = _EMPHASIS.sub("", line)
    for link in list(_MD_LINK.finditer(line)):
        if "ticket" not in item and re.match(r"https?://", link.group(2)):
            item["ticket"] = link.group(2)
            if _TICKET_ID.match(link.group(1)):
                line = line.replace(link.group(0), "")
                continue
        line = line.replace(link.group(0), link.group(1))
    for group in list(_META_GROUP.finditer(line)):
        found = _metadata(group.group(1))
        if found is not None:
            for name, value in found:
                _set_action_field(item, name, value)
            line = line.replace(group.group(0), " ", 1)
    trailing = _TRAILING_OWNER.search(line)
    if trailing:
        _set_action_field(item, "owner", next(g for g in trailing.groups() if g))
        line = line[: trailing.start()]
    leading = _LEADING_TAG.match(line.strip())
    while leading:
        priority, kind, ticket = leading.groups()
        if ticket:
            _set_action_field(item, "ticket", ticket)
        else:
            _set_action_field(item, "priority" if priority else "type", priority or kind)
        line = line.strip()[leading.end() :]
        leading = _LEADING_TAG.match(line)
    if "\u2705" in line:
        item["status"] = "done"
        line = line.replace("\u2705", " ")
    title = " ".join(line.split()).strip(" -\u2013\u2014:;,").rstrip(".")
    if not title or _horizon(title):
        return None
    if len(title) > MAX_LINE:
        details = [title, *details]
        title = _line(title)
    item = {"title": title, **item}
    if details:
        previous = [str(item["notes"])] if "notes" in item else []
        item["notes"] = "\n".join([*previous, *details])
    return item


def _lessons(root: Section) -> dict[str, list[str]]:
    lessons: dict[str, list[str]] = {}
    for key in ("went_well", "went_wrong", "got_lucky"):
        entries: list[str] = []
        for section in root.walk():
            if section.key != key:
                continue
            bullets = _bullet_items(section)
            if bullets:
                entries.extend(
                    " ".join([_clean(text), *details]).strip() for text, details, _ in bullets
                )
            else:
                entries.extend(p for p in prose(section.lines()).split("\n\n") if p)
        if entries:
            lessons[key] = [entry for entry in entries if entry]
    return lessons


def _contributing(root: Section) -> list[str]:
    section = root.find("contributing_factors")
    if section is None:
        return []
    bullets = _bullet_items(section)
    texts = [_clean(text) for text, _, _ in bullets] if bullets else []
    return [_line(text.rstrip(".")) for text in texts if text]


def _names(value: str) -> list[str]:
    """Return the names in a `a, b and c` list."""
    parts = (part.strip(" .@`") for part in re.split(r",|;|\band\b", value))
    return [_line(part, 100) for part in parts if part]


def import_text(text: str, source: str = "", default_date: date | None = None) -> ImportResult:
    """Return the postmortem made from free-form `text` (read from `source`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ImportProblem("the file is empty", "import a file that holds a postmortem")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ImportProblem(
            f"the file is larger than {MAX_SOURCE_BYTES // 1024} KiB",
            "split it, or move attachments out; a postmortem file may be at most 2 MiB",
        )
    if "\x00" in text:
        raise ImportProblem("the file is binary, not text", "import Markdown or plain text")
    # Leading blank lines are dropped: the loader drops them after the front matter anyway.
    body = text.lstrip("\n") if text.endswith("\n") else text.lstrip("\n") + "\n"
    # Control characters are kept in the body but never copied into front matter.
    text = _CONTROL.sub("", text)
    ctx = _Context()
    if text.startswith("---\n") and "\n---" in text[4:]:
        ctx.missing.append(
            "front matter: the source has its own; it was kept as text at the top of the body "
            "(copy the values you need, then delete it)"
        )
    found = facts(text)
    root = outline(text)
    _document_zone(text, found, ctx)
    stem_day = re.match(r"(\d{4}-\d{2}-\d{2})", PurePath(source).name) if source else None
    ctx.day = (
        first_day(found.get("date", ""))
        or first_day(found.get("started", ""))
        or _incident_day(text)
        or (date.fromisoformat(stem_day.group(1)) if stem_day else None)
        or default_date
    )
    if ctx.day is None:
        raise ImportProblem(
            "no date found in the text or the file name",
            "pass --date YYYY-MM-DD, or name the file YYYY-MM-DD-title.md",
        )
    title, from_heading = _title(root, found, source, ctx)
    leading = _leading_h1(body) if from_heading else None
    if leading is not None:
        # The heading became `title`, which the page already shows; a second h1 would repeat it.
        body = leading
        ctx.guesses.append("title: the level-1 heading became the title and left the body")
    entries = _timeline(root, ctx)
    times, approximate, assumed = _times(found, entries, root, ctx)
    if assumed:
        ctx.guesses.append(
            f"time zone: none stated for {', '.join(assumed)}; assumed UTC and listed them "
            "in 'approximate'"
        )
    impact, impact_text = _impact(root, ctx)
    root_cause = _root_cause(root, ctx)
    summary = _summary(root, impact_text, root_cause, ctx)
    services = _services(found, [title, summary, impact_text, root_cause], ctx)
    severity = _severity(found, text, impact, ctx)
    ctx.guesses.append("status: draft (an imported postmortem needs a review before publishing)")

    day = times["started"].date() if "started" in times else ctx.day
    front: dict[str, object] = {
        "title": title,
        "date": day,
        "status": "draft",
        "severity": severity,
        "summary": summary,
        "root_cause": root_cause,
        "services": services,
    }
    front.update({name: times[name] for name in TIME_FIELDS if name in times})
    if not times:
        ctx.missing.append("started: no times found; only the date is set")
    for name in TIME_FIELDS:
        if name not in times and times:
            ctx.missing.append(f"{name}: not found")
    front["approximate"] = approximate
    front["root_cause_categories"] = _categories(root_cause, ctx)
    if not front["root_cause_categories"]:
        ctx.missing.append("root_cause_categories: none recognised in the root cause (optional)")
    trigger = root.find("trigger")
    if trigger is not None:
        front["trigger"] = (
            _vocab_guess("trigger", prose(trigger.lines()), _TRIGGER_TERMS, ctx) or "unknown"
        )
    else:
        ctx.missing.append("trigger: no 'Trigger' section (optional)")
    front["contributing_factors"] = _contributing(root)
    detection = root.find("detection")
    detection_text = prose(detection.lines()) if detection else ""
    detected_events = [
        e.event for e in entries if "detected" in times and e.at == times["detected"]
    ]
    front["detection"] = _vocab_guess(
        "detection", " ".join([detection_text, *detected_events]), _DETECTION_TERMS, ctx
    )
    if front["detection"] is None:
        ctx.missing.append("detection: how the incident was noticed is not stated (optional)")
    front["impact"] = impact
    front["timeline"] = [_timeline_item(entry) for entry in entries]
    front["action_items"] = _actions(root, ctx)
    lessons = _lessons(root)
    front["lessons"] = lessons
    if not lessons:
        general = root.find("lessons")
        ctx.missing.append(
            "lessons: a 'Lessons learned' section is not split into went well / went wrong / "
            "got lucky; it stays in the body"
            if general is not None
            else "lessons: none found (sites often require them for SEV1 and SEV2; "
            "add a '## Lessons learned' section or fill 'lessons')"
        )
    if root.find("resolution", "root_cause_and_resolution", "remediation") is None:
        ctx.missing.append("resolution: no 'Resolution' section")
    front["authors"] = _names(found.get("authors", ""))
    front["tags"] = _names(found.get("tags", ""))
    if source:
        front["extra"] = {"imported_from": PurePath(source).name}
    slug = slugify(title) or "incident"
    front = {k: _fit(k, v, ctx) for k, v in front.items() if v not in (None, [], {}, "")}
    _shrink(front, ctx)
    return ImportResult(
        front_matter=front,
        body=body,
        stem=f"{day.isoformat()}-{slug}",
        guesses=ctx.guesses,
        missing=ctx.missing,
    )


def _fit(where: str, value: object, ctx: _Context) -> object:
    """Return `value` cut to the format's limits (text length, list size), reporting any cut."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        ctx.guesses.append(f"{where}: cut to {MAX_TEXT} characters; the whole text is in the body")
        return _line(value, MAX_TEXT)
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            ctx.guesses.append(
                f"{where}: kept the first {MAX_ITEMS} of {len(value)}; the rest are in the body"
            )
        return [_fit(f"{where}[{i}]", item, ctx) for i, item in enumerate(value[:MAX_ITEMS])]
    if isinstance(value, dict):
        return {key: _fit(f"{where}.{key}", item, ctx) for key, item in value.items()}
    return value


def _shrink(front: dict[str, object], ctx: _Context) -> None:
    """Drop what the body already holds until the front matter fits the loader's size limit."""
    steps = ("timeline", "notes", "lessons", "contributing_factors", "action_items")
    for step in steps:
        if len(dump(front).encode("utf-8")) <= MAX_FRONT_MATTER_BYTES - 1024:
            return
        if step == "notes":
            items = front.get("action_items")
            for item in items if isinstance(items, list) else []:
                item.pop("notes", None)
        else:
            front.pop(step, None)
        ctx.guesses.append(f"{step}: left out to keep the front matter small; see the body")
    if len(dump(front).encode("utf-8")) > MAX_FRONT_MATTER_BYTES - 1024:
        for name in ("summary", "root_cause"):
            front[name] = _line(str(front[name]), 2000)
        impact = front.get("impact")
        if isinstance(impact, dict):
            impact["description"] = _line(str(impact["description"]), 2000)
        ctx.guesses.append("summary, root_cause, impact: shortened to fit; see the body")


def _timeline_item(entry: _Entry) -> dict[str, object]:
    item: dict[str, object] = {"at": entry.at, "event": entry.event}
    if entry.approximate:
        item["approximate"] = True
    return item
