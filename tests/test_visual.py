"""Every page kind of a 600-postmortem site, looked at in Chromium at 1280 px light and dark and
at 390 px, with assertions a layout regression makes fail.

The site is generated with `benchmarks/generate.py --realistic` (15 years of history, heavy-
tailed durations with outliers lasting weeks, imported-style bodies, long titles) plus the
repository's own postmortems (the seed among them). Screenshots land in the test's temporary
folder; `python tests/visual.py SITE OUT` keeps them for a review.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from browser import LocalSite
from conftest import REPO, BuildSite
from visual import MEASURE, PAGE_KINDS, TITLE_HEADERS, Measure, measure_site, page_kinds

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

pytestmark = pytest.mark.slow

N = 600
MIN_TITLE_WIDTH = 150  # CSS px: a title column narrower than this breaks titles into a word each


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> tuple[Path, list[Measure]]:
    """Build the generated site once, then measure every page kind at every width."""
    root = tmp_path_factory.mktemp("visual")
    generate(N, 7, root / "postmortems", realistic=True)
    for path in (REPO / "postmortems").glob("*.md"):
        shutil.copy(path, root / "postmortems" / path.name)
    return root, _measure(root, chromium)


def _measure(root: Path, chromium: Any) -> list[Measure]:
    import yaml
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    (root / "docs").mkdir(exist_ok=True)
    settings = {
        "site_name": "Visual check",
        "theme": {
            "name": "material",
            "font": False,
            # The scheme follows the browser's, as on the repository's site.
            "palette": [
                {"media": "(prefers-color-scheme: light)", "scheme": "default"},
                {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
            ],
        },
        # Material's header is laid out for its search box (without it the header overflows a
        # phone by 13 px); the lint pass has no effect on pages and would only cost time.
        "plugins": [
            "search",
            {"postmortems": {"build_date": "2025-12-01", "lint_on_build": False}},
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    site = root / "site"
    build(load_config(str(root / "mkdocs.yml"), site_dir=str(site)))
    with LocalSite(site) as served:
        return measure_site(chromium, served.base, site, root / "shots", chart_shots=False)


def test_every_page_kind_is_there(measured: tuple[Path, list[Measure]]) -> None:
    root, results = measured
    assert [kind for kind, _ in page_kinds(root / "site")] == [kind for kind, _ in PAGE_KINDS]
    assert len(results) == 3 * len(PAGE_KINDS)
    shots = list((root / "shots").glob("*.png"))
    assert len(shots) == len(results)  # one per page kind and width


def test_no_page_is_wider_than_the_window(measured: tuple[Path, list[Measure]]) -> None:
    wide = [(m.kind, m.width, m.overflow) for m in measured[1] if m.overflow > 0]
    assert wide == []


def test_no_chart_label_overlaps_another_or_leaves_its_chart(
    measured: tuple[Path, list[Measure]],
) -> None:
    insights = [m for m in measured[1] if m.kind == "insights"]
    assert len(insights) == 3
    for m in insights:
        assert m.label_overlaps == [], (m.width, m.label_overlaps[:5])
        assert m.labels_outside == [], (m.width, m.labels_outside[:5])


def test_title_columns_keep_their_width(measured: tuple[Path, list[Measure]]) -> None:
    narrow = [
        (m.kind, m.width, m.narrowest_title)
        for m in measured[1]
        if m.narrowest_title is not None and m.narrowest_title < MIN_TITLE_WIDTH
    ]
    assert narrow == []
    # The phone pages with incident tables were measured (the check is not vacuous).
    phone = {m.kind for m in measured[1] if m.width == "phone" and m.narrowest_title}
    assert {"home", "catalog", "facet", "follow-ups", "incident-seed"} <= phone


def test_pages_stay_short_enough_to_read(measured: tuple[Path, list[Measure]]) -> None:
    heights = {(m.kind, m.width): m.height for m in measured[1]}
    # Each fact once: the seed's page was 4,844 px on a desktop when its write-up repeated
    # the card, and the follow-ups page listed every closed item (187,203 px).
    assert heights[("incident-seed", "desktop")] < 4_000
    assert heights[("follow-ups", "desktop")] < 20_000
    assert heights[("follow-ups", "phone")] < 30_000


def test_the_overlap_check_sees_overlaps(build_site: BuildSite, chromium: Any) -> None:
    """The label check fails on a chart whose labels collide (so its silence above means it)."""
    from mkdocs_postmortems.views import charts

    svg = charts.stacked_bars(
        "overlap",
        "Crowded",
        "Labels forced to collide.",
        [f"label number {i}" for i in range(3)],
        [charts.Series("a", (1, 2, 3))],
    ).svg
    # Draw every label at one spot, as a bad layout would.
    crowded = re.sub(r'<text x="[-\d.]+" y="[-\d.]+"', '<text x="40" y="40"', svg)
    page = f'<div class="pm-chart"><div class="pm-chart__wide">{crowded}</div></div>'
    site = build_site({}, docs={"crowded.md": f"# Crowded\n\n{page}\n"})
    with LocalSite(site.site_dir) as served:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            tab = context.new_page()
            tab.goto(served.base + "crowded/")
            data = tab.evaluate(MEASURE, list(TITLE_HEADERS))
        finally:
            context.close()
    assert data["overlaps"], "three labels drawn at x=0 must be reported as overlapping"
