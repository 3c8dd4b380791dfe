"""Extract the prose fields: title, summary, root cause, impact, severity, services, lessons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from ..timetext import find_moments
from .actions import bullet_items
from .context import HIGH, LOW, MEDIUM, Context
from .outline import (
    ATX,
    FACT_KEYS,
    FACT_LINE,
    MD_LINK,
    SECTION_ALIASES,
    SENTENCE_END,
    SETEXT_1,
    TABLE_ROW,
    Section,
    clean_line,
    first_match,
    normalize_label,
    one_line,
    prose,
    sentences,
)
from .timeline import NOT_INCIDENT_DAY

_TITLE_PREFIX = re.compile(
    r"^(?:incident\s+)?(?:post[- ]?mortem|post[- ]incident review|incident report|"
    r"incident review|retrospective|pir|rca)\b\s*(?:[:\-\u2013\u2014|]|for\b|of\b|on\b)?\s*",
    re.IGNORECASE,
)
SUMMARY_SENTENCES = 3

MAX_SUMMARY = 600

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
    r"(`[A-Za-z][\w.-]*`|\b[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*)[ -](?:service|api)\b",
    re.IGNORECASE,
)
_NAME_SCAN = 100_000
# "the core authentication service": a lower-case name is taken only after an article, and not
# when "service" starts a compound ("the payment service outage" still names "payment").
_THE_SERVICE = re.compile(
    r"\b(?:the|our|its|their)\s+(?:(?:core|main|internal|primary|backend|public)\s+)?"
    r"([a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)\s+service\b"
    r"(?!\s+(?:level|account|provider|mesh|desk|team|worker|principal)s?\b)"
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

DETECTION_TERMS = (
    ("monitoring-alert", r"alert|monitor|\bpag(?:ed|er|ing)\b|alarm|dashboard|prometheus"),
    ("customer-report", r"customer|support ticket|users? report|tweet|complain"),
    ("automated-test", r"synthetic|canary|probe|smoke test|health ?check"),
    ("employee-report", r"employee|\bnoticed\b|\bstaff\b|internal report|colleague"),
)
TRIGGER_TERMS = (
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


def without_leading_h1(text: str) -> str | None:
    """Return `text` without its first line when that line is a level-1 heading, else None."""
    lines = text.split("\n")
    first = ATX.match(lines[0])
    if first is not None and first.group(1) == "#":
        rest = lines[1:]
    elif len(lines) > 1 and lines[0].strip() and SETEXT_1.match(lines[1]):
        rest = lines[2:]
    else:
        return None
    return "\n".join(rest).lstrip("\n") or "\n"


def _whole_date(text: str) -> date | None:
    """Return the date `text` is made of alone ("August 12 2025"), else None."""
    moments = find_moments(text)
    if len(moments) == 1 and moments[0].clock is None and moments[0].year_given:
        written = text[moments[0].start : moments[0].end]
        if len(written.strip()) >= len(text.strip()) - 1:
            return moments[0].day
    return None


# A file name made of ids (UUIDs, hashes, numbers), with no word in it.
_MEANINGLESS_NAME = re.compile(r"(?:[0-9a-f]{4,}|\d+)(?:\s+(?:[0-9a-f]{4,}|\d+))*", re.IGNORECASE)


def title_of(
    root: Section, facts_found: dict[str, str], source: str, ctx: Context
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
            fact = FACT_LINE.match(line)
            if fact and normalize_label(fact.group(1)) in FACT_KEYS:
                break
            candidate = clean_line(line)
            if len(candidate) <= 120 and not candidate.endswith("."):
                title = candidate
            break
    if not title:
        stem = PurePath(source).stem if source else ""
        title = re.sub(r"^\d{4}-\d{2}-\d{2}[-_ ]*", "", stem).replace("-", " ").replace("_", " ")
        title = title.strip().capitalize()
        if _MEANINGLESS_NAME.fullmatch(title):
            title = ""  # "00b7f759 21f8 ...": an id, not words a reader could use
        if title:
            ctx.guesses.append(f"title: taken from the file name ('{title}')")
    if not title:
        opening = _intro(root) or prose([i for i in root.items if isinstance(i, str)])
        first_sentence = sentences(opening, 1).rstrip(".")
        if first_sentence:
            title = one_line(first_sentence, 90)
            ctx.needs("title", f"none written; the first sentence stands in ('{title}')")
    title = re.sub(r"^\d{4}-\d{2}-\d{2}\s*[:\-\u2013\u2014|]\s*", "", title)
    # "Incident report August 12 2025 - LEAP hub outage": the date is the page's, not the title's.
    dated = _TITLE_PREFIX.sub("", title)
    dated_match = re.match(r"^(.{6,30}?)\s+[:\-\u2013\u2014|]\s+(\S.*)$", dated)
    if dated_match and _whole_date(dated_match.group(1)) is not None:
        title = dated_match.group(2)
    stripped = _TITLE_PREFIX.sub("", title).strip(" :-\u2013\u2014")
    if stripped and stripped != title:
        ctx.guesses.append(f"title: dropped the prefix from '{title}'")
        title = stripped
    if not title:
        ctx.missing.append("title: none found; set to 'Untitled incident', rename it")
        title = "Untitled incident"
    return one_line(MD_LINK.sub(r"\1", title), 200), from_heading


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
        if isinstance(item, str) and item.strip() and not TABLE_ROW.match(item):
            paragraph.append(item)
            continue
        if paragraph:
            head = FACT_LINE.match(paragraph[0])
            is_fact = head is not None and normalize_label(head.group(1)) in FACT_KEYS
            text = prose(paragraph)
            if not is_fact and not NOT_INCIDENT_DAY.match(paragraph[0]) and len(text) >= 80:
                return text
            paragraph = []
        if isinstance(item, Section):
            break
    return ""


def summary_of(root: Section, impact_text: str, root_cause: str, ctx: Context) -> str:
    """Return two or three sentences: the Summary section, else the opening, else composed."""
    section = root.find("summary")
    text, how, confidence = "", "", MEDIUM
    if section is not None:
        text = prose(section.lines(skip=frozenset(SECTION_ALIASES)))
        how = f"section '{section.label}'"
    stated = bool(text)  # the source has a Summary: nothing was guessed
    if not text:
        text, how = _intro(root), "the opening paragraph"
    if not text:
        narrative = root.find("narrative")
        if narrative is not None:
            text, how = prose(narrative.lines()), f"section '{narrative.label}'"
    if not text:
        parts = [sentences(impact_text, 2), sentences(root_cause, 1)]
        text, how, confidence = " ".join(p for p in parts if p), "the impact and root cause", LOW
    if not text:
        return ""
    if not stated:
        ctx.guesses.append(f"summary: taken from {how}")
    # Status pages open updates with "[Final message]": a label, not part of the summary.
    text = _UPDATE_LABEL.sub("", text)
    short = sentences(text.split("\n\n")[0], SUMMARY_SENTENCES)
    ctx.note("summary", how, confidence, short)
    return short if len(short) <= MAX_SUMMARY else one_line(short, MAX_SUMMARY)


def root_cause_of(root: Section, ctx: Context, title: str = "", summary: str = "") -> str:
    """Return what was wrong: the root-cause section, else the sentences that state a cause.

    A long section is cut to its first sentences; without a section, sentences anywhere
    ("The root cause was ...", "... was caused by ...", a Summary that says why) are taken,
    the strongest first, and a title that names cause and effect ("Upgrading X caused an
    outage") stands in for a body that says neither. `summary` is one the source's front matter
    gives. Nothing found is an empty value, listed for review by the caller.
    """
    section = root.find("root_cause")
    if section is None:
        container = root.find("root_cause_and_resolution")
        if container is not None:
            section = container.find("root_cause") or container
    if section is not None:
        skip = frozenset(SECTION_ALIASES) - {"root_cause", "contributing_factors"}
        found = prose(section.lines(skip=skip))
        if found:
            ctx.note("root_cause", f"section '{section.label}'", MEDIUM, found)
            return _cause_sentences(found)
    candidates = _cause_candidates(root, summary)
    titled = _TITLE_CAUSE.search(title) if title else None
    if titled is not None and not any(c.score > _TITLE_SCORE for c in candidates):
        stated = _LEADING_DAY.sub("", title)
        ctx.note("root_cause", "the title", LOW, title)
        ctx.guesses.append(f"root_cause: the title '{one_line(stated, 80)}' names the cause")
        return stated
    if not candidates:
        return ""
    best = max(candidates, key=lambda found: found.score)  # the first of the best
    chosen = [best.sentence]
    if _ANAPHORA.match(best.sentence) and best.previous:
        # "This starved the pods, causing ...": what "this" is comes in the sentence before.
        chosen.insert(0, best.previous)
    # A second cause sentence close by in the same section usually completes the first; a
    # terse statement ("The root cause was a bug in the VCL.") is followed by its details.
    later = [
        c for c in candidates if c.section == best.section and 0 < c.index - best.index <= _NEARBY
    ]
    if later:
        chosen.append(later[0].sentence)
    elif len(best.sentence) < _TERSE and best.following:
        chosen.append(best.following)
    text = " ".join(dict.fromkeys(chosen))
    ctx.note("root_cause", f"sentence in {best.where}", MEDIUM, best.sentence)
    ctx.guesses.append(f"root_cause: the sentence '{one_line(best.sentence, 80)}'")
    return text


@dataclass(frozen=True)
class _Candidate:
    """A sentence that states a cause, where it sits, and how strongly it says so."""

    score: int
    sentence: str
    where: str
    section: int  # which section it is in
    index: int  # position of the sentence in the document
    previous: str  # the sentence before it in its paragraph ("" at the start)
    following: str  # the next sentence of the paragraph ("" at its end)


# Status pages open each update with a label ("[Final message]"): not part of any sentence.
_UPDATE_LABEL = re.compile(
    r"^\s*(?:\[[^\]]{1,40}\]|(?:initial|first|final|last|latest)?\s*(?:message|update)\s*:)\s*",
    re.IGNORECASE,
)
_LEADING_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\b[\s:\-\u2013\u2014|]*")
_TERSE = 140  # characters: a cause sentence shorter than this gets the next sentence too
_NEARBY = 3  # sentences: a second cause sentence this close completes the first
_ANAPHORA = re.compile(
    r"^(?:this|that|these|those|it|which|but it|as a result|in turn|this in turn)\b",
    re.IGNORECASE,
)
# Weak signs, taken only when no sentence says "because": a named provider's outage ("Acme is
# down", "Acme is having a network outage") and resource pressure ("high memory usage").
_WEAK_CAUSE = re.compile(
    r"(?<![\w.])(?-i:[A-Z][\w-]*)(?:\s+(?-i:[A-Z][\w-]*))*\s+(?:is|are|was|were)\s+"
    r"(?:currently\s+)?(?:down\b|having\s+(?:a|an)\s+(?:[\w-]+\s+){0,2}(?:outage|incident)\b)"
    r"|\b(?:high|excessive|elevated|increased|spike in|unbounded)\s+(?:\w+\s+)?"
    r"(?:memory|cpu|disk|load|resource)(?:\s+(?:usage|consumption|pressure))?\b"
    r"|\b(?:memory|cpu|disk|resource)\s+(?:exhaustion|starvation|pressure)\b",
    re.IGNORECASE,
)
# A sentence opening on its consequence ("Potentially causing all pods to ..."): what it says
# is an effect; the cause, if any, is elsewhere.
_CONSEQUENCE_FIRST = re.compile(
    r"^(?:\w+ly\s+)?(?:causing|leading to|resulting in|which (?:caused|led to|resulted in))\b",
    re.IGNORECASE,
)
# A title that names cause and effect: "Upgrading X caused an outage", "Y-induced evictions",
# "Outage due to Z". A status title ("Outage", "Maintenance") names neither.
_TITLE_CAUSE = re.compile(
    r"\S\s+(?:caused|causing|causes|induced|inducing|led to|leading to|resulted in|"
    r"resulting in|triggered|triggering|took down|brought down)\s+\S"
    r"|\w-induced\s+\S|\S\s+(?:due to|caused by|because of)\s+\S",
    re.IGNORECASE,
)
_TITLE_SCORE = 4  # a title beats a weak sign, or "due to" outside a Summary; "root cause" wins
# How strongly a sentence states a cause: an explicit "root cause" beats "caused by".
_CAUSE_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        3,
        re.compile(
            r"\b(?:root[- ]?causes?|(?:underlying|primary|main|immediate|direct|ultimate)"
            r" (?:cause|issue)|the cause|core issue)\s*(?:(?:of|for|behind)\b[^.]{0,60}?\s)?"
            r"(?:was|were|is|are|:|has been|had been)"
            # "The cause was found / diagnosed at 23:00" says when, not what.
            r"(?!\s+(?:not|never|still|then|later|quickly|finally|soon)?\s*(?:found|diagnosed|"
            r"identified|determined|confirmed|investigated|understood|unknown|unclear)\b"
            r"(?!\s+(?:as|to be|that)\b))"
            r"(?!\s+not\b)"
            r"|\b(?:identified|determined|confirmed|found) (?:as|to be) the (?:root )?cause\b",
            re.IGNORECASE,
        ),
    ),
    (
        2,
        re.compile(
            # "Two alerts were triggered" names no cause; "triggered by" and "X triggered" do.
            r"\b(?:caused by|due to|because|stemm(?:ed|ing) from|the result of|"
            r"(?<!\bwas )(?<!\bwere )(?<!\bbeen )(?<!\bgot )triggered(?! (?:manually|again)\b)|"
            # "The parser failed to check ..." is a defect; "we failed to verify ..." is more
            # often a miss in the response than the cause, so it is not taken.
            r"triggered by|(?<!\bwe )failed to (?:check|validate|verify|handle|consider|"
            r"account for|detect|catch|sanitize|escape|limit|enforce|reject|release|renew)|"
            r"result(?:ed|s|ing)? (?:from|in)|(?:identified|determined|found) (?:as|to be)|"
            r"caus(?:ed|ing|es)|(?:can|could|would|may|might|will) cause|le[da]d? to|leads to|"
            r"(?:attributed|attributable|traced(?: back)?) to|accidental(?:ly)?|"
            r"inadvertent(?:ly)?|"
            r"unintentional(?:ly)?|mistaken(?:ly)?|by mistake|expired|ran out of|run out of|"
            r"exhausted|misconfigur\w*|bugs? in|a bug|(?:was|were) missing|attack|"
            r"hit the (?:maximum|limit)|reached the (?:maximum|limit)|overlooked|"
            r"(?:the )?(?:issue|problem) was (?:that|a|an|the)|"
            r"(?:we|they) (?:\w+ )?(?:determined|found(?: out)?|"
            r"discovered|concluded|realized|realised|identified|learned) that)\b",
            re.IGNORECASE,
        ),
    ),
    (1, _WEAK_CAUSE),
)
_NO_CAUSE_YET = re.compile(
    r"\b(?:not|never|yet to)\s+(?:yet\s+)?(?:been\s+)?(?:found|known|determined|identified|"
    r"clear|understood)|\bunknown\b|\bstill (?:investigating|being investigated|under)\b|"
    r"\bunder (?:\w+ )?investigation\b",
    re.IGNORECASE,
)
_RULED_OUT = re.compile(
    r"\b(?:not|never|neither|nor|no evidence (?:of|that))\s+(?:\w+\s+){0,2}?"
    r"(?:the (?:\w+ )?result of|caused by|due to|because of|an? (?:\w+ )?attack)\b[^,.;]*",
    re.IGNORECASE,
)
_NOT_CAUSE_SECTIONS = frozenset(
    {"timeline", "action_items", "lessons", "went_well", "got_lucky", "remediation", "resolution"}
)
_SECTION_BONUS = {"summary": 1, "narrative": 1, "": 0}


def _cause_blocks(root: Section, summary: str) -> Iterator[tuple[int, str, str, str]]:
    """Yield (section number, section key, where, text) for every place a cause may be stated.

    A summary the source's own front matter gives comes first: an archive's curator often
    wrote there what went wrong in one sentence.
    """
    if summary.strip():
        yield -1, "summary", "the front-matter summary", summary
    for section, node in enumerate(root.walk()):
        if node.key in {"action_items", "timeline"}:  # a timeline line tells when, not why
            continue
        own = [item for item in node.items if isinstance(item, str)]
        yield section, node.key, f"section '{node.label}'" if node.label else "the text", prose(own)


def _cause_candidates(root: Section, summary: str = "") -> list[_Candidate]:
    """Return every sentence that states a cause, in document order, with its score."""
    found: list[_Candidate] = []
    index = 0
    for section, key, where, text in _cause_blocks(root, summary):
        # An explicit "The root cause was ..." counts wherever it is written (a Resolution
        # section often says it); other signs only outside fixes and lessons.
        strongest_only = key in _NOT_CAUSE_SECTIONS
        for block in text.split("\n\n"):
            flat = _UPDATE_LABEL.sub("", " ".join(block.split()))
            parts = [MD_LINK.sub(r"\1", p) for p in SENTENCE_END.split(flat)]
            for order, sentence in enumerate(parts):
                index += 1
                if len(sentence) < 25 or len(sentence) > 700 or _NO_CAUSE_YET.search(sentence):
                    continue
                # "... and not the result of an attack" rules a cause out; it states none.
                said = _RULED_OUT.sub("", sentence)
                rank = next((r for r, pattern in _CAUSE_PATTERNS if pattern.search(said)), 0)
                if rank == 2 and _CONSEQUENCE_FIRST.match(sentence):
                    rank = 1 if _WEAK_CAUSE.search(sentence) else 0
                if not rank or (strongest_only and rank < 3):
                    continue
                bonus = 1 if rank == 3 else _SECTION_BONUS.get(key, 0)
                found.append(
                    _Candidate(
                        score=rank * 2 + bonus,
                        sentence=sentence,
                        where=where,
                        section=section,
                        index=index,
                        previous=parts[order - 1] if order else "",
                        following=parts[order + 1] if order + 1 < len(parts) else "",
                    )
                )
    return found


def _cause_sentences(text: str, limit: int = 700) -> str:
    """Return a root-cause section's text, or its first sentences when it is long."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return text
    kept: list[str] = []
    for sentence in SENTENCE_END.split(flat):
        if kept and len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence)
    return " ".join(kept)


