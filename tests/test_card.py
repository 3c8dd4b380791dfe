"""The incident card's data: times with their zones, computed durations, action items, escaping."""

from __future__ import annotations

from datetime import date

from conftest import postmortem
from mkdocs_postmortems.core.catalog import Catalog, Settings, build_catalog
from mkdocs_postmortems.core.loader import load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.views.card import incident_card

FRONT = """\
title: "Checkout <b>errors</b>"
date: 2024-05-02
status: in-review
severity: SEV2
summary: Checkout failed after a `config` push.
root_cause: A config push set the payment timeout to zero.
services: [checkout]
started: 2024-05-02T09:00:00+02:00
detected: 2024-05-02T09:05:00+02:00
resolved: 2024-05-02T11:20:00+02:00
related: [2024-04-01-earlier]
action_items:
  - title: Validate timeouts before a push
    owner: payments
    status: open
    due: 2024-05-20
  - title: Alert on zero timeouts
    owner: sre
    status: done
  - title: Discuss config review
    owner: sre
    status: proposed
"""
EARLIER = """\
title: Earlier incident
date: 2024-04-01
status: published
severity: SEV3
summary: An earlier one.
root_cause: Something else.
services: [checkout]
"""


def _catalog(today: date) -> tuple[Postmortem, Catalog]:
    loaded = [
        load_bytes(postmortem(FRONT).encode(), "2024-05-02-checkout.md", DEFAULT_VOCABULARIES),
        load_bytes(postmortem(EARLIER).encode(), "2024-04-01-earlier.md", DEFAULT_VOCABULARIES),
    ]
    catalog = build_catalog(loaded, Settings(dict(DEFAULT_VOCABULARIES), today))
    pm = catalog.get("2024-05-02-checkout")
    assert isinstance(pm, Postmortem)
    return pm, catalog


def test_times_keep_their_zone_and_durations_are_computed() -> None:
    pm, catalog = _catalog(date(2024, 6, 1))
    card = incident_card(pm, catalog, lambda ident: f"../{ident}/")
    times = {fact.label: str(fact.value) for fact in card["times"]}
    assert times == {
        "Started": "2024-05-02 09:00 UTC+02:00",
        "Detected": "2024-05-02 09:05 UTC+02:00",
        "Resolved": "2024-05-02 11:20 UTC+02:00",
    }
    durations = {fact.label: str(fact.value) for fact in card["durations"]}
    assert durations["Time to detect"] == "5 min"
    assert durations["Time to resolve"] == "2 h 20 min"


def test_action_items_are_counted_by_status_and_overdue_against_the_build_date() -> None:
    pm, catalog = _catalog(date(2024, 6, 1))
    card = incident_card(pm, catalog, lambda ident: None)
    counts = card["action_counts"]
    assert (counts["total"], counts["open"], counts["overdue"]) == (3, 2, 1)
    # In the vocabulary's order, with the words the rows use ("open" is one status of three
    # that are not done).
    assert [(str(c["status"]), str(c["count"])) for c in counts["by_status"]] == [
        ("proposed", "1"),
        ("open", "1"),
        ("done", "1"),
    ]
    pm, catalog = _catalog(date(2024, 5, 10))
    assert incident_card(pm, catalog, lambda ident: None)["action_counts"]["overdue"] == 0


def test_related_links_need_a_page_and_every_value_is_escaped() -> None:
    pm, catalog = _catalog(date(2024, 6, 1))
    card = incident_card(pm, catalog, lambda ident: None)
    assert card["related"] == []
    card = incident_card(pm, catalog, lambda ident: f"../{ident}/")
    assert [str(r["url"]) for r in card["related"]] == ["../2024-04-01-earlier/"]
    assert str(card["title"]) == "Checkout &lt;b&gt;errors&lt;/b&gt;"
    assert "<code>config</code>" in str(card["summary"])
    assert (card["severity_class"], card["status_class"]) == ("sev2", "in-review")
