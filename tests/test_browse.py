"""Browse pages: catalog, facet pages, root causes, lessons, follow-ups, recurrence, home."""

from __future__ import annotations

import json
import posixpath
import random
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import BuildSite, Site, parse_html, postmortem
from mkdocs_postmortems.analysis.facets import KIND_BY_KEY, facets, slugs, summarize
from mkdocs_postmortems.analysis.recurrence import by_incident, recurrences
from mkdocs_postmortems.analysis.related import Related
from mkdocs_postmortems.analysis.stats import (
    median,
    median_duration,
    percentile,
    percentile_duration,
)
from mkdocs_postmortems.core.catalog import Catalog, Settings
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.views.layout import relative_path

HOSTILE_TAG = '<script>alert("tag")</script>'
HOSTILE_SERVICE = "../../x"
PIPE_SERVICE = "a|b *c* [d](javascript:alert(1))"


def incident(
    ident: str,
    day: str,
    *,
    severity: str = "SEV2",
    services: str = "[checkout]",
    tags: str = "[]",
    categories: str = "[software-bug]",
    trigger: str = "code-deploy",
    minutes: int = 20,
    extra: str = "",
) -> tuple[str, str]:
    """Return (file name, text) of a small valid postmortem."""
    front = (
        f"title: Incident {ident}\n"
        f"date: {day}\n"
        "status: published\n"
        f"severity: {severity}\n"
        f"summary: Summary of {ident}.\n"
        f"root_cause: Root cause of {ident}. More detail.\n"
        f"services: {services}\n"
        f"started: {day}T09:00:00Z\n"
        f"resolved: {day}T{9 + minutes // 60:02d}:{minutes % 60:02d}:00Z\n"
        f"root_cause_categories: {categories}\n"
        f"trigger: {trigger}\n"
        f"tags: {tags}\n" + extra
    )
    return f"{day}-{ident}.md", postmortem(front)


def rich_files() -> dict[str, str | bytes]:
    """Return a small corpus with hostile names, colliding slugs, lessons and follow-ups."""
    files = [
        incident(
            "alpha",
            "2024-01-10",
            severity="SEV1",
            services=f"[checkout, {json.dumps(HOSTILE_SERVICE)}]",
            tags=f"[{json.dumps(HOSTILE_TAG)}, db-1, index]",
            categories="[database, performance]",
            minutes=30,
            extra=(
                "lessons:\n"
                "  went_well: [Rollback was quick]\n"
                "  went_wrong: ['<b>Alerts</b> were late']\n"
                "  got_lucky: [Low traffic]\n"
                "action_items:\n"
                "  - title: Add the index check to CI\n"
                "    owner: Platform\n"
                "    status: open\n"
                "    due: 2024-03-01\n"
                "  - title: Write the runbook\n"
                "    owner: Platform\n"
                "    status: done\n"
                "    due: 2024-02-01\n"
                "  - title: Alert on p99 latency\n"
                "    owner: SRE\n"
                "    status: in-progress\n"
                "    due: 2024-09-01\n"
            ),
        ),
        incident(
            "beta",
            "2024-02-20",
            services="[checkout]",
            tags="[db_1]",
            categories="[database]",
            minutes=90,
        ),
        incident(
            "gamma",
            "2023-05-01",
            severity="SEV3",
            services=f"[{json.dumps(PIPE_SERVICE)}]",
            tags="[db-1]",
            categories="[network]",
            trigger="config-change",
            minutes=10,
        ),
    ]
    return dict(files)


# --- pure core -------------------------------------------------------------------------------


def test_median_and_percentile_interpolate() -> None:
    assert median([]) is None
    assert median([5]) == 5
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 2, 3]) == 2.5
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    assert percentile([10, 1], 0.0) == 1
    assert percentile([10, 1], 1.0) == 10
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        percentile([1], 1.5)
    deltas = [timedelta(hours=1), None, timedelta(hours=3), timedelta(hours=100)]
    assert median_duration(deltas) == timedelta(hours=3)  # a mean would say 34.7 h
    assert median_duration([None]) is None
    assert percentile_duration(deltas, 0.9) == timedelta(hours=80.6)