def impact_of(root: Section, ctx: Context) -> tuple[dict[str, object], str]:
    section = root.find("impact")
    if section is None:
        ctx.missing.append("impact: no 'Impact' section")
        return {}, ""
    text = prose(section.lines(skip=frozenset(SECTION_ALIASES) - {"impact"}))
    if not text:
        return {}, ""
    impact: dict[str, object] = {"description": text}
    for sentence in SENTENCE_END.split(" ".join(text.split())):
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


def severity_of(
    facts_found: dict[str, str], text: str, impact: dict[str, object], ctx: Context
) -> str:
    value = facts_found.get("severity", "")
    written = re.search(r"\bSEV[- ]?([0-4])\b", text, re.IGNORECASE)
    if not value and written:
        value = written.group(0)
    if value:
        level = _level_of(value)
        if level:
            if level.lower().replace(" ", "") != value.lower().replace(" ", "").replace("-", ""):
                ctx.guesses.append(f"severity: {level} from '{value}' (check the scale matches)")
            return level
    percent = impact.get("users_affected_percent") or impact.get("requests_failed_percent")
    if isinstance(percent, int | float):
        level = "SEV1" if percent >= 50 else "SEV2" if percent >= 10 else "SEV3"
        ctx.guesses.append(f"severity: {level} guessed from {percent}% affected (none stated)")
        return level
    return ""


