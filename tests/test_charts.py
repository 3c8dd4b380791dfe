"""Honest trend charts: distributions with n, wide spreads on a log axis with outliers named,
years when quarters are too many, small samples marked, labels fitted, patterns beside colours,
and no process-wide side effects."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

from conftest import REPO
from mkdocs_postmortems.analysis.stats import percentile
from mkdocs_postmortems.core.catalog import Catalog, Settings, build_catalog
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.views import charts, insights
from mkdocs_postmortems.views.layout import Layout

UTC = UTC


def _record(ident: str, day: date, hours: float) -> Postmortem:
    start = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    return Postmortem(
        id=ident,
        path=f"{ident}.md",
        title=f"Incident {ident}",
        date=day,
        status="published",
        severity="SEV2",
        summary="s",
        root_cause="r",
        services=("api",),
        body="",
        started=start,
        detected=start + timedelta(minutes=5),
        resolved=start + timedelta(hours=hours),
    )


def _catalog(records: list[Postmortem]) -> Catalog:
    return build_catalog(list(records), Settings(today=date(2025, 12, 1)))


def test_labels_stay_horizontal_rotate_or_thin_to_fit() -> None:
    assert charts.fit_x_labels(["2019", "2020"], 600) == charts.AxisFit()
    rotated = charts.fit_x_labels([f"2024 Q{q}" for q in range(1, 5)] * 4, 300)
    assert (rotated.rotation, rotated.every) == (270, 1)
    thinned = charts.fit_x_labels([f"{m:02d}" for m in range(120)], 400)
    assert thinned.rotation == 270
    assert thinned.every > 1
    # Whatever is drawn, drawn labels are at least one line height apart.
    slot = 400 / 120 * thinned.every
    assert slot >= charts.FONT * charts.LINE_HEIGHT


def test_box_points_are_the_tables_percentiles() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0]
    points, outliers = charts.box_points(values)
    assert points[2:5] == (
        percentile(values, 0.25),
        percentile(values, 0.5),
        percentile(values, 0.75),
    )
    assert outliers == [100.0]
    assert points[5] == 7.0  # the high whisker stops at the last value within reach


def test_fifteen_years_are_grouped_by_year_with_n_and_small_samples_marked() -> None:
    records = [_record(f"a{i}", date(2011, 3, 1) + timedelta(days=36 * i), 2) for i in range(150)]
    records.append(_record("long", date(2020, 5, 5), 1_180))
    records.append(_record("early", date(2010, 6, 1), 3))  # a year of one incident
    catalog = _catalog(records)
    grain, stats, _ = insights.durations_by_period(catalog, insights.time_to_resolve)
    assert grain == "year"
    assert [s.period for s in stats][:2] == ["2010", "2011"]
    page = insights.insights_page(catalog, Layout()).page.markdown
    assert "## Time to resolve by year" in page
    # n on every box, and the spread is wide: log axis, the outlier named with its duration.
    svg = next(
        c for c in insights.insights_page(catalog, Layout()).charts if c.name == "time-to-resolve"
    )
    labels = re.findall(r"<tspan[^>]*>(n=\d+⚠?)</tspan>", svg.svg)
    assert len(labels) == len(stats)
    assert "logarithmic" in page
    assert "Far above the rest" in page
    assert "[Incident long]" in page
    assert "49 d 4 h" in page
    # A year of one incident is marked on the axis, faded, and named in the warning.
    assert [s.period for s in stats if s.count < charts.SMALL_SAMPLE] == ["2010"]
    assert "n=1⚠" in labels
    assert "pm-small" in svg.svg
    assert "⚠ **Small samples:** 2010 has fewer than 5 incidents" in page


def test_two_years_of_quarters_stay_quarters_and_a_narrow_spread_stays_linear() -> None:
    records = [
        _record(f"b{i}", date(2024, 1, 5) + timedelta(days=45 * i), 1 + i % 3) for i in range(16)
    ]
    catalog = _catalog(records)
    grain, _, _ = insights.durations_by_period(catalog, insights.time_to_resolve)
    assert grain == "quarter"
    page = insights.insights_page(catalog, Layout()).page.markdown
    assert "logarithmic" not in page
    assert "Far above the rest" not in page


def test_severities_get_a_pattern_as_well_as_a_colour() -> None:
    chart = charts.stacked_bars(
        "sev",
        "By severity",
        "d",
        ["2024", "2025"],
        [
            charts.Series("SEV1", (1, 2), charts.SEVERITY_COLORS[0], 0),
            charts.Series("SEV2", (2, 1), charts.SEVERITY_COLORS[1], 1),
            charts.Series("SEV3", (0, 3), charts.SEVERITY_COLORS[2], 2),
        ],
    )
    for svg in (chart.svg, chart.narrow):
        patterns = re.findall(r'<pattern id="([^"]+)"', svg)
        assert len(patterns) == 2  # SEV1 is plain; SEV2 and SEV3 are hatched and dotted
        for ident in patterns:
            assert f"fill:url(#{ident})" in svg
    assert 'viewBox="0 0 400 ' in chart.narrow
    assert "chart-pm-sev-narrow" in chart.narrow


def test_importing_the_charts_changes_nothing_process_wide() -> None:
    code = (
        "import sys; before = list(sys.meta_path); "
        "import mkdocs_postmortems.plugin, mkdocs_postmortems.views.charts; "
        "assert sys.meta_path == before, sys.meta_path; "
        "assert 'pygal' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
