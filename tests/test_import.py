"""`postmortems import`: free-form layouts become valid postmortems that keep every fact."""

from __future__ import annotations

import re
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, REPO, BuildSite, parse_html
from mkdocs_postmortems.authoring.importer import (
    ImportProblem,
    ImportResult,
    import_text,
)
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.problems import Level
from mkdocs_postmortems.core.schema import REVIEW_FIELDS
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.core.yaml_load import parse

LAYOUTS = FIXTURES / "import"
SEED_SOURCE = REPO.parent / "shared" / "seed" / "2024-03-08-auth-outage.md"
# The seed's body is kept verbatim in the repository's copy; use it when the shared one is absent.
SEED_PATH = REPO / "postmortems" / "2024-03-08-auth-outage.md"


def seed_text() -> str:
    """Return the seed as it was written, free-form, before it was converted by hand."""
    if SEED_SOURCE.exists():
        return SEED_SOURCE.read_text(encoding="utf-8")
    return SEED_PATH.read_text(encoding="utf-8").split("\n---\n", 1)[1].lstrip("\n")


def imported(name: str) -> ImportResult:
    return import_text((LAYOUTS / name).read_text(encoding="utf-8"), name)


def loaded(result: ImportResult) -> Postmortem:
    """Load the rendered file the way a build does; fail on any problem but the review one.

    A fact the source does not state is left empty and listed in `review`; the loader then
    reports one warning naming exactly those fields, never an error per missing fact.
    """
    record = load_bytes(result.render().encode("utf-8"), f"{result.stem}.md", DEFAULT_VOCABULARIES)
    assert not isinstance(record, Rejected), record.problems
    review = [p for p in record.problems if p.message.startswith("needs review:")]
    others = [p.format() for p in record.problems if p not in review]
    assert others == []
    empty = [name for name in REVIEW_FIELDS if name in result.review]
    if empty:
        assert len(review) == 1
        assert review[0].level is Level.WARNING
        assert review[0].message.startswith(f"needs review: {', '.join(empty)} still empty")
    else:
        assert review == []
    return record