def _level_of(value: str) -> str | None:
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


def services_of(facts_found: dict[str, str], texts: list[str], ctx: Context) -> list[str]:
    """Return the services a `Services:` line names, else names written before "service".

    Only a name as written ("the KIAM service", "`billing-api` service") is taken, never a
    phrase ("complete service"); with none, the list is empty and the caller lists it for
    review.
    """
    if "services" in facts_found:
        names = [
            one_line(MD_LINK.sub(r"\1", part).strip(" `.*"), 100)
            for part in re.split(r",|;|\band\b", facts_found["services"])
        ]
        names = [n for n in names if n]
        if names:
            ctx.note("services", "labelled fact 'Services'", HIGH, facts_found["services"])
            return list(dict.fromkeys(names))
    found: dict[str, str] = {}
    for whole in texts:
        text = whole[:_NAME_SCAN]  # names come early; a huge file is not scanned to its end
        for match in _SERVICE_NAME.finditer(text):
            word = match.group(1).strip("`")
            # A name, not a phrase: in code, with a dot or dash, or capitals inside (CoreDNS).
            named = (
                match.group(1).startswith("`")
                or any(mark in word for mark in ".-_")
                or any(c.isupper() for c in word[1:])
            )
            if not named or word.lower() in _NOT_A_SERVICE or word.isdigit():
                continue
            found.setdefault(word, match.group(0))
        for match in _THE_SERVICE.finditer(text):
            word = match.group(1)
            if word.lower() not in _NOT_A_SERVICE and not word.isdigit():
                found.setdefault(word, match.group(0))
    if not found:
        return []
    quoted = ", ".join(f"'{phrase}'" for phrase in found.values())
    ctx.guesses.append(f"services: {', '.join(found)} from {quoted} (check them)")
    ctx.note("services", f"named in the text: {quoted}", LOW, next(iter(found.values())))
    return list(found)[:3]


