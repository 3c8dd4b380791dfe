"""Find dates, times, time zones and durations in free-form incident text.

Incident write-ups state times in many ways ("March 8, 2024, 10:30 AM (UTC)", "2024-03-08T10:32Z",
"**14:05**", "9:05 AM PST"); this module turns them into `Moment`s that say what was written,
so the importer can fill in a missing day or zone and report that it did.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc  # noqa: UP017 (a name this module exports)

# Fixed-offset abbreviations, in hours east of UTC. Ambiguous ones use their most common meaning.
FIXED_ZONES: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "IST": 5.5,
    "SGT": 8,
    "HKT": 8,
    "AWST": 8,
    "JST": 9,
    "KST": 9,
    "ACST": 9.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "HST": -10,
    "AKST": -9,
    "AKDT": -8,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
}
# Generic names whose offset depends on the date (daylight saving time).
REGIONAL_ZONES = {
    "PT": "America/Los_Angeles",
    "MT": "America/Denver",
    "CT": "America/Chicago",
    "ET": "America/New_York",
}
# Zones written in words ("All times are Pacific Time"), read with daylight saving time.
WORD_ZONES = {
    "pacific time": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "us/pacific": "America/Los_Angeles",
    "mountain time": "America/Denver",
    "central time": "America/Chicago",
    "eastern time": "America/New_York",
    "eastern": "America/New_York",
    "central european time": "Europe/Berlin",
    "central european summer time": "Europe/Berlin",
    "british summer time": "Europe/London",
    "uk time": "Europe/London",
}
AMBIGUOUS = {"IST": "India (UTC+05:30)", "BST": "British Summer Time (UTC+01:00)"}

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY_SUFFIX = r"(?:st|nd|rd|th|\.(?=\s))?"
_DATE_RE = re.compile(
    rf"""
    \b(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})(?=\b|T)
  | (?<![\d/.-])(?P<um>\d{{1,2}})(?P<usep>[-/])(?P<ud>\d{{1,2}})(?P=usep)(?P<uy>\d{{4}}|\d{{2}})
    (?![\d/]|-\d{{1,2}}\b(?!/))
  | \b{_WEEKDAY}(?P<mon>{_MONTH})\s+(?P<md>\d{{1,2}}){_DAY_SUFFIX}
    (?:\s*[-\u2013]\s*\d{{1,2}}(?:st|nd|rd|th)?)?\b(?:,?\s+(?P<my>\d{{4}})\b)?
  | \b{_WEEKDAY}(?:the\s+)?(?P<dd>\d{{1,2}}){_DAY_SUFFIX}
    (?:\s*[-\u2013]\s*\d{{1,2}}(?:st|nd|rd|th)?)?\s+(?:of\s+)?(?P<mon2>{_MONTH})
    (?:,?\s+(?P<dy>\d{{4}})\b)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_TIME_RE = re.compile(
    r"""
    (?<![\d:.])(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?
        (?:\s*(?P<ampm>[ap]\.?m\.?)(?![a-z]))?(?!\d|:\d)
  | (?<![\d:.])(?P<h2>\d{1,2})\s*(?P<ampm2>[ap]\.?m\.?)(?![a-z])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_ZONE_NAMES = "|".join(sorted([*FIXED_ZONES, *REGIONAL_ZONES], key=len, reverse=True))
_WORD_NAMES = "|".join(
    re.escape(name).replace(r"\ ", r"\s+") for name in sorted(WORD_ZONES, key=len, reverse=True)
)
WORD_ZONE = re.compile(rf"\b(?:{_WORD_NAMES})\b", re.IGNORECASE)
_ZONE_RE = re.compile(
    rf"""
    (?P<z>Z)\b
  | \s*\(?\s*(?:
        (?P<utcoff>(?:UTC|GMT)\s*[+\u2212-]\s*\d{{1,2}}(?::?\d{{2}})?)
      | (?P<off>[+\u2212-]\d{{2}}:?\d{{2}})
      | (?P<name>(?:{_ZONE_NAMES}))
      | (?P<word>(?i:{_WORD_NAMES}))
    )\b\)?
    """,
    re.VERBOSE,
)
_DATE_TIME_GAP = re.compile(
    r"(?:\s*,\s*|\s*,?\s+at\s+(?:(?:approximately|about|around|roughly|~)\s*)?|T|\s+|"
    r"\s+-\s+|\s*@\s*)",
    re.IGNORECASE,
)
_TIME_DATE_GAP = re.compile(r"(?:\s+on\s+|\s*,\s*(?:on\s+)?|\s+)", re.I)
_DURATION_PART = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
    re.IGNORECASE,
)
_CLOCK_DURATION = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")
_APPROXIMATE = re.compile(
    r"(?:~|\bapprox(?:imately|\.)?|\babout|\baround|\bcirca|\bca\.)\s*$", re.I
)


@dataclass(frozen=True)
class Zone:
    """A time zone as written: its label and the tzinfo it stands for."""

    label: str
    tz: tzinfo


@dataclass(frozen=True)
class Moment:
    """A date and/or time found in text, with what was written and where."""

    start: int
    end: int
    day: date | None
    clock: time | None
    zone: Zone | None
    year_given: bool = True
    approximate: bool = False

    def resolve(self, day: date | None, zone: Zone | None) -> datetime | None:
        """Return the aware moment, filling the day and zone from context when not written."""
        when = self.day or day
        if when is None or self.clock is None:
            return None
        if self.day is not None and not self.year_given:
            if day is None:
                return None  # a day without a year, and no year known: never guess one
            when = self.day.replace(year=day.year)
        used = self.zone or zone
        return datetime.combine(when, self.clock, tzinfo=used.tz if used else UTC)


def zone_named(label: str) -> Zone | None:
    """Return the zone for an abbreviation, an offset (`+01:00`, `UTC-5`) or an IANA name."""
    text = label.strip().replace("\u2212", "-")
    upper = text.upper()
    if upper in FIXED_ZONES:
        return Zone(upper, timezone(timedelta(hours=FIXED_ZONES[upper])))
    words = " ".join(text.lower().split())
    if upper in REGIONAL_ZONES or words in WORD_ZONES:
        try:
            return Zone(text, ZoneInfo(REGIONAL_ZONES.get(upper) or WORD_ZONES[words]))
        except ZoneInfoNotFoundError:  # no time zone database on this system
            return None
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", upper)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        return Zone(text, timezone(sign * timedelta(hours=hours, minutes=minutes)))
    if "/" in text and re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z_+-]+)+", text):
        try:
            return Zone(text, ZoneInfo(text))
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


def _day(match: re.Match[str]) -> tuple[date | None, bool]:
    groups = match.groupdict()
    try:
        if groups["iy"]:
            return date(int(groups["iy"]), int(groups["im"]), int(groups["id"])), True
        if groups["um"]:
            first, second = int(groups["um"]), int(groups["ud"])
            year = int(groups["uy"]) + (2000 if len(groups["uy"]) == 2 else 0)
            # US order (month first) unless the first number cannot be a month.
            month, day = (second, first) if first > 12 else (first, second)
            return date(year, month, day), True
        month_name = groups["mon"] or groups["mon2"]
        day_text = groups["md"] or groups["dd"]
        year_text = groups["my"] or groups["dy"]
        month = _MONTHS[month_name.lower().rstrip(".")]
        # A year is needed to build a date; 2000 is a leap year so 29 February is accepted.
        return date(int(year_text or 2000), month, int(day_text)), bool(year_text)
    except (KeyError, ValueError):
        return None, False


def _clock(match: re.Match[str]) -> time | None:
    groups = match.groupdict()
    hour = int(groups["h"] or groups["h2"])
    minute = int(groups["mi"] or 0)
    second = int(groups["s"] or 0)
    ampm = (groups["ampm"] or groups["ampm2"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _zone_at(text: str, position: int) -> tuple[Zone | None, int]:
    match = _ZONE_RE.match(text, position)
    if not match:
        return None, position
    label = (
        match.group("z")
        or match.group("utcoff")
        or match.group("off")
        or match.group("name")
        or match.group("word")
    )
    zone = zone_named(label)
    return (zone, match.end()) if zone else (None, position)


def find_moments(text: str) -> list[Moment]:
    """Return every date, time or date-and-time written in `text`, in order."""
    dates = [(m, *_day(m)) for m in _DATE_RE.finditer(text)]
    dates = [(m, day, given) for m, day, given in dates if day is not None]
    ends = [m.end() for m, _, _ in dates]
    starts = [m.start() for m, _, _ in dates]
    moments: list[Moment] = []
    used_dates: set[int] = set()
    for time_match in _TIME_RE.finditer(text):
        clock = _clock(time_match)
        if clock is None or (moments and time_match.start() < moments[-1].end):
            continue  # not a time, or the offset of the previous one (`+01:00`)
        start = time_match.start()
        day: date | None = None
        year_given = True
        zone, end = _zone_at(text, time_match.end())
        # Only the nearest date before the time, or after it, can belong to it.
        before = bisect_right(ends, start) - 1
        after = bisect_left(starts, end)
        if before >= 0 and _DATE_TIME_GAP.fullmatch(text[ends[before] : start]):
            date_match, day, year_given = dates[before]
            start = date_match.start()
            used_dates.add(before)
        elif after < len(dates) and _TIME_DATE_GAP.fullmatch(text[end : starts[after]]):
            # "10:30 UTC on March 8": the date follows the time.
            date_match, day, year_given = dates[after]
            end = date_match.end()
            used_dates.add(after)
        approximate = bool(_APPROXIMATE.search(text[max(0, start - 14) : start]))
        moments.append(Moment(start, end, day, clock, zone, year_given, approximate))
    covered = [(m.start, m.end) for m in moments]
    for index, (date_match, found, given) in enumerate(dates):
        if index in used_dates:
            continue
        position = bisect_right(covered, (date_match.start(), len(text) + 1)) - 1
        if position >= 0 and covered[position][0] <= date_match.start() < covered[position][1]:
            continue
        moments.append(Moment(date_match.start(), date_match.end(), found, None, None, given))
    return sorted(moments, key=lambda m: m.start)


def first_day(text: str) -> date | None:
    """Return the first full date (with a year) written in `text`."""
    for moment in find_moments(text):
        if moment.day is not None and moment.year_given:
            return moment.day
    return None


def parse_duration(text: str) -> timedelta | None:
    """Return the duration written in `text` ("2h 15m", "54 minutes", "1:15"), or None."""
    clock = _CLOCK_DURATION.match(text)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    total = timedelta()
    found = False
    for match in _DURATION_PART.finditer(text):
        amount = float(match.group("n"))
        unit = match.group("unit").lower()
        found = True
        if unit.startswith("d"):
            total += timedelta(days=amount)
        elif unit.startswith("h"):
            total += timedelta(hours=amount)
        elif unit.startswith("m"):
            total += timedelta(minutes=amount)
        else:
            total += timedelta(seconds=amount)
    return total if found else None
