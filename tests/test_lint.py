"""`postmortems lint`: every rule fails its fixture with the precise message; formats; git."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from conftest import FIXTURES, PLUGIN_LOGGER, REPO, VALID_FRONT_MATTER, BuildSite, postmortem
from mkdocs_postmortems.authoring.lint import CORE_RULES, RULES, _word_pattern
from mkdocs_postmortems.cli.main import main

LINT = FIXTURES / "lint"
RULE_NAMES = [*CORE_RULES, *(rule.name for rule in RULES)]


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `postmortems lint ARGS` and return the exit code, stdout and stderr."""
    code = main(["lint", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_every_rule_fails_its_fixture_with_the_precise_message(
    rule: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(LINT)
    code, out, _ = lint(capsys, "--source", rule, "--config", "absent.yml")
    assert out == (LINT / rule / "expected.txt").read_text(encoding="utf-8")
    errors = any(": error: " in line for line in out.splitlines())
    assert code == (1 if errors else 0)
    _, out, _ = lint(capsys, "--source", rule, "--config", "absent.yml", "--format", "json")
    assert rule in {row["rule"] for row in json.loads(out)}


def test_fixture_messages_name_file_line_field_and_fix() -> None:
    expected = {
        "schema": "schema/2024-01-01-schema.md:8: error: severity: 'SEV22' is not an allowed "
        "severity (did you mean 'SEV2'?)",
        "placeholder": "placeholder/2024-01-06-placeholder.md:6: error: summary: still holds "
        "the template placeholder 'TODO: Two or three sentences.' (replace it with the real "
        "value; the comment above the field explains it)",
        "blameless-language": "blameless-language/2024-01-09-blameless-language.md:12:28: "
        "warning: body: 'Human Error' assigns blame (describe what the system and process "
        "allowed, not who is at fault)",
        "broken-link": "broken-link/2024-01-10-broken-link.md:12:1: error: body: image target "
        "'images/latency.png' does not exist (fix the path; it is relative to the postmortems "
        "folder)",
    }
    for rule, line in expected.items():
        assert line in (LINT / rule / "expected.txt").read_text(encoding="utf-8").splitlines()


def test_blameless_rule_skips_code_and_longer_words() -> None:
    text = (LINT / "blameless-language" / "expected.txt").read_text(encoding="utf-8")
    assert "blameless'" not in text  # "blameless" is not "blame"
    assert ":15:" not in text  # inside a fenced code block
    assert "careless" not in text  # inside a code span


def test_warnings_pass_unless_strict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(LINT)
    code, _, err = lint(capsys, "--source", "body-title", "--config", "absent.yml")
    assert code == 0
    assert err == "1 file checked: 0 errors, 1 warning\n"
    code, _, _ = lint(capsys, "--source", "body-title", "--config", "absent.yml", "--strict")
    assert code == 1


def test_github_format_annotates_pull_requests(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(LINT)
    code, out, _ = lint(
        capsys, "--source", "broken-link", "--config", "x.yml", "--format", "github"
    )
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=broken-link/2024-01-10-broken-link.md,line=12,col=1,"
        "title=postmortems lint (broken-link)%3A body::image target 'images/latency.png' does "
        "not exist (fix the path; it is relative to the postmortems folder)"
    )
    _, out, _ = lint(capsys, "--source", "action-item", "--config", "x.yml", "--format", "github")
    assert out.splitlines()[0].startswith(
        "::warning file=action-item/2024-01-07-action-item.md,line=10,"
        "title=postmortems lint (action-item)%3A action_items[0].due::"
    )


def test_json_format_lists_every_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(LINT)
    _, out, _ = lint(capsys, "--source", "chronology", "--config", "x.yml", "--format", "json")
    assert json.loads(out) == [
        {
            "path": "chronology/2024-01-02-chronology.md",
            "line": 10,
            "column": None,
            "level": "error",
            "rule": "chronology",
            "field": "resolved",
            "message": "resolved (2024-01-02T09:00:00+00:00) is before started "
            "(2024-01-02T10:00:00+00:00)",
            "hint": "check the dates and time zones; times must be in order "
            "started <= detected <= mitigated <= resolved",
        }
    ]


def test_paths_select_files_and_bad_paths_are_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(LINT)
    code, out, err = lint(capsys, "--source", "duplicate-id", "--config", "x.yml", "duplicate-id/a")
    # The duplicate is reported on the second file, so linting only the first is clean.
    assert (code, out) == (0, "")
    assert err == "1 file checked: 0 errors, 0 warnings\n"
    code, _, err = lint(capsys, "--source", "schema", "--config", "x.yml", "chronology")
    assert code == 2
    assert "chronology is not inside the postmortems folder schema" in err
    code, _, err = lint(capsys, "--source", "schema", "--config", "x.yml", "schema/nope.md")
    assert (code, err) == (2, "postmortems lint: schema/nope.md: no such file or folder\n")
    assert main(["lint", "--format", "xml"]) == 2


def test_site_options_configure_sections_and_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "incidents").mkdir()
    body = "## Impact\n\nCheckout failed; the oncall was careless.\n"
    (tmp_path / "incidents" / "2024-05-02-checkout.md").write_text(
        postmortem(VALID_FRONT_MATTER, body), encoding="utf-8"
    )
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nplugins:\n  - postmortems:\n      source: incidents\n"
        "      required_sections: {SEV2: [Impact, Resolution | Fix]}\n"
        "      blameless_words: [oncall]\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = lint(capsys)
    assert code == 1
    assert out.splitlines() == [
        "incidents/2024-05-02-checkout.md:14: error: body: SEV2 postmortems need a "
        "'Resolution' section (add a '## Resolution' heading with its content)",
        "incidents/2024-05-02-checkout.md:16:22: warning: body: 'oncall' assigns blame "
        "(describe what the system and process allowed, not who is at fault)",
    ]
    (tmp_path / "mkdocs.yml").write_text(
        "plugins:\n  - postmortems:\n      required_sections: {SEV9: [Impact]}\n",
        encoding="utf-8",
    )
    code, _, err = lint(capsys)
    assert code == 2
    assert "required_sections: 'SEV9' is not a severity (allowed: SEV1, SEV2, SEV3, SEV4)" in err


def test_repository_postmortems_have_no_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = lint(capsys)
    assert code == 0, out
    assert all(": warning: " in line for line in out.splitlines())


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_changed_since_lints_only_the_branch_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "postmortems").mkdir(parents=True)
    shutil.copy(LINT / "body-title" / "2024-01-11-body-title.md", repo / "postmortems")
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.md").write_text("not a postmortem\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    _git(repo, "switch", "-q", "-c", "topic")
    shutil.copy(LINT / "schema" / "2024-01-01-schema.md", repo / "postmortems")
    (repo / "docs" / "more.md").write_text("also not a postmortem\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    code, out, err = lint(capsys, "--changed-since", "main")
    assert code == 1
    assert out.splitlines() == [
        "postmortems/2024-01-01-schema.md:8: error: severity: 'SEV22' is not an allowed "
        "severity (did you mean 'SEV2'?)"
    ]
    assert err.startswith("1 file checked")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x")
    code, out, _ = lint(capsys, "--changed-since", "HEAD")
    assert (code, out) == (0, "")
    code, _, err = lint(capsys, "--changed-since", "no-such-ref")
    assert code == 2
    assert "git merge-base no-such-ref HEAD failed" in err


def test_build_logs_the_same_findings(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    # Advice is summed up in one INFO line; its details are DEBUG (`mkdocs build --verbose`).
    caplog.set_level(logging.DEBUG, logger=PLUGIN_LOGGER)
    body = "# Checkout\n\nThe outage was human error. ![graph](graph.png)\n"
    front = VALID_FRONT_MATTER.replace("SEV2", "SEV3")
    files = {"2024-05-02-checkout.md": postmortem(front, body)}
    site = build_site(files, plugin={"lint_on_build": True})
    assert site.error is None
    path = "2024-05-02-checkout.md"
    assert (
        f"postmortems: {path}:16:29: error: body: image target 'graph.png' does not exist "
        "(fix the path; it is relative to the postmortems folder)"
    ) in site.warnings
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(
        m.startswith(f"postmortems: {path}:14:1: warning: body: the body starts with")
        for m in details
    )
    assert any(
        m.startswith(f"postmortems: {path}:16:16: warning: body: 'human error'") for m in details
    )
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [m for m in infos if "finding" in m] == [
        "postmortems: 2 lint findings in 1 file (advice, not errors): run 'postmortems lint' "
        "for the list, or build with --verbose"
    ]
    assert build_site(files, plugin={"lint_on_build": True}, strict=True).error is not None
    assert build_site(files, strict=True).error is not None  # MkDocs' own link check
    files[path] = postmortem(front, body.replace("graph.png", "../guide.md"))
    docs = {"guide.md": "# Guide\n"}
    # A link into the docs folder resolves; advisory findings do not fail a strict build.
    site = build_site(files, docs=docs, plugin={"lint_on_build": True}, strict=True)
    assert site.error is None, site.warnings
    assert len([m for m in site.messages if path in m]) == 2
    off = build_site(files, docs=docs, strict=True)
    assert [m for m in off.messages if path in m] == []


def test_bad_lint_options_stop_the_build(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Abort):
        build_site({}, plugin={"required_sections": {"SEV9": ["Timeline"]}})
    assert caplog.messages == [
        "postmortems: required_sections: 'SEV9' is not a severity (allowed: SEV1, SEV2, SEV3, SEV4)"
    ]


def test_an_empty_word_list_turns_the_blameless_rule_off(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=PLUGIN_LOGGER)
    body = "It was human error.\n"
    files = {"2024-05-02-checkout.md": postmortem(VALID_FRONT_MATTER, body)}
    options: dict[str, object] = {"lint_on_build": True, "required_sections": {}}
    assert any("assigns blame" in m for m in build_site(files, plugin=options).messages)
    site = build_site(files, plugin={**options, "blameless_words": []})
    assert [m for m in site.messages if "2024-05-02-checkout.md" in m] == []


@pytest.mark.parametrize("rule", list(CORE_RULES))
def test_loading_checks_name_their_rule_where_the_problem_is_made(
    rule: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every finding of a core rule's fixture carries that rule, whatever its message says.
    monkeypatch.chdir(LINT)
    _, out, _ = lint(capsys, "--source", rule, "--config", "absent.yml", "--format", "json")
    assert {row["rule"] for row in json.loads(out)} == {rule}


def test_the_repositorys_own_postmortems_lint_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = lint(capsys, "--config", str(REPO / "mkdocs.yml"))
    assert (code, out) == (0, "")
    assert err.endswith(" checked: 0 errors, 0 warnings\n")


def test_serve_does_not_repeat_unchanged_findings(caplog: pytest.LogCaptureFixture) -> None:
    from mkdocs_postmortems.core.problems import Level, Problem
    from mkdocs_postmortems.plugin.adapter import _report

    caplog.set_level(logging.INFO, logger=PLUGIN_LOGGER)
    advice = [Problem("a.md", 3, "due", "no due date", level=Level.WARNING)]
    key = _report(advice, None)
    assert len(caplog.records) == 1
    caplog.clear()
    assert _report(advice, key) == key  # a rebuild with the same findings says nothing
    assert caplog.records == []
    more = [*advice, Problem("b.md", 1, "owner", "no owner", level=Level.WARNING)]
    _report(more, key)
    assert [r.getMessage() for r in caplog.records] == [
        "postmortems: 2 lint findings in 2 files (advice, not errors): run 'postmortems lint' "
        "for the list, or build with --verbose"
    ]
    caplog.clear()
    error = [Problem("c.md", 2, "title", "missing")]
    _report(error, key)
    _report(error, key)  # errors are repeated: they fail the build every time
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 4


@pytest.mark.parametrize(
    "words",
    [
        ("blame", "human error", "should have known"),
        ("Über", "\u017floppy", "-lazy", "[sic]", "K9 fault"),  # case folding, punctuation first
    ],
)
def test_the_blame_word_pattern_finds_what_a_plain_alternation_finds(
    words: tuple[str, ...],
) -> None:
    # The pattern leads with a lookahead on first letters for speed: it must change nothing.
    pattern = _word_pattern(words)
    assert pattern is not None
    alternatives = "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in words)
    plain = re.compile(rf"\b(?:{alternatives})(?:s|d|ed)?\b", re.IGNORECASE)
    text = (
        "Blamed by über-ops: HUMAN  error, human\terrors, should have   known. SLOPPY \u017floppy "
        "x-lazy -lazy [sic] [SIC]s K9 fault k9 faults \u212a9 fault blameless unblamed"
    )
    found = [m.span() for m in pattern.finditer(text)]
    assert found == [m.span() for m in plain.finditer(text)]
    assert found  # the text holds matches of each word list