def vocab_guess(
    field_name: str, text: str, terms: tuple[tuple[str, str], ...], ctx: Context
) -> str | None:
    found = first_match(text, terms)
    if found is None:
        return None
    ctx.guesses.append(f"{field_name}: {found[0]} from the word '{found[1]}'")
    return found[0]


def categories_of(root_cause: str, ctx: Context) -> list[str]:
    if not root_cause:
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


def lessons_of(root: Section) -> dict[str, list[str]]:
    lessons: dict[str, list[str]] = {}
    for key in ("went_well", "went_wrong", "got_lucky"):
        entries: list[str] = []
        for section in root.walk():
            if section.key != key:
                continue
            bullets = bullet_items(section)
            if bullets:
                entries.extend(
                    " ".join([clean_line(text), *details]).strip() for text, details, _ in bullets
                )
            else:
                entries.extend(p for p in prose(section.lines()).split("\n\n") if p)
        if entries:
            lessons[key] = [entry for entry in entries if entry]
    return lessons


def contributing_of(root: Section) -> list[str]:
    section = root.find("contributing_factors")
    if section is None:
        return []
    bullets = bullet_items(section)
    texts = [clean_line(text) for text, _, _ in bullets] if bullets else []
    return [one_line(text.rstrip(".")) for text in texts if text]


def names_of(value: str) -> list[str]:
    """Return the names in a `a, b and c` list."""
    parts = (part.strip(" .@`") for part in re.split(r",|;|\band\b", value))
    return [one_line(part, 100) for part in parts if part]
