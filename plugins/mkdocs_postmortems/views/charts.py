"""Render charts as self-contained, deterministic, script-free SVG with pygal.

This is the only module that imports pygal, and only when a chart is drawn: importing pygal
appends a finder to `sys.meta_path`, which a process that never draws a chart should not get.
Nothing here changes pygal or the interpreter for anyone else. Charts take plain data and
return SVG text that:

- runs no script and fetches nothing: pygal's tooltip script and its inline config `<script>`
  are removed, and no stylesheet or font is linked;
- is byte-identical across builds: pygal's random chart id is replaced by a fixed one, its
  "generated on <today>" comment is dropped, and the tree is serialised by the standard
  library whichever XML backend pygal chose (lxml writes different bytes);
- follows the page's light or dark scheme when inlined: text and axes use `currentColor`,
  backgrounds are transparent and series colours are CSS variables of `postmortems.css`
  (with fallbacks, so the SVG also reads well as a standalone file);
- never overlaps its labels: the axis labels are measured (estimated from their length) against
  the room each gets, and rotated, thinned or wrapped until they fit, at both widths drawn
  (`WIDTH` for wide screens, `NARROW` for phones; the page shows one of the two);
- does not rely on colour alone: severities are told apart by a pattern as well as by a
  colour-blind-safe palette, and a legend names them;
- is accessible: the root has `role="img"`, a `<title>` and a `<desc>`.

Every label is serialised by ElementTree, which escapes it; labels are untrusted (service
names come from front matter).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ..analysis.stats import percentile
from ..core.cache import fingerprint
from ..core.text import shorten

F = TypeVar("F", bound=Callable[..., Any])
SVG_NS = "{http://www.w3.org/2000/svg}"
LABEL_LIMIT = 40  # characters of a label drawn in a chart; the data table has the full text
NARROW_LABEL_LIMIT = 22  # the same on a phone's chart
WIDTH = 800  # viewBox width of the chart for wide screens
NARROW = 400  # viewBox width of the chart for phones (shown below 45em, about 720 px)
FONT = 14  # label size in viewBox units; both widths are drawn at about 1:1 on their screens
CHAR_WIDTH = 0.62  # average glyph width of a label, as a share of its size (sans-serif digits)
LINE_HEIGHT = 1.25
Y_AXIS_ROOM = 90  # viewBox units left of the plot for y labels and the axis title
SMALL_SAMPLE = 5  # a group with fewer incidents is marked: its spread says little

# Series colours: ours from postmortems.css, with a fallback that works on both light and dark
# backgrounds when the SVG is viewed on its own. The fallbacks are the Okabe-Ito palette, which
# stays distinguishable for the common colour-vision deficiencies; patterns back it up.
SEVERITY_COLORS = (
    "var(--pm-sev1, #d55e00)",
    "var(--pm-sev2, #e69f00)",
    "var(--pm-sev3, #56b4e9)",
    "var(--pm-sev4, #009e73)",
    "var(--pm-sev5, #cc79a7)",
    "var(--pm-sev6, #0072b2)",
)
OTHER_COLOR = "var(--pm-sev-other, #8a8a8a)"
PRIMARY_COLOR = "var(--pm-chart-1, #5c6bc0)"
SECONDARY_COLOR = "var(--pm-chart-2, #26a69a)"

# One pattern drawn over each severity's colour, in order (the first is plain): SVG path data
# in a 6 x 6 tile.
PATTERNS = (
    "",
    "M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2",  # diagonal lines
    "M1.5,1.5 h0.1 M4.5,4.5 h0.1",  # dots (round caps)
    "M0,3 h6",  # horizontal lines
    "M3,0 v6",  # vertical lines
    "M0,0 l6,6 M6,0 l-6,6",  # cross-hatch
)

# Text inside XML may not hold most C0 control characters; front matter could.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
LINE_BREAK = "\n"  # splits an x label into lines (clean_label removes any from the data)


@dataclass(frozen=True)
class Series:
    """One named series of values (None where there is no value)."""

    name: str
    values: tuple[float | None, ...]
    color: str = PRIMARY_COLOR
    pattern: int = 0  # index into PATTERNS


@dataclass(frozen=True)
class Group:
    """One box of a box plot: its label and the values it summarises."""

    label: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A rendered chart: a stable name (its file and element id), its title and its SVG.

    `svg` is drawn for wide screens (and published as a file), `narrow` for phones.
    """

    name: str
    title: str
    description: str
    svg: str
    narrow: str = ""