def plain(value: Any) -> Any:
    """Return front-matter data with dates and times as ISO strings, for comparing."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


# Each layout with the facts it must yield. Prose fields (summary, root cause, impact and
# timeline text) are checked by the phrases they must contain; everything else exactly.
EXPECTED: dict[str, dict[str, Any]] = {
    "google-sre-template.md": {
        "stem": "2024-06-14-recipe-search-outage-postmortem-incident-812",
        "front": {
            "title": "Recipe Search Outage Postmortem (incident #812)",
            "date": "2024-06-14",
            "status": "draft",
            "severity": "SEV2",
            "started": "2024-06-14T14:54:00+00:00",
            "detected": "2024-06-14T14:55:00+00:00",
            "mitigated": "2024-06-14T15:15:00+00:00",
            "resolved": "2024-06-14T15:55:00+00:00",
            "root_cause_categories": ["performance", "capacity"],
            "trigger": "traffic-surge",
            "detection": "monitoring-alert",
            "action_items": [
                {
                    "title": "Update the playbook with steps for shedding load to a "
                    "sacrificial cluster",
                    "type": "mitigate",
                    "owner": "priya",
                    "status": "done",
                },
                {
                    "title": "Close file handles on the fallback search path",
                    "type": "prevent",
                    "owner": "tomasz",
                    "notes": "Ticket: RCP-2211",
                    "status": "done",
                },
                {
                    "title": "Load-test search with unknown ingredients before each release",
                    "type": "prevent",
                    "owner": "ada",
                    "notes": "Ticket: RCP-2214",
                    "status": "open",
                },
                {
                    "title": "Schedule a cascading-failure drill for the search on-call rotation",
                    "type": "process",
                    "owner": "priya",
                    "notes": "Ticket: RCP-2215",
                    "status": "open",
                },
            ],
            "lessons": {
                "went_well": [
                    "Monitoring alerted us to the high rate of errors within a minute.",
                    "The updated index was rolled out to every cluster quickly.",
                ],
                "went_wrong": [
                    "We are out of practice at responding to cascading failures.",
                    "The error budget for the quarter was exceeded by a wide margin.",
                ],
                "got_lucky": [
                    "A reader's comment pointed us to the trending ingredient, which explained "
                    "the spike.",
                    "The sacrificial cluster happened to be idle that afternoon.",
                ],
            },
            "authors": ["priya", "tomasz", "ada"],
            "extra": {"imported_from": "google-sre-template.md"},
        },
        "impact": {"users_affected_percent": 18},
        "summary": ["unavailable for 61 minutes"],
        "root_cause": ["resource leak", "exhausted file descriptors"],
        "timeline": 7,
        "missing": ["services"],
    },
    "google-sre-plain-text.md": {
        "stem": "2024-09-03-payments-ledger-replication-lag-postmortem-incident-231",
        "front": {
            "title": "Payments Ledger Replication Lag Postmortem (incident #231)",
            "date": "2024-09-03",
            "status": "draft",
            "severity": "SEV3",
            "started": "2024-09-03T09:14:00+00:00",
            "detected": "2024-09-03T09:31:00+00:00",
            "mitigated": "2024-09-03T09:52:00+00:00",
            "resolved": "2024-09-03T10:02:00+00:00",
            "root_cause_categories": ["database"],
            "trigger": "code-deploy",
            "detection": "monitoring-alert",
            "action_items": [
                {
                    "title": "Route analytics queries to a dedicated replica",
                    "type": "prevent",
                    "owner": "felix",
                    "ticket": "https://tracker.example.com/LEDG-88",
                },
                {
                    "title": "Alert on replication lag at 60 seconds instead of 5 minutes",
                    "type": "detect",
                    "owner": "noor",
                    "notes": "Ticket: LEDG-89",
                },
            ],
            "lessons": {
                "went_well": [
                    "The replicas caught up within minutes once the queries were cancelled."
                ],
                "went_wrong": [
                    "The dashboard was reviewed for correctness but nobody checked the cost of "
                    "its query."
                ],
                "got_lucky": ["The incident happened on a quiet Tuesday morning."],
            },
            "authors": ["noor", "felix"],
            "extra": {"imported_from": "google-sre-plain-text.md"},
        },
        "impact": {"users_affected_percent": 7},
        "summary": ["for 48 minutes"],
        "root_cause": ["held a lock that blocked replication"],
        "timeline": 6,
        "missing": ["services"],
    },
    "gitlab-headings-table.md": {
        "stem": "2024-02-20-container-registry-returned-errors-after-a-storage-migration",
        "front": {
            "title": "Container registry returned errors after a storage migration",
            "date": "2024-02-20",
            "status": "draft",
            "severity": "SEV2",
            "services": ["container-registry", "object-storage"],
            "started": "2024-02-20T09:12:00+00:00",
            "detected": "2024-02-20T09:19:00+00:00",
            "mitigated": "2024-02-20T10:31:00+00:00",
            "resolved": "2024-02-20T10:49:00+00:00",
            "contributing_factors": [
                "The migration was tested only against a bucket without a custom policy",
                "Drift detection for storage buckets runs nightly, so the change went "
                "unnoticed for hours",
            ],
            "detection": "monitoring-alert",
            "action_items": [
                {
                    "title": "Make the migration job preserve bucket policies",
                    "status": "open",
                    "ticket": "https://tracker.example.com/INFRA-1872",
                    "owner": "lmartin",
                },
                {
                    "title": "Run drift detection every 15 minutes for storage buckets",
                    "status": "open",
                    "owner": "kchen",
                    "due": "2024-03-15",
                },
                {
                    "title": "Announce storage migrations in the production channel before "
                    "they start",
                    "status": "done",
                },
            ],
            "lessons": {
                "went_well": ["The alert fired seven minutes after the first errors."],
                "went_wrong": [
                    "Nobody on the incident knew the migration was running.",
                    "The status page was updated 35 minutes after the alert.",
                ],
            },
            "extra": {"imported_from": "gitlab-headings-table.md"},
        },
        "impact": {"requests_failed_percent": 42, "users_affected": 3400},
        "summary": ["For 97 minutes on 2024-02-20"],
        "root_cause": ["replaced the bucket policy with the project default"],
        "timeline": 6,
        "missing": ["root_cause_categories", "trigger"],
    },
    "statuspage-incident-report.md": {
        "stem": "2024-01-16-delayed-webhook-deliveries",
        "front": {
            "title": "Delayed webhook deliveries",
            "date": "2024-01-16",
            "status": "draft",
            "severity": "SEV2",
            "services": ["Webhooks", "Events API"],
            "started": "2024-01-16T09:20:00-08:00",
            "detected": "2024-01-16T09:48:00-08:00",
            "mitigated": "2024-01-16T10:40:00-08:00",
            "resolved": "2024-01-16T11:25:00-08:00",
            "detection": "customer-report",
            "action_items": [
                {
                    "title": "Validate worker counts in scaling changes before they are applied",
                    "status": "proposed",
                },
                {
                    "title": "Alert when queue depth grows for more than 5 minutes",
                    "status": "proposed",
                },
                {
                    "title": "Publish a status page update within 15 minutes of detecting "
                    "customer impact",
                    "status": "proposed",
                },
            ],
            "extra": {"imported_from": "statuspage-incident-report.md"},
        },
        "impact": {"users_affected_percent": 30},
        "summary": ["On Tuesday, January 16, 2024", "delayed by up to 40 minutes"],
        "root_cause": ["read the value as a quarter of the current worker count"],
        "timeline": 6,
        "missing": ["lessons", "resolution"],
    },
    "atlassian-template.md": {
        "stem": "2024-03-12-search-results-stale-after-index-rebuild",
        "front": {
            "title": "Search results stale after index rebuild",
            "date": "2024-03-12",
            "status": "draft",
            "started": "2024-03-12T10:05:00+00:00",
            "detected": "2024-03-12T10:31:00+00:00",
            "mitigated": "2024-03-12T11:12:00+00:00",
            "resolved": "2024-03-12T11:40:00+00:00",
            "detection": "customer-report",
            "action_items": [
                {
                    "title": "Switch the alias only after the rebuild completes",
                    "owner": "search-team",
                    "notes": "Ticket: SRCH-12",
                },
                {
                    "title": "Add a freshness check to search monitoring",
                    "owner": "sre",
                    "notes": "Ticket: SRCH-13",
                },
            ],
            "extra": {"imported_from": "atlassian-template.md"},
        },
        "impact": None,
        "summary": ["about 25% of customers"],
        "root_cause": ["switched the alias at the start rather than at the end"],
        "timeline": 5,
        "missing": ["impact", "services", "lessons", "trigger"],
    },
    "cloudflare-narrative.md": {
        "stem": "2024-07-02-partial-outage-of-the-cache-purge-api-on-2-july-2024",
        "front": {
            "title": "Partial outage of the cache purge API on 2 July 2024",
            "date": "2024-07-02",
            "status": "draft",
            "severity": "SEV3",
            "services": ["fan-out"],
            "started": "2024-07-02T13:42:00+00:00",
            "detected": "2024-07-02T13:51:00+00:00",
            "mitigated": "2024-07-02T14:26:00+00:00",
            "resolved": "2024-07-02T15:07:00+00:00",
            "detection": "monitoring-alert",
            "action_items": [
                {
                    "title": "Enforce the message size limit in the producer, "
                    "not only in the consumer",
                    "status": "proposed",
                },
                {
                    "title": "Add a canary stage for fan-out configuration changes",
                    "status": "proposed",
                },
                {
                    "title": "Alert on purge latency, not only on purge errors",
                    "status": "proposed",
                },
            ],
            "extra": {"imported_from": "cloudflare-narrative.md"},
        },
        "impact": {"requests_failed_percent": 4.2},
        "summary": ["between 13:42 and 15:07 UTC"],
        "root_cause": ["exceeded the 1 MiB message size limit"],
        "timeline": 7,
        "missing": ["lessons", "resolution", "root_cause_categories"],
    },
    "heroku-label-lines.md": {
        "stem": "2024-11-05-login-api-returned-errors-for-eu-customers",
        "front": {
            "title": "Login API returned errors for EU customers",
            "date": "2024-11-05",
            "status": "draft",
            "severity": "SEV2",
            "services": ["login-api", "session-store"],
            "started": "2024-11-05T08:10:00+01:00",
            "detected": "2024-11-05T08:14:00+01:00",
            "mitigated": "2024-11-05T09:05:00+01:00",
            "resolved": "2024-11-05T09:40:00+01:00",
            "root_cause_categories": ["expired-credential"],
            "action_items": [
                {
                    "title": "Monitor certificate expiry for every cluster node, not only the "
                    "public endpoints",
                    "owner": "platform-security",
                },
                {
                    "title": "Move session-store certificates to automatic renewal",
                    "priority": "P1",
                    "status": "proposed",
                },
                {
                    "title": "Add the EU login success rate to the on-call dashboard",
                    "status": "proposed",
                },
            ],
            "extra": {"imported_from": "heroku-label-lines.md"},
        },
        "impact": {"requests_failed_percent": 12},
        "summary": ["Between 08:10 and 09:40 CET"],
        "root_cause": ["expired intermediate certificate"],
        "timeline": 0,
        "missing": ["lessons", "detection"],
    },
    "morgue-fields.md": {
        "stem": "2024-05-21-listing-photo-uploads-failed",
        "front": {
            "title": "Listing photo uploads failed",
            "date": "2024-05-21",
            "status": "draft",
            "severity": "SEV3",
            "services": ["photo-upload"],
            # Times without a zone on the line take the document's `Timezone:` (EDT in May).
            "started": "2024-05-21T14:02:00-04:00",
            "detected": "2024-05-21T14:20:00-04:00",
            "mitigated": "2024-05-21T14:48:00-04:00",
            "resolved": "2024-05-21T15:05:00-04:00",
            "action_items": [
                {
                    "title": "Re-enable disk alerts for the storage cluster",
                    "owner": "storage-team",
                    "notes": "Ticket: PHOTO-4412",
                },
                {
                    "title": "Make log rotation failures page the owning team",
                    "notes": "Ticket: PHOTO-4413",
                    "status": "proposed",
                },
            ],
            "authors": ["maria.k"],
            "tags": ["photos", "storage"],
            "extra": {"imported_from": "morgue-fields.md"},
        },
        "impact": {"users_affected": 1900},
        "summary": ["photo-upload service for about an hour"],
        "root_cause": ["ran out of disk space"],
        "timeline": 5,
        "missing": ["lessons"],
    },
}
PROSE = ("summary", "root_cause", "impact", "timeline", "approximate")


def test_there_are_at_least_five_layouts() -> None:
    assert len(EXPECTED) >= 5
    assert sorted(p.name for p in LAYOUTS.glob("*.md")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_yields_its_facts(name: str) -> None:
    expected = EXPECTED[name]
    result = imported(name)
    front = plain(result.front_matter)
    assert result.stem == expected["stem"]
    assert {k: v for k, v in front.items() if k not in PROSE} == expected["front"]
    for phrase in expected["summary"]:
        assert phrase in front["summary"], (phrase, front["summary"])
    for phrase in expected["root_cause"]:
        assert phrase in front["root_cause"], (phrase, front["root_cause"])
    if expected["impact"] is None:
        assert "impact" not in front
    else:
        impact = dict(front["impact"])
        assert impact.pop("description")
        assert impact == expected["impact"]
    assert len(front.get("timeline", [])) == expected["timeline"]
    missing = {entry.split(":")[0] for entry in result.missing}
    assert set(expected["missing"]) <= missing, result.missing
    # Every time was stated with a zone (on the line or for the whole document).
    assert "approximate" not in front


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_loads_cleanly_and_keeps_the_original_text(name: str) -> None:
    source = (LAYOUTS / name).read_text(encoding="utf-8")
    result = imported(name)
    record = loaded(result)
    if source.startswith("# "):
        # The level-1 heading became the title; the page shows it, so the body drops it.
        heading, rest = source.split("\n", 1)
        assert record.title in heading
        assert record.body == rest.lstrip("\n")
    else:
        assert record.body == source
    assert record.title == result.front_matter["title"]
    assert record.started == result.front_matter["started"]


def test_every_guess_and_gap_is_reported() -> None:
    result = imported("google-sre-template.md")
    guessed = {entry.split(":")[0] for entry in result.guesses}
    assert {"started", "detected", "mitigated", "resolved", "severity", "status"} <= guessed
    # No placeholder: the source names no service, so the field is empty and listed for review.
    assert "services" not in result.front_matter
    assert "services" in result.review
    assert any(entry.startswith("services:") for entry in result.missing)


# ------------------------------------------------------------------------------------ the seed


def test_seed_imports_with_its_times_impact_and_root_cause() -> None:
    result = import_text(seed_text(), SEED_SOURCE.name)
    front = result.front_matter
    assert result.stem == "2024-03-08-web-stack-outage"
    assert front["title"] == "Web Stack Outage"
    assert plain(front["started"]) == "2024-03-08T10:30:00+00:00"
    assert plain(front["detected"]) == "2024-03-08T10:30:00+00:00"
    assert plain(front["mitigated"]) == "2024-03-08T13:45:00+00:00"  # "deployed ... at 1:45 PM"
    assert plain(front["resolved"]) == "2024-03-08T14:45:00+00:00"
    assert "approximate" not in front  # every time says (UTC)
    assert front["impact"]["users_affected_percent"] == 30  # type: ignore[index]
    assert "missing index in the user table" in str(front["root_cause"])
    assert front["services"] == ["authentication"]  # "the core authentication service"
    assert front["severity"] == "SEV2"
    assert front["detection"] == "monitoring-alert"
    assert front["root_cause_categories"] == ["performance", "database"]


def test_seed_tasks_become_action_items_with_their_horizons() -> None:
    lines = seed_text().splitlines()
    tasks: list[tuple[str, str]] = []
    horizon = ""
    for line in lines[lines.index("- **Tasks:**") :]:
        if line.strip().startswith("- **"):
            horizon = line.strip()[4:].split(":")[0].lower()
        elif line.startswith("    - "):
            tasks.append((line[6:].rstrip("."), horizon))
    assert len(tasks) == 9
    items = imported_seed_items()
    with_horizon = [(str(i["title"]), str(i["horizon"])) for i in items if "horizon" in i]
    assert with_horizon == tasks
    # The three "Improvements/Fixes" are kept as items too, without a horizon.
    assert [i["title"] for i in items if "horizon" not in i] == [
        "Conduct a comprehensive review of all database queries to identify and address "
        "potential performance bottlenecks",
        "Implement regular audits of database indexes to ensure they align with evolving "
        "application requirements",
        "Enhance monitoring alerts to provide more granular insights into specific service "
        "components, minimizing detection time",
    ]


def imported_seed_items() -> list[dict[str, object]]:
    items = import_text(seed_text(), SEED_SOURCE.name).front_matter["action_items"]
    assert isinstance(items, list)
    return items


def test_seed_imported_loads_without_problems() -> None:
    result = import_text(seed_text(), SEED_SOURCE.name)
    record = loaded(result)
    assert record.time_to_resolve is not None
    assert record.time_to_resolve.total_seconds() == 4 * 3600 + 15 * 60
    assert record.body == seed_text()
    # What lint will still ask for: owners (and due dates) of the open items.
    assert "action_items: 12 of 12 have no owner" in result.missing


def test_seed_imported_builds_a_strict_site(build_site: BuildSite) -> None:
    result = import_text(seed_text(), SEED_SOURCE.name)
    site = build_site({f"{result.stem}.md": result.render()}, strict=True)
    assert site.error is None, site.messages
    text = parse_html(site.page(f"postmortems/{result.stem}/")).text
    assert "Time to resolve 4 h 15 min" in text
    assert "Patch the production database with the missing index" in text


# ------------------------------------------------------------------------------- times, zones


def one(text: str, **kwargs: Any) -> dict[str, Any]:
    front: dict[str, Any] = plain(import_text(text, **kwargs).front_matter)
    return front


def test_times_without_a_zone_are_utc_and_listed_as_approximate() -> None:
    front = one("# Cache outage\n\nStart time: 2024-04-02 10:00\nEnd time: 2024-04-02 11:30\n")
    assert front["started"] == "2024-04-02T10:00:00+00:00"
    assert front["resolved"] == "2024-04-02T11:30:00+00:00"
    assert front["approximate"] == ["started", "resolved"]
    result = import_text("# Cache outage\n\nStart time: 2024-04-02 10:00\n")
    assert any("assumed UTC" in guess for guess in result.guesses)


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2024-04-02 10:00 UTC", "2024-04-02T10:00:00+00:00"),
        ("2024-04-02T10:00:00Z", "2024-04-02T10:00:00+00:00"),
        ("2024-04-02 10:00 +01:00", "2024-04-02T10:00:00+01:00"),
        ("April 2, 2024, 10:00 AM (PDT)", "2024-04-02T10:00:00-07:00"),
        ("2 April 2024 at 3:15 pm EST", "2024-04-02T15:15:00-05:00"),
        ("2024-04-02 10:00 CEST", "2024-04-02T10:00:00+02:00"),
        ("2024-04-02 10:00 UTC-5", "2024-04-02T10:00:00-05:00"),
        ("10:00 UTC on April 2, 2024", "2024-04-02T10:00:00+00:00"),
        # Regional names follow daylight saving time: PT is -07:00 in April, -08:00 in January.
        ("2024-04-02 10:00 PT", "2024-04-02T10:00:00-07:00"),
        ("2024-01-02 10:00 PT", "2024-01-02T10:00:00-08:00"),
    ],
)
def test_stated_zones_are_kept(written: str, iso: str) -> None:
    front = one(f"# Outage\n\nStarted: {written}\n")
    assert front["started"] == iso
    assert "approximate" not in front


def test_timeline_times_roll_over_midnight_and_take_the_documents_zone() -> None:
    text = (
        "# Queue backlog\n\nAll times are in CET.\n\n## Timeline\n\n"
        "March 3, 2024\n\n"
        "- 23:40 — Errors begin on the consumer\n"
        "- 23:52 — On-call paged by the error-rate alert\n"
        "- 00:20 — Consumer restarted; error rate returns to normal\n"
        "- 01:05 — Backlog drained, incident resolved\n"
    )
    result = import_text(text)
    front = plain(result.front_matter)
    assert front["started"] == "2024-03-03T23:40:00+01:00"
    assert front["detected"] == "2024-03-03T23:52:00+01:00"
    assert front["mitigated"] == "2024-03-04T00:20:00+01:00"
    assert front["resolved"] == "2024-03-04T01:05:00+01:00"
    assert [entry["at"] for entry in front["timeline"]] == [
        "2024-03-03T23:40:00+01:00",
        "2024-03-03T23:52:00+01:00",
        "2024-03-04T00:20:00+01:00",
        "2024-03-04T01:05:00+01:00",
    ]
    assert any("next day" in guess for guess in result.guesses)
    assert "approximate" not in front
    loaded(import_text(text, "2024-03-03-queue-backlog.md"))


@pytest.mark.parametrize(
    "line",
    [
        "- 10:32 UTC — Alert fires for checkout errors",
        "* 2024-03-08 10:32 Alert fires for checkout errors",
        "**10:32**: Alert fires for checkout errors",
        "- 10:32 AM UTC: Alert fires for checkout errors",
        "10:32 - Alert fires for checkout errors",
    ],
)
def test_timeline_line_shapes(line: str) -> None:
    text = f"# Checkout errors\n\nDate: 2024-03-08\n\n## Timeline\n\n{line}\n"
    front = one(text)
    assert front["timeline"][0]["at"].startswith("2024-03-08T10:32:00")
    assert front["timeline"][0]["event"] == "Alert fires for checkout errors"
    assert front["detected"].startswith("2024-03-08T10:32:00")


def test_footer_durations_fill_missing_times_and_disagreements_are_reported() -> None:
    text = (
        "# Search slow\n\nStarted: 2024-05-01 08:00 UTC\n\n"
        "Time to detect: 54 minutes\nDuration: 2h 15m\n"
    )
    result = import_text(text)
    front = plain(result.front_matter)
    assert front["detected"] == "2024-05-01T08:54:00+00:00"
    assert front["resolved"] == "2024-05-01T10:15:00+00:00"
    assert any("computed from started + time to detect" in g for g in result.guesses)
    disagreeing = import_text(text.replace("Started:", "Resolved: 2024-05-01 09:00 UTC\nStarted:"))
    assert plain(disagreeing.front_matter)["resolved"] == "2024-05-01T09:00:00+00:00"
    assert any("the source says '2h 15m'" in g for g in disagreeing.guesses)


def test_times_out_of_order_are_dropped_not_written() -> None:
    text = "# Odd\n\nStarted: 2024-05-01 10:00 UTC\nResolved: 2024-05-01 09:00 UTC\n"
    result = import_text(text)
    assert "resolved" not in result.front_matter
    assert any("out of order" in g for g in result.guesses)
    loaded(import_text(text, "2024-05-01-odd.md"))


# ----------------------------------------------------------------------------- other content


def test_label_lines_and_hash_headings_mix() -> None:
    text = (
        "# Billing export failed\n\n"
        "Date: 2024-08-09\nSeverity: critical\n\n"
        "Summary: The nightly billing export failed and invoices went out a day late.\n\n"
        "## Root cause\n\nA schema migration renamed a column the export still used.\n\n"
        "## Lessons learned\n\n- Keep exports in the migration test suite.\n"
    )
    result = import_text(text)
    front = result.front_matter
    assert front["severity"] == "SEV1"
    assert front["summary"] == (
        "The nightly billing export failed and invoices went out a day late."
    )
    assert front["root_cause"] == "A schema migration renamed a column the export still used."
    assert "lessons" not in front
    assert any("not split into went well" in gap for gap in result.missing)


def test_a_title_that_names_cause_and_effect_is_the_cause_when_the_body_says_none() -> None:
    text = (
        "# 2025-04-02 Rotating the signing key caused failed logins\n\n"
        "## Summary\n\nOn 2025-04-02 people could not sign in for twenty minutes.\n"
    )
    assert one(text)["root_cause"] == "Rotating the signing key caused failed logins"
    # A body that says why wins over the title.
    stated = text + "\nThe root cause was a cache that kept the retired key for an hour.\n"
    assert "kept the retired key" in str(one(stated)["root_cause"])
    # A title that names no cause gives none.
    plain_title = text.replace("Rotating the signing key caused failed logins", "Login outage")
    assert "root_cause" not in one(plain_title)


def test_a_sentence_that_opens_on_its_consequence_is_not_the_cause() -> None:
    text = (
        "# Worker nodes unhealthy\n\nDate: 2025-06-11\n\n## Summary\n\n"
        "Queue workers restarted in a loop on two nodes. "
        "Possibly causing every job on those nodes to be retried twice.\n\n"
        "We saw high memory usage from the log indexer on both nodes.\n"
    )
    cause = str(one(text)["root_cause"])
    assert "high memory usage from the log indexer" in cause
    assert "retried twice" not in cause


def test_a_named_providers_outage_is_a_weak_cause_and_a_finding_a_strong_one() -> None:
    status = (
        "# Mail delays\n\nDate: 2025-07-01\n\nUpdate: Postmarkly is having a delivery outage.\n"
    )
    assert one(status)["root_cause"] == "Postmarkly is having a delivery outage."
    found = (
        "# Slow reports\n\nDate: 2025-07-02\n\n## Summary\n\nReports took minutes to load. "
        "After some digging we found that the nightly job had dropped the report index.\n"
    )
    assert "dropped the report index" in str(one(found)["root_cause"])


def test_a_line_saying_when_the_cause_was_found_is_not_the_cause() -> None:
    text = (
        "# Billing stalls\n\nDate: 2025-08-03\n\n"
        "## Resolution\n\nThe cause was identified by the billing team on Monday.\n\n"
        "The root cause was a lock held by an abandoned migration.\n"
    )
    cause = str(one(text)["root_cause"])
    assert "lock held by an abandoned migration" in cause
    assert "identified by the billing team" not in cause


def test_a_published_hotfix_ends_the_incident() -> None:
    text = (
        "# Sync stalled\n\nDate: 2025-09-04\n\n## Timeline (UTC)\n\n"
        "- 08:00: Nodes stopped syncing.\n- 08:20: Engineers started debugging.\n"
        "- 10:05: The hotfix was published for all platforms.\n"
    )
    assert one(text)["mitigated"] == "2025-09-04T10:05:00+00:00"


def test_a_summary_in_front_matter_can_state_the_cause() -> None:
    text = (
        "---\ntitle: Search outage\nstart_time: 2024-11-05T09:10:00Z\n"
        "summary: A reindex job that was attributed to a stale cron entry filled the disk.\n---\n\n"
        "Search returned errors for an hour. Engineers were paged and cleaned up.\n"
    )
    assert one(text)["root_cause"] == (
        "A reindex job that was attributed to a stale cron entry filled the disk."
    )


def test_what_can_cause_a_crash_is_a_cause() -> None:
    text = (
        "# Peers crash on large requests\n\nDate: 2024-10-01\n\n## Issue Summary\n\n"
        "A request for many records can cause a node to crash before the size limit is checked.\n"
    )
    assert "before the size limit is checked" in str(one(text)["root_cause"])


def test_a_fix_ends_impact_unless_it_made_things_worse() -> None:
    text = (
        "# Auth proxy down\n\nDate: 2024-12-02\n\n## Timeline (UTC)\n\n"
        "| Time | Event |\n| --- | --- |\n"
        "| 2024-12-02 09:00 | Proxy upgraded; logins failing |\n"
        "| 2024-12-02 09:30 | Fix applied, proxy fully down |\n"
        "| 2024-12-02 09:50 | Second fix successfully applied |\n"
    )
    assert one(text)["mitigated"] == "2024-12-02T09:50:00+00:00"


def test_a_node_in_a_notready_state_starts_the_incident() -> None:
    text = (
        "# Nodes flapping\n\n## Timeline (UTC)\n\n| Time | Event |\n| --- | --- |\n"
        "| 2024-12-01 19:32 | First node in NodeNotReady state |\n"
        "| 2024-12-03 18:53 | A customer reported stuck workloads |\n"
    )
    assert one(text)["started"] == "2024-12-01T19:32:00+00:00"


def test_a_missing_check_is_a_cause_and_a_fired_alert_or_open_question_is_not() -> None:
    head = "# Refunds over the limit\n\nDate: 2024-09-09\n\n## Summary\n\n"
    alerts = head + "Two alerts were triggered about refunds going out twice.\n"
    assert "root_cause" not in one(alerts)
    pending = head + "The exact root cause was still under forensic investigation at the time.\n"
    assert "root_cause" not in one(pending)
    ruled_out = head + "This was an internal software error and not the result of an attack.\n"
    assert "root_cause" not in one(ruled_out)
    defect = head + "The refund handler failed to check the amount against the original charge.\n"
    assert "against the original charge" in str(one(defect)["root_cause"])


def test_a_date_is_required_from_somewhere() -> None:
    with pytest.raises(ImportProblem, match="no incident date"):
        import_text("# Something broke\n\nIt broke.\n")
    front = one("# Something broke\n\nIt broke.\n", default_date=date(2024, 2, 3))
    assert front["date"] == "2024-02-03"
    assert one("# Something broke\n", source="2023-12-01-broke.md")["date"] == "2023-12-01"


def test_publication_dates_are_not_the_incident_day() -> None:
    front = one("# Slow pages\n\nPosted March 9, 2024\n\nOn March 7, 2024 pages were slow.\n")
    assert front["date"] == "2024-03-07"


def test_hostile_text_survives_as_quoted_yaml() -> None:
    title = 'Outage: "quotes", #hash, {braces}, [brackets], & *stars*, key: value, yes'
    text = (
        f"# {title}\n\nDate: 2024-01-01\n\n## Root cause\n\n"
        "- no\n- 0755\n- 1:30\n- null\n- `code` with \\ backslash and \ttab\n"
    )
    result = import_text(text, "x.md")
    record = loaded(result)
    assert record.title == title.replace("*stars*", "*stars*")
    assert record.root_cause == ("no. 0755. 1:30. null. `code` with \\ backslash and tab")
    # The body is the original text, whatever it contains (less the heading, now the title).
    assert record.body == text.split("\n", 2)[2]


def test_blog_front_matter_is_mapped_and_unknown_keys_kept_under_extra() -> None:
    text = "---\nlayout: post\n---\n# Old blog postmortem\n\nDate: 2024-02-02\n"
    result = import_text(text, "old.md")
    assert result.kind == "blog"
    assert result.front_matter["extra"] == {"layout": "post", "imported_from": "old.md"}
    assert plain(result.front_matter["date"]) == "2024-02-02"
    # The body is the text after the source's front matter, whose every key was kept.
    assert loaded(result).body == "Date: 2024-02-02\n"


def test_unreadable_front_matter_is_reported_and_kept_in_the_body() -> None:
    text = "---\nlayout: [post\n---\n# Old blog postmortem\n\nDate: 2024-02-02\n"
    result = import_text(text, "old.md")
    assert any(gap.startswith("front matter: its front matter could not") for gap in result.missing)
    assert loaded(result).body == text


FRAGMENTS = st.sampled_from(
    [
        "# Title",
        "## Timeline",
        "## Root cause",
        "**Impact:**",
        "- **Short-Term:**",
        "Summary: it broke",
        "- 10:32 UTC — alert fires",
        "* 2024-03-08 10:32 impact starts",
        "**14:05**: incident resolved",
        "| Time | Event |",
        "|---|---|",
        "| 10:00 | outage begins |",
        "Start: 2024-01-01 25:99",
        "Duration: 2h 15m",
        "Time to detect: soon",
        "- [ ] do a thing (owner: @a, due 2024-13-40)",
        "## Action Items",
        "| Action Item | Owner |",
        "| fix it | bob |",
        "Severity: P0",
        "40% of users",
        "```",
        "---",
        "Services: a, b",
        "## What went well",
        "- fine",
        "Timezone: Mars/Base",
        "All times PT",
        "- 11:59 PM PST: late",
        "- 12:01 AM: later",
        "Date: 2024-02-30",
        "Posted May 1, 2024",
        "- PHOTO-1 thing [P1] (prevent)",
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=30)), max_size=25))
def test_any_text_imports_to_a_file_without_errors(parts: list[str]) -> None:
    text = "\n".join(parts)
    try:
        result = import_text(text, "2024-05-05-notes.md")
    except ImportProblem:
        return
    record = load_bytes(result.render().encode("utf-8"), f"{result.stem}.md", DEFAULT_VOCABULARIES)
    assert not isinstance(record, Rejected), record.problems
    assert [p.format() for p in record.problems if p.level is Level.ERROR] == []
    original = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").lstrip("\n")
    whole = original + ("" if original.endswith("\n") else "\n")
    # The body is the original text, less a leading level-1 heading that became the title.
    assert record.body == whole or (whole.endswith(record.body) and result.body != whole)


def test_round_trip_of_a_full_result_through_the_strict_loader() -> None:
    result = imported("gitlab-headings-table.md")
    text = result.render()
    front_text = text.split("---\n", 2)[1]
    assert as_times(parse(front_text).data) == plain(result.front_matter)


def as_times(value: Any) -> Any:
    """Return parsed YAML with ISO date-time strings written the way `plain` writes them."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:]+(Z|[+-][\d:]+)", value):
        return datetime.fromisoformat(value).isoformat()
    if isinstance(value, dict):
        return {key: as_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_times(item) for item in value]
    return value


