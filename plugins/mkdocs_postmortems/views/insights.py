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
from .markup import md_link, md_text, title_header

INSIGHTS_URI = "insights.md"
CHART_FOLDER = "insights"
TOP = 10  # bars in a ranking chart
RECURRENCE_ROWS = 50  # rows of the recurrence table; the rest are counted, not listed
MAX_PERIODS = 12  # boxes in a duration chart before quarters give way to years
MAX_BARS = 24  # bars in the incidents chart before months give way to quarters, then years
OUTLIERS = 5  # incidents named under a duration chart as far above the rest
UNKNOWN = "unknown"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Insights:
    """The Insights page and the chart files it links to (site path -> SVG text)."""

    page: GeneratedPage
    charts: tuple[Chart, ...]
    files: dict[str, str]


@dataclass(frozen=True)
class PeriodStat:
    """Summary of one duration over the incidents of a period (quarter or year) recording it."""

    period: str  # "2024 Q1" or "2024"
    count: int
    median: timedelta | None
    p90: timedelta | None
    longest: timedelta | None = None


# Kept for callers of the first version: a period was always a quarter.
QuarterStat = PeriodStat


@dataclass(frozen=True)
class Outlier:
    """An incident whose duration lies far above the others (named under the chart)."""

    incident: Postmortem
    duration: timedelta


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


def period_of(day: date, grain: str) -> str:
    """Return the period of `day` at `grain` (month, quarter or year): `2024-03`, `2024 Q1`..."""
    if grain == "month":
        return f"{day:%Y-%m}"
    return quarter_of(day) if grain == "quarter" else str(day.year)


def periods_between(first: date, last: date, grain: str) -> list[str]:
    """Return every period at `grain` from `first` to `last` inclusive, oldest first."""
    if grain == "year":
        return [str(year) for year in range(first.year, last.year + 1)]
    step = 1 if grain == "month" else 3
    periods = []
    year, month = first.year, (first.month - 1) // step * step + 1
    while (year, month) <= (last.year, last.month):
        periods.append(period_of(date(year, month, 1), grain))
        year, month = (year + 1, month + step - 12) if month + step > 12 else (year, month + step)
    return periods


def grain_for(first: date, last: date, most: int = MAX_PERIODS, finest: str = "quarter") -> str:
    """Return the finest grain, from `finest` to year, that gives at most `most` periods.

    Quarters over fifteen years are sixty boxes of a handful of incidents each: too many to
    label and too few incidents each to say anything; years keep both readable.
    """
    grains = ("month", "quarter", "year")
    for grain in grains[grains.index(finest) :]:
        if len(periods_between(first, last, grain)) <= most or grain == "year":
            return grain
    return "year"


def durations_by_period(
    catalog: Catalog, duration: Duration, grain: str | None = None
) -> tuple[str, list[PeriodStat], dict[str, list[float]]]:
    """Return the grain, a summary per period with incidents (oldest first), and the seconds of
    `duration` per period. Periods where no incident records it are left out."""
    grouped: dict[str, list[float]] = defaultdict(list)
    dates = [pm.date for pm in catalog if _seconds(duration(pm)) is not None]
    if not dates:
        return grain or "quarter", [], {}
    grain = grain or grain_for(min(dates), max(dates))
    for pm in catalog:
        seconds = _seconds(duration(pm))
        if seconds is not None:
            grouped[period_of(pm.date, grain)].append(seconds)
    stats = [
        PeriodStat(
            period,
            len(grouped[period]),
            _summary(grouped[period], 0.5),
            _summary(grouped[period], 0.9),
            timedelta(seconds=max(grouped[period])),
        )
        for period in periods_between(min(dates), max(dates), grain)
        if grouped.get(period)
    ]
    return grain, stats, dict(grouped)


def overall(catalog: Catalog, duration: Duration) -> PeriodStat:
    """Return the median and 90th percentile of `duration` over every incident recording it."""
    seconds = [s for pm in catalog if (s := _seconds(duration(pm))) is not None]
    longest = timedelta(seconds=max(seconds)) if seconds else None
    return PeriodStat("all", len(seconds), _summary(seconds, 0.5), _summary(seconds, 0.9), longest)


def outliers(catalog: Catalog, duration: Duration, limit: int = OUTLIERS) -> list[Outlier]:
    """Return the incidents far above the rest, longest first: past the 75th percentile by more
    than three times the middle half's spread (Tukey's "far out"), at most `limit`."""
    timed = [(pm, s) for pm in catalog if (s := _seconds(duration(pm))) is not None]
    values = [s for _, s in timed]
    q1, q3 = percentile(values, 0.25), percentile(values, 0.75)
    if q1 is None or q3 is None:
        return []
    fence = q3 + 3 * (q3 - q1)
    far = sorted((pair for pair in timed if pair[1] > fence), key=lambda p: (-p[1], p[0].id))
    return [Outlier(pm, timedelta(seconds=s)) for pm, s in far[:limit]]


