"""The Insights page: every chart inline with its text alternative, numbers right, SVG safe."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from conftest import BuildSite, Site, parse_html, postmortem
from mkdocs_postmortems.analysis.recurrence import recurrences
from mkdocs_postmortems.analysis.related import Related
from mkdocs_postmortems.core.catalog import Settings, build_catalog
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.views import charts, insights
from mkdocs_postmortems.views.layout import Layout

HOSTILE = "<script>alert(1)</script>"


def _front(
    title: str,
    day: str,
    severity: str,
    services: str,
    categories: str,
    ttd_minutes: int,
    ttr_minutes: int,
    detection: str | None = None,
    extra: str = "",
) -> str:
    start = f"{day}T10:00:00Z"
    hours, minutes = divmod(ttd_minutes, 60)
    detected = f"{day}T{10 + hours:02d}:{minutes:02d}:00Z"
    hours, minutes = divmod(ttr_minutes, 60)
    resolved = f"{day}T{10 + hours:02d}:{minutes:02d}:00Z"
    lines = [
        f"title: '{title}'",
        f"date: {day}",
        "status: published",
        f"severity: {severity}",
        "summary: Something broke.",
        "root_cause: Something was wrong.",
        f"services: {services}",
        f"root_cause_categories: {categories}",
        f"started: {start}",
        f"detected: {detected}",
        f"resolved: {resolved}",
    ]
    if detection:
        lines.append(f"detection: {detection}")
    return postmortem("\n".join(lines) + "\n" + extra)


# Time to detect: Q1 [10, 30, 5] min, Q2 [60] min; time to resolve: Q1 [2, 1, 10] h, Q2 [3] h.
FIXTURE = {
    "2024-01-10-a.md": _front(
        "Alpha outage",
        "2024-01-10",
        "SEV1",
        f"[api, '{HOSTILE}']",
        "[software-bug]",
        10,
        120,
        "monitoring-alert",
    ),
    "2024-02-05-b.md": _front(
        "Bravo outage", "2024-02-05", "SEV2", "[api]", "[software-bug]", 30, 60, "customer-report"
    ),
    "2024-02-20-c.md": _front(
        "Charlie outage", "2024-02-20", "SEV2", "[db]", "[database]", 5, 600, "monitoring-alert"
    ),
    "2024-04-02-d.md": _front(
        "Delta outage", "2024-04-02", "SEV3", "[api]", "[configuration-error]", 60, 180
    ),
}
CHART_NAMES = [
    "incidents-by-severity",
    "time-to-detect",
    "time-to-resolve",
    "root-cause-categories",
    "services",
    "detection",
]


@pytest.fixture
def site(build_site: BuildSite) -> Site:
    built = build_site(FIXTURE, strict=True)
    assert built.error is None, built.messages
    return built


def _svgs(html: str, narrow: bool = False) -> list[str]:
    """Return the charts drawn for wide screens (or with `narrow`, those drawn for phones)."""
    found = re.findall(r'<svg\b[^>]*class="pygal-chart.*?</svg>', html, flags=re.DOTALL)
    return [svg for svg in found if ('-narrow"' in svg.split(">", 1)[0]) == narrow]


def test_every_chart_is_inline_with_a_text_alternative(site: Site) -> None:
    html = site.page("insights/")
    svgs = _svgs(html)
    assert len(svgs) == len(CHART_NAMES)
    for name, svg in zip(CHART_NAMES, svgs, strict=True):
        chart_id = charts.chart_id(name)
        assert f'id="{chart_id}"' in svg
        assert 'role="img"' in svg
        assert "\n" not in svg
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title>', svg), name
        assert re.search(rf'<desc id="{chart_id}-desc">[^<]+</desc>', svg), name
        # The same SVG is published as a file the caption links to.
        file = site.site_dir / "insights" / f"{name}.svg"
        assert file.read_text(encoding="utf-8") == svg
        assert f'href="{name}.svg"' in html
    # Each chart is drawn a second time for phones, with its own ids.
    narrow = _svgs(html, narrow=True)
    assert len(narrow) == len(CHART_NAMES)
    for name, svg in zip(CHART_NAMES, narrow, strict=True):
        assert f'id="{charts.chart_id(name)}-narrow"' in svg
        assert 'viewBox="0 0 400 ' in svg
    # Each chart is followed by its caption and a data table.
    figures = html.split('<div class="pm-chart" data-search-exclude>')[1:]
    assert len(figures) == len(CHART_NAMES)
    for figure in figures:
        after = figure.split("</svg></div></div>", 1)[1]
        assert "<strong>Figure:</strong>" in after.split("<table>", 1)[0]
        assert "<table>" in after


def test_numbers_are_medians_and_percentiles_computed_by_hand(site: Site) -> None:
    text = parse_html(site.page("insights/")).text
    # Overall time to detect [5, 10, 30, 60] min: median (10 + 30) / 2 = 20 min;
    # p90 at rank 0.9 * 3 = 2.7: 30 + 0.7 * 30 = 51 min.
    assert "Median time to detect 20 min (90th percentile 51 min, over 4" in text
    # Overall time to resolve [1, 2, 3, 10] h: median 2.5 h; p90: 3 + 0.7 * 7 = 7.9 h.
    assert "median time to resolve 2 h 30 min (90th percentile 7 h 54 min, over 4)" in text
    # Q1 time to detect [5, 10, 30]: median 10; p90 at rank 1.8: 10 + 0.8 * 20 = 26 min.
    assert "2024 Q1 3 10 min 26 min" in text
    assert "2024 Q2 1 1 h 1 h" in text
    # Q1 time to resolve [1, 2, 10] h: median 2 h; p90: 2 + 0.8 * 8 = 8.4 h.
    assert "2024 Q1 3 2 h 8 h 24 min" in text
    assert "2024 Q2 1 3 h 3 h" in text
    # Incidents per month by severity: columns SEV1 SEV2 SEV3 Total, only months with incidents.
    assert "Month SEV1 SEV2 SEV3 Total 2024-01 1 0 0 1 2024-02 0 2 0 2 2024-04 0 0 1 1" in text
    assert "Category Incidents software-bug 2 configuration-error 1 database 1" in text
    assert f"Service Incidents api 3 {HOSTILE} 1 db 1" in text
    assert "Detected by Incidents monitoring-alert 2 customer-report 1 not recorded 1" in text
    # Bravo repeats Alpha: shared words, category and service, 26 days apart, one row.
    assert "Incident Happened before Why Days apart" in text
    assert "Bravo outage Alpha outage same words: outage, " in text
    assert "; category: software-bug; service: api 26" in text
    assert text.count("Bravo outage Alpha outage") == 1
    assert "1 incident happened before" in text


def test_month_axis_has_no_gaps(site: Site) -> None:
    svg = (site.site_dir / "insights" / "incidents-by-severity.svg").read_text(encoding="utf-8")
    labels = re.findall(r">(2024-\d\d)</text>", svg)
    assert labels == ["2024-01", "2024-02", "2024-03", "2024-04"]


def test_svg_runs_no_script_and_fetches_nothing(site: Site) -> None:
    for name in CHART_NAMES:
        svg = (site.site_dir / "insights" / f"{name}.svg").read_text(encoding="utf-8")
        assert "<script" not in svg.lower(), name
        assert "href" not in svg, name
        assert not re.search(r"url\((?!#)", svg), name  # patterns are local: url(#id)
        assert "@import" not in svg, name
        without_namespace = svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http:" not in without_namespace, name
        assert "https:" not in without_namespace, name
        assert "//" not in without_namespace, name
        assert "<!--" not in svg, name  # pygal's comment carries today's date
        assert "<desc class" not in svg, name  # tooltip data for the removed script


def test_hostile_service_name_is_escaped(site: Site) -> None:
    html = site.page("insights/")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    svg = (site.site_dir / "insights" / "services.svg").read_text(encoding="utf-8")
    assert HOSTILE not in svg
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</text>" in svg
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.DOTALL)
    assert scripts  # Material's own
    assert not [script for script in scripts if "alert" in script]
    assert HOSTILE in parse_html(html).text  # shown as text


def test_two_builds_give_identical_charts(build_site: BuildSite) -> None:
    first = build_site(FIXTURE)
    second = build_site(FIXTURE)
    for name in CHART_NAMES:
        path = Path("insights") / f"{name}.svg"
        assert (first.site_dir / path).read_bytes() == (second.site_dir / path).read_bytes()
    assert first.page("insights/") == second.page("insights/")


def test_insights_page_is_in_the_nav_and_handles_an_empty_folder(build_site: BuildSite) -> None:
    site = build_site({}, strict=True)
    assert site.error is None, site.messages
    text = parse_html(site.page("insights/")).text
    assert "No postmortems yet" in text
    assert not list((site.site_dir / "insights").glob("*.svg"))
    assert 'href="insights/"' in site.page("")


def test_detection_only_chart_survives_missing_times(build_site: BuildSite) -> None:
    front = """\
        title: No times recorded
        date: 2024-05-02
        status: published
        severity: SEV4
        summary: Something small.
        root_cause: A small thing.
        services: [web]
        """
    site = build_site({"2024-05-02-x.md": postmortem(front)}, strict=True)
    assert site.error is None, site.messages
    text = parse_html(site.page("insights/")).text
    assert "No incident records both times needed for the time to detect" in text
    assert len(_svgs(site.page("insights/"))) == 4


def test_labels_are_cleaned_for_xml() -> None:
    assert charts.clean_label("a\x00b\x1bc\n d") == "abc d"
    long = "x" * 100
    assert charts.clean_label(long).endswith("…")
    assert len(charts.clean_label(long)) == charts.LABEL_LIMIT


def test_ticks_are_round_numbers() -> None:
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(3) == [0, 1, 2, 3]
    assert charts.nice_ticks(17) == [0, 5, 10, 15, 20]
    assert charts.nice_ticks(1.7, whole=False) == [0, 0.5, 1, 1.5, 2]


def _record(ident: str, day: date, services: tuple[str, ...]) -> Postmortem:
    return Postmortem(
        id=ident,
        path=f"{ident}.md",
        title=ident,
        date=day,
        status="published",
        severity="SEV3",
        summary="s",
        root_cause="r",
        services=services,
        body="",
        root_cause_categories=("network",),
    )


def test_recurrences_can_be_given_by_the_caller() -> None:
    catalog = build_catalog(
        [
            _record("one", date(2024, 1, 1), ("edge",)),
            _record("two", date(2024, 1, 20), ("edge",)),
            _record("three", date(2024, 9, 1), ()),
        ],
        Settings(today=date(2024, 10, 1)),
    )
    related: Related = {"two": [("one", 0.4, ["same words: edge, cache", "service: edge"])]}
    found = recurrences(catalog, related, window=30)
    assert [(r.incident.id, r.previous.id, r.days) for r in found] == [("two", "one", 19)]
    assert recurrences(catalog, related, window=10) == []
    page = insights.insights_page(catalog, Layout(), recurring=[]).page.markdown
    assert "No incident repeats an earlier one at most 90 days before it" in page
    page = insights.insights_page(catalog, Layout(), found, window=30).page.markdown
    assert "1 incident happened before" in page
    assert "at most 30 days before it" in page
    assert (
        "[two](postmortems/two.md) | [one](postmortems/one.md) | "
        "same words&#58; edge&#44; cache&#59; service&#58; edge | 19"
    ) in page


def test_a_ranking_without_values_has_no_chart() -> None:
    catalog = build_catalog(
        [_record("lonely", date(2024, 1, 1), ())], Settings(today=date(2024, 2, 1))
    )
    result = insights.insights_page(catalog, Layout())
    assert "No incident records a service." in result.page.markdown
    assert "insights/services.svg" not in result.files
    assert set(result.files) == {
        "insights/incidents-by-severity.svg",
        "insights/root-cause-categories.svg",
        "insights/detection.svg",
    }