@pytest.mark.parametrize(
    ("names", "check"),
    [
        (["db-1", "db_1", "DB 1"], "distinct"),
        (["<script>", "../../x", "..", "/", "   ", "index", "ä/ö"], "safe"),
    ],
)
def test_slugs_are_safe_and_unique(names: list[str], check: str) -> None:
    result = slugs(names)
    assert set(result) == set(names)
    assert len(set(result.values())) == len(names), result
    for slug in result.values():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
        assert slug != "index"
    assert slugs(reversed(names)) == result  # independent of order
    if check == "safe":
        assert result["ä/ö"].startswith("a-o")


def test_slugs_keep_plain_names_plain() -> None:
    assert slugs(["database", "Slow Query"]) == {"database": "database", "Slow Query": "slow-query"}


def _pm(
    ident: str, day: date, services: tuple[str, ...], categories: tuple[str, ...]
) -> Postmortem:
    return Postmortem(
        id=ident,
        path=f"{ident}.md",
        title=ident,
        date=day,
        status="published",
        severity="SEV2",
        summary="",
        root_cause="",
        services=services,
        body="",
        root_cause_categories=categories,
    )


def test_recurrences_are_related_earlier_incidents_sharing_words_within_the_window() -> None:
    start = date(2024, 1, 1)
    records = (
        _pm("a", start, ("api",), ("database",)),
        _pm("b", start + timedelta(days=30), ("api", "web"), ("database", "network")),
        _pm("c", start + timedelta(days=100), ("api",), ("database",)),
        _pm("d", start + timedelta(days=101), ("web",), ("network",)),
    )
    catalog = Catalog(tuple(sorted(records, key=lambda pm: pm.date, reverse=True)))
    words = "same words: pool, exhausted"
    related: Related = {
        "a": [("b", 0.5, [words, "service: api"])],
        "b": [("a", 0.5, [words, "service: api"]), ("c", 0.3, [words])],
        # Linked by a service and a category only: not a repeat.
        "d": [("b", 0.4, ["service: web", "category: network"])],
        "c": [("b", 0.3, [words]), ("a", 0.2, [words, "category: database"])],
    }
    found = recurrences(catalog, related, 90)
    pairs = [(r.incident.id, r.previous.id, r.reasons, r.days) for r in found]
    # One row per pair with all its reasons; c-a is 100 days apart, past the window.
    assert pairs == [("c", "b", (words,), 70), ("b", "a", (words, "service: api"), 30)]
    assert [r.incident.id for r in recurrences(catalog, related, 100)] == ["c", "c", "b"]
    assert [r.incident.id for r in recurrences(catalog, related, 29)] == []
    assert set(by_incident(found)) == {"b", "c"}
    with pytest.raises(ValueError, match="0 or more"):
        recurrences(catalog, related, -1)


