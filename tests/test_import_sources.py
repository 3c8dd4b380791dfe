"""`postmortems import` of sources that already have front matter, and dates never invented."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import FIXTURES
from mkdocs_postmortems.analysis.facets import KIND_BY_KEY
from mkdocs_postmortems.analysis.recurrence import recurrences
from mkdocs_postmortems.analysis.related import compute_related
from mkdocs_postmortems.authoring.importer import ImportProblem, ImportResult, import_text
from mkdocs_postmortems.authoring.timetext import find_moments
from mkdocs_postmortems.core.catalog import Catalog
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.model import Postmortem, is_placeholder
from mkdocs_postmortems.core.problems import Level
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES, Term
from mkdocs_postmortems.search.documents import features

SOURCES = FIXTURES / "import" / "sources"
UTC = timezone.utc  # noqa: UP017


def imported(name: str, **options: object) -> ImportResult:
    path = SOURCES / name
    return import_text(path.read_text(encoding="utf-8"), path.name, **options)  # type: ignore[arg-type]


def loads_with_only_the_review_warning(result: ImportResult) -> None:
    record = load_bytes(result.render().encode("utf-8"), f"{result.stem}.md", DEFAULT_VOCABULARIES)
    assert not isinstance(record, Rejected), record.problems
    assert [p.format() for p in record.problems if p.level is Level.ERROR] == []
    warnings = [p.message for p in record.problems]
    assert len(warnings) <= 1
    assert all(w.startswith("needs review:") for w in warnings)


def test_status_page_fields_are_mapped_with_their_times() -> None:
    result = imported("cstate-issue.md")
    front = result.front_matter
    assert result.kind == "status-page"
    assert front["title"] == "Artifact mirror unreachable"
    assert front["started"] == datetime(2024, 10, 14, 7, 20, tzinfo=UTC)
    assert front["resolved"] == datetime(2024, 10, 14, 9, 5, tzinfo=UTC)
    assert front["severity"] == "SEV1"  # "down"
    assert front["services"] == ["mirror.example.org", "downloads.example.org"]
    assert front["extra"] == {
        "resolved": "true",
        "section": "issue",
        "imported_from": "cstate-issue.md",
    }
    # The summary is the text, not the flattened front matter, and without its "[...]" label.
    assert str(front["summary"]).startswith("The mirror is reachable again.")
    assert front["root_cause"] == "The load balancer certificate had expired; it was renewed."
    assert result.review == []
    assert result.evidence["severity"].line == 7
    assert result.evidence["severity"].confidence == "high"
    loads_with_only_the_review_warning(result)


def test_status_page_severity_mapping_is_configurable_and_checked() -> None:
    assert imported("cstate-notice.md").front_matter["severity"] == "SEV4"
    mapped = imported("cstate-notice.md", severity_map={"notice": "SEV3"})
    assert mapped.front_matter["severity"] == "SEV3"
    # A site whose vocabulary has no such severity: left empty, listed for review.
    site = dict(DEFAULT_VOCABULARIES)
    site["severity"] = (Term("critical"), Term("minor"))
    strict = imported("cstate-notice.md", vocabularies=site)
    assert "severity" not in strict.front_matter
    assert "severity" in strict.review


def test_status_page_time_without_offset_is_utc_and_approximate() -> None:
    front = imported("cstate-notice.md").front_matter
    assert front["started"] == datetime(2024, 11, 2, 22, 0, tzinfo=UTC)
    assert front["approximate"] == ["started", "resolved"]


def test_postmortem_archive_fields_are_mapped_and_fetch_metadata_kept_apart() -> None:
    result = imported("postmortems-app.md")
    front = result.front_matter
    assert result.kind == "postmortem-archive"
    assert front["date"] == date(2021, 3, 9)
    assert front["started"] == datetime(2021, 3, 9, 15, 40, tzinfo=UTC)
    assert front["resolved"] == datetime(2021, 3, 9, 17, 5, tzinfo=UTC)
    assert front["services"] == ["Example Queue"]
    assert front["tags"] == ["cloud", "message queue", "disk full"]
    assert (
        front["summary"]
        == "A full disk on the queue brokers stopped every consumer for 85 minutes."
    )
    assert str(front["root_cause"]).startswith("The root cause was a retention setting")
    assert front["links"] == [
        {
            "url": "https://status.example.net/incidents/queue-stall",
            "title": "Original report",
            "type": "report",
        }
    ]
    extra = front["extra"]
    assert isinstance(extra, dict)
    assert extra["company"] == "Example Corp"
    assert extra["source_fetched_at"] == "2026-05-01T10:00:00.000000Z"
    assert not result.body.startswith("---")  # every key was mapped or kept under extra
    loads_with_only_the_review_warning(result)


def test_an_archive_entry_the_text_does_not_date_is_skipped_never_dated_by_its_fetch() -> None:
    # Its only dates are the crawl time and a URL: neither dates the incident.
    with pytest.raises(ImportProblem, match="no incident date"):
        imported("postmortems-app-undated.md")
    forced = imported("postmortems-app-undated.md", default_date=date(2017, 1, 19))
    assert forced.front_matter["date"] == date(2017, 1, 19)
    assert "root_cause" in forced.review  # "took the shop offline" names no cause


@pytest.mark.parametrize(
    ("name", "day", "tags"),
    [
        ("jekyll-post.md", date(2023, 4, 3), ["incidents", "payments", "checkout"]),
        ("hugo-toml.md", date(2022, 8, 16), ["search", "elasticsearch"]),
    ],
)
def test_blog_date_is_the_publication_the_text_dates_the_incident(
    name: str, day: date, tags: list[str]
) -> None:
    result = imported(name)
    front = result.front_matter
    assert result.kind == "blog"
    assert front["date"] == day
    assert front["tags"] == tags
    extra = front["extra"]
    assert isinstance(extra, dict)
    assert "date" in extra  # the publication date is kept, not used
    assert "date" not in result.review
    loads_with_only_the_review_warning(result)


def test_blog_impact_span_gives_start_and_end_in_the_stated_zone() -> None:
    front = imported("jekyll-post.md").front_matter
    cest = timezone(timedelta(hours=2))
    assert front["started"] == datetime(2023, 4, 3, 14, 5, tzinfo=cest)
    assert front["mitigated"] == datetime(2023, 4, 3, 14, 50, tzinfo=cest)
    assert front["authors"] == ["Sam Rivera"]


@pytest.mark.parametrize("name", ["zola-post.md", "material-blog.md"])
def test_publication_date_is_used_only_without_a_text_date_and_marked_for_review(
    name: str,
) -> None:
    result = imported(name)
    assert "date" in result.review
    assert result.evidence["date"].confidence == "low"
    loads_with_only_the_review_warning(result)


def test_zola_taxonomies_and_extra_are_kept() -> None:
    front = imported("zola-post.md").front_matter
    assert front["tags"] == ["email", "postmortem"]
    extra = front["extra"]
    assert isinstance(extra, dict)
    assert extra["extra"] == {"reviewed_by": "ops"}
    assert front["root_cause"] == "The cause was a DNS record that expired at the provider."


def test_a_sentence_saying_the_cause_is_unknown_is_not_a_root_cause() -> None:
    result = imported("material-blog.md")
    assert "root_cause" not in result.front_matter
    assert {"summary", "root_cause", "services"} <= set(result.review)


def test_us_dates_and_named_zones_with_daylight_saving() -> None:
    front = imported("us-dates.md").front_matter
    assert front["date"] == date(2024, 3, 4)
    # Pacific Time in March 2024 before the switch on the 10th: UTC-8.
    assert front["started"].isoformat() == "2024-03-04T23:07:00-08:00"  # type: ignore[union-attr]
    assert "copy-paste error" in str(front["root_cause"])


def test_a_year_from_a_table_header_and_never_from_a_link() -> None:
    front = imported("table-year.md").front_matter
    assert front["date"] == date(2022, 3, 7)
    assert front["started"] == datetime(2022, 3, 7, 22, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("4/21/23", date(2023, 4, 21)),
        ("01-10-2024", date(2024, 1, 10)),
        ("5-26-21", date(2021, 5, 26)),
        ("25/12/2023", date(2023, 12, 25)),  # the first number cannot be a month
        ("Monday 3. February 2020", date(2020, 2, 3)),
        ("January 14-19, 2026", date(2026, 1, 14)),
        ("Oct 30th 2021", date(2021, 10, 30)),
    ],
)
def test_date_forms(text: str, day: date) -> None:
    moments = find_moments(text)
    assert moments[0].day == day
    assert moments[0].year_given


def test_a_time_after_at_approximately_keeps_its_date() -> None:
    (moment,) = find_moments("On Nov 1, 2021 at approximately 09:45 am UTC the storm ceased")
    assert moment.resolve(None, None) == datetime(2021, 11, 1, 9, 45, tzinfo=UTC)


def test_a_day_without_a_year_never_gets_one() -> None:
    (moment,) = find_moments("Jun 27 13:47")
    assert not moment.year_given
    assert moment.resolve(None, None) is None
    with pytest.raises(ImportProblem):
        import_text(
            "# Proxy abuse\n\n| Date | Time | Event |\n|--|--|--|\n| Jun 27 | 13:47 | x |\n"
        )


def test_start_is_the_first_sign_of_impact_and_a_dormant_change_is_latent() -> None:
    text = (
        "# Ingress outage\n\n## Timeline\n\nAll times in UTC.\n\n"
        "| Time | Event |\n|---|---|\n"
        "| 2021-09-01 11:34 | Malformed route object applied to the cluster |\n"
        "| 2021-09-06 07:30 | Automated node roll-over started |\n"
        "| 2021-09-06 08:00 | All services returning 404 |\n"
        "| 2021-09-06 08:05 | Engineers joined the call to begin investigating |\n"
        "| 2021-09-06 09:08 | Ingress traffic working again |\n"
    )
    front = import_text(text, "x.md").front_matter
    assert front["started"] == datetime(2021, 9, 6, 8, 0, tzinfo=UTC)
    assert front["latent_since"] == datetime(2021, 9, 1, 11, 34, tzinfo=UTC)


def test_a_change_just_before_the_first_alert_is_the_start() -> None:
    text = (
        "# 503s\n\n## Timeline\n\nAll times in UTC.\n\n"
        "- 2021-06-22 08:21 VPC plugin replaced by the pipeline\n"
        "- 2021-06-22 08:29 Issue detected as a result of alerts\n"
        "- 2021-06-22 08:46 Target groups reattached (resolved)\n"
    )
    front = import_text(text, "x.md").front_matter
    assert front["started"] == datetime(2021, 6, 22, 8, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("The root cause for this incident is a bug in our NFS deploy process.", "NFS deploy"),
        ("Logins failed because of an expired signing certificate on the proxy.", "expired"),
        ("The outage was caused by a retention setting that filled the disks.", "retention"),
        # "This ..." points back: the sentence before says what "this" is.
        ("The hub had no memory limit set. This was causing kernels to die.", "no memory limit"),
        # "Monday 3. February" is a date inside the sentence, not its end.
        ("On Monday 3. February 2020 an upgrade caused the DNS pods to crash.", "DNS pods"),
    ],
)
def test_cause_sentences_anywhere_in_the_text(sentence: str, phrase: str) -> None:
    text = (
        f"# Outage\n\nDate: 2024-01-02\n\n## Summary\n\nThings were slow for an hour. {sentence}\n"
    )
    front = import_text(text, "x.md").front_matter
    assert phrase in str(front["root_cause"])
    assert "Things were slow" not in str(front["root_cause"])


def test_unreadable_toml_is_kept_as_text(tmp_path: Path) -> None:
    text = '+++\ntitle = "x\n+++\nOutage on 2024-02-02.\n'
    result = import_text(text, "x.md")
    assert result.body == text
    assert any(gap.startswith("front matter:") for gap in result.missing)


def _record(ident: str, services: tuple[str, ...], cause: str) -> Postmortem:
    return Postmortem(
        id=ident,
        path=f"{ident}.md",
        title=ident,
        date=date(2024, 1, int(ident[-1])),
        status="draft",
        severity="SEV3",
        summary="",
        root_cause=cause,
        services=services,
        body="",
        root_cause_categories=("database",),
    )


@pytest.mark.parametrize("value", ["", "  ", "TODO-service", "TODO", "tbd", "Unknown", "n/a", "?"])
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["auth", "todos-api", "unknown-host-checker", "nacl"])
def test_real_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_a_placeholder_or_empty_value_is_never_shared_between_incidents() -> None:
    placeholder = "TODO: the source does not say what was wrong; write the root cause here."
    pms = [_record(f"pm-{n}", ("TODO-service",), placeholder) for n in (1, 2, 3)]
    pms.append(_record("pm-4", (), ""))
    catalog = Catalog(tuple(pms))
    found = [features(pm) for pm in pms]
    assert recurrences(catalog, compute_related(found)) == []
    assert all(not f.words for f in found)
    assert not [key for f in found for key in f.facets if key.startswith("s:")]
    service = KIND_BY_KEY["service"]
    assert [value for pm in pms for value in service.values(pm)] == []


def test_a_date_leading_the_title_is_dropped_and_update_labels_are_not_causes() -> None:
    text = (
        "# Incident report August 12 2025 - Hub outage\n\n"
        "[Final message]\nThe issue was identified to be a missing permission on the data disk.\n"
    )
    front = import_text(text, "x.md").front_matter
    assert front["title"] == "Hub outage"
    assert front["date"] == date(2025, 8, 12)
    assert str(front["root_cause"]).startswith("The issue was identified to be a missing")


def test_front_matter_values_the_format_cannot_take_are_kept_under_extra() -> None:
    text = (
        "---\ntitle: Queue stall\ndate: 2024-05-01\nseverity: catastrophic\n"
        "start_time: not yet known\n---\nQueues stalled on 2024-05-01.\n"
    )
    result = import_text(text, "x.md")
    extra = result.front_matter["extra"]
    assert isinstance(extra, dict)
    assert extra["severity"] == "catastrophic"
    assert extra["start_time"] == "not yet known"
    assert "severity" in result.review
    assert "severity" not in result.front_matter


def test_day_headings_beside_the_timeline_and_an_emphasised_zone_statement() -> None:
    text = (
        "# Incident report May 12 2025 - Slow servers\n\n## Timeline\n\n_All times in EEST_\n\n"
        "## May 12\n\n### 20:15\n\nA ticket says servers take 15 minutes to start.\n\n"
        "### 21:05\n\nMemory limits set; servers start again.\n\n"
        "## May 13\n\n### 09:30\n\nIncident closed.\n"
    )
    result = import_text(text, "x.md")
    front = result.front_matter
    eest = timezone(timedelta(hours=3))
    assert front["title"] == "Slow servers"
    assert front["started"] == datetime(2025, 5, 12, 20, 15, tzinfo=eest)
    assert front["resolved"] == datetime(2025, 5, 13, 9, 30, tzinfo=eest)
    timeline = front["timeline"]
    assert isinstance(timeline, list)
    assert [entry["event"] for entry in timeline] == [
        "A ticket says servers take 15 minutes to start.",
        "Memory limits set; servers start again.",
        "Incident closed.",
    ]


def test_structured_times_that_cannot_be_used_are_kept_under_extra() -> None:
    text = (
        "---\ntitle: Cluster upgrade\ndate: 2023-02-23T10:30:00Z\n"
        "resolvedWhen: 2023-02-22T15:00:00Z\nseverity: notice\naffected: [ci.example.org]\n---\n"
        "Upgrade of the clusters.\n"
    )
    result = import_text(text, "x.md")
    assert "resolved" not in result.front_matter  # before the start: not a usable end
    assert result.front_matter["extra"] == {
        "resolvedWhen": "2023-02-22T15:00:00+00:00",
        "imported_from": "x.md",
    }
    midnight = import_text(
        "---\ntitle: T\nstart_time: 2014-01-28T00:00:00Z\nproduct: registry\n---\nIt broke.\n",
        "y.md",
    )
    assert midnight.front_matter["date"] == date(2014, 1, 28)
    assert "started" not in midnight.front_matter  # a day written as midnight is not a time
    assert midnight.mapped == {"title": "title", "product": "services"}
    extra = midnight.front_matter["extra"]
    assert isinstance(extra, dict)
    assert extra["start_time"] == "2014-01-28T00:00:00+00:00"


def test_an_alias_bomb_in_front_matter_is_refused_quickly() -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    text = "---\n" + "\n".join(levels) + "\n---\nOutage on 2024-02-02.\n"
    started = time.perf_counter()
    result = import_text(text, "x.md")
    assert time.perf_counter() - started < 2
    assert any("aliases" in gap for gap in result.missing)
    assert result.body == text  # kept as text


def test_setext_root_cause_heading_and_an_impact_span_in_brackets() -> None:
    text = (
        "Checkout errors\n===============\n\nDate: 2024-06-03\n\n"
        "Summary\n-------\n\nTotal impact lasted five hours (10:45 \u2013 16:11 UTC).\n\n"
        "Root cause\n----------\n\nA cache key collision after the library upgrade.\n"
    )
    front = import_text(text, "x.md").front_matter
    assert front["title"] == "Checkout errors"
    assert front["root_cause"] == "A cache key collision after the library upgrade."
    assert front["started"] == datetime(2024, 6, 3, 10, 45, tzinfo=UTC)
    assert front["mitigated"] == datetime(2024, 6, 3, 16, 11, tzinfo=UTC)


def test_an_id_file_name_is_not_a_title_the_first_sentence_stands_in_for_review() -> None:
    text = (
        "---\nuuid: 1\nproduct: crates\n---\n"
        "On 2023-07-20 between 12:17 and 12:30 UTC all downloads were broken.\n"
    )
    result = import_text(text, "04f5afd8-09fc-4314-9c60-7f942faca125.md")
    front = result.front_matter
    assert front["title"] == "On 2023-07-20 between 12:17 and 12:30 UTC all downloads were broken"
    assert "title" in result.review
    assert front["started"] == datetime(2023, 7, 20, 12, 17, tzinfo=UTC)
    assert front["mitigated"] == datetime(2023, 7, 20, 12, 30, tzinfo=UTC)
