"""Loading and validation: each bad input gets a precise problem, good input a full record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import VALID_FRONT_MATTER, postmortem
from mkdocs_postmortems.core.catalog import Settings, build_catalog
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.problems import Problem
from mkdocs_postmortems.core.text import format_duration
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES, merge_vocabularies

PATH = "2024-05-02-checkout.md"


def load(text: str | bytes, path: str = PATH) -> Postmortem | Rejected:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return load_bytes(raw, path, DEFAULT_VOCABULARIES)


def problems_of(text: str | bytes, path: str = PATH) -> list[Problem]:
    return list(load(text, path).problems)


def only_problem(text: str | bytes, path: str = PATH) -> Problem:
    found = problems_of(text, path)
    assert len(found) == 1, [p.format() for p in found]
    return found[0]


def with_line(line: str) -> str:
    """Return the valid postmortem with `line` appended to its front matter."""
    return postmortem(VALID_FRONT_MATTER + line + "\n")


def replacing(key: str, line: str | None) -> str:
    """Return the valid postmortem with the `key:` line replaced by `line` (or removed)."""
    kept = [text for text in VALID_FRONT_MATTER.splitlines() if not text.startswith(f"{key}:")]
    if line is not None:
        kept.append(line)
    return postmortem("\n".join(kept) + "\n")


def test_valid_postmortem_loads_with_computed_durations() -> None:
    pm = load(postmortem())
    assert isinstance(pm, Postmortem)
    assert pm.problems == ()
    assert pm.id == "2024-05-02-checkout"
    assert pm.services == ("checkout",)
    assert pm.time_to_detect == timedelta(minutes=5)
    assert pm.time_to_resolve == timedelta(minutes=20)
    assert pm.time_to_mitigate is None
    assert pm.impact_duration == timedelta(minutes=20)
    assert pm.body == "Body text.\n"
    assert pm.body_line == 14


def test_yaml_syntax_error_names_the_line() -> None:
    problem = only_problem(with_line("trigger: [config-change"))
    assert problem.line is not None
    assert problem.line >= 12
    assert "invalid YAML" in problem.message
    assert problem.format().startswith(f"{PATH}:")


def test_unknown_key_suggests_the_right_one() -> None:
    problem = only_problem(with_line("servces: [api]"))
    assert (problem.line, problem.field) == (12, "servces")
    assert problem.message == "unknown key 'servces'"
    assert "did you mean 'services'?" in problem.hint
    assert "extra:" in problem.hint


def test_wrong_type() -> None:
    problem = only_problem(with_line("tags: {a: 1}"))
    assert problem.field == "tags"
    assert problem.message == "expected a list, got a mapping"


def test_missing_required_field() -> None:
    problem = only_problem(replacing("root_cause", None))
    assert problem.field == "root_cause"
    assert problem.message == "required field 'root_cause' is missing"
    assert "root_cause:" in problem.hint


def test_naive_datetime_needs_a_time_zone() -> None:
    problem = only_problem(replacing("detected", "detected: 2024-05-02T09:05:00"))
    assert (problem.field, problem.line) == ("detected", 11)
    assert problem.message == "'2024-05-02T09:05:00' has no time zone"
    assert "Z for UTC" in problem.hint


def test_unparseable_datetime() -> None:
    problem = only_problem(replacing("detected", "detected: yesterday at nine"))
    assert problem.message == "'yesterday at nine' is not an ISO 8601 date and time"


def test_resolved_before_started() -> None:
    problem = only_problem(replacing("resolved", "resolved: 2024-05-02T08:00:00Z"))
    assert problem.field == "resolved"
    assert "resolved (2024-05-02T08:00:00+00:00) is before started" in problem.message


def test_detected_before_started() -> None:
    problem = only_problem(replacing("detected", "detected: 2024-05-02T08:59:00Z"))
    assert problem.field == "detected"
    assert "is before started" in problem.message


def test_offsets_are_compared_as_instants() -> None:
    # 10:05+01:00 is 09:05Z: after the start, not before it.
    assert problems_of(replacing("detected", "detected: 2024-05-02T10:05:00+01:00")) == []


def test_id_must_match_file_name() -> None:
    problem = only_problem(with_line("id: something-else"))
    assert problem.field == "id"
    assert "does not match the file name '2024-05-02-checkout.md'" in problem.message


def test_duplicate_ids_across_folders() -> None:
    settings = Settings()
    first = load(postmortem(), "2024/2024-05-02-checkout.md")
    second = load(postmortem(), "archive/2024-05-02-checkout.md")
    catalog = build_catalog([first, second], settings)
    assert [pm.path for pm in catalog] == ["2024/2024-05-02-checkout.md"]
    (rejected,) = catalog.rejected
    assert rejected.path == "archive/2024-05-02-checkout.md"
    assert "already used by 2024/2024-05-02-checkout.md" in rejected.problems[-1].message


def test_related_ids_must_exist() -> None:
    pm = load(with_line("related: [2024-05-01-checkot]"), "2024-05-02-checkout.md")
    other = load(postmortem(), "2024-05-01-checkout.md")
    catalog = build_catalog([pm, other], Settings())
    problem = next(p for p in catalog.problems if p.field == "related[0]")
    assert problem.message == "no postmortem has the id '2024-05-01-checkot'"
    assert problem.hint == "did you mean '2024-05-01-checkout'?"
    assert problem.line == 12


def test_value_not_in_vocabulary_suggests_the_closest() -> None:
    problem = only_problem(replacing("severity", "severity: SEV7"))
    assert problem.message == "'SEV7' is not an allowed severity"
    assert problem.hint.startswith("did you mean 'SEV")


def test_vocabulary_values_are_matched_loosely() -> None:
    pm = load(with_line("action_items: [{title: Fix it, status: Won't Do}]"))
    assert isinstance(pm, Postmortem)
    assert pm.problems == ()
    assert pm.action_items[0].status == "wont-do"


def test_vocabulary_override_from_config() -> None:
    vocabularies, errors = merge_vocabularies({"severity": ["critical", "minor"]})
    assert errors == []
    text = replacing("severity", "severity: critical").encode()
    pm = load_bytes(text, PATH, vocabularies)
    assert pm.problems == ()
    _, errors = merge_vocabularies({"severities": ["x"]})
    assert "unknown vocabulary 'severities'" in errors[0]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "file is empty"),
        (b"  \n\n", "file is empty"),
        (b"# Just a body\n", "file has no front matter"),
        (b"---\ntitle: x\n", "front matter is not closed"),
        (b"---\n- a\n- b\n---\nbody", "front matter is a list, not a mapping of fields"),
        (b"---\njust text\n---\nbody", "front matter is a single value, not a mapping of fields"),
        (b"---\n---\nbody", "front matter is empty, not a mapping of fields"),
        (b"---\ntitle: caf\xe9\n---\n", "file is not valid UTF-8 (byte 0xe9)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "file is binary, not Markdown text"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason(raw: bytes, message: str) -> None:
    result = load(raw)
    assert isinstance(result, Rejected)
    (problem,) = result.problems
    assert problem.message == message
    assert problem.hint


def test_non_utf8_names_the_line() -> None:
    problem = only_problem(b"---\ntitle: ok\nsummary: caf\xe9\n---\n")
    assert problem.line == 3


def test_bom_and_crlf_are_accepted() -> None:
    text = "\ufeff" + postmortem().replace("\n", "\r\n")
    pm = load(text.encode("utf-8"))
    assert isinstance(pm, Postmortem)
    assert pm.problems == ()
    assert pm.title == "Checkout errors after a config push"
    assert "\r" not in pm.body


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("trigger: no", "trigger", None),  # 'no' is text, so not a trigger: reported
        ("extra: {window: 1:30}", "extra", {"window": "1:30"}),
        ("extra: {at: 2024-03-08 10:30}", "extra", {"at": "2024-03-08 10:30"}),
        (
            "extra: {mode: 0755, flag: no, on: yes}",
            "extra",
            {"mode": "0755", "flag": "no", "on": "yes"},
        ),
    ],
)
def test_yaml_1_1_traps_keep_the_authors_meaning(line: str, field: str, value: object) -> None:
    result = load(with_line(line))
    assert isinstance(result, Postmortem)
    if value is None:
        (problem,) = result.problems
        assert problem.message == "'no' is not an allowed trigger"
    else:
        assert result.extra == value


def test_booleans_must_be_true_or_false() -> None:
    problem = only_problem(with_line("impact: {description: x, data_loss: no}"))
    assert problem.field == "impact.data_loss"
    assert "write true or false" in problem.hint


def test_alias_is_refused() -> None:
    problem = only_problem(with_line("tags: &t [a]\nteams: *t"))
    assert problem.message == "YAML aliases (*name) are not allowed in front matter"
    assert problem.line == 13


def test_duplicate_key_is_reported() -> None:
    problem = only_problem(with_line("severity: SEV3"))
    assert problem.message == "key 'severity' is given twice"
    assert problem.line == 12


def test_all_problems_are_collected_in_one_pass() -> None:
    text = postmortem(
        "title: x\nstatus: finished\nseverity: SEV9\nsummary: s\nservices: [a]\n"
        "started: 2024-01-01T10:00\nroot_cuase: r\n"
    )
    fields = sorted(p.field for p in problems_of(text))
    # No "date is required" on top: 'started' is there, only wrong.
    assert fields == ["root_cause", "root_cuase", "severity", "started", "status"]


def test_unsafe_links_are_refused() -> None:
    problem = only_problem(with_line("links: ['javascript:alert(1)']"))
    assert problem.field == "links[0].url"
    assert "is not an allowed link" in problem.message
    problem = only_problem(with_line("action_items: [{title: t, ticket: ' data:text/html,x'}]"))
    assert problem.field == "action_items[0].ticket"


def test_problem_format() -> None:
    problem = Problem("a.md", 3, "severity", "'x' is not allowed", "did you mean 'SEV1'?")
    assert problem.format() == "a.md:3: error: severity: 'x' is not allowed (did you mean 'SEV1'?)"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (45, "45 min"), (60, "1 h"), (255, "4 h 15 min"), (1440 + 180, "1 d 3 h")],
)
def test_format_duration(minutes: int, text: str) -> None:
    assert format_duration(timedelta(minutes=minutes)) == text


def test_latent_since_and_impact_figures() -> None:
    text = with_line(
        "latent_since: 2024-04-01T00:00:00Z\n"
        "impact: {description: d, figures: [{label: Customers, value: '775'}]}"
    )
    pm = load(text)
    assert isinstance(pm, Postmortem)
    assert pm.problems == ()
    assert pm.latent_for == timedelta(days=31, hours=9)
    assert pm.impact is not None
    assert pm.impact.figures == (("Customers", "775"),)
    problem = only_problem(with_line("latent_since: 2024-05-03T00:00:00Z"))
    assert problem.message == "latent_since is after started"