def test_recurrences_cost_is_linear_in_the_related_lists() -> None:
    start = date(2020, 1, 1)
    records = tuple(
        _pm(f"i{n:05d}", start + timedelta(days=n // 10), ("api",), ("database",))
        for n in range(20_000)
    )
    related: Related = {
        pm.id: [(records[n - 1].id, 0.5, ["same words: pool, exhausted"])] if n else []
        for n, pm in enumerate(records)
    }
    found = recurrences(Catalog(records), related, 90)
    assert len(found) == 19_999  # one pair per incident after the first, not all pairs


def test_facets_group_and_summarize() -> None:
    start = date(2024, 1, 1)
    records = (
        _pm("a", start, ("api", "api"), ("database", "network")),
        _pm("b", start, ("api",), ("database",)),
        _pm("c", start, ("web",), ()),
    )
    catalog = Catalog(records)
    services = facets(catalog, KIND_BY_KEY["service"])
    assert [(f.name, [pm.id for pm in f.incidents]) for f in services] == [
        ("api", ["a", "b"]),
        ("web", ["c"]),
    ]
    stats = summarize(services[0].incidents, Settings(), exclude_category="database")
    assert stats.count == 2
    assert stats.by_severity == (("SEV2", 2),)
    assert stats.co_categories == (("network", 1),)
    assert stats.median_time_to_resolve is None


# --- built site ------------------------------------------------------------------------------


def _site_pages(site: Site) -> dict[str, str]:
    return {
        path.relative_to(site.site_dir).as_posix(): path.read_text(encoding="utf-8")
        for path in site.site_dir.rglob("*.html")
    }


def _links(html: str) -> list[str]:
    return [
        str(attrs["href"])
        for tag, attrs in parse_html(html).tags
        if tag == "a" and attrs.get("href")
    ]


def _resolve(page: str, href: str) -> str | None:
    """Return the site file `href` on `page` points at, or None for an external link."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    if parts.path.startswith("/"):  # root-absolute, as on the 404 page: the site is at "/"
        target = posixpath.normpath(unquote(parts.path).lstrip("/") or ".")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    if target.startswith(".."):
        return target  # outside the site: never exists, so it is reported
    if target == ".":
        return "index.html"
    if href.split("?")[0].split("#")[0].endswith("/") or "." not in posixpath.basename(target):
        target = posixpath.join(target, "index.html")
    return target


def _incident_urls(html: str, page: str) -> set[str]:
    found = set()
    for href in _links(html):
        target = _resolve(page, href)
        if target and target.startswith("postmortems/"):
            found.add(target)
    return found


def test_every_internal_link_resolves_and_every_incident_is_reachable(
    build_site: BuildSite,
) -> None:
    files = rich_files()
    site = build_site(files, strict=True)
    assert site.error is None, site.messages
    pages = _site_pages(site)
    broken = []
    for page, html in pages.items():
        for href in _links(html):
            target = _resolve(page, href)
            if target is not None and not (site.site_dir / target).exists():
                broken.append((page, href))
    assert broken == [], "\n".join(map(str, broken))
    incidents = {f"postmortems/{name.removesuffix('.md')}/index.html" for name in files}
    assert _incident_urls(pages["catalog/index.html"], "catalog/index.html") == incidents
    # Through the facet indexes: every incident is on its year page and each tag/service page.
    for kind in ("years", "services", "categories", "triggers"):
        index = f"browse/{kind}/index.html"
        reached: set[str] = set()
        for href in _links(pages[index]):
            target = _resolve(index, href)
            if target and target.startswith(f"browse/{kind}/") and target != index:
                reached |= _incident_urls(pages[target], target)
        assert reached == incidents, kind


def test_incident_card_links_its_facet_pages(build_site: BuildSite) -> None:
    site = build_site(rich_files(), strict=True)
    tags = parse_html(site.page("postmortems/2024-01-10-alpha/")).tags
    chips = {
        str(attrs.get("href")): str(attrs.get("class"))
        for tag, attrs in tags
        if tag == "a" and "pm-chip" in str(attrs.get("class"))
    }
    assert chips["../../browse/services/checkout/"] == "pm-chip pm-chip--service"
    assert chips["../../browse/categories/database/"] == "pm-chip pm-chip--category"
    assert chips["../../browse/triggers/code-deploy/"] == "pm-chip pm-chip--trigger"
    assert len([c for c in chips.values() if c.endswith("--tag")]) == 3
    assert len([c for c in chips.values() if c.endswith("--service")]) == 2


def test_facet_pages_count_and_escape_hostile_names(build_site: BuildSite) -> None:
    site = build_site(rich_files(), strict=True)
    assert site.error is None, site.messages
    pages = _site_pages(site)
    for page, html in pages.items():
        assert "<script>alert" not in html, page
        assert "javascript:alert" not in "".join(_links(html)), page
        assert not any(tag == "b" for tag, _ in parse_html(html).tags), page
    tag_pages = sorted(
        p for p in pages if p.startswith("browse/tags/") and p != "browse/tags/index.html"
    )
    # <script>..., db-1, db_1 and index: four tags, four pages, none replacing the index.
    assert len(tag_pages) == 4
    for page in tag_pages:
        assert re.fullmatch(r"browse/tags/[a-z0-9-]+/index\.html", page), page
    texts = {page: parse_html(pages[page]).text for page in tag_pages}
    hostile = [page for page, text in texts.items() if f"Tag: {HOSTILE_TAG}" in text]
    assert len(hostile) == 1
    assert f"{HOSTILE_TAG}" in parse_html(pages[hostile[0]]).text  # shown literally
    assert "<title>Tag: &lt;script&gt;" in pages[hostile[0]]
    db1 = [page for page, text in texts.items() if "Tag: db-1 " in text]
    db_1 = [page for page, text in texts.items() if "Tag: db_1 " in text]
    assert len(db1) == 1
    assert len(db_1) == 1
    assert db1 != db_1
    assert "2 incidents" in texts[db1[0]]
    assert "1 incident." in texts[db_1[0]]
    service_pages = [
        p for p in pages if p.startswith("browse/services/") and p != "browse/services/index.html"
    ]
    for page in service_pages:
        assert re.fullmatch(r"browse/services/[a-z0-9-]+/index\.html", page), page
    assert not (site.root / "x").exists()
    assert not (site.site_dir.parent / "x").exists()
    pipe = next(p for p in service_pages if PIPE_SERVICE in parse_html(pages[p]).text)
    assert "Service: " + PIPE_SERVICE in parse_html(pages[pipe]).text
    # Stats on the checkout page: 2 incidents, one SEV1 and one SEV2, median of 30 and 90 min.
    checkout_html = pages["browse/services/checkout/index.html"]
    listing = [t for t, attrs in parse_html(checkout_html).tags if t == "tr"]
    assert len(listing) == 1 + 2 + 1 + 2  # severities: header + SEV1, SEV2; incidents: header + 2
    checkout = parse_html(checkout_html).text
    # The facet page links to the catalog filtered to it.
    assert ("a", {"href": "../../../catalog/?service=checkout"}) in parse_html(checkout_html).tags
    assert "2 incidents." in checkout
    assert "SEV1 1 SEV2 1" in checkout
    assert "Median time to resolve: 1 h , from 2 incidents" in checkout
    assert "performance (1)" in checkout
    database = parse_html(pages["browse/categories/database/index.html"]).text
    assert "performance (1)" in database
    assert "database (" not in database
    index = parse_html(pages["browse/services/index.html"]).text
    assert "3 services, the most frequent first" in index


def test_catalog_rows_carry_escaped_filter_data(build_site: BuildSite) -> None:
    site = build_site(rich_files(), strict=True)
    html = site.page("catalog/")
    rows = [attrs for tag, attrs in parse_html(html).tags if tag == "tr" and "data-tags" in attrs]
    assert len(rows) == 3
    assert [row["data-year"] for row in rows] == ["2024", "2024", "2023"]  # newest first
    alpha = rows[1]
    assert str(alpha["data-tags"]).split("\n") == [HOSTILE_TAG, "db-1", "index"]
    assert str(alpha["data-services"]).split("\n") == ["checkout", HOSTILE_SERVICE]
    assert alpha["data-categories"] == "database\nperformance"
    assert alpha["data-trigger"] == "code-deploy"
    assert alpha["data-severity"] == "SEV1"
    assert "3 of 3 incidents" in parse_html(html).text
    options = [attrs for tag, attrs in parse_html(html).tags if tag == "option"]
    # "all" for each of 5 filters, 3 severities, 3 services, 4 tags, 3 categories, 2 years.
    assert len(options) == 5 + 3 + 3 + 4 + 3 + 2
    assert "assets/postmortems/catalog.js" in html
    assert (site.site_dir / "assets" / "postmortems" / "catalog.js").exists()


def test_follow_ups_page_puts_open_first_and_marks_overdue(build_site: BuildSite) -> None:
    site = build_site(rich_files(), plugin={"build_date": "2024-06-01"})
    html = site.page("follow-ups/")
    text = parse_html(html).text
    # One vocabulary: "not done" is proposed + open + in progress, never a second "open".
    assert (
        "as of the build date 2024-06-01 : 3 in all, 2 not done (proposed, open or in progress), "
        "1 of them past their due date and 0 flagged for their age. Completion rate 33%"
    ) in text
    assert "Status Items proposed 0 open 1 in-progress 1 done 1 wont-do 0" in text
    # Owner, items, done, completion, not done, past due, flagged, median age not done.
    assert "Platform 2 1 50% 1 1 0 20 weeks" in text
    assert "SRE 1 0 0% 1 0 0 20 weeks" in text
    assert text.index("Not done (2)") < text.index("Closed (1)")
    assert "2024-03-01 past due" in text
    assert "2024-09-01" in text
    assert "2024-09-01 past due" not in text
    assert "2024-02-01 past due" not in text  # done items are never past due
    # Every list is collapsed; closed items sit in one more collapsed block.
    tags = [tag for tag, attrs in parse_html(html).tags if tag == "details"]
    assert len(tags) == 2 + 1 + 1  # two owners not done, the closed block, its one owner
    assert "<details open" not in html


def test_follow_ups_are_flagged_by_age_per_priority(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    files = dict(
        [
            incident(
                "old",
                "2024-01-01",
                extra=(
                    "action_items:\n"
                    "  - {title: Urgent fix, owner: Ops, status: open, priority: P0}\n"
                    "  - {title: Later fix, owner: Ops, status: open, priority: P3}\n"
                    "  - {title: Mid fix, owner: Ops, status: proposed, priority: P1}\n"
                ),
            )
        ]
    )
    ages = {"P0": [2, 4], "P1": 8}
    site = build_site(files, plugin={"build_date": "2024-02-12", "follow_up_ages": ages})
    text = parse_html(site.page("follow-ups/")).text
    # 42 days old: past 2 and 4 weeks for P0, not past 8 weeks for P1, P3 never flagged.
    assert "2 flagged for their age" not in text
    assert "1 flagged for their age" in text
    assert "older than 4 weeks" in text
    assert "older than 2 weeks" not in text
    assert "P0 items: 2 weeks and 4 weeks; P1 items: 8 weeks" in text
    bad = build_site(files, plugin={"follow_up_ages": {"P0": "soon"}}, strict=True)
    assert bad.error is not None
    assert "follow_up_ages: 'P0' must be a number of weeks" in caplog.text


def test_lessons_and_root_causes_link_back(build_site: BuildSite) -> None:
    site = build_site(rich_files(), strict=True)
    lessons = parse_html(site.page("lessons/")).text
    assert "1 went wrong, 1 went well, 1 got lucky" in lessons
    theme = parse_html(site.page("lessons/database/")).text
    assert "<b>Alerts</b> were late ( Incident alpha )" in theme
    causes = site.page("root-causes/")
    text = parse_html(causes).text
    headings = [t for t, _ in parse_html(causes).tags if t == "h2"]
    assert len(headings) == 3
    # Sections follow the vocabulary's order: performance, network, then database.
    assert text.index("A slow query") < text.index("Connectivity") < text.index("A database schema")
    assert text.count("Incident alpha") == 2  # under database and performance
    assert "Root cause of beta." in text
    index = json.loads((site.site_dir / "search" / "search_index.json").read_text("utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    # Listing pages repeat what incident pages and the search data hold: they stay out of it.
    listings = ("root-causes/", "browse/", "lessons/", "catalog/", "follow-ups/")
    assert not [loc for loc in locations if loc.startswith(listings) or loc == ""]


def test_recurrence_is_flagged_on_the_later_incident(build_site: BuildSite) -> None:
    cause = "root_cause_categories: [database]\nsummary: The connection pool was exhausted.\n"
    files = dict(
        [
            incident("first", "2024-01-01", categories="[database]"),
            incident("second", "2024-02-15", categories="[database]"),
            incident("third", "2024-02-20", categories="[database]"),
        ]
    )
    for name in list(files)[:2]:
        files[name] = files[name].replace("categories: [database]\n", cause)
        files[name] = re.sub(r"summary: Summary of \w+\.\n", "", files[name])
    site = build_site(files, strict=True)
    second = parse_html(site.page("postmortems/2024-02-15-second/"))
    assert "This has happened before Incident first (2024-01-01, 45 days earlier)" in second.text
    assert "Why: same words: connection, exhausted, pool" in second.text
    assert "service: checkout" in second.text
    # The third shares the service, category and trigger only: not a repeat.
    third = parse_html(site.page("postmortems/2024-02-20-third/"))
    assert "This has happened before" not in third.text
    assert ("a", {"href": "../2024-01-01-first/"}) in second.tags
    assert (
        "This has happened before"
        not in parse_html(site.page("postmortems/2024-01-01-first/")).text
    )
    narrow = build_site(files, plugin={"recurrence_window": 30})
    assert (
        "This has happened before"
        not in parse_html(narrow.page("postmortems/2024-02-15-second/")).text
    )


def test_negative_recurrence_window_is_a_config_error(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = build_site({}, plugin={"recurrence_window": -5}, strict=True)
    assert site.error is not None
    assert "recurrence_window must be a number of days" in caplog.text


def test_home_page_lists_only_the_newest(build_site: BuildSite) -> None:
    start = date(2024, 1, 1)
    files = dict(incident(f"n{n:02d}", (start + timedelta(days=n)).isoformat()) for n in range(25))
    site = build_site(files, strict=True)
    html = site.page("")
    text = parse_html(html).text
    assert "Newest 20 of 25" in text
    assert "Incident n24" in text
    assert "Incident n05" in text
    assert "Incident n04" not in text
    for target in ("catalog/", "browse/tags/", "follow-ups/", "lessons/", "root-causes/"):
        assert ("a", {"href": target}) in parse_html(html).tags, target


def test_empty_site_builds_browse_pages(build_site: BuildSite) -> None:
    site = build_site({}, strict=True)
    assert site.error is None, site.messages
    assert "0 of 0 incidents" in parse_html(site.page("catalog/")).text
    assert "No incident has a tag yet" in parse_html(site.page("browse/tags/")).text
    assert "No postmortem records lessons yet" in parse_html(site.page("lessons/")).text


def test_repository_nav_lists_the_browse_pages() -> None:
    from conftest import REPO

    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for uri in ("catalog.md", "browse/tags/index.md", "root-causes.md", "lessons/index.md"):
        assert uri in text
    assert Path(REPO / "plugins/mkdocs_postmortems/plugin/assets/catalog.js").exists()


def test_contributing_factors_have_pages_per_factor_and_per_service(
    build_site: BuildSite,
) -> None:
    factor = "retries without backoff"
    extra = f"contributing_factors: ['{factor}', 'a one-off']\n"
    alone = f"contributing_factors: ['{factor}']\n"
    files = dict(
        [
            incident("one", "2024-01-01", services="[api, db]", extra=extra),
            incident("two", "2024-02-01", services="[api]", extra=alone),
            incident("three", "2024-03-01", services="[web]", extra=alone),
        ]
    )
    site = build_site(files, strict=True)
    assert site.error is None, site.warnings
    index = parse_html(site.page("browse/factors/")).text
    assert "retries without backoff 3" in index
    page = parse_html(site.page("browse/factors/retries-without-backoff/")).text
    assert "3 incidents" in page
    # By service, most incidents first; a pair with two incidents or more has its own page.
    assert "Service Incidents Latest api 2 Incident two db 1 Incident one web 1" in page
    pair = parse_html(site.page("browse/factors/retries-without-backoff/api/"))
    assert (
        "2 incidents on api where a contributing factor was: retries without backoff" in pair.text
    )
    assert "Incident two" in pair.text
    assert "Incident three" not in pair.text
    assert not (site.site_dir / "browse" / "factors" / "retries-without-backoff" / "db").exists()
    card = site.page("postmortems/2024-01-01-one/")
    assert 'href="../../browse/factors/retries-without-backoff/"' in card
    assert card.count('class="pm-factor-link"') == 1  # "a one-off" has no page worth a link


def test_lessons_index_lists_the_biggest_themes_first(build_site: BuildSite) -> None:
    lesson = "lessons:\n  went_well: [Quick rollback]\n"
    files = dict(
        [
            incident("a", "2024-01-01", categories="[database]", extra=lesson),
            incident("b", "2024-02-01", categories="[network]", extra=lesson),
            incident("c", "2024-03-01", categories="[network]", extra=lesson),
        ]
    )
    text = parse_html(build_site(files).page("lessons/")).text
    assert text.index("network 2") < text.index("database 1")


def test_home_page_links_the_newest_to_the_rest(build_site: BuildSite) -> None:
    start = date(2024, 1, 1)
    files = dict(incident(f"n{n:02d}", (start + timedelta(days=n)).isoformat()) for n in range(21))
    html = build_site(files, strict=True).page("")
    assert "Newest 20 of 21" in parse_html(html).text
    assert ("a", {"href": "catalog/"}) in parse_html(html).tags
    assert "All 21 incidents in the catalog" in parse_html(html).text
    # Severity is the same badge as on the card.
    assert '<span class="pm-badge pm-sev pm-sev--sev2">SEV2</span>' in html


def test_code_in_root_causes_shows_as_code_and_nothing_else_as_markup() -> None:
    from mkdocs_postmortems.views.markup import html_rich

    text = html_rich("An operator ran `rm -rf data/` after *a* <b>typo</b> | `a|b`")
    assert "<code>rm -rf data/</code>" in text
    assert "<code>a|b</code>" in text
    assert "after *a* &lt;b&gt;typo&lt;/b&gt; | " in text  # shown as written
    assert "<b>" not in text
    assert "`" not in text


def test_relative_links_are_those_of_relpath() -> None:
    parts = ["postmortems", "browse", "a", "b.md", "team", "index.md", "x y", "é"]
    rng = random.Random(4)
    paths = ["/".join(rng.choices(parts, k=rng.randrange(1, 5))) for _ in range(300)]
    paths += ["./a.md", "a//b.md", "../up.md", "/abs/x.md", "a/./b.md"]
    for target in paths:
        for origin in [*rng.sample(paths, 20), "index.md"]:
            start = posixpath.dirname(origin)
            assert relative_path(target, start) == posixpath.relpath(target, start or "."), (
                target,
                origin,
            )
