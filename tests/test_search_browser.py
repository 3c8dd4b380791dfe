"""The "Search root causes" page in headless Chromium: ranking, filters, offline, no script."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import LocalSite
from conftest import FIXTURES, REPO, BuildSite

pytestmark = pytest.mark.browser

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
HOSTILE = """\
---
title: Cache stampede <img src=x onerror=alert(1)>
date: 2022-02-02
status: published
severity: SEV4
summary: "\\"><script>alert(2)</script>"
root_cause: "A cache stampede <script>alert(3)</script> after a flush <img src=x onerror=alert(4)>"
services: ["<b>cache</b>"]
tags: ["<svg onload=alert(5)>"]
---

Body.
"""


@pytest.fixture
def served(build_site: BuildSite) -> Iterator[str]:
    files: dict[str, str | bytes] = {SEED.name: SEED.read_text(encoding="utf-8")}
    for path in sorted((FIXTURES / "search").glob("*.md")):
        files[path.name] = path.read_text(encoding="utf-8")
    files["2022-02-02-hostile.md"] = HOSTILE
    site = build_site(files)
    with LocalSite(site.site_dir) as local:
        yield local.base.rstrip("/")


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".pm-search__title").all_inner_texts()]


def test_search_page(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/search/")
    page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)

    page.fill("#pm-search-q", "missing index")
    titles = _titles(page)
    assert titles[0] == "Authentication outage from a missing index on the user table"
    assert "Order history timeouts from a slow query" in titles
    first = page.locator(".pm-search__result").first
    assert first.locator(".pm-search__cause mark").all_inner_texts()[:2] == ["missing", "index"]
    assert "Root cause:" in first.inner_text()
    assert float(page.get_attribute("#pm-search-results", "data-ms") or "999") < 100

    # Filters narrow the list: the slow-query incident is the SEV3 one.
    page.select_option("select[data-facet=severity]", label="SEV3 (2)")
    assert _titles(page) == ["Order history timeouts from a slow query"]
    page.select_option("select[data-facet=severity]", value="")
    page.select_option("select[data-facet=year]", value="2024")
    assert "Order history timeouts from a slow query" not in _titles(page)
    page.select_option("select[data-facet=year]", value="")

    # A filter with no query lists every incident it keeps.
    page.fill("#pm-search-q", "")
    page.select_option("select[data-facet=tag]", label="cert (2)")
    assert sorted(_titles(page)) == [
        "API gateway rejected all traffic after its certificate expired",
        "Images broken after CDN certificate renewal failed",
    ]
    page.select_option("select[data-facet=tag]", value="")

    # Synonyms work as on the command line: k8s finds "kubernetes", oom "out of memory".
    page.fill("#pm-search-q", "k8s")
    assert _titles(page)[0] == "Search pods killed out of memory"
    page.fill("#pm-search-q", "db failover")
    assert _titles(page)[0] == "Writes failed during a database failover"

    # Hostile text is shown as text.
    page.fill("#pm-search-q", "stampede")
    assert _titles(page) == ["Cache stampede <img src=x onerror=alert(1)>"]
    assert page.locator(".pm-search__results img, .pm-search__results script").count() == 0

    page.fill("#pm-search-q", "certificate lagging")
    assert len(_titles(page)) == 3
    assert "No incident matches every word" in page.inner_text("#pm-search-status")
    page.fill("#pm-search-q", "certificate expired")
    assert len(_titles(page)) == 2
    assert "every word" not in page.inner_text("#pm-search-status")

    page.fill("#pm-search-q", "xylophone")
    assert "No incident matches" in page.inner_text("#pm-search-status")

    # Following a result opens the incident page.
    page.fill("#pm-search-q", "missing index")
    page.locator(".pm-search__title").first.click()
    page.wait_for_url("**/postmortems/2024-03-08-auth-outage/")
    assert "Seen before: related incidents" in page.inner_text("article")

    assert dialogs == []
    assert errors == []
    assert requests, "the page made no requests at all"
    data = [url for url in requests if "search-data" in url]
    assert data == [f"{served}/assets/postmortems/search-data.json.gz"], data
    outside = [url for url in requests if not url.startswith(served + "/")]
    assert outside == [], outside
    page.close()


def test_query_from_the_address(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    # `q` belongs to Material's own search box; this page reads `query`.
    page.goto(f"{served}/search/?query=certificate")
    page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
    assert page.input_value("#pm-search-q") == "certificate"
    assert len(_titles(page)) == 2
    assert not page.locator(".md-search-result__item").count()
    page.close()


def test_materials_search_box_finds_root_causes_and_tags(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    page.goto(f"{served}/")
    for word in ("lagging", "replication"):  # only in the root cause, only in the tags
        page.click("input.md-search__input")
        page.fill("input.md-search__input", "")
        page.keyboard.type(word)  # Material listens to key events, not to `fill`
        page.wait_for_selector(".md-search-result__item", timeout=15000)
        links = page.eval_on_selector_all(
            ".md-search-result__link", "links => links.map(a => a.getAttribute('href'))"
        )
        # The incident page itself, not the home page's table of root causes.
        assert any("postmortems/2024-06-01-replica-failover/" in link for link in links), links
        page.keyboard.press("Escape")
    page.close()


def test_results_mark_matched_words_only_and_say_why(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    page.goto(f"{served}/search/?query=users could not sign in")
    page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
    assert _titles(page)[0] == "Authentication outage from a missing index on the user table"
    first = page.locator(".pm-search__result").first
    marked = {m.lower() for m in first.locator("mark").all_inner_texts()}
    assert marked, "the matched word is marked"
    assert not marked & {"in", "could", "not", "cold"}, marked
    assert first.locator(".pm-search__why").inner_text().startswith("Why: ")
    # One chip per value, even when a value is both a category and a tag ("database").
    chips = [c.lower() for c in first.locator(".pm-chip").all_inner_texts()]
    assert "database" in chips
    assert len(chips) == len(set(chips)), chips
    page.close()


def test_misspelt_words_are_corrected_as_on_the_command_line(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    page.goto(f"{served}/search/?query=databse indx")
    page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
    # `postmortems search "databse indx"` on these files lists the same two, in this order.
    assert _titles(page) == [
        "Authentication outage from a missing index on the user table",
        "Order history timeouts from a slow query",
    ]
    assert "Showing results for “database index”" in page.inner_text("#pm-search-status")
    page.close()


def test_header_box_answers_incidents_and_hands_over(chromium: Any, served: str) -> None:
    page = chromium.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{served}/")
    page.click("input.md-search__input")
    page.keyboard.type("users could not sign in")
    page.wait_for_selector(".pm-header-results[data-query='users could not sign in']")
    box = page.locator(".pm-header-results")
    first = box.locator(".md-search-result__link").first
    assert first.get_attribute("href").endswith("postmortems/2024-03-08-auth-outage/")
    assert "Why: " in first.inner_text()
    marked = {m.lower() for m in box.locator("mark").all_inner_texts()}
    assert not marked & {"in", "could", "not"}, marked
    # The compact data, not every incident's body in Material's index.
    assert any(url.endswith("search-data.json.gz") for url in requests)
    page.keyboard.press("Enter")
    page.wait_for_selector("#pm-search[data-ready=true]", timeout=15000)
    assert page.input_value("#pm-search-q") == "users could not sign in"
    assert _titles(page)[0] == "Authentication outage from a missing index on the user table"
    page.close()