@dataclass(frozen=True)
class AxisFit:
    """How x labels are drawn so that none overlaps another."""

    rotation: int = 0  # 0 or 270 (reading upwards)
    every: int = 1  # draw one label in `every`
    lines: bool = True  # keep line breaks (horizontal labels only)


def clean_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """Return `text` on one line, without characters XML forbids, cut to `limit` characters."""
    return shorten(_NOT_XML.sub("", text), limit)


def text_width(text: str, size: float = FONT) -> float:
    """Return an estimate of the drawn width of `text` (its longest line) at `size`."""
    return max((len(line) for line in text.split(LINE_BREAK)), default=0) * size * CHAR_WIDTH


def fit_x_labels(labels: Sequence[str], plot_width: float, size: float = FONT) -> AxisFit:
    """Return how to draw `labels` evenly spread over `plot_width` so that none overlaps.

    Horizontal (on several lines) when each fits its slot, else rotated to read upwards with
    one line per label, else rotated and thinned to one label in `every`.
    """
    if not labels:
        return AxisFit()
    slot = plot_width / len(labels)
    gap = size * 0.3
    if max(text_width(label, size) for label in labels) + gap <= slot:
        return AxisFit()
    height = size * LINE_HEIGHT
    if height <= slot:
        return AxisFit(rotation=270, lines=False)
    return AxisFit(rotation=270, every=math.ceil(height / slot), lines=False)


def _style(colors: Sequence[str]) -> Any:
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="currentColor",
        foreground_strong="currentColor",
        foreground_subtle="currentColor",
        opacity="1",
        opacity_hover="1",
        transition="none",
        font_family="inherit",
        label_font_size=FONT,
        major_label_font_size=FONT,
        legend_font_size=FONT,
        value_font_size=FONT,
        title_font_size=FONT,
        colors=tuple(colors),
        # Given explicitly: pygal would otherwise parse each colour, and ours are CSS variables.
        value_colors=tuple("currentColor" for _ in colors),
    )


def _config(name: str, colors: Sequence[str], width: int, **options: Any) -> dict[str, Any]:
    return {
        "style": _style(colors),
        "js": [],  # no tooltip script from the web
        "disable_xml_declaration": True,  # inlined into HTML
        "width": width,
        "height": options.pop("height", 360),
        "explicit_size": False,
        "margin": 12,
        "truncate_label": -1,  # we cut labels ourselves, so no hover <title> is needed
        "truncate_legend": -1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": options.pop("legend_columns", None),
        "legend_box_size": 12,
        "print_values": False,
        "classes": ("pygal-chart", "pm-chart__svg"),
        "css": ["file://style.css", "file://graph.css", f"inline:{_extra_css(name)}"],
        **options,
    }


def _x_options(labels: Sequence[str], width: int) -> tuple[dict[str, Any], list[str]]:
    """Return pygal's x-axis options and the labels to give it, fitted to `width`."""
    fit = fit_x_labels(labels, width - Y_AXIS_ROOM - 24)
    shown = [label if fit.lines else label.replace(LINE_BREAK, " ") for label in labels]
    lines = max((label.count(LINE_BREAK) + 1 for label in shown), default=1)
    options: dict[str, Any] = {
        "x_label_rotation": fit.rotation,
        "x_labels_major_every": fit.every,
        "show_minor_x_labels": fit.every == 1,
        "show_x_guides": False,
        # pygal makes room for one line of x labels; the extra lines need their own.
        "margin_bottom": 12 + int((lines - 1) * FONT * LINE_HEIGHT),
    }
    if fit.every > 1:
        options["x_labels_major"] = [label for i, label in enumerate(shown) if i % fit.every == 0]
    return options, shown


def chart_id(name: str) -> str:
    """Return the element id of the chart called `name`."""
    return f"chart-{_uuid(name)}"


def _uuid(name: str) -> str:
    return f"pm-{name}"