def severities(catalog: Catalog) -> list[str]:
    """Return the severities to chart: the vocabulary's order, then any other value seen."""
    order = [term.value for term in catalog.settings.terms("severity")]
    seen = {pm.severity or UNKNOWN for pm in catalog}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def by_severity(catalog: Catalog) -> tuple[str, list[str], dict[tuple[str, str], int]]:
    """Return the grain (month up to two years, then quarter, then year), every period from the
    first to the last incident, and counts by (period, severity)."""
    if not len(catalog):
        return "month", [], {}
    oldest = min(pm.date for pm in catalog)
    newest = max(pm.date for pm in catalog)
    grain = grain_for(oldest, newest, most=MAX_BARS, finest="month")
    counts: Counter[tuple[str, str]] = Counter(
        (period_of(pm.date, grain), pm.severity or UNKNOWN) for pm in catalog
    )
    return grain, periods_between(oldest, newest, grain), dict(counts)


def ranking(values: Iterable[str], limit: int | None = TOP) -> list[tuple[str, int]]:
    """Return the most frequent `values` with their counts, ties in alphabetical order."""
    counts = Counter(values)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return ranked if limit is None else ranked[:limit]


def _categories(pm: Postmortem) -> Iterable[str]:
    return dict.fromkeys(pm.root_cause_categories or (UNKNOWN,))


# --- page -----------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def _figure(chart: Chart, caption: str, from_uri: str, layout: Layout) -> str:
    # Each SVG is one line of markup ElementTree serialised (every label escaped); the wrapping
    # block-level <div> makes Markdown pass it through untouched. The stylesheet shows the wide
    # drawing or the narrow one, whichever fits the screen.
    svg_file = f"{CHART_FOLDER}/{chart.name}.svg"
    narrow = f'<div class="pm-chart__narrow">{chart.narrow}</div>' if chart.narrow else ""
    return (
        f'<div class="pm-chart" data-search-exclude><div class="pm-chart__wide">{chart.svg}'
        f"</div>{narrow}</div>\n\n"
        f"{caption} {md_link('Download the chart (SVG)', layout.link(from_uri, svg_file))}.\n\n"
    )


# Ticks of a logarithmic duration axis, in minutes: durations people say out loud.
LOG_TICKS = (1, 5, 15, 60, 4 * 60, 24 * 60, 7 * 24 * 60, 30 * 24 * 60, 90 * 24 * 60, 365 * 24 * 60)
SMALL_MARK = "⚠"  # after the n of a group too small to say much
WIDE_SPREAD = 30  # longest / median above this draws the axis logarithmic


def _tick_label(minutes: float) -> str:
    return format_duration(timedelta(minutes=minutes)).replace(" 0 min", "")


def _log_ticks(lowest: float, highest: float) -> list[float]:
    below = [t for t in LOG_TICKS if t <= lowest][-1:] or [LOG_TICKS[0]]
    inside = [t for t in LOG_TICKS if lowest < t < highest]
    above = [t for t in LOG_TICKS if t >= highest][:1] or [LOG_TICKS[-1]]
    return [float(t) for t in below + inside + above]


