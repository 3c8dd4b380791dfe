"""Search in a real `mkdocs build`: related incidents, the search page and its data, caching."""

from __future__ import annotations

import gzip
import json
import logging
import re
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO, BuildSite, parse_html, postmortem
from mkdocs_postmortems.search.store import FORMAT

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"


def fixture_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {SEED.name: SEED.read_text(encoding="utf-8")}
    for path in sorted((FIXTURES / "search").glob("*.md")):
        files[path.name] = path.read_text(encoding="utf-8")
    return files


def test_related_incidents_on_pages(build_site: BuildSite) -> None:
    site = build_site(fixture_files(), strict=True)
    assert site.error is None, site.messages
    html = site.page("postmortems/2024-03-08-auth-outage/")
    parsed = parse_html(html)
    assert "Seen before: related incidents" in parsed.text
    links = [a.get("href") for tag, a in parsed.tags if tag == "a"]
    first = links.index("../2023-11-02-orders-slow-query/")
    assert first < links.index("../2024-06-01-replica-failover/")
    why = [t for t in parsed.text.split("Why: ")[1:] if "missing" in t]
    assert why, parsed.text
    words, *facets = why[0].split(" Writes failed")[0].split("; ")
    named = words.removeprefix("same words: ").split(" (+")[0]
    assert {"query", "slow", "index"} <= set(named.split(", "))
    assert {"tag: missing-index", "category: performance"} <= set(facets)
    # Nothing in the fixtures shares enough with the out-of-memory incident.
    oom = parse_html(site.page("postmortems/2024-04-10-k8s-oom/")).text
    assert "Seen before" not in oom


def test_related_titles_are_escaped(build_site: BuildSite) -> None:
    evil = SEED.read_text(encoding="utf-8").replace(
        "title: Authentication outage from a missing index on the user table",
        'title: "<script>alert(1)</script> Authentication outage"',
    )
    files = fixture_files()
    files[SEED.name] = evil
    site = build_site(files)
    html = site.page("postmortems/2023-11-02-orders-slow-query/")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Authentication outage" in html