def _extra_css(name: str) -> str:
    # pygal's graph.css paints guides black (unreadable on a dark page); at full strength in
    # currentColor they would drown the bars.
    scope = f"#{chart_id(name)}"
    return (
        f"{scope} .axis .guide.line,{scope} .axis .major.guide.line"
        "{stroke:currentColor;stroke-opacity:.25}"
        f"{scope} .axis .line{{stroke-opacity:.6}}"
        f"{scope} .pm-small{{opacity:.45}}"
    )


def _finish(
    chart: Any,
    name: str,
    title: str,
    description: str,
    patterns: Sequence[tuple[str, int]] = (),
    faded: Sequence[int] = (),
) -> str:
    """Render `chart` with a fixed id, no script, no comment, and accessible title and desc.

    `patterns` gives each series' (colour, pattern index); `faded` the series drawn faintly.
    """
    # pygal draws a random uuid4 into the element id and every CSS selector; fix it.
    chart.uuid = _uuid(name)

    def finish(root: Any) -> Any:
        _strip(root, title, description, chart_id(name))
        _split_lines(root)
        _fill_patterns(root, chart_id(name), patterns)
        _fade(root, faded)
        return root

    chart.add_xml_filter(finish)
    root = chart.render_tree()
    if not isinstance(root, ET.Element):
        # pygal used lxml: write the same bytes the standard library would.
        from pygal.etree import etree

        root = ET.fromstring(etree.tostring(root))
    # One line: the only newlines are between pygal's style sheets, and a blank line would end
    # the raw HTML block the page embeds the chart in.
    return ET.tostring(root, encoding="unicode").replace("\n", " ")


def _local(node: Any) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _strip(root: Any, title: str, description: str, chart_id: str) -> None:
    """Remove scripts, comments and tooltip data; label the root for assistive technology."""
    for parent in list(root.iter()):
        for child in list(parent):
            local = _local(child)
            if (
                not local  # comments and processing instructions (one carries today's date)
                or local in ("script", "desc")  # the inline config and the tooltip data
                or (local == "title" and parent is not root)
                or "tooltip-overlay" in child.get("class", "")
            ):
                parent.remove(child)
    title_node = next((child for child in root if _local(child) == "title"), None)
    if title_node is None:
        title_node = root.makeelement("title", {})
        root.insert(0, title_node)
    title_node.text = clean_label(title, 500)
    title_node.set("id", f"{chart_id}-title")
    desc = root.makeelement("desc", {"id": f"{chart_id}-desc"})
    desc.text = clean_label(description, 2000)
    root.insert(list(root).index(title_node) + 1, desc)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")


def _split_lines(root: Any) -> None:
    """Draw each line of a multi-line axis label as its own `tspan` below the first."""
    for node in root.iter():
        text = node.text or ""
        if _local(node) != "text" or LINE_BREAK not in text:
            continue
        x = node.get("x", "0")
        node.text = None
        for index, line in enumerate(text.split(LINE_BREAK)):
            span = node.makeelement("tspan", {"x": x})
            if index:
                span.set("dy", f"{LINE_HEIGHT}em")
            span.text = line
            node.append(span)


def _fill_patterns(root: Any, scope: str, patterns: Sequence[tuple[str, int]]) -> None:
    """Fill each series (bars and legend box) with its colour and pattern."""
    if not any(pattern for _, pattern in patterns):
        return
    defs = next((node for node in root if _local(node) == "defs"), None)
    if defs is None:
        defs = root.makeelement("defs", {})
        root.insert(0, defs)
    fills = {}
    for index, (color, pattern) in enumerate(patterns):
        if not PATTERNS[pattern % len(PATTERNS)]:
            continue
        ident = f"{scope}-pattern-{index}"
        tile = defs.makeelement(
            "pattern",
            {"id": ident, "patternUnits": "userSpaceOnUse", "width": "6", "height": "6"},
        )
        tile.append(
            tile.makeelement("rect", {"width": "6", "height": "6", "style": f"fill:{color}"})
        )
        tile.append(
            tile.makeelement(
                "path",
                {
                    "d": PATTERNS[pattern % len(PATTERNS)],
                    "style": "stroke:#000;stroke-opacity:.55;stroke-width:1.2;"
                    "stroke-linecap:round;fill:none",
                },
            )
        )
        defs.append(tile)
        fills[f"color-{index}"] = f"fill:url(#{ident})"
    for node in root.iter():
        if _local(node) != "g":
            continue
        classes = node.get("class", "").split()
        fill = next((fills[c] for c in classes if c in fills), None)
        if fill is None:
            continue
        for shape in node.iter():
            if _local(shape) == "rect":
                shape.set("style", fill)
    for node in root.iter():  # legend boxes carry the colour class themselves
        if _local(node) == "rect":
            fill = next((fills[c] for c in node.get("class", "").split() if c in fills), None)
            if fill is not None:
                node.set("style", fill)


