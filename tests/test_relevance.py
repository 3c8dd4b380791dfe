"""Relevance floors on the repository's own postmortems, with the judged sets of benchmarks/data.

`python benchmarks/relevance.py` prints the full table (and the public archives); these floors
only keep ranking from silently getting worse. They sit a little under today's scores
(hit@3 0.98, MRR@10 0.96 to 0.97 for the CLI and the page; related MRR@10 0.97).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from browser import LocalSite
from conftest import REPO, BuildSite
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.core.catalog import Settings, load_catalog
from mkdocs_postmortems.search.store import SearchIndex

DATA = REPO / "benchmarks" / "data"


def _queries() -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for line in (DATA / "queries.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, relevant, _kind = line.split("\t")
            rows.append((text, tuple(relevant.split(","))))
    return rows


def _scores(ranked: Iterable[tuple[Sequence[str], Sequence[str]]]) -> tuple[float, float]:
    """Return hit@3 and MRR@10 of (ranked ids, relevant ids) pairs."""
    hits, reciprocal, count = 0.0, 0.0, 0
    for ids, relevant in ranked:
        count += 1
        first = next((n for n, i in enumerate(ids[:10], 1) if i in relevant), 0)
        hits += 1 if first and first <= 3 else 0
        reciprocal += 1 / first if first else 0
    return hits / count, reciprocal / count


def _cli(query: str, cache: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    config = ["--config", str(REPO / "mkdocs.yml"), "--cache-dir", str(cache)]
    main(["search", query, "--json", *config])
    out = capsys.readouterr().out
    return [hit["id"] for hit in json.loads(out)] if out.strip() else []


def test_judged_set_is_large_enough() -> None:
    queries = _queries()
    assert len(queries) >= 40
    ids = {path.stem for path in (REPO / "postmortems").glob("*.md")}
    assert {i for _q, relevant in queries for i in relevant} <= ids


def test_cli_search_keeps_its_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = _queries()
    ranked = [(_cli(text, tmp_path, capsys), relevant) for text, relevant in queries]
    hit3, mrr = _scores(ranked)
    assert hit3 >= 0.94, ranked
    assert mrr >= 0.9, ranked


def test_related_incidents_keep_their_floor(tmp_path: Path) -> None:
    catalog = load_catalog(REPO / "postmortems", Settings())
    related = SearchIndex(tmp_path).update(catalog.postmortems).generation.related
    groups = json.loads((DATA / "recurrence.json").read_text(encoding="utf-8"))["repository"]
    ranked = []
    earlier = later = 0
    for group in groups:
        members = group["members"]
        for position, member in enumerate(members):
            ids = [other for other, _score, _why in related[member]]
            ranked.append((ids, [m for m in members if m != member]))
            if position:
                later += 1
                earlier += bool(set(members[:position]) & set(ids[:5]))
            # Every link says why, naming what is shared.
            assert all(why for _other, _score, why in related[member])
    _hit3, mrr = _scores(ranked)
    assert mrr >= 0.85, ranked
    assert earlier / later >= 0.85


@pytest.mark.browser
def test_search_page_ranks_as_the_cli_does(
    chromium: Any, build_site: BuildSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((REPO / "postmortems").glob("*.md"))
    }
    site = build_site(files)
    queries = _queries()
    with LocalSite(site.site_dir) as local:
        page = chromium.new_page()
        page.goto(f"{local.base}search/")
        page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
        urls = page.evaluate(
            """(queries) => {
                const root = document.getElementById('pm-search');
                return window.PostmortemSearch.engine(root.dataset.index).then((search) =>
                    queries.map((query) => search.answer(query).hits.slice(0, 10)
                        .map((hit) => search.docs[hit.id].url)));
            }""",
            [text for text, _relevant in queries],
        )
        page.close()
    page_ids = [[url.strip("/").split("/")[-1] for url in found] for found in urls]
    hit3, mrr = _scores(zip(page_ids, [r for _t, r in queries], strict=True))
    assert hit3 >= 0.94
    assert mrr >= 0.9
    cli = [_cli(text, tmp_path, capsys) for text, _relevant in queries]
    same_first = sum(a[:1] == b[:1] for a, b in zip(cli, page_ids, strict=True))
    assert same_first >= 0.9 * len(queries), list(zip(cli, page_ids, strict=True))
