"""The public incidents shipped in `postmortems/` load cleanly and follow the editorial rules."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from conftest import REPO
from mkdocs_postmortems.core.catalog import Catalog, Settings, load_catalog
from mkdocs_postmortems.core.model import Postmortem

SECTIONS = ("## What happened", "## Root cause", "## Resolution", "## What we can learn")
# The day the content was written: open items due before it show as overdue.
WRITTEN = date(2026, 11, 25)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO / "postmortems", Settings(today=WRITTEN))


@pytest.fixture(scope="module")
def public(catalog: Catalog) -> list[Postmortem]:
    return [pm for pm in catalog if pm.extra.get("source") == "public report"]


def test_every_shipped_postmortem_loads_without_problems(catalog: Catalog) -> None:
    assert not catalog.rejected, [r.path for r in catalog.rejected]
    assert not catalog.problems, [p.format() for p in catalog.problems]


def test_at_least_fifteen_public_incidents_vary(public: list[Postmortem]) -> None:
    assert len(public) >= 15
    assert len({pm.severity for pm in public}) >= 3
    assert len({pm.trigger for pm in public}) >= 6
    assert len({pm.detection for pm in public}) >= 3
    categories = Counter(c for pm in public for c in pm.root_cause_categories)
    assert len(categories) >= 8, categories
    assert len({pm.extra["vendor"] for pm in public}) >= 12


def test_each_public_incident_links_its_report_and_names_its_vendor(
    public: list[Postmortem],
) -> None:
    for pm in public:
        reports = [link for link in pm.links if link.type == "report"]
        assert reports, pm.id
        assert all(link.url.startswith("https://") for link in reports), pm.id
        assert pm.extra.get("vendor"), pm.id
        assert pm.authors == ("Knowledge base editors",), pm.id
        assert pm.status == "published", pm.id


def test_each_public_body_has_the_sections_and_length(public: list[Postmortem]) -> None:
    for pm in public:
        assert not re.search(r"^# ", pm.body, re.MULTILINE), f"{pm.id}: no H1 in the body"
        positions = [pm.body.find(section) for section in SECTIONS]
        assert all(pos >= 0 for pos in positions), (pm.id, positions)
        assert positions == sorted(positions), pm.id
        words = len(pm.body.split())
        assert 300 <= words <= 700, (pm.id, words)


def test_each_public_incident_is_fully_classified(public: list[Postmortem]) -> None:
    for pm in public:
        assert pm.root_cause_categories, pm.id
        assert pm.trigger, pm.id
        assert pm.detection, pm.id
        assert pm.tags, pm.id
        assert all(tag == tag.lower() for tag in pm.tags), pm.id
        assert pm.impact is not None, pm.id
        assert pm.timeline, pm.id
        assert pm.lessons, pm.id
        assert pm.action_items, pm.id
        assert all(item.owner for item in pm.action_items), pm.id
        assert pm.started is not None or pm.detected is not None, pm.id


def test_follow_ups_mix_done_open_and_overdue(public: list[Postmortem]) -> None:
    items = [item for pm in public for item in pm.action_items]
    done = [item for item in items if item.status == "done"]
    still_open = [item for item in items if item.is_open]
    assert len(done) > len(still_open) > 0
    assert any(item.is_overdue(WRITTEN) for item in items)
    assert any(item.due is None for item in still_open)


def test_related_links_go_both_ways(catalog: Catalog, public: list[Postmortem]) -> None:
    for pm in public:
        for other in pm.related:
            target = catalog.get(other)
            assert target is not None, (pm.id, other)
            assert pm.id in target.related, f"{other} should list {pm.id} as related"
