"""Look at a built site as readers do: every page kind at three widths, measured in Chromium.

Used by `test_visual.py` (assertions that can fail) and from the command line to keep
screenshots for a review: `python tests/visual.py SITE_DIR OUT_DIR` writes one PNG per page
kind and width (the top of the page, plus each chart on its own) and prints the measurements
as JSON.

What is measured on each page, in the browser, after layout:

- `height`: the page's full height in CSS pixels;
- `overflow`: how many pixels the page is wider than the window (0 when nothing sticks out;
  tables may scroll inside their own box, which is not page overflow);
- `label_overlaps`: pairs of text labels in a chart whose boxes intersect (more than 1 px each
  way), listed by their text;
- `labels_outside`: chart labels drawn outside their chart's box;
- `narrowest_title`: the narrowest column of titles (header Incident, Action, Title, or a cell
  marked `pm-title`) in any table, in pixels; None when the page has no such table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

WIDTHS = (("desktop", 1280, "light"), ("desktop-dark", 1280, "dark"), ("phone", 390, "light"))
TITLE_HEADERS = ("Incident", "Action", "Title")

# (page kind, candidate paths relative to the site root); the first that exists is used.
PAGE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("home", ("",)),
    ("catalog", ("catalog/",)),
    ("insights", ("insights/",)),
    ("incident-seed", ("postmortems/2024-03-08-auth-outage/",)),
    ("incident", ("postmortems/2024-07-19-crowdstrike-channel-file-291/",)),
    ("facet-index", ("browse/services/",)),
    ("facet", ("browse/services/api-gateway/",)),
    ("factor-index", ("browse/factors/",)),
    ("factor", ("browse/factors/clients-retried-without-backoff-or-jitter/",)),
    ("factor-service", ("browse/factors/clients-retried-without-backoff-or-jitter/*/",)),
    ("root-causes", ("root-causes/",)),
    ("lessons-index", ("lessons/",)),
    ("lessons", ("lessons/database/",)),
    ("follow-ups", ("follow-ups/",)),
    ("search", ("search/",)),
    ("exports", ("exports/",)),
    ("reference", ("writing-a-postmortem/",)),
)

MEASURE = """
(titleHeaders) => {
  const doc = document.documentElement;
  const overflow = Math.max(0, doc.scrollWidth - window.innerWidth);
  const overlaps = [];
  const outside = [];
  for (const svg of document.querySelectorAll('svg.pm-chart__svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;
    const labels = [];
    for (const text of svg.querySelectorAll('text')) {
      const content = (text.textContent || '').trim();
      const r = text.getBoundingClientRect();
      if (!content || r.width === 0 || getComputedStyle(text).display === 'none') continue;
      labels.push({content, r});
      if (r.left < box.left - 1 || r.right > box.right + 1 ||
          r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        outside.push(content);
      }
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i].r, b = labels[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) overlaps.push([labels[i].content, labels[j].content]);
      }
    }
  }
  let narrowest = null;
  for (const table of document.querySelectorAll('.md-content table')) {
    const headers = [...table.querySelectorAll('thead th')];
    let index = headers.findIndex(th => titleHeaders.includes(th.textContent.trim()));
    const marked = table.querySelector('td.pm-title, th.pm-title');
    if (index < 0 && !marked) continue;
    const cell = marked || headers[index];
    if (cell.getBoundingClientRect().height === 0) continue;  // in a closed <details>
    const width = cell.getBoundingClientRect().width;
    narrowest = narrowest === null ? width : Math.min(narrowest, width);
  }
  return {height: doc.scrollHeight, overflow, overlaps, outside, narrowest};
}
"""


@dataclass
class Measure:
    """What one page looks like at one width."""

    kind: str
    width: str
    height: int
    overflow: int
    label_overlaps: list[list[str]] = field(default_factory=list)
    labels_outside: list[str] = field(default_factory=list)
    narrowest_title: float | None = None
    shots: list[str] = field(default_factory=list)


def page_kinds(site: Path) -> list[tuple[str, str]]:
    """Return (kind, path) of every page kind this built site has."""
    found = []
    for kind, candidates in PAGE_KINDS:
        for pattern in candidates:
            # A pattern may hold `*`: the first matching page in name order is used.
            matches = sorted(site.glob(f"{pattern}index.html"))
            if matches:
                found.append((kind, matches[0].parent.relative_to(site).as_posix() + "/"))
                break
    return found


def measure_site(
    chromium: Any,
    base: str,
    site: Path,
    out: Path | None = None,
    full: bool = False,
    only: Sequence[str] = (),
    chart_shots: bool = True,
) -> list[Measure]:
    """Open every page kind of the site served at `base` at every width and measure it.

    With `out`, write screenshots there: the top 2,400 px of each page (the whole page with
    `full`) and every chart on its own.
    """
    results = []
    for label, width, scheme in WIDTHS:
        context = chromium.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme
        )
        try:
            page = context.new_page()
            for kind, path in page_kinds(site):
                if only and kind not in only:
                    continue
                page.goto(base + path, wait_until="load")
                data = page.evaluate(MEASURE, list(TITLE_HEADERS))
                result = Measure(
                    kind,
                    label,
                    int(data["height"]),
                    int(data["overflow"]),
                    data["overlaps"],
                    data["outside"],
                    data["narrowest"],
                )
                if out is not None:
                    result.shots = _shoot(page, out, f"{kind}-{label}", full, chart_shots)
                results.append(result)
        finally:
            context.close()
    return results


def _shoot(page: Any, out: Path, stem: str, full: bool, charts: bool = True) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    shot = out / f"{stem}.png"
    if full:
        page.screenshot(path=str(shot), full_page=True)
    else:
        height = min(page.evaluate("document.documentElement.scrollHeight"), 2400)
        width = page.viewport_size["width"]
        page.screenshot(
            path=str(shot),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )
    names = [shot.name]
    for index, chart in enumerate(page.query_selector_all(".pm-chart") if charts else []):
        chart_shot = out / f"{stem}-chart{index + 1}.png"
        chart.screenshot(path=str(chart_shot))
        names.append(chart_shot.name)
    return names


def main(argv: list[str]) -> int:
    """Serve SITE_DIR, screenshot and measure it into OUT_DIR, print the measurements."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from browser import CHROMIUM, CHROMIUM_ARGS, LocalSite

    site, out = Path(argv[0]), Path(argv[1])
    with sync_playwright() as playwright, LocalSite(site) as served:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            only = [arg.removeprefix("--only=") for arg in argv if arg.startswith("--only=")]
            results = measure_site(chromium, served.base, site, out, "--full" in argv, only)
        finally:
            chromium.close()
    sys.stdout.write(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
