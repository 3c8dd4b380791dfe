"""Write the Insights page: trends across incidents as charts, each followed by its data table.

Durations are summarised as medians and 90th percentiles, never means: incident durations are
heavy-tailed, and one long outage drags a mean far from the typical incident.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ..analysis.recurrence import DEFAULT_WINDOW_DAYS, Recurrence
from ..analysis.stats import percentile
from ..core.catalog import Catalog
from ..core.model import Postmortem
from ..core.text import format_duration, plural
from . import charts
from .charts import Chart, Series
from .layout import GeneratedPage, Layout, front_matter
from .markup import md_link, md_text

INSIGHTS_URI = "insights.md"
CHART_FOLDER = "insights"
TOP = 10  # bars in a ranking chart
RECURRENCE_ROWS = 50  # rows of the recurrence table; the rest are counted, not listed
MAX_MONTHS = 240  # a month axis longer than this (a typo'd year?) shows the newest months only
UNKNOWN = "unknown"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Insights:
    """The Insights page and the chart files it links to (site path -> SVG text)."""

    page: GeneratedPage
    charts: tuple[Chart, ...]
    files: dict[str, str]


@dataclass(frozen=True)
class QuarterStat:
    """Summary of one duration over the incidents of a quarter that record it."""

    quarter: str  # "2024 Q1"
    count: int
    median: timedelta | None
    p90: timedelta | None


# --- statistics -----------------------------------------------------------------------------


def _seconds(delta: timedelta | None) -> float | None:
    # A negative duration is a data error the linter reports; it must not skew the statistics.
    if delta is None or delta < timedelta(0):
        return None
    return delta.total_seconds()


def _summary(seconds: Sequence[float], fraction: float) -> timedelta | None:
    value = percentile(seconds, fraction)
    return None if value is None else timedelta(seconds=value)


Duration = Callable[[Postmortem], timedelta | None]


def time_to_detect(pm: Postmortem) -> timedelta | None:
    """Return how long the incident went unnoticed."""
    return pm.time_to_detect


def time_to_resolve(pm: Postmortem) -> timedelta | None:
    """Return how long the incident lasted until it was closed."""
    return pm.time_to_resolve


def quarter_of(day: date) -> str:
    """Return the quarter of `day`, as `2024 Q1`."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _quarters_between(first: date, last: date) -> list[str]:
    quarters = []
    year, index = first.year, (first.month - 1) // 3
    while (year, index) <= (last.year, (last.month - 1) // 3):
        quarters.append(f"{year} Q{index + 1}")
        year, index = (year + 1, 0) if index == 3 else (year, index + 1)
    return quarters


def durations_by_quarter(catalog: Catalog, duration: Duration) -> list[QuarterStat]:
    """Return the median and 90th percentile of `duration` for every quarter, oldest first.

    Quarters between the first and the last incident with no recorded duration are kept (with
    a count of 0) so the time axis has no gaps.
    """
    grouped: dict[str, list[float]] = defaultdict(list)
    dates = []
    for pm in catalog:
        seconds = _seconds(duration(pm))
        if seconds is not None:
            grouped[quarter_of(pm.date)].append(seconds)
            dates.append(pm.date)
    if not dates:
        return []
    return [
        QuarterStat(
            quarter,
            len(grouped[quarter]),
            _summary(grouped[quarter], 0.5),
            _summary(grouped[quarter], 0.9),
        )
        for quarter in _quarters_between(min(dates), max(dates))
    ]


def overall(catalog: Catalog, duration: Duration) -> QuarterStat:
    """Return the median and 90th percentile of `duration` over every incident recording it."""
    seconds = [s for pm in catalog if (s := _seconds(duration(pm))) is not None]
    return QuarterStat("all", len(seconds), _summary(seconds, 0.5), _summary(seconds, 0.9))


def severities(catalog: Catalog) -> list[str]:
    """Return the severities to chart: the vocabulary's order, then any other value seen."""
    order = [term.value for term in catalog.settings.terms("severity")]
    seen = {pm.severity or UNKNOWN for pm in catalog}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def months_between(first: date, last: date) -> list[str]:
    """Return every month from `first` to `last` inclusive, as `2024-03`."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_by_severity(catalog: Catalog) -> tuple[list[str], dict[tuple[str, str], int]]:
    """Return the months from the first to the last incident, and counts by (month, severity)."""
    counts: Counter[tuple[str, str]] = Counter(
        (f"{pm.date:%Y-%m}", pm.severity or UNKNOWN) for pm in catalog
    )
    if not counts:
        return [], {}
    newest = max(pm.date for pm in catalog)
    oldest = min(pm.date for pm in catalog)
    months = months_between(oldest, newest)[-MAX_MONTHS:]
    return months, dict(counts)


def ranking(values: Iterable[str], limit: int | None = TOP) -> list[tuple[str, int]]:
    """Return the most frequent `values` with their counts, ties in alphabetical order."""
    counts = Counter(values)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return ranked if limit is None else ranked[:limit]


def _categories(pm: Postmortem) -> Iterable[str]:
    return dict.fromkeys(pm.root_cause_categories or (UNKNOWN,))


# --- recurrence -----------------------------------------------------------------------------


# --- page -----------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def _figure(chart: Chart, caption: str, from_uri: str, layout: Layout) -> str:
    # The SVG is one line of markup ElementTree serialised (every label escaped); the wrapping
    # block-level <div> makes Markdown pass it through untouched.
    svg_file = f"{CHART_FOLDER}/{chart.name}.svg"
    return (
        f'<div class="pm-chart" data-search-exclude>{chart.svg}</div>\n\n'
        f"{caption} {md_link('Download the chart (SVG)', layout.link(from_uri, svg_file))}.\n\n"
    )


def _unit(stats: Sequence[QuarterStat]) -> tuple[str, float]:
    longest = max((s.p90.total_seconds() for s in stats if s.p90 is not None), default=0.0)
    return ("minutes", 60.0) if longest < 2 * 3600 else ("hours", 3600.0)


def _duration_section(
    catalog: Catalog,
    name: str,
    heading: str,
    what: str,
    duration: Duration,
    from_uri: str,
    layout: Layout,
) -> tuple[str, Chart | None]:
    stats = durations_by_quarter(catalog, duration)
    whole = overall(catalog, duration)
    parts = [f"## {heading} by quarter\n\n"]
    if not stats:
        parts.append(f"No incident records both times needed for the {what}.\n\n")
        return "".join(parts), None
    unit, scale = _unit(stats)

    def scaled(delta: timedelta | None) -> float | None:
        return None if delta is None else round(delta.total_seconds() / scale, 2)

    chart = charts.grouped_bars(
        name,
        f"{heading} by quarter (median and 90th percentile, {unit})",
        f"{heading} per quarter of incident start date, in {unit}. "
        + "; ".join(
            f"{s.quarter}: median {format_duration(s.median)}, p90 {format_duration(s.p90)}"
            for s in stats
            if s.count
        ),
        [s.quarter for s in stats],
        [
            Series("median", tuple(scaled(s.median) for s in stats), charts.PRIMARY_COLOR),
            Series("90th percentile", tuple(scaled(s.p90) for s in stats), charts.SECONDARY_COLOR),
        ],
        y_title=unit,
        value_formatter=lambda value: f"{value:g} {unit[0]}",
    )
    caption = (
        f"**Figure:** {heading.lower()} per quarter, in {unit}: the median (half of the "
        f"incidents took less) and the 90th percentile (9 in 10 took less). Over all "
        f"{plural(whole.count, 'incident')} that record it the median is "
        f"{format_duration(whole.median)} and the 90th percentile "
        f"{format_duration(whole.p90)}."
    )
    parts.append(_figure(chart, caption, from_uri, layout))
    parts.append(
        _table(
            ["Quarter", "Incidents", "Median", "90th percentile"],
            (
                [s.quarter, str(s.count), format_duration(s.median), format_duration(s.p90)]
                for s in stats
                if s.count
            ),
        )
    )
    return "".join(parts), chart


def _monthly_section(catalog: Catalog, from_uri: str, layout: Layout) -> tuple[str, Chart]:
    months, counts = monthly_by_severity(catalog)
    levels = severities(catalog)
    # A severity keeps its colour (the one its badge has) whichever severities occur.
    order = [term.value for term in catalog.settings.terms("severity")]
    palette = charts.SEVERITY_COLORS
    colors = {
        level: palette[order.index(level)]
        if level in order and order.index(level) < len(palette)
        else charts.OTHER_COLOR
        for level in levels
    }
    series = [
        Series(level, tuple(counts.get((m, level), 0) for m in months), colors[level])
        for level in levels
    ]
    busiest = max(months, key=lambda m: (sum(counts.get((m, lv), 0) for lv in levels), m))
    total_busiest = sum(counts.get((busiest, lv), 0) for lv in levels)
    description = (
        f"Stacked bars of incidents per month from {months[0]} to {months[-1]}, one segment "
        f"per severity ({', '.join(levels)}). The busiest month is {busiest} with "
        f"{plural(total_busiest, 'incident')}."
    )
    chart = charts.stacked_bars(
        "incidents-per-month",
        "Incidents per month by severity",
        description,
        months,
        series,
        major_every=12 if len(months) > 24 else 1,
    )
    parts = ["## Incidents per month by severity\n\n"]
    caption = (
        f"**Figure:** incidents per month by severity, {months[0]} to {months[-1]}. "
        "The table lists the months with incidents."
    )
    parts.append(_figure(chart, caption, from_uri, layout))
    rows = []
    for month in months:
        row = [counts.get((month, level), 0) for level in levels]
        if any(row):
            rows.append([month, *map(str, row), str(sum(row))])
    parts.append(_table(["Month", *(md_text(level) for level in levels), "Total"], rows))
    return "".join(parts), chart


def _ranking_section(
    name: str,
    heading: str,
    noun: str,
    counts: list[tuple[str, int]],
    note: str,
    from_uri: str,
    layout: Layout,
) -> tuple[str, Chart | None]:
    if not counts:
        return f"## {heading}\n\nNo incident records a {noun.lower()}.\n\n", None
    description = f"{heading}, most incidents first: " + "; ".join(
        f"{label}: {count}" for label, count in counts
    )
    chart = charts.ranked_bars(name, heading, description, counts)
    caption = f"**Figure:** {heading.lower()}, by number of incidents. {note}"
    table = _table([noun, "Incidents"], ([md_text(label), str(count)] for label, count in counts))
    return f"## {heading}\n\n" + _figure(chart, caption, from_uri, layout) + table, chart


def _recurrence_section(
    recurring: Sequence[Recurrence], window: int, from_uri: str, layout: Layout
) -> str:
    parts = ["## Recurring incidents\n\n"]
    rule = (
        f"at most {plural(window, 'day')} before it, linked as related and sharing words of "
        "its cause or symptoms (a shared service or category alone is not enough)"
    )
    if not recurring:
        parts.append(f"No incident repeats an earlier one {rule}.\n\n")
        return "".join(parts)
    repeats = len({r.incident.id for r in recurring})
    parts.append(
        f"{plural(repeats, 'incident')} happened before: each repeats an earlier incident "
        f"{rule}. One row per pair, newest first.\n\n"
    )
    rows = (
        [
            layout.incident_link(from_uri, r.incident),
            layout.incident_link(from_uri, r.previous),
            md_text("; ".join(r.reasons)),
            str(r.days),
        ]
        for r in recurring[:RECURRENCE_ROWS]
    )
    parts.append(_table(["Incident", "Happened before", "Why", "Days apart"], rows))
    if len(recurring) > RECURRENCE_ROWS:
        parts.append(
            f"The table shows the newest {RECURRENCE_ROWS} of {len(recurring)} repeats; each "
            "incident page lists its own.\n\n"
        )
    return "".join(parts)


def insights_page(
    catalog: Catalog,
    layout: Layout,
    recurring: Sequence[Recurrence] = (),
    window: int = DEFAULT_WINDOW_DAYS,
    src_uri: str = INSIGHTS_URI,
) -> Insights:
    """Return the Insights page of `catalog` and its chart files.

    `recurring` is the list of repeats to show, found with `window` (analysis.recurrence).
    """
    parts = [front_matter("Insights"), "# Insights\n\n"]
    if not len(catalog):
        parts.append("No postmortems yet: charts appear here once there are incidents.\n")
        return Insights(GeneratedPage(src_uri, "".join(parts)), (), {})
    first = min(pm.date for pm in catalog)
    last = max(pm.date for pm in catalog)
    detect, resolve = overall(catalog, time_to_detect), overall(catalog, time_to_resolve)
    parts.append(
        f"{plural(len(catalog), 'incident')} from {first.isoformat()} to {last.isoformat()}. "
        f"Median time to detect **{format_duration(detect.median)}** "
        f"(90th percentile {format_duration(detect.p90)}, over {detect.count} with both times); "
        f"median time to resolve **{format_duration(resolve.median)}** "
        f"(90th percentile {format_duration(resolve.p90)}, over {resolve.count}).\n\n"
        "Durations are medians and 90th percentiles, never means: a few very long incidents "
        "would drag a mean far away from the typical one.\n\n"
    )
    made: list[Chart] = []
    text, chart = _monthly_section(catalog, src_uri, layout)
    parts.append(text)
    made.append(chart)
    for name, heading, what, duration in (
        ("time-to-detect", "Time to detect", "time to detect (started, detected)", time_to_detect),
        (
            "time-to-resolve",
            "Time to resolve",
            "time to resolve (started, resolved)",
            time_to_resolve,
        ),
    ):
        text, maybe = _duration_section(catalog, name, heading, what, duration, src_uri, layout)
        parts.append(text)
        if maybe is not None:
            made.append(maybe)
    for name, heading, noun, values, note in (
        (
            "root-cause-categories",
            "Top root-cause categories",
            "Category",
            (c for pm in catalog for c in _categories(pm)),
            "An incident with two categories counts once in each.",
        ),
        (
            "services",
            "Top services",
            "Service",
            (s for pm in catalog for s in dict.fromkeys(pm.services)),
            "An incident that hit two services counts once for each.",
        ),
        (
            "detection",
            "Detection methods",
            "Detected by",
            (pm.detection or NOT_RECORDED for pm in catalog),
            "How each incident was first noticed.",
        ),
    ):
        text, maybe = _ranking_section(name, heading, noun, ranking(values), note, src_uri, layout)
        parts.append(text)
        if maybe is not None:
            made.append(maybe)
    parts.append(_recurrence_section(recurring, window, src_uri, layout))
    files = {f"{CHART_FOLDER}/{c.name}.svg": c.svg for c in made}
    return Insights(GeneratedPage(src_uri, "".join(parts)), tuple(made), files)
