"""Find the timeline's timed lines and the incident's start, detection, mitigation and end."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import pairwise

from ...core.schema import TIME_FIELDS
from ...core.text import format_duration
from ..timetext import (
    AMBIGUOUS,
    WORD_ZONE,
    Moment,
    Zone,
    find_moments,
    first_day,
    parse_duration,
    zone_named,
)
from .context import Context
from .outline import (
    EMPHASIS,
    MAX_SCAN,
    Section,
    clean_line,
    one_line,
    prose,
)
from .tables import Table, make_table, row_cells

_TIME_AT_START = re.compile(r"^[\s*_~]*")
_EVENT_SEPARATOR = re.compile(r"^[\s*_]*(?:\)|[:\-\u2013\u2014|]|\s)*\s*")
_DOCUMENT_ZONE = re.compile(
    r"all\s+times|times\s+are|times?\s+in\b|time\s*\(|timeline\s*\(", re.IGNORECASE
)
_ZONE_TOKEN = re.compile(
    r"[A-Za-z]+/[A-Za-z_]+|(?:UTC|GMT)[+-]\d{1,2}(?::\d{2})?|[+-]\d{2}:\d{2}|\b[A-Z]{1,5}\b"
)
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
    r"(?:succeed\w*|working) again|release (?:was |is )?(?:published|shipped)|"
    # A fix that reached users: "hotfix published", "fix successfully applied", "released
    # with the fix", "the hotfix release ... deployment completed".
    r"(?:hot)?fix(?:es)?\b[^.;|]{0,80}?\b(?:released|published|shipped|applied|deployed|"
    r"rolled out|completed|went (?:out|live))|"
    r"(?:released|published|shipped)\b[^.;|]{0,60}?\b(?:hot)?fix(?:es)?)\b",
    re.IGNORECASE,
)
# A fix that made things worse ('"Fix" applied, service fully down') mitigated nothing.
_MADE_WORSE = re.compile(
    r"\b(?:(?:fully|completely|still|went) down|broke\w*|worse)\b", re.IGNORECASE
)
_RESOLVE_WORDS = re.compile(
    r"\b(?:resolved|all[- ]clear|closed|outage ends?|incident (?:ends?|over|closed)|"
    r"fully (?:recovered|restored|resolved)|back to normal|declared over|stable|"
    r"(?:all )?(?:systems? )?(?:verified )?operational|working as (?:intended|expected)|"
    r"confirmed working|back (?:up|online)|functional state|everything picks up)\b",
    re.IGNORECASE,
)


# A line that says something was already wrong.
_FAILURE_WORDS = re.compile(
    r"\b(?:down|outages?|fail\w*|errors?|crash\w*|unavailable|unreachable|inaccessible|"
    r"broken|break\w*|broke|stuck|stopped|stall\w*|expir\w*|[45]\d\d(?:s|\b)|[45]xx|"
    r"returning|unable|cannot|can ?not|could ?n[o']t|not (?:responding|working|ready|synced)|"
    r"\w*notready|deleted|removed|reverts?|timeouts?|timed out|lost|loss|exhaust\w*|oom\w*|"
    r"out of memory|killed|no space|disrupt\w*|degrad\w*|impact\w*|malicious|compromis\w*|"
    r"attack\w*|phish\w*|fraud\w*|abuse|leak\w*|unexpected\w*|begins?|began|storm|spike|"
    r"unhealthy|frozen|lag\w*|delay\w*|stale|slow\w*|unfamiliar|suspicious|"
    r"unauthori[sz]ed)\b",
    re.IGNORECASE,
)
# A line that says someone noticed: impact had begun by then, maybe just after a change.
_NOTICE_WORDS = re.compile(
    r"\b(?:alerts?|alarms?|warning|reports?|reported|reporting|issues?|problems?|incident|"
    r"detected|noticed|tickets?)\b",
    re.IGNORECASE,
)
# A line about the response, not the incident: it never starts the incident.
_RESPONSE_WORDS = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:investigat\w*|join\w*|notif\w*|contact\w*|escalat\w*|"
    r"start(?:ed|s)? (?:working|investigat\w*|debugging|troubleshoot\w*|looking)|"
    r"began (?:working|investigat\w*|debugging)|review\w*|verif\w*|identif\w*|discover\w*|"
    r"found|mitigat\w*|fix(?:ed)?|resolv\w*|roll\w* ?back|restor\w*|recover\w*|"
    r"confirm\w*|declared|posted|announced|opened|paged|decided|asked|asking|attempt\w*)\b",
    re.IGNORECASE,
)
# A change that can set an incident off, starting it when impact follows within minutes.
_CHANGE_WORDS = re.compile(
    r"\b(?:appl(?:y|ied|ies)|deploy\w*|upgrad\w*|updat\w*|replac\w*|merg\w*|"
    r"roll(?:ed|ing)? ?out|releas\w*|migrat\w*|chang\w*|went live|introduc\w*|push\w*|"
    r"renam\w*|modif\w*|executed|edit\w*)\b",
    re.IGNORECASE,
)
_ZONE_SCAN = 200_000  # "All times in UTC" is stated near the top or the timeline
_CHANGE_LEAD = timedelta(minutes=30)  # a change this close before impact is its start
_LATENT_LEAD = timedelta(hours=12)  # a change this long before impact lay dormant


@dataclass
class Entry:
    """A timed line of a timeline."""

    at: datetime
    event: str
    approximate: bool
    context: str  # the key of the section the line sits in (detection, resolution...)
    zone_stated: bool


def document_zone(text: str, facts_found: dict[str, str], ctx: Context) -> None:
    candidates = []
    if "timezone" in facts_found:
        candidates.append(facts_found["timezone"].split()[0].strip("()."))
    for statement in _DOCUMENT_ZONE.finditer(text[:_ZONE_SCAN]):
        window = text[statement.end() : statement.end() + 30].split("\n")[0]
        window = re.sub(r"[*_`]", " ", window)  # "_All times in EEST_": emphasis is not the zone
        words = WORD_ZONE.search(window)
        if words:
            candidates.append(words.group(0))
        candidates.extend(_ZONE_TOKEN.findall(window))
    for candidate in candidates:
        zone = zone_named(candidate)
        if zone is not None:
            ctx.zone = zone
            ctx.note("time zone", f"stated for the whole document: {candidate}", "high", candidate)
            if zone.label.upper() in AMBIGUOUS:
                ctx.guesses.append(
                    f"time zone: read {zone.label} as {AMBIGUOUS[zone.label.upper()]}"
                )
            return


NOT_INCIDENT_DAY = re.compile(
    r"^\W*(?:posted|published|updated|last updated|written|created|authored|revised)\b", re.I
)


_LINK = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<?https?://\S+|\[[^\]]*\]\[[^\]]*\]")


def without_links(text: str) -> str:
    """Return `text` without links and URLs: a date in them dates another document."""
    return _LINK.sub(" ", text)


def incident_day(text: str) -> tuple[date, str] | None:
    """Return the first full date of the text and its line, skipping publication lines."""
    for line in text.split("\n"):
        if not NOT_INCIDENT_DAY.match(line):
            day = first_day(without_links(line))
            if day is not None:
                return day, line
    return None


def _when(value: str, ctx: Context) -> tuple[datetime | None, bool, bool]:
    """Return the first moment in `value`, whether its zone was assumed, whether it is "about"."""
    for moment in find_moments(value):
        if moment.clock is None:
            continue
        at = moment.resolve(ctx.day, ctx.zone)
        if at is not None:
            return at, moment.zone is None and ctx.zone is None, moment.approximate
    return None, False, False


def timeline_entries(root: Section, ctx: Context) -> list[Entry]:
    section = root.find("timeline")
    if section is None:
        return []
    entries: list[Entry] = []
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
            Entry(at, event, moment.approximate or not zone_stated, context, zone_stated)
        )
        previous = at

    def _heading_entry(item: Section, context: str) -> None:
        """Read "## May 12" as the day of what follows and "### 8:52 PM" as a timed line."""
        nonlocal day
        moments = find_moments(clean_line(item.label)[:MAX_SCAN])
        first = moments[0] if moments else None
        if first is None or (first.start > 0 and len(item.label) > 40):
            return
        if first.day is not None:
            if first.year_given:
                day = first.day
            elif day is not None:
                day = first.day.replace(year=day.year)
        if first.clock is not None:
            text = prose([line for line in item.items if isinstance(line, str)])
            add(first, one_line(text.split("\n\n")[0], 200) or item.label, context)

    def walk(node: Section, context: str) -> None:
        nonlocal day
        table: list[list[str]] = []
        for item in [*node.items, ""]:
            cells = row_cells(item) if isinstance(item, str) else None
            if cells is not None:
                table.append(cells)
                continue
            if table:
                for moment, event in _table_events(make_table(table)):
                    add(moment, event, context)
                table = []
            if isinstance(item, Section):
                _heading_entry(item, context)
                walk(item, item.key or context)
                continue
            line = item.strip()
            if not line:
                continue
            text = clean_line(line)
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
    for day_section in _day_sections_after(root, section):
        _heading_entry(day_section, "timeline")
        walk(day_section, "timeline")
    return entries


def _day_sections_after(root: Section, timeline: Section) -> list[Section]:
    """Return the sections right after the timeline, at its level, headed by a day ("## May 12").

    Some write-ups put "## Timeline" and then one heading per day beside it, not under it.
    """
    for node in root.walk():
        if timeline not in node.items:
            continue
        after = node.items[node.items.index(timeline) + 1 :]
        days: list[Section] = []
        for item in after:
            if not isinstance(item, Section):
                continue
            moments = find_moments(clean_line(item.label)[:80])
            if item.key or not moments or moments[0].start > 0 or moments[0].day is None:
                break
            days.append(item)
        return days
    return []


def _table_events(table: Table) -> list[tuple[Moment, str]]:
    time_col = table.column(r"time|when|timestamp|utc")
    date_col = table.column(r"^date")
    if time_col is None:
        time_col = date_col
    if time_col is None:
        return []
    skip = {time_col, date_col or time_col}
    event_col = table.column(r"event|description|what|action|detail|update|note|summary", skip)
    if event_col is None:
        others = [i for i in range(len(table.header)) if i not in skip]
        if not others:
            return []
        event_col = others[-1]
    year = table.year_of(date_col) if date_col is not None else None
    zone = _zone_in(table.header[time_col])
    found: list[tuple[Moment, str]] = []
    for row in table.rows:
        if max(time_col, event_col, date_col or 0) >= len(row):
            continue
        when = EMPHASIS.sub("", row[time_col])
        if date_col is not None and date_col != time_col:
            when = f"{EMPHASIS.sub('', row[date_col])} {when}"
        moments = [m for m in find_moments(when) if m.clock is not None]
        if not moments:
            continue
        moment = moments[0]
        if moment.day is not None and not moment.year_given and year is not None:
            # "Date (2022)" over rows of "Jun 27": the header gives the year.
            moment = replace(moment, day=moment.day.replace(year=year), year_given=True)
        if moment.zone is None and zone is not None:
            moment = replace(moment, zone=zone)
        found.append((moment, clean_line(row[event_col])))
    return found


def _zone_in(header: str) -> Zone | None:
    """Return the zone a column header names: "Time (PT)", "Date and Time in CET"."""
    inner = re.search(r"\(([^()]+)\)", header)
    for candidate in [inner.group(1)] if inner else []:
        zone = zone_named(candidate.strip())
        if zone is not None:
            return zone
    for token in reversed(_ZONE_TOKEN.findall(header)):
        zone = zone_named(token)
        if zone is not None:
            return zone
    return None


def _start_entries(entries: list[Entry]) -> tuple[Entry, Entry | None]:
    """Return the line impact began on, and an earlier change it lay dormant after, if any.

    Impact begins on the earliest line that says something was wrong (an error, an alert, a
    report), not on the first line that says "begin" ("joined the call to begin investigating"),
    nor on a line about the response. A change just before it (a deploy applied minutes before
    the errors) is where it began; a change many hours before is `latent_since`.
    """
    ordered = sorted(entries, key=lambda e: e.at)
    told = [e for e in ordered if not _RESPONSE_WORDS.match(e.event)]
    failing = next((e for e in told if _FAILURE_WORDS.search(e.event)), None)
    noticed = next((e for e in told if _NOTICE_WORDS.search(e.event)), None)
    if noticed is not None and (failing is None or noticed.at < failing.at):
        # Noticed before any line says what failed: a change just before it is the start.
        changes = [e for e in ordered if e.at < noticed.at and _CHANGE_WORDS.search(e.event)]
        close = [e for e in changes if noticed.at - e.at <= _CHANGE_LEAD]
        start = close[0] if close else noticed
    else:
        start = failing or (told[0] if told else ordered[0])
    changes = [e for e in ordered if e.at < start.at and _CHANGE_WORDS.search(e.event)]
    dormant = [e for e in changes if start.at - e.at >= _LATENT_LEAD]
    return start, dormant[0] if dormant else None


_SPAN_JOIN = re.compile(r"\s*(?:and|to|until|till|through|[-\u2013\u2014])\s*", re.IGNORECASE)
_SPAN_WORDS = re.compile(
    r"\b(?:impact\w*|outage|unavailable|down|disrupt\w*|degrad\w*|fail\w*|errors?|affected|"
    r"returned|delayed|lasted|total|broke\w*|unreachable|slow\w*|stall\w*|lost)\b",
    re.IGNORECASE,
)


def _span_statement(
    root: Section,
    times: dict[str, datetime],
    sources: dict[str, str],
    assumed: list[str],
    ctx: Context,
) -> None:
    """Fill the start and end of impact from "between 10:45 and 16:11 UTC" in the prose."""
    skip = frozenset({"timeline", "action_items", "lessons", "went_well", "got_lucky"})
    for node in root.walk():
        if node.key in skip:
            continue
        own = prose([item for item in node.items if isinstance(item, str)])[:MAX_SCAN]
        for sentence in re.split(r"(?<=[.!?])\s+", own):
            if not _SPAN_WORDS.search(sentence):
                continue
            clocks = [m for m in find_moments(sentence) if m.clock is not None]
            for first, second in pairwise(clocks):
                if not _SPAN_JOIN.fullmatch(sentence[first.end : second.start]):
                    continue
                zone = first.zone or second.zone
                # "between 14:05 and 14:50 CEST on 3 April": the zone and day are written once.
                start = replace(first, zone=zone)
                if first.day is None and second.day is not None:
                    start = replace(start, day=second.day, year_given=second.year_given)
                begin = start.resolve(ctx.day, ctx.zone)
                end = replace(second, zone=second.zone or zone).resolve(
                    begin.date() if begin else ctx.day, ctx.zone
                )
                if begin is None or end is None:
                    continue
                if end < begin:
                    end += timedelta(days=1)
                for name, at in (("started", begin), ("mitigated", end)):
                    if name in times or (name == "mitigated" and "resolved" in times):
                        continue
                    times[name] = at
                    sources[name] = "span"
                    if zone is None and ctx.zone is None:
                        assumed.append(name)
                    ctx.guesses.append(f"{name}: {_iso(at)} from '{one_line(sentence, 80)}'")
                    ctx.note(name, f"sentence: {one_line(sentence, 70)}", "medium", sentence)
                return


def times_of(
    facts_found: dict[str, str],
    entries: list[Entry],
    root: Section,
    ctx: Context,
    given: dict[str, tuple[datetime, bool]] | None = None,
) -> tuple[dict[str, datetime], list[str], list[str]]:
    """Return the incident's times, those that are estimates, and those whose zone was assumed.

    `given` holds times the source's front matter states (with whether their zone was assumed):
    they come first, then `Label: time` facts, then the timeline.
    """
    times: dict[str, datetime] = {}
    assumed: list[str] = []
    estimated: list[str] = []
    sources: dict[str, str] = {}
    for name, (stated_at, zone_assumed) in (given or {}).items():
        times[name] = stated_at
        sources[name] = "stated"
        if zone_assumed:
            assumed.append(name)
    for name in TIME_FIELDS:
        if name in facts_found and name not in times:
            at, zone_assumed, about = _when(facts_found[name], ctx)
            if at is not None:
                times[name] = at
                sources[name] = "stated"
                ctx.note(name, f"stated: {facts_found[name]}", "high", facts_found[name])
                if zone_assumed:
                    assumed.append(name)
                if about:
                    estimated.append(name)

    def pick(name: str, entry: Entry, why: str) -> None:
        times[name] = entry.at
        sources[name] = why
        if not entry.zone_stated:
            assumed.append(name)
        elif entry.approximate:
            estimated.append(name)
        ctx.guesses.append(
            f"{name}: {_iso(entry.at)} from the timeline line '{one_line(entry.event, 70)}'"
        )
        ctx.note(name, f"timeline line: {one_line(entry.event, 70)}", "medium", entry.event)

    if entries:
        if "started" not in times:
            start, latent = _start_entries(entries)
            pick("started", start, "timeline")
            if latent is not None and "latent_since" not in times:
                pick("latent_since", latent, "timeline")
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
                    if _MITIGATE_WORDS.search(e.event)
                    and not _MADE_WORSE.search(e.event)
                    and (floor is None or e.at >= floor)
                ),
                None,
            )
            if match is not None:
                pick("mitigated", match, "timeline")
        if "resolved" not in times:
            matches = [e for e in entries if _RESOLVE_WORDS.search(e.event)]
            if matches:
                pick("resolved", matches[-1], "timeline")
    if "started" not in times or not ({"mitigated", "resolved"} & times.keys()):
        _span_statement(root, times, sources, assumed, ctx)
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


def _apply_durations(facts_found: dict[str, str], times: dict[str, datetime], ctx: Context) -> None:
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


def _keep_in_order(times: dict[str, datetime], sources: dict[str, str], ctx: Context) -> None:
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
