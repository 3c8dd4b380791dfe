"""`postmortems import` on the command line: files written, reports, exit codes."""

from __future__ import annotations

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


def test_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / WRITTEN
    target.write_text("mine\n", encoding="utf-8")
    assert main(["import", str(LAYOUT), "--out", str(tmp_path)]) == 1
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert "already exists and was not replaced" in capsys.readouterr().err
    assert main(["import", str(LAYOUT), "--out", str(tmp_path), "--force"]) == 0
    assert target.read_text(encoding="utf-8").startswith("---\ntitle: Login API")


def test_same_name_twice_in_one_run_keeps_the_first(tmp_path: Path) -> None:
    assert main(["import", str(LAYOUT), str(LAYOUT), "--out", str(tmp_path)]) == 1
    assert len(list(tmp_path.iterdir())) == 1


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
    assert f"{undated}: error: no date found in the text or the file name (pass --date" in err
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