@pytest.mark.parametrize(
    "text",
    [
        "# X\nDate: 2024-01-01\n## Action items\n"
        + "".join(" " * i + "- **a:**\n" for i in range(0, 400, 2)),
        "# X\nDate: 2024-01-01\n## Action items\n- a " + "(" * 20000 + "\n",
        "# X\nDate: 2024-01-01\n## Action items\n- owner: a" + " " * 20000 + "x\n",
        "# X\nDate: 2024-01-01\n## Timeline\n" + "March 1, " * 5000 + "\n",
        "# X\nDate: 2024-01-01\n## Action items\n"
        + "".join(f"- item {i}\n  - " + "detail " * 300 + "\n" for i in range(600)),
    ],
    ids=["deep-nesting", "brackets", "spaces", "dates", "too-many-items"],
)
def test_pathological_input_is_fast_and_still_valid(text: str) -> None:
    started = time.perf_counter()
    result = import_text(text, "2024-01-01-x.md")
    assert time.perf_counter() - started < 2
    loaded(result)


def test_oversized_input_is_refused() -> None:
    with pytest.raises(ImportProblem, match="larger than"):
        import_text("# X\n" + "x" * 2_000_000)


def test_output_path_helpers(tmp_path: Path) -> None:
    result = import_text("# Ünïcode — title!\n\nDate: 2024-01-05\n")
    assert result.stem == "2024-01-05-unicode-title"


def test_times_written_as_estimates_are_approximate() -> None:
    front = one(
        "# Disk full\n\nStarted: about 2024-04-02 10:00 UTC\nResolved: 2024-04-02 11:30 UTC\n"
    )
    assert front["started"] == "2024-04-02T10:00:00+00:00"
    assert front["approximate"] == ["started"]
    timeline = one(
        "# Disk full\n\nDate: 2024-04-02\nAll times UTC.\n\n## Timeline\n\n"
        "- ~09:50 errors begin\n- 10:05 alert fires\n"
    )
    assert timeline["approximate"] == ["started"]
    assert [entry.get("approximate") for entry in timeline["timeline"]] == [True, None]


def test_a_heading_that_names_a_section_is_not_the_title() -> None:
    result = import_text(
        "# Summary\n\nThe cache was cold.\n\n## Background\n\nx\n", "2024-01-02-a.md"
    )
    assert result.front_matter["title"] == "A"
    assert result.body.startswith("# Summary\n")
    facts_first = import_text("Date: 2024-01-02\nSeverity: SEV3\n\nThe cache was cold.\n", "b.md")
    assert facts_first.front_matter["title"] == "B"
