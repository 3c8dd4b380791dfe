"""Measure what the browse pages cost: `python benchmarks/browse_bench.py [N ...] [--browser]`.

For each N it writes N synthetic postmortems, times the pure page generation, then builds the
site twice with real `mkdocs build`: once as shipped and once with the browse pages switched
off (the baseline, measured in the same run), and prints the difference and the ratio. With
--browser it also opens the real N-row catalog in headless Chromium and times a filter and a
sort.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from mkdocs.commands.build import build  # noqa: E402
from mkdocs.config import load_config  # noqa: E402

from mkdocs_postmortems.analysis.recurrence import recurrences  # noqa: E402
from mkdocs_postmortems.core.catalog import Settings, load_catalog  # noqa: E402
from mkdocs_postmortems.plugin import adapter as plugin_module  # noqa: E402
from mkdocs_postmortems.views.browse import browse_pages, catalog_rows  # noqa: E402
from mkdocs_postmortems.views.layout import Layout  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

CONFIG = """\
site_name: Browse benchmark
theme: {name: material, font: false}
plugins:
  - postmortems: {build_date: "2026-01-01"}
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@contextmanager
def _without_browse_pages() -> Iterator[None]:
    original = plugin_module.browse_pages
    plugin_module.browse_pages = lambda *args: []  # type: ignore[assignment]
    try:
        yield
    finally:
        plugin_module.browse_pages = original


def _build(root: Path, site: str) -> float:
    cfg = load_config(str(root / "mkdocs.yml"), site_dir=str(root / site))
    seconds, _ = _timed(lambda: build(cfg))
    return seconds


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _browser(site: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    args += ["--disable-component-update", "--no-first-run"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page()
            port = server.server_address[1]
            page.goto(f"http://127.0.0.1:{port}/catalog/")
            page.wait_for_selector("[data-pm-ready]")
            result: dict[str, Any] = page.evaluate(
                """async () => {
                  const settle = () => new Promise(r => requestAnimationFrame(() => setTimeout(r)));
                  const nav = performance.getEntriesByType('navigation')[0];
                  const time = async (act) => {
                    const t0 = performance.now(); act(); document.body.offsetHeight;
                    await settle(); return Math.round(performance.now() - t0);
                  };
                  const select = document.querySelector('.pm-filters').elements.severity;
                  const pick = (value) => { select.value = value;
                    select.dispatchEvent(new Event('input', {bubbles: true})); };
                  const click = (key) =>
                    document.querySelector(`th[data-key=${key}] button`).click();
                  const q = document.querySelector('input[name=q]');
                  return {
                    dom_interactive_ms: Math.round(nav.domInteractive),
                    script_init_ms: Number(
                      document.querySelector('[data-pm-ready]').dataset.pmReady),
                    filter_ms: await time(() => pick('SEV1')),
                    sort_ms: await time(() => click('title')),
                    text_ms: await time(() => { q.value = 'cache';
                      q.dispatchEvent(new Event('input', {bubbles: true})); }),
                    clear_ms: await time(() => pick('')),
                    sort_all_ms: await time(() => click('resolve')),
                  };
                }"""
            )
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return result


def run(count: int, browser: bool) -> None:
    """Measure the browse pages at `count` postmortems and print the numbers."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_synthetic(root / "postmortems", count)
        (root / "docs").mkdir()
        (root / "mkdocs.yml").write_text(CONFIG, encoding="utf-8")
        settings = Settings(today=__import__("datetime").date(2026, 1, 1))
        load_s, catalog = _timed(lambda: load_catalog(root / "postmortems", settings))
        layout = Layout()
        pages_s, pages = _timed(lambda: browse_pages(catalog, layout))
        rows_s, _ = _timed(lambda: catalog_rows(catalog, lambda pm: pm.path))
        recur_s, found = _timed(lambda: recurrences(catalog, 90))
        markdown_bytes = sum(len(page.markdown) for page in pages)
        full = _build(root, "site")
        with _without_browse_pages():
            base = _build(root, "base")
        browse_html = sum(
            _size(root / "site" / name) for name in ("catalog", "browse", "lessons")
        ) + sum(_size(root / "site" / name) for name in ("root-causes", "follow-ups"))
        print(
            json.dumps(
                {
                    "postmortems": count,
                    "load_catalog_s": round(load_s, 2),
                    "browse_markdown_s": round(pages_s, 2),
                    "browse_pages": len(pages),
                    "browse_markdown_mb": round(markdown_bytes / 1e6, 1),
                    "catalog_rows_s": round(rows_s, 2),
                    "recurrences_s": round(recur_s, 3),
                    "recurrences": len(found),
                    "build_s": round(full, 1),
                    "baseline_build_s": round(base, 1),
                    "browse_cost_s": round(full - base, 1),
                    "ratio": round(full / base, 2),
                    "catalog_html_mb": round(_size(root / "site" / "catalog") / 1e6, 1),
                    "browse_html_mb": round(browse_html / 1e6, 1),
                    "largest_page": max((len(p.markdown), p.src_uri) for p in pages)[1],
                }
            )
        )
        if browser:
            print(json.dumps({"postmortems": count, "chromium": _browser(root / "site")}))


def main() -> None:
    """Run the benchmark for each N on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000])
    parser.add_argument("--browser", action="store_true", help="also time the catalog in Chromium")
    options = parser.parse_args()
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    for count in options.counts:
        run(count, options.browser)


if __name__ == "__main__":
    main()