def _unit(stats: Sequence[PeriodStat]) -> tuple[str, float]:
    longest = max((s.longest.total_seconds() for s in stats if s.longest is not None), default=0)
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
    grain, stats, seconds = durations_by_period(catalog, duration)
    whole = overall(catalog, duration)
    per = "quarter" if grain == "quarter" else "year"
    parts = [f"## {heading} by {per}\n\n"]
    if not stats:
        parts.append(f"No incident records both times needed for the {what}.\n\n")
        return "".join(parts), None
    spread = (
        whole.longest.total_seconds() / max(whole.median.total_seconds(), 60.0)
        if whole.longest is not None and whole.median is not None
        else 0.0
    )
    log = spread > WIDE_SPREAD
    small = [s.period for s in stats if s.count < charts.SMALL_SAMPLE]
    groups = [
        charts.Group(
            f"{s.period}{charts.LINE_BREAK}n={s.count}{SMALL_MARK if s.period in small else ''}",
            tuple(v / 60 for v in seconds[s.period]),
        )
        for s in stats
    ]
    if log:
        known = [v for g in groups for v in g.values]
        ticks = _log_ticks(max(min(known), 1.0), max(known))
        formatter: Callable[[float], str] = _tick_label
        scale_note = (
            "The time axis is logarithmic (each step multiplies), because the longest incident "
            f"took {format_duration(whole.longest)}, over {int(spread)} times the median; "
            "times under a minute are drawn at one minute."
        )
        floor = 1.0
    else:
        unit, scale = _unit(stats)
        groups = [charts.Group(g.label, tuple(v * 60 / scale for v in g.values)) for g in groups]
        ticks = charts.nice_ticks(max(v for g in groups for v in g.values), whole=False)

        def formatter(value: float) -> str:
            return f"{value:g} {unit[0]}"

        scale_note = f"The time axis is in {unit}."
        floor = 0.0
    description = f"Box plot of {heading.lower()} per {per} of incident start date: " + "; ".join(
        f"{s.period}: {plural(s.count, 'incident')}, median {format_duration(s.median)}, "
        f"90th percentile {format_duration(s.p90)}, longest {format_duration(s.longest)}"
        for s in stats
    )
    chart = charts.box_plot(
        name,
        f"{heading} by {per}",
        description,
        groups,
        y_title="",
        formatter=formatter,
        ticks=ticks,
        log=log,
        floor=floor,
    )
    caption = (
        f"**Figure:** {heading.lower()} per {per}, one box per {per} with its number of "
        "incidents (n) under it. The box holds the middle half of the incidents (25th to 75th "
        "percentile), the line across it is the median; whiskers reach the furthest incident "
        "within one and a half box heights, and dots are incidents beyond. "
        f"{scale_note} Over all {plural(whole.count, 'incident')} that record it the median "
        f"is {format_duration(whole.median)} and the 90th percentile "
        f"{format_duration(whole.p90)}."
    )
    parts.append(_figure(chart, caption, from_uri, layout))
    if small:
        parts.append(
            f"⚠ **Small samples:** {', '.join(small)} "
            f"{'has' if len(small) == 1 else 'have'} fewer than {charts.SMALL_SAMPLE} "
            "incidents recording it; their boxes are drawn faintly and say little.\n\n"
        )
    far = outliers(catalog, duration)
    if far:
        parts.append(
            "**Far above the rest** (past the 75th percentile by more than three times the "
            "middle half's spread):\n\n"
        )
        parts += [
            f"- {layout.incident_link(from_uri, o.incident)} ({o.incident.date.isoformat()}): "
            f"{format_duration(o.duration)}\n"
            for o in far
        ]
        parts.append("\n")
    parts.append(
        _table(
            [per.capitalize(), "Incidents", "Median", "90th percentile", "Longest"],
            (
                [
                    s.period,
                    str(s.count),
                    format_duration(s.median),
                    format_duration(s.p90),
                    format_duration(s.longest),
                ]
                for s in stats
            ),
        )
    )
    return "".join(parts), chart


def severity_colors(catalog: Catalog, levels: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Return each severity's chart (colour, pattern): its badge colour, whichever occur."""
    order = [term.value for term in catalog.settings.terms("severity")]
    palette = charts.SEVERITY_COLORS
    styles = {}
    for level in levels:
        rank = order.index(level) if level in order else len(palette)
        color = palette[rank] if rank < len(palette) else charts.OTHER_COLOR
        styles[level] = (color, rank if rank < len(palette) else len(charts.PATTERNS) - 1)
    return styles


def _severity_section(catalog: Catalog, from_uri: str, layout: Layout) -> tuple[str, Chart]:
    grain, periods, counts = by_severity(catalog)
    levels = severities(catalog)
    styles = severity_colors(catalog, levels)
    series = [
        Series(
            level,
            tuple(counts.get((p, level), 0) for p in periods),
            styles[level][0],
            styles[level][1],
        )
        for level in levels
    ]
    busiest = max(periods, key=lambda p: (sum(counts.get((p, lv), 0) for lv in levels), p))
    total_busiest = sum(counts.get((busiest, lv), 0) for lv in levels)
    description = (
        f"Stacked bars of incidents per {grain} from {periods[0]} to {periods[-1]}, one segment "
        f"per severity ({', '.join(levels)}), each with its own colour and pattern. The busiest "
        f"{grain} is {busiest} with {plural(total_busiest, 'incident')}."
    )
    chart = charts.stacked_bars(
        "incidents-by-severity",
        f"Incidents per {grain} by severity",
        description,
        periods,
        series,
    )
    parts = [f"## Incidents per {grain} by severity\n\n"]
    caption = (
        f"**Figure:** incidents per {grain} by severity, {periods[0]} to {periods[-1]}; each "
        "severity has a colour and a pattern, in the legend's order from the bottom of each "
        f"bar. The table lists the {grain}s with incidents."
    )
    parts.append(_figure(chart, caption, from_uri, layout))
    rows = []
    for period in periods:
        row = [counts.get((period, level), 0) for level in levels]
        if any(row):
            rows.append([period, *map(str, row), str(sum(row))])
    parts.append(_table([grain.capitalize(), *(md_text(level) for level in levels), "Total"], rows))
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
    header = [title_header("Incident"), title_header("Happened before")]
    parts.append(_table([*header, "Why", "Days apart"], rows))
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
    text, chart = _severity_section(catalog, src_uri, layout)
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
