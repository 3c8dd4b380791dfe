"""Render charts as self-contained, deterministic, script-free SVG with pygal.

This is the only module that imports pygal. Charts take plain data (labels and numbers) and
return SVG text that:

- runs no script and fetches nothing: pygal's tooltip script and its inline config `<script>`
  are removed, and no stylesheet or font is linked;
- is byte-identical across builds: pygal's random chart id is replaced by a fixed one and its
  "generated on <today>" comment is dropped;
- follows the page's light or dark scheme when inlined: text and axes use `currentColor`,
  backgrounds are transparent and series colours are CSS variables of `postmortems.css`
  (with fallbacks, so the SVG also reads well as a standalone file);
- is accessible: the root has `role="img"`, a `<title>` and a `<desc>`.

Every label is serialised by ElementTree, which escapes it; labels are untrusted (service
names come from front matter).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from pygal.etree import etree
from pygal.style import Style

from ..core.text import shorten

# pygal serialises with lxml when it is installed, and lxml writes different bytes; always
# use the standard library so the same data gives the same SVG on every machine.
etree.to_etree()

# pygal appends a legacy finder (for pygal.maps plugins, which we do not use) to sys.meta_path.
# On Python 3.11 every import that no other finder resolves then warns (ImportWarning); under
# `-W error` that warning replaces the ImportError that optional imports elsewhere catch.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
]

SVG_NS = "{http://www.w3.org/2000/svg}"
LABEL_LIMIT = 40  # characters of a label drawn in a chart; the data table has the full text
WIDTH = 800

# Series colours: a Material variable or ours from postmortems.css, with a fallback that works
# on both light and dark backgrounds when the SVG is viewed on its own.
SEVERITY_COLORS = (
    "var(--pm-sev1, #e53935)",
    "var(--pm-sev2, #fb8c00)",
    "var(--pm-sev3, #fdd835)",
    "var(--pm-sev4, #43a047)",
    "var(--pm-sev5, #8e24aa)",
    "var(--pm-sev6, #00897b)",
)

OTHER_COLOR = "var(--pm-sev-other, #78909c)"
PRIMARY_COLOR = "var(--pm-chart-1, #5c6bc0)"
SECONDARY_COLOR = "var(--pm-chart-2, #26a69a)"

# Text inside XML may not hold most C0 control characters; front matter could.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One named series of values (None where there is no value)."""

    name: str
    values: tuple[float | None, ...]
    color: str = PRIMARY_COLOR


@dataclass(frozen=True)
class Chart:
    """A rendered chart: a stable name (its file and element id), its title and its SVG."""

    name: str
    title: str
    description: str
    svg: str


def clean_label(text: str, limit: int = LABEL_LIMIT) -> str:
    """Return `text` on one line, without characters XML forbids, cut to `limit` characters."""
    return shorten(_NOT_XML.sub("", text), limit)


def _style(colors: Sequence[str]) -> Style:
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
        label_font_size=14,
        major_label_font_size=14,
        legend_font_size=14,
        value_font_size=14,
        colors=tuple(colors),
        # Given explicitly: pygal would otherwise parse each colour, and ours are CSS variables.
        value_colors=tuple("currentColor" for _ in colors),
    )


def _config(name: str, colors: Sequence[str], **options: Any) -> dict[str, Any]:
    return {
        "style": _style(colors),
        "js": [],  # no tooltip script from the web
        "disable_xml_declaration": True,  # inlined into HTML
        "width": WIDTH,
        "height": options.pop("height", 360),
        "explicit_size": False,
        "margin": 12,
        "truncate_label": -1,  # we cut labels ourselves, so no hover <title> is needed
        "truncate_legend": -1,
        "legend_at_bottom": True,
        "legend_box_size": 12,
        "print_values": False,
        "classes": ("pygal-chart", "pm-chart__svg"),
        "css": ["file://style.css", "file://graph.css", f"inline:{_extra_css(name)}"],
        **options,
    }


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
    )


def _finish(chart: Any, name: str, title: str, description: str) -> str:
    """Render `chart` with a fixed id, no script, no comment, and accessible title and desc."""
    # pygal draws a random uuid4 into the element id and every CSS selector; fix it.
    chart.uuid = _uuid(name)

    def strip(root: Any) -> Any:
        _strip(root, title, description, chart_id(name))
        return root

    chart.add_xml_filter(strip)
    # One line: the only newlines are between pygal's style sheets, and a blank line would end
    # the raw HTML block the page embeds the chart in.
    return str(chart.render(is_unicode=True)).replace("\n", " ")


def _strip(root: Any, title: str, description: str, chart_id: str) -> None:
    """Remove scripts, comments and tooltip data; label the root for assistive technology."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            local = tag.rsplit("}", 1)[-1]
            if (
                not tag  # comments and processing instructions (one carries today's date)
                or local in ("script", "desc")  # the inline config and the tooltip data
                or (local == "title" and parent is not root)
                or "tooltip-overlay" in child.get("class", "")
            ):
                parent.remove(child)
    title_node = next(
        (child for child in root if str(child.tag).rsplit("}", 1)[-1] == "title"), None
    )
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


def stacked_bars(
    name: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    major_every: int = 1,
) -> Chart:
    """Return a vertical stacked bar chart: one bar per label, one stack segment per series."""
    chart = pygal.StackedBar(
        **_config(
            name,
            [s.color for s in series],
            x_labels_major_every=major_every,
            show_minor_x_labels=major_every == 1,
            x_label_rotation=0 if major_every > 1 or len(labels) <= 12 else -45,
            show_x_guides=False,
            y_labels=nice_ticks(max(_stack_totals(series), default=0)),
            value_formatter=_count,
        )
    )
    chart.x_labels = [clean_label(label) for label in labels]
    for item in series:
        chart.add(clean_label(item.name), list(item.values))
    return Chart(name, title, description, _finish(chart, name, title, description))


def grouped_bars(
    name: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_title: str = "",
    value_formatter: Callable[[float], str] | None = None,
) -> Chart:
    """Return a vertical bar chart with one bar per series side by side for each label."""
    chart = pygal.Bar(
        **_config(
            name,
            [s.color for s in series],
            x_label_rotation=0 if len(labels) <= 12 else -45,
            show_x_guides=False,
            y_title=y_title,
            y_labels=nice_ticks(
                max((v for item in series for v in item.values if v is not None), default=0),
                whole=False,
            ),
            value_formatter=value_formatter or _count,
        )
    )
    chart.x_labels = [clean_label(label) for label in labels]
    for item in series:
        chart.add(clean_label(item.name), list(item.values))
    return Chart(name, title, description, _finish(chart, name, title, description))


def ranked_bars(
    name: str,
    title: str,
    description: str,
    counts: Sequence[tuple[str, int]],
    *,
    color: str = PRIMARY_COLOR,
) -> Chart:
    """Return a horizontal bar chart of `counts`, the first pair drawn at the top."""
    height = 60 + 34 * max(len(counts), 1)
    chart = pygal.HorizontalBar(
        **_config(
            name,
            [color],
            height=height,
            show_legend=False,
            show_y_guides=False,
            y_labels=nice_ticks(max((count for _, count in counts), default=0)),
            value_formatter=_count,
            print_values=True,
            print_values_position="top",
        )
    )
    # A horizontal bar chart draws its first label at the bottom; reverse for a ranking.
    ordered = list(reversed(counts))
    chart.x_labels = [clean_label(label) for label, _ in ordered]
    chart.add(clean_label(title), [count for _, count in ordered])
    return Chart(name, title, description, _finish(chart, name, title, description))


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
