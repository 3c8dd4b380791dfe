"""The surfaces `relevance.py` measures: each turns a query (or a corpus) into ranked ids.

Every surface is the real one: the `postmortems` command in process, a real `mkdocs build` of
the repository's site served on 127.0.0.1 and driven in headless Chromium, and the related
lists of a real index built by the same code the plugin runs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import frontmatter

from mkdocs_postmortems.analysis.related import Features
from mkdocs_postmortems.cli.main import main as cli_main
from mkdocs_postmortems.core.catalog import Settings, load_catalog
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.search import documents, store

CHROMIUM = "/usr/bin/chromium"
Ranker = Callable[[str], list[str]]  # query -> ranked ids
ARCHIVES = {
    # corpus folder -> glob of its postmortem files
    "dfds+postmortems": "PM20*.md",
    "Chia-Network+post-mortem": "20*/*.md",
    "jenkins-infra+status": "content/issues/*.md",
}


def _run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue()


def cli_ranker(repo: Path, cache: Path) -> Ranker:
    """Return `postmortems search QUERY --json` over the repository's postmortems."""

    def rank(query: str) -> list[str]:
        site = ["--config", str(repo / "mkdocs.yml"), "--cache-dir", str(cache)]
        _code, out = _run_cli(["search", query, "--json", "--limit", "10", *site])
        return [hit["id"] for hit in json.loads(out)] if out.strip() else []

    rank("warm up")
    return rank


SIGNALS = ("lexical", "fields", "titles")
"""Related-incident signals, each adding to the ones before it (for the ablation table)."""


def related_lists(
    folder: Path, cache: Path, signals: tuple[str, ...] = SIGNALS
) -> dict[str, list[str]]:
    """Return the related ids of every postmortem under `folder`, as the plugin computes them.

    Leaving out signals (root-cause words are always in) shows what each one adds:
    `fields` the facets, summary, impact, contributing factors and trigger; `titles` the title.
    (The semantic signal is measured by semantic_probe.py.)
    """
    weights = dict(documents.FIELD_WEIGHTS)
    original = store.features

    def reduced(pm: Postmortem) -> Features:
        found = original(pm)
        return found if "fields" in signals else replace(found, facets=())

    try:
        for name in weights:
            keep = name == "root_cause" or (name == "title" and "titles" in signals)
            if not keep and "fields" not in signals and name != "title":
                documents.FIELD_WEIGHTS[name] = 0.0
            if name == "title" and "titles" not in signals:
                documents.FIELD_WEIGHTS[name] = 0.0
        store.features = reduced
        catalog = load_catalog(folder, Settings())
        generation = store.SearchIndex(cache).update(catalog.postmortems).generation
    finally:
        documents.FIELD_WEIGHTS.update(weights)
        store.features = original
    return {ident: [other for other, *_ in items] for ident, items in generation.related.items()}


@dataclass(frozen=True)
class Imported:
    """Archive files imported into `folder`; `source` maps an imported id to its archive path."""

    folder: Path
    source: dict[str, str]
    count: int


def import_corpora(corpora: Path, groups: list[dict[str, Any]], out: Path) -> Imported:
    """Import every file of the judged archives with `postmortems import` into `out`."""
    files = [
        path
        for name, pattern in ARCHIVES.items()
        for path in sorted((corpora / name).glob(pattern))
        if "template" not in path.name.lower()
    ]
    by_name: dict[str, str] = {}
    for path in files:
        by_name.setdefault(path.name, path.relative_to(corpora).as_posix())
    _run_cli(["import", *map(str, files), "--out", str(out)])
    source = {}
    for path in sorted(out.glob("*.md")):
        extra = frontmatter.load(path).metadata.get("extra") or {}
        origin = extra.get("imported_from") if isinstance(extra, dict) else None
        if isinstance(origin, str) and Path(origin).name in by_name:
            source[path.stem] = by_name[Path(origin).name]
    wanted = {member for group in groups for member in group["members"]}
    lost = wanted - set(source.values())
    if lost:
        print(f"  not imported (counted as misses): {sorted(lost)}", file=sys.stderr)
    return Imported(out, source, len(source))


def build_site(repo: Path, site: Path, cache: Path) -> Path:
    """Build the repository's site into `site` with `mkdocs build` and return it."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-q",
            "-f",
            str(repo / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        check=True,
        cwd=repo,
    )
    return site


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def _incident_id(url: str) -> str:
    path = urllib.parse.urlparse(url).path.rstrip("/")
    parts = path.split("/")
    if "postmortems" in parts[:-1]:
        return parts[-1].removesuffix(".html")
    return path or "/"


class Browser:
    """The built site served on 127.0.0.1 and one headless Chromium page on it."""

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_Quiet, directory=str(site))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        self.page: Any = self._browser.new_page()

    def search_page(self, query: str) -> list[str]:
        """Return the ids the "Search root causes" page lists for `query`."""
        self.page.goto(self.base + "search/?query=" + urllib.parse.quote(query))
        self.page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
        hrefs = self.page.eval_on_selector_all(
            "#pm-search-results .pm-search__title", "els => els.map(e => e.href)"
        )
        return list(dict.fromkeys(_incident_id(h) for h in hrefs))[:10]

    def header_box(self, query: str) -> list[str]:
        """Return the pages Material's header search box lists for `query`, in order."""
        self.page.goto(self.base + "?q=" + urllib.parse.quote(query))
        # Material's own results, and the incidents block of search.js when the site has it.
        self.page.wait_for_function(
            """(query) => {
                const box = document.querySelector('.pm-header-results');
                const metas = [...document.querySelectorAll('.md-search-result__meta')]
                    .filter((meta) => !meta.closest('.pm-header-results'));
                const material = metas.length && /match|result/i.test(metas[0].textContent);
                return material && (!box || box.dataset.query === query);
            }""",
            arg=query.strip(),
            timeout=30000,
        )
        self.page.wait_for_timeout(150)
        hrefs = self.page.eval_on_selector_all(
            ".md-search-result a[href]:not([data-pm-all])", "els => els.map(e => e.href)"
        )
        pages = [urllib.parse.urldefrag(h)[0] for h in hrefs]
        return list(dict.fromkeys(_incident_id(h) for h in pages))[:10]

    def close(self) -> None:
        """Stop the browser and the server."""
        self._browser.close()
        self._playwright.stop()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