def test_build_logs_one_related_line_and_reuses_the_ranking(
    build_site: BuildSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mkdocs.plugins.postmortems")
    cache = {"cache_dir": str(tmp_path / "shared-cache")}

    def line(site_messages: list[str]) -> str:
        lines = [m for m in site_messages if "related incidents:" in m]
        assert len(lines) == 1, site_messages
        return lines[0]

    first = build_site(fixture_files(), plugin=cache)
    # The plugin instance outlives a build in this process (MkDocs keeps plugins that have
    # on_startup), so what the first build reuses depends on the tests before it.
    assert re.search(r"related incidents: \d+ computed, \d+ reused in ", line(first.messages))
    again = build_site(fixture_files(), plugin=cache)
    assert "related incidents: 0 computed, 7 reused" in line(again.messages)
    assert again.page("postmortems/2024-03-08-auth-outage/") == first.page(
        "postmortems/2024-03-08-auth-outage/"
    )
    files = fixture_files()
    del files["2024-04-10-k8s-oom.md"]
    second = build_site(files, plugin=cache)
    assert "related incidents: 6 computed, 0 reused" in line(second.messages)


def test_the_build_writes_no_search_index_and_publishes_no_cache(build_site: BuildSite) -> None:
    # The site's search uses its compact data; the CLI writes the Whoosh index when it searches.
    site = build_site(fixture_files())
    cache = site.root / ".cache" / "postmortems"
    assert (cache / "build-cache" / "manifest.pickle").is_file()
    assert not (cache / f"search-v{FORMAT}").exists()
    published = [p.name for p in site.site_dir.rglob("*")]
    assert not any(name.endswith((".toc", ".seg", ".pickle")) for name in published)


@pytest.mark.parametrize("inside", ["docs/cache", "site/cache"])
def test_cache_dir_inside_docs_or_site_is_refused(build_site: BuildSite, inside: str) -> None:
    site = build_site(fixture_files(), plugin={"cache_dir": inside}, strict=True)
    assert site.error is not None
    assert "is inside" in repr(site.error.__context__), site.error


def test_bad_synonyms_are_a_configuration_error(build_site: BuildSite) -> None:
    site = build_site(fixture_files(), plugin={"synonyms": [["lonely"]]}, strict=True)
    assert site.error is not None
    assert "synonyms[0] needs at least two" in repr(site.error.__context__), site.error


def test_search_page_and_data(build_site: BuildSite) -> None:
    site = build_site(fixture_files(), plugin={"synonyms": [["replica", "standby"]]})
    page = parse_html(site.page("search/"))
    assert "Search root causes" in page.text
    scripts = [a.get("src") for tag, a in page.tags if tag == "script" and a.get("src")]
    assert "../assets/postmortems/minisearch.js" in scripts
    assert "../assets/postmortems/search.js" in scripts
    assert (site.site_dir / "assets/postmortems/minisearch-LICENSE.txt").is_file()
    data = json.loads((site.site_dir / "assets/postmortems/search-data.json").read_text())
    assert data["fields"][0] == "url"
    assert data["fields"][-2:] == ["cause", "text"]
    rows = {row[0]: row for row in data["docs"]}
    seed = rows["postmortems/2024-03-08-auth-outage/"]
    assert seed[1].startswith("Authentication outage")
    assert "missing index in the user table" in seed[8]
    assert "30% of users could not log in" in seed[9]
    # Whoosh's stems and stop words, so the page's index holds the CLI's terms.
    assert data["stems"]["users"] == "user"
    assert data["stems"]["index"] == ""
    assert {"could", "not", "in"} <= set(data["stopWords"])
    assert [data["facets"]["tag"][n] for n in seed[5]][:3] == [
        "database",
        "authentication",
        "missing-index",
    ]
    packed = (site.site_dir / "assets/postmortems/search-data.json.gz").read_bytes()
    assert json.loads(gzip.decompress(packed)) == data
    assert packed[4:8] == b"\0\0\0\0", "no timestamp: the same input gives the same bytes"
    assert ["replica", "standby"] in data["synonyms"]
    assert ["db", "database"] in data["synonyms"]


def test_search_page_can_be_turned_off(build_site: BuildSite) -> None:
    site = build_site(fixture_files(), plugin={"search_page": ""})
    assert not (site.site_dir / "search" / "index.html").exists()
    assert not (site.site_dir / "assets/postmortems/search-data.json").exists()


def test_incidents_leave_materials_index_for_the_compact_data(build_site: BuildSite) -> None:
    site = build_site(fixture_files())
    index = json.loads((site.site_dir / "search/search_index.json").read_text())
    assert not any(doc["location"].startswith("postmortems/") for doc in index["docs"])
    # The search page itself is kept out of Material's index.
    assert not any(doc["location"].startswith("search/") for doc in index["docs"])
    # Every page wires the header box to the compact data and the search page.
    html = parse_html(site.page("postmortems/2024-03-08-auth-outage/"))
    (config,) = [a for tag, a in html.tags if a.get("id") == "pm-search-config"]
    assert config["data-index"] == "../../assets/postmortems/search-data.json"
    assert config["data-page"] == "../../search/"
    scripts = [a.get("src") for tag, a in html.tags if tag == "script" and a.get("src")]
    assert "../../assets/postmortems/search.js" in scripts


def test_without_a_search_page_root_causes_stay_in_materials_index(
    build_site: BuildSite,
) -> None:
    site = build_site(fixture_files(), plugin={"search_page": ""})
    index = json.loads((site.site_dir / "search/search_index.json").read_text())
    texts = " ".join(doc["text"] for doc in index["docs"])
    assert "missing index in the user table made the authentication query slow" in texts
    assert "Tags: cert, tls, renewal" in texts
    # The block is for the search index only; readers see the card.
    html = site.page("postmortems/2024-03-08-auth-outage/")
    assert '<section class="pm-search-terms" hidden>' in html
    assert 'id="pm-search-config"' not in html


def test_search_data_escapes_markup(build_site: BuildSite) -> None:
    text = postmortem().replace(
        "root_cause: A config push", "root_cause: </script><script>alert(1)</script> A config push"
    )
    site = build_site({"2024-05-02-evil.md": text})
    raw = (site.site_dir / "assets/postmortems/search-data.json").read_text()
    assert "<" not in raw
    assert json.loads(raw)["docs"][0][8].startswith("</script><script>alert(1)</script>")


@pytest.mark.parametrize("value", ["../search.md", "search.html", "/search.md"])
def test_bad_search_page_is_a_configuration_error(build_site: BuildSite, value: str) -> None:
    site = build_site(fixture_files(), plugin={"search_page": value}, strict=True)
    assert site.error is not None
    assert "must be a Markdown path" in repr(site.error.__context__), site.error


def test_search_page_elsewhere(build_site: BuildSite) -> None:
    site = build_site(fixture_files(), plugin={"search_page": "find/root-causes.md"})
    page = parse_html(site.page("find/root-causes/"))
    index = next(a for tag, a in page.tags if tag == "div" and a.get("id") == "pm-search")
    assert index["data-index"] == "../../assets/postmortems/search-data.json"
    assert index["data-base"] == "../.."


def test_warm_and_cold_builds_are_identical(build_site: BuildSite, tmp_path: Path) -> None:
    cache = {"cache_dir": str(tmp_path / "kept")}
    files = fixture_files()
    build_site(files, plugin=cache)  # fills the cache
    warm = build_site(files, plugin=cache)
    cold = build_site(files, plugin={"cache_dir": str(tmp_path / "fresh")})
    names = ["assets/postmortems/search-data.json", "assets/postmortems/search-data.json.gz"]
    names += [f"postmortems/{name.removesuffix('.md')}/index.html" for name in files]
    for name in names:
        assert (warm.site_dir / name).read_bytes() == (cold.site_dir / name).read_bytes(), name
