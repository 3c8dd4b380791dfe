"""The incident card's data: times with their zones, computed durations, action items, escaping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from conftest import parse_html, postmortem
from hostile_site import PAYLOADS, every_field, fm
from mkdocs_postmortems.core.catalog import Catalog, Settings, build_catalog
from mkdocs_postmortems.core.loader import load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.views.card import format_time, incident_card
from mkdocs_postmortems.views.markup import escaped_text

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


def _strings(value: object, where: str = "card") -> Iterator[tuple[str, str]]:
    """Yield (where, string) for every string in the template data `value`, however nested."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    else:
        assert value is None or isinstance(value, bool | int), (where, value)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_string_of_a_hostile_card_is_escaped_html(payload: str) -> None:
    # The card template shows values without `| e`: this is the guard instead (and the
    # hostile site's tests check the pages).
    loaded = [
        load_bytes(fm(every_field(payload)).encode(), "2024-05-02-hostile.md", DEFAULT_VOCABULARIES)
    ]
    catalog = build_catalog(loaded, Settings(dict(DEFAULT_VOCABULARIES), date(2024, 6, 1)))
    pm = catalog.get("2024-05-02-hostile")
    assert isinstance(pm, Postmortem), loaded
    assert pm.impact is not None
    assert pm.impact.figures == ((payload, payload),)
    card = incident_card(pm, catalog, lambda ident: None, lambda kind, name: f"../{kind}/x/")
    strings = list(_strings(card))
    assert any(payload in html.unescape(s) for _, s in strings)  # the payload is shown
    for where, string in strings:
        if where.endswith("_class']"):  # CSS class names: slugs of vocabulary values
            assert re.fullmatch(r"[a-z0-9-]+", string), (where, string)
            continue
        if where.startswith("card['problems']"):  # shown by a template shared with rejected files
            assert isinstance(string, Markup), (where, string)
        else:  # plain, to pickle fast: a `Markup` value would be filtered by nothing anyway
            assert type(string) is str, (where, string)
        for tag, attrs in parse_html(string).tags:  # Markdown's own markup, and nothing else
            assert tag in {"p", "a", "code", "em", "strong"}, (where, string)
            assert not any(name.startswith("on") for name in attrs), (where, string)
        if where.endswith(("['url']", "['ticket']")) or re.search(r"\]\[\d+\]\[1\]$", where):
            assert not set(string) & set("<>'\""), (where, string)  # shown in an attribute


def test_chips_link_the_facet_pages_they_have() -> None:
    pm, catalog = _catalog(date(2024, 6, 1))
    linked = {("service", "checkout"): "../../browse/services/checkout/"}
    card = incident_card(pm, catalog, lambda ident: None, lambda k, n: linked.get((k, n)))
    assert card["services"] == [("checkout", "../../browse/services/checkout/")]
    assert card["trigger"] == card["categories"] == []
    # Without facet pages (the default), every chip is a name without a link.
    assert incident_card(pm, catalog, lambda ident: None)["services"] == [("checkout", None)]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 2, 9, 5),  # noqa: DTZ001 (no zone: shown as UTC)
        datetime(2024, 5, 2, 9, 5, tzinfo=UTC),
        datetime(2024, 5, 2, 9, 5, tzinfo=timezone(timedelta(0), "GMT")),
        datetime(2024, 5, 2, 9, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2024, 5, 2, 9, 5, tzinfo=timezone(timedelta(hours=-7))),
        datetime(999, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=1))),
    ],
)
def test_times_read_as_strftime_writes_them(moment: datetime) -> None:
    offset = moment.utcoffset() or timedelta(0)
    sign, minutes = ("-" if offset < timedelta(0) else "+"), abs(offset) // timedelta(minutes=1)
    zone = "UTC" if not offset else f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    assert format_time(moment) == f"{moment:%Y-%m-%d %H:%M} {zone}"


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("<a href=\"x\" title='y'>&amp; & é</a>")
def test_escaped_text_escapes_as_markupsafe_does(text: str) -> None:
    assert escaped_text(text) == str(escape(text))
    assert escaped_text(Markup(text)) == str(escape(text))  # `Markup` is not trusted either
