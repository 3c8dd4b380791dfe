"""The data exports: JSON, CSV and the Atom feed, complete, deterministic and escaped."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from conftest import REPO, VALID_FRONT_MATTER, BuildSite, Site, parse_html, postmortem
from mkdocs_postmortems.core.catalog import Settings, build_catalog
from mkdocs_postmortems.core.loader import load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.schema import FIELDS, IMPACT_FIELDS
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.views.exports import (
    CSV_COLUMNS,
    FEED_ENTRIES,
    RECORD_FIELDS,
    ExportContext,
    atom_feed,
    csv_cell,
    record,
)

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = 'Disk full <script>alert("t")</script> & </title> ]]>'
FORMULA_TITLE = '=HYPERLINK("http://evil.example/", "click")'
SITE_URL = "https://pm.example.org/kb/"


def _front(title: str, day: str, extra: str = "") -> str:
    return postmortem(
        f"""\
title: {json.dumps(title)}
date: {day}
status: published
severity: SEV2
summary: Something broke on {day}.
root_cause: Something was wrong.
services: [api]
started: {day}T10:00:00Z
detected: {day}T10:05:00Z
resolved: {day}T11:30:00Z
{extra}"""
    )


FIXTURE = {
    "2024-01-10-alpha.md": _front(
        "Alpha",
        "2024-01-10",
        """\
action_items:
  - title: Add an alert
    status: open
    due: 2024-05-01
  - title: Fix the bug
    status: done
    due: 2024-02-01
tags: ["-2+3", "@SUM(A1)"]
""",
    ),
    "2024-02-05-bravo.md": _front(
        "Bravo",
        "2024-02-05",
        """\
action_items:
  - title: Write a runbook
    status: in-progress
    due: 2024-12-01