def _fade(root: Any, faded: Sequence[int]) -> None:
    """Draw the series numbered `faded` faintly (small samples)."""
    wanted = {f"serie-{index}" for index in faded}
    for node in root.iter():
        if _local(node) == "g" and wanted & set(node.get("class", "").split()):
            node.set("class", node.get("class", "") + " pm-small")


def _both(draw: Callable[[int], str]) -> tuple[str, str]:
    return draw(WIDTH), draw(NARROW)


def _ident(name: str, width: int) -> str:
    """Return the name a chart drawn at `width` goes by (ids must differ within a page)."""
    return name if width == WIDTH else f"{name}-narrow"


_DRAWN: dict[str, Chart] = {}
_DRAWN_LIMIT = 64  # charts kept; a site draws about a dozen


def _drawn_once(draw_chart: F) -> F:
    """Keep the charts `draw_chart` returns, by its arguments: a chart is a pure function of
    them, and pygal takes tens of milliseconds per chart (under `mkdocs serve` an edit
    redraws only the charts whose data it changed)."""

    @functools.wraps(draw_chart)
    def kept(*args: Any, **kwargs: Any) -> Chart:
        options = sorted(
            (name, _function_key(value) if callable(value) else value)
            for name, value in kwargs.items()
        )
        key = fingerprint(draw_chart.__qualname__, args, options)
        chart = _DRAWN.get(key)
        if chart is None:
            chart = draw_chart(*args, **kwargs)
            if len(_DRAWN) >= _DRAWN_LIMIT:
                del _DRAWN[next(iter(_DRAWN))]
            _DRAWN[key] = chart
        return chart

    return cast(F, kept)


def _function_key(function: Callable[..., Any]) -> object:
    """Return what a function's results depend on: its code and the values it closes over."""
    code = getattr(function, "__code__", None)
    try:
        cells = [cell.cell_contents for cell in getattr(function, "__closure__", None) or ()]
    except ValueError:  # a variable it closes over is not set yet
        code = None
    if code is None:
        return ("never drawn before", next(_UNIQUE))  # no key: the chart is drawn again
    return (function.__module__, function.__qualname__, code.co_code, code.co_consts, cells)


_UNIQUE = itertools.count()


