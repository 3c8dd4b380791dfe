"""`postmortems import` on the command line: files written, reports, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES

LAYOUT = FIXTURES / "import" / "heroku-label-lines.md"
WRITTEN = "2024-11-05-login-api-returned-errors-for-eu-customers.md"


def test_imports_into_out_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "postmortems"
    assert main(["import", str(LAYOUT), "--out", str(out)]) == 0
    target = out / WRITTEN
    record = load_bytes(target.read_bytes(), target.name, DEFAULT_VOCABULARIES)
    assert not isinstance(record, Rejected)
    assert record.problems == ()
    err = capsys.readouterr().err
    assert f"{LAYOUT}: imported to {target}" in err
    assert "  guessed: status: draft" in err
    assert "  not found: lessons: none found" in err
    assert "1 of 1 file imported" in err


def test_a_taken_name_gets_a_suffix_and_force_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / WRITTEN
    target.write_text("mine\n", encoding="utf-8")
    assert main(["import", str(LAYOUT), "--out", str(tmp_path)]) == 0
    assert target.read_text(encoding="utf-8") == "mine\n"
    suffixed = tmp_path / WRITTEN.replace(".md", "-2.md")
    assert suffixed.read_text(encoding="utf-8").startswith("---\ntitle: Login API")
    assert f"renamed to {suffixed.name}" in capsys.readouterr().err
    target.unlink()
    suffixed.unlink()
    (tmp_path / WRITTEN).write_text("mine\n", encoding="utf-8")
    assert main(["import", str(LAYOUT), "--out", str(tmp_path), "--force"]) == 0
    assert (tmp_path / WRITTEN).read_text(encoding="utf-8").startswith("---\ntitle: Login API")


def test_the_same_incident_twice_is_reported_not_imported_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(LAYOUT), str(LAYOUT), "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == [WRITTEN]
    err = capsys.readouterr().err
    assert f"skipped: duplicate of {WRITTEN} (same day 2024-11-05" in err
    assert "1 of 2 files imported; skipped: 1 duplicate" in err
    # Again later: the folder already holds it, so nothing new is written.
    assert main(["import", str(LAYOUT), "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == [WRITTEN]


def test_some_files_failing_is_exit_one_and_the_rest_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    undated = tmp_path / "notes.md"
    undated.write_text("# Something broke\n\nIt broke.\n", encoding="utf-8")
    binary = tmp_path / "bad.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    out = tmp_path / "out"
    code = main(
        [
            "import",
            str(undated),
            str(binary),
            str(tmp_path / "absent.md"),
            str(LAYOUT),
            "--out",
            str(out),
        ]
    )
    assert code == 1
    assert [p.name for p in out.iterdir()] == [WRITTEN]
    err = capsys.readouterr().err
    assert f"{undated}: skipped: no incident date in the text, its front matter or the file " in err
    assert f"{binary}: error: is not UTF-8 text" in err
    assert "absent.md: error: cannot be read" in err
    assert "1 of 4 files imported" in err
    assert main(["import", str(undated), "--out", str(out), "--date", "2024-02-03"]) == 0
    assert (out / "2024-02-03-something-broke.md").exists()


def test_stdout_writes_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["import", str(LAYOUT), "--stdout", "--out", str(out)]) == 0
    assert not out.exists()
    captured = capsys.readouterr()
    assert captured.out.startswith("---\ntitle: Login API returned errors for EU customers\n")
    assert captured.out.endswith(LAYOUT.read_text(encoding="utf-8"))
    assert "imported to standard output" in captured.err


@pytest.mark.parametrize(
    "argv",
    [["import"], ["import", "x.md", "--date", "March 3"], ["import", "x.md", "--bogus"]],
)
def test_usage_errors_are_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: postmortems" in capsys.readouterr().err


def test_out_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("", encoding="utf-8")
    assert main(["import", str(LAYOUT), "--out", str(taken)]) == 2


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "--help"]) == 0
    out = capsys.readouterr().out
    assert "postmortems import old/2024-03-08-auth-outage.md" in out
    assert "--force" in out


def test_imported_seed_lints_clean_apart_from_one_explained_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = REPO.parent / "shared" / "seed" / "2024-03-08-auth-outage.md"
    if not seed.exists():
        pytest.skip("shared/seed is not beside this checkout")
    out = tmp_path / "imported"
    assert main(["import", str(seed), "--out", str(out)]) == 0
    capsys.readouterr()
    # The import is a draft: the seed has no lessons, so the SEV2 "Lessons" section is a
    # reminder (warning) until it is written, not an error.
    assert main(["lint", "--source", str(out), "--config", str(tmp_path / "absent.yml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert ": warning: body: SEV2 postmortems need a 'Lessons' section" in lines[0]


SOURCES = FIXTURES / "import" / "sources"


def _archive(tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    (archive / "2024" / ".git").mkdir(parents=True)
    for name in ("cstate-issue.md", "postmortems-app-undated.md"):
        (archive / name).write_text((SOURCES / name).read_text(encoding="utf-8"), "utf-8")
    nested = (SOURCES / "postmortems-app.md").read_text(encoding="utf-8")
    (archive / "2024" / "queue.md").write_text(nested, encoding="utf-8")
    (archive / "2024" / ".git" / "HEAD.md").write_text("not a postmortem", encoding="utf-8")
    (archive / "2024" / "logo.png").write_bytes(b"\x89PNG")
    return archive


def test_a_folder_is_imported_recursively_with_a_summary_and_a_review_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive, out, review = _archive(tmp_path), tmp_path / "out", tmp_path / "review.md"
    assert main(["import", str(archive), "--out", str(out), "--review", str(review)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "2021-03-09-queue-stall-at-example-corp.md",
        "2024-10-14-artifact-mirror-unreachable.md",
    ]
    err = capsys.readouterr().err
    assert (
        "2 of 3 files imported; 1 need review; skipped: 1 no incident date in the text, "
        "its front matter or the file name" in err
    )
    report = review.read_text(encoding="utf-8")
    assert report.startswith("# Import review\n\nimported: 1, needs review: 1, skipped: 1.")
    assert f"## {archive / 'cstate-issue.md'}" in report
    assert "- to fill in or check: severity" in report  # the archive entry states none
    assert "| severity | SEV1 | 7 | front matter 'severity' | high |" in report
    assert "| severity | (empty: the source does not state it) |  | not found | none |" in report
    assert "| root_cause | The load balancer certificate had expired" in report
    assert "- outcome: skipped: no incident date" in report


def test_the_review_report_as_csv_has_a_row_per_field(tmp_path: Path) -> None:
    archive, out, review = _archive(tmp_path), tmp_path / "out", tmp_path / "review.csv"
    assert main(["import", str(archive), "--out", str(out), "--review", str(review)]) == 0
    rows = list(csv.DictReader(review.read_text(encoding="utf-8").splitlines()))
    started = [r for r in rows if r["field"] == "started" and "queue" in r["source"]]
    assert started == [
        {
            "source": str(archive / "2024" / "queue.md"),
            "output": str(out / "2021-03-09-queue-stall-at-example-corp.md"),
            "outcome": "needs review",
            "field": "started",
            "value": "2021-03-09T15:40:00+00:00",
            "line": "5",
            "how": "front matter 'start_time'",
            "confidence": "high",
        }
    ]


def test_reimporting_the_seed_is_reported_as_a_duplicate_not_a_second_outage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = REPO.parent / "shared" / "seed" / "2024-03-08-auth-outage.md"
    if not seed.exists():
        pytest.skip("shared/seed is not beside this checkout")
    out = tmp_path / "postmortems"
    out.mkdir()
    existing = REPO / "postmortems" / "2024-03-08-auth-outage.md"
    (out / existing.name).write_bytes(existing.read_bytes())
    assert main(["import", str(seed), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == [existing.name]
    assert f"skipped: duplicate of {existing.name}" in capsys.readouterr().err


def test_a_severity_map_outside_the_sites_vocabulary_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["import", str(SOURCES / "cstate-issue.md"), "--out", str(tmp_path)]
    assert main([*argv, "--severity-map", "down=P1"]) == 2
    assert "--severity-map down=P1: not a severity of this site" in capsys.readouterr().err
    assert main([*argv, "--severity-map", "down=SEV2"]) == 0
    written = (tmp_path / "2024-10-14-artifact-mirror-unreachable.md").read_text("utf-8")
    assert "\nseverity: SEV2\n" in written


def test_the_same_title_hours_apart_on_one_day_is_two_incidents(tmp_path: Path) -> None:
    first = (SOURCES / "cstate-issue.md").read_text(encoding="utf-8")
    second = first.replace("T07:20:00", "T15:20:00").replace("T09:05:00", "T16:05:00")
    (tmp_path / "a.md").write_text(first, encoding="utf-8")
    (tmp_path / "b.md").write_text(second, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["import", str(tmp_path / "a.md"), str(tmp_path / "b.md"), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "2024-10-14-artifact-mirror-unreachable-2.md",
        "2024-10-14-artifact-mirror-unreachable.md",
    ]


def test_an_imported_draft_lints_clean_apart_from_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "2025-08-12-hub-outage.md"
    source.write_text(
        "# Hub outage\n\n## Summary\n\nThe hub was down for an hour because the NFS server "
        "address changed.\n\nSee [the earlier one](PM2019-009%20-%20old.md).\n\n"
        "## Action items\n\n- [ ] Write an incident report\n",
        encoding="utf-8",
    )
    out = tmp_path / "postmortems"
    assert main(["import", str(source), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["lint", "--source", str(out), "--config", str(tmp_path / "absent.yml")]) == 0
    report = capsys.readouterr().out
    assert "error" not in report.replace("0 errors", "")
    assert "warning: needs review: severity, services still empty" in report
    assert "has no owner" in report  # a reminder on a draft, an error once published
    assert "link target 'PM2019-009%20-%20old.md' does not exist" in report


def test_out_defaults_to_the_sites_folder_and_the_review_stays_outside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: S\nplugins:\n  - postmortems:\n      source: incidents\n", encoding="utf-8"
    )
    argv = ["import", str(LAYOUT), "--config", str(config)]
    inside = tmp_path / "incidents" / "review.md"
    assert main([*argv, "--review", str(inside)]) == 2
    assert "would be read as a postmortem" in capsys.readouterr().err
    assert main(argv) == 0
    assert (tmp_path / "incidents" / WRITTEN).is_file()