""",
    ),
    "2024-03-01-charlie.md": _front(HOSTILE_TITLE, "2024-03-01"),
    "2024-04-02-delta.md": _front(FORMULA_TITLE, "2024-04-02"),
}
NEWEST_FIRST = ["2024-04-02-delta", "2024-03-01-charlie", "2024-02-05-bravo", "2024-01-10-alpha"]


@pytest.fixture
def site(build_site: BuildSite) -> Site:
    built = build_site(FIXTURE, config={"site_url": SITE_URL}, strict=True)
    assert built.error is None, built.messages
    return built


def test_json_has_every_record_with_computed_fields(site: Site) -> None:
    data = json.loads((site.site_dir / "postmortems.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert data["build_date"] == "2024-06-01"
    assert [r["id"] for r in data["postmortems"]] == NEWEST_FIRST
    assert data["totals"] == {
        "postmortems": 4,
        "action_items": 3,
        "action_items_open": 2,
        "action_items_overdue": 1,  # "Add an alert" was due 2024-05-01
    }
    alpha = data["postmortems"][-1]
    assert list(alpha) == [key for key, _, _ in RECORD_FIELDS]
    assert alpha["durations"]["time_to_detect"] == {"seconds": 300, "human": "5 min"}
    assert alpha["durations"]["time_to_resolve"] == {"seconds": 5400, "human": "1 h 30 min"}
    assert alpha["durations"]["time_to_mitigate"] is None
    assert alpha["url"] == "postmortems/2024-01-10-alpha/"
    assert alpha["permalink"] == SITE_URL + "postmortems/2024-01-10-alpha/"
    assert [i["overdue"] for i in alpha["action_items"]] == [True, False]
    assert (alpha["action_items_open"], alpha["action_items_overdue"]) == (1, 1)
    assert alpha["started"] == "2024-01-10T10:00:00+00:00"
    assert data["postmortems"][1]["title"] == HOSTILE_TITLE  # data, kept as written
    # Every record's url is a page of the site.
    for entry in data["postmortems"]:
        assert (site.site_dir / entry["url"] / "index.html").is_file()


def test_exports_page_documents_every_json_field_and_csv_column(site: Site) -> None:
    text = parse_html(site.page("exports/")).text
    for key, _, _ in RECORD_FIELDS:
        assert f"{key} " in text, key
    for name, _ in CSV_COLUMNS:
        assert name in text, name
    links = [attrs.get("href") for tag, attrs in parse_html(site.page("exports/")).tags]
    for target in ("../postmortems.json", "../postmortems.csv", "../feed.xml"):
        assert target in links


def test_csv_has_one_row_per_incident_and_guards_formulas(site: Site) -> None:
    text = (site.site_dir / "postmortems.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == [name for name, _ in CSV_COLUMNS]
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["id"] for row in body] == NEWEST_FIRST
    by_id = {row["id"]: row for row in body}
    assert by_id["2024-04-02-delta"]["title"] == "'" + FORMULA_TITLE
    assert by_id["2024-01-10-alpha"]["tags"] == "'-2+3; @SUM(A1)"
    assert by_id["2024-03-01-charlie"]["title"] == HOSTILE_TITLE
    assert by_id["2024-01-10-alpha"]["time_to_resolve_seconds"] == "5400"
    assert by_id["2024-01-10-alpha"]["action_items_overdue"] == "1"
    assert by_id["2024-01-10-alpha"]["url"] == SITE_URL + "postmortems/2024-01-10-alpha/"
    for row in body:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@")), (column, value)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cell_guards_every_formula_start(value: str) -> None:
    assert csv_cell(value) == "'" + value
    assert csv_cell("plain " + value) == "plain " + value


def test_feed_is_atom_with_the_newest_entries_escaped(site: Site) -> None:
    raw = (site.site_dir / "feed.xml").read_bytes()
    assert b"<script>" not in raw
    feed = ET.fromstring(raw)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.findtext(f"{ATOM}updated") == "2024-06-01T00:00:00Z"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == SITE_URL + "feed.xml"
    entries = feed.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert ids == [f"{SITE_URL}postmortems/{ident}/" for ident in NEWEST_FIRST]
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == [FORMULA_TITLE, HOSTILE_TITLE, "Bravo", "Alpha"]
    alpha = entries[-1]
    assert alpha.findtext(f"{ATOM}published") == "2024-01-10T10:00:00Z"
    assert alpha.findtext(f"{ATOM}updated") == "2024-01-10T11:30:00Z"
    assert alpha.findtext(f"{ATOM}summary") == "Something broke on 2024-01-10."
    for entry in entries:
        for stamp in ("published", "updated"):
            datetime.fromisoformat(entry.findtext(f"{ATOM}{stamp}") or "")
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None
        assert link.get("href") == entry.findtext(f"{ATOM}id")


def test_every_page_links_the_feed(site: Site) -> None:
    for url, href in [
        ("", "feed.xml"),
        ("insights/", "../feed.xml"),
        ("postmortems/2024-01-10-alpha/", "../../feed.xml"),
    ]:
        links = [
            attrs
            for tag, attrs in parse_html(site.page(url)).tags
            if tag == "link" and attrs.get("type") == "application/atom+xml"
        ]
        assert len(links) == 1, url
        assert links[0]["rel"] == "alternate", url
        assert links[0]["href"] == href, url


def test_a_site_with_its_own_main_template_keeps_one_feed_link(build_site: BuildSite) -> None:
    theme = {"name": "material", "font": False, "custom_dir": str(REPO / "overrides")}
    site = build_site(FIXTURE, config={"theme": theme}, strict=True)
    assert site.error is None, site.messages
    html = site.page("insights/")
    assert html.count('type="application/atom+xml"') == 1
    assert 'href="../feed.xml"' in html


def test_two_builds_give_identical_exports(build_site: BuildSite) -> None:
    first = build_site(FIXTURE)
    second = build_site(FIXTURE)
    for name in ("postmortems.json", "postmortems.csv", "feed.xml"):
        assert (first.site_dir / name).read_bytes() == (second.site_dir / name).read_bytes()


def test_without_site_url_links_are_relative(build_site: BuildSite) -> None:
    site = build_site(FIXTURE, strict=True)
    data = json.loads((site.site_dir / "postmortems.json").read_text(encoding="utf-8"))
    assert {r["permalink"] for r in data["postmortems"]} == {None}
    feed = ET.fromstring((site.site_dir / "feed.xml").read_bytes())
    entry = feed.findall(f"{ATOM}entry")[-1]
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == "postmortems/2024-01-10-alpha/"
    assert (entry.findtext(f"{ATOM}id") or "").startswith("urn:uuid:")


def test_feed_holds_only_the_newest() -> None:
    records: list[Postmortem | object] = [
        Postmortem(
            id=f"pm-{n:03d}",
            path=f"pm-{n:03d}.md",
            title=f"Incident {n}",
            date=date.fromordinal(date(2020, 1, 1).toordinal() + n),
            status="published",
            severity="SEV3",
            summary="s",
            root_cause="r",
            services=("api",),
            body="",
        )
        for n in range(FEED_ENTRIES + 7)
    ]
    catalog = build_catalog(records, Settings(today=date(2024, 1, 1)))  # type: ignore[arg-type]
    context = ExportContext("Site", lambda pm: f"postmortems/{pm.id}/")
    feed = ET.fromstring(atom_feed(catalog, context))
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert len(titles) == FEED_ENTRIES
    assert titles[0] == f"Incident {FEED_ENTRIES + 6}"
    assert titles[-1] == "Incident 7"


def test_free_form_extra_values_are_written_as_json(build_site: BuildSite) -> None:
    extra = "extra:\n  reviewed: 2024-05-01\n  cost: 1.5\n  owners: [a, b]\n  notes: {k: v}\n"
    site = build_site({"2024-01-10-alpha.md": _front("Alpha", "2024-01-10", extra)}, strict=True)
    assert site.error is None, site.messages
    data = json.loads((site.site_dir / "postmortems.json").read_text(encoding="utf-8"))
    written = data["postmortems"][0]["extra"]
    assert written["owners"] == ["a", "b"]
    assert written["notes"] == {"k": "v"}
    assert str(written["reviewed"]) == "2024-05-01"
    assert str(written["cost"]) == "1.5"


def test_every_front_matter_field_reaches_the_json_record() -> None:
    """A field added to the schema must be exported too, not dropped without a word."""
    text = postmortem(
        VALID_FRONT_MATTER
        + "latent_since: 2024-04-01T00:00:00Z\n"
        + "impact: {description: d, regions: [eu], figures: [{label: Sites, value: '3'}]}\n"
    )
    pm = load_bytes(text.encode(), "2024-05-02-checkout.md", DEFAULT_VOCABULARIES)
    assert isinstance(pm, Postmortem)
    context = ExportContext("Site", lambda p: f"postmortems/{p.id}/", None)
    exported = record(pm, context, date(2024, 6, 1))
    assert {field.name for field in FIELDS} <= set(exported)
    impact = exported["impact"]
    assert isinstance(impact, dict)
    assert {field.name for field in IMPACT_FIELDS} <= set(impact)
    assert impact["figures"] == [{"label": "Sites", "value": "3"}]
    assert exported["latent_since"] == "2024-04-01T00:00:00+00:00"
    durations = exported["durations"]
    assert isinstance(durations, dict)
    assert durations["latent_for"] == {"seconds": 2710800, "human": "31 d 9 h"}