@_drawn_once
def stacked_bars(
    name: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> Chart:
    """Return a vertical stacked bar chart: one bar per label, one stack segment per series."""
    import pygal

    def draw(width: int) -> str:
        x_options, shown = _x_options([clean_label(label) for label in labels], width)
        chart = pygal.StackedBar(
            **_config(
                _ident(name, width),
                [s.color for s in series],
                width,
                y_labels=nice_ticks(max(_stack_totals(series), default=0)),
                value_formatter=_count,
                legend_columns=min(len(series), 4 if width == WIDTH else 2),
                **x_options,
            )
        )
        chart.x_labels = shown
        for item in series:
            chart.add(clean_label(item.name), list(item.values))
        patterns = [(s.color, s.pattern) for s in series]
        return _finish(chart, _ident(name, width), title, description, patterns)

    wide, narrow = _both(draw)
    return Chart(name, title, description, wide, narrow)


@_drawn_once
def ranked_bars(
    name: str,
    title: str,
    description: str,
    counts: Sequence[tuple[str, int]],
    *,
    color: str = PRIMARY_COLOR,
) -> Chart:
    """Return a horizontal bar chart of `counts`, the first pair drawn at the top."""
    import pygal

    def draw(width: int) -> str:
        limit = LABEL_LIMIT if width == WIDTH else NARROW_LABEL_LIMIT
        chart = pygal.HorizontalBar(
            **_config(
                _ident(name, width),
                [color],
                width,
                height=60 + 34 * max(len(counts), 1),
                show_legend=False,
                show_y_guides=False,
                y_labels=nice_ticks(
                    max((count for _, count in counts), default=0), most=8 if width == WIDTH else 4
                ),
                value_formatter=_count,
                print_values=True,
                print_values_position="top",
            )
        )
        # A horizontal bar chart draws its first label at the bottom; reverse for a ranking.
        ordered = list(reversed(counts))
        chart.x_labels = [clean_label(label, limit) for label, _ in ordered]
        chart.add(clean_label(title), [count for _, count in ordered])
        return _finish(chart, _ident(name, width), title, description)

    wide, narrow = _both(draw)
    return Chart(name, title, description, wide, narrow)


def box_points(values: Sequence[float]) -> tuple[tuple[float, ...], list[float]]:
    """Return a box's (min, low whisker, 25th pct, median, 75th pct, high whisker, max) and
    the values beyond the whiskers.

    Percentiles are `stats.percentile`'s (the tables' numbers); whiskers reach the furthest
    value within 1.5 box heights of the box (Tukey), and values past them are drawn as dots.
    """
    ordered = sorted(values)
    if not ordered:
        return (0.0,) * 7, []
    q1, q2, q3 = (percentile(ordered, f) or 0.0 for f in (0.25, 0.5, 0.75))
    reach = 1.5 * (q3 - q1)
    inside = [v for v in ordered if q1 - reach <= v <= q3 + reach]
    low, high = inside[0], inside[-1]
    outliers = [v for v in ordered if v < low or v > high]
    return (ordered[0], low, q1, q2, q3, high, ordered[-1]), outliers


@_drawn_once
def box_plot(
    name: str,
    title: str,
    description: str,
    groups: Sequence[Group],
    *,
    y_title: str,
    formatter: Callable[[float], str],
    ticks: Sequence[float],
    log: bool,
    floor: float = 0.0,
) -> Chart:
    """Return a box plot, one box per group (values at least `floor`), on a log axis if `log`.

    Groups with fewer than `SMALL_SAMPLE` values are drawn faintly; their labels carry a mark.
    """
    import pygal

    class Box(pygal.Box):  # type: ignore[misc]
        # pygal's quartiles follow another textbook than our tables; draw the tables' numbers.
        @staticmethod
        def _box_points(
            values: Sequence[float | None], mode: str = "tukey"
        ) -> tuple[tuple[float, ...], list[float]]:
            return box_points([v for v in values if v is not None])

    clamped = [tuple(max(v, floor) for v in group.values) for group in groups]
    small = [i for i, group in enumerate(groups) if len(group.values) < SMALL_SAMPLE]

    def draw(width: int) -> str:
        x_options, shown = _x_options([group.label for group in groups], width)
        chart = Box(
            **_config(
                _ident(name, width),
                [PRIMARY_COLOR] * max(len(groups), 1),  # one series per box, all alike
                width,
                height=380,
                show_legend=False,
                logarithmic=log,
                range=(min(ticks), max(ticks)) if ticks else None,
                y_labels=list(ticks),
                y_title=y_title,
                value_formatter=formatter,
                **x_options,
            )
        )
        chart.x_labels = shown
        for group, values in zip(groups, clamped, strict=True):
            chart.add(clean_label(group.label), list(values))
        return _finish(chart, _ident(name, width), title, description, faded=small)

    wide, narrow = _both(draw)
    return Chart(name, title, description, wide, narrow)


def _stack_totals(series: Sequence[Series]) -> list[float]:
    columns = zip(*(item.values for item in series), strict=True)
    return [sum(value or 0 for value in column) for column in columns]


def _count(value: float) -> str:
    return f"{value:g}"


def nice_ticks(highest: float, most: int = 8, whole: bool = True) -> list[float]:
    """Return round axis ticks from 0 to at least `highest`: steps of 1, 2 or 5 times 10^k.

    With `whole` the step is at least 1 (counts); otherwise fractions are allowed (hours).
    """
    if highest <= 0:
        return [0, 1] if whole else [0, 0.5, 1]
    step = 10.0 ** math.floor(math.log10(highest / most))
    for factor in (1, 2, 5, 10):
        if highest / (step * factor) <= most:
            step *= factor
            break
    if whole:
        step = max(step, 1.0)
    count = math.ceil(highest / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]
