"""`postmortems new`: a correctly named file, every field explained, never an overwrite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import BuildSite
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.core.schema import FIELDS
from mkdocs_postmortems.core.text import slugify

SITE = "site_name: Test\nplugins:\n  - postmortems:\n      source: incidents\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a folder with a mkdocs.yml whose postmortems live in `incidents/`."""
    (tmp_path / "mkdocs.yml").write_text(SITE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fill(text: str) -> str:
    """Return the template text with every placeholder and required section filled in."""
    text = text.replace(
        '"TODO: Two or three sentences: what happened, the impact, the fix."',
        "Checkout failed for 20 minutes after a config push.",
    )
    text = re.sub(r'root_cause: "TODO: [^"]*"', "root_cause: The payment timeout was zero.", text)
    text = text.replace("services: [TODO]", "services: [checkout]")
    text = text.replace("severity: TODO", "severity: SEV3")
    text = text.replace(
        "## Timeline\n\n", "## Timeline\n\n- 09:00 UTC: the config push lands.\n\n", 1
    )
    return text.replace(
        "## Lessons learned\n\n", "## Lessons learned\n\nReview timeouts in config pushes.\n\n", 1
    )


def test_new_writes_a_named_file_and_prints_next_steps(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["new", "Checkout errors après a config push!", "--date", "2024-05-02"])
    out = capsys.readouterr().out
    path = site / "incidents" / "2024-05-02-checkout-errors-apres-a-config-push.md"
    assert code == 0
    assert path.is_file()
    assert out.splitlines()[0] == f"Created incidents/{path.name}"
    assert f"postmortems lint incidents/{path.name}" in out
    assert (
        "http://127.0.0.1:8000/postmortems/2024-05-02-checkout-errors-apres-a-config-push/" in out
    )
    text = path.read_text(encoding="utf-8")
    assert "\nid: 2024-05-02-checkout-errors-apres-a-config-push\n" in text
    assert '\ntitle: "Checkout errors après a config push!"\n' in text


def test_new_never_overwrites(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "Disk full", "--date", "2024-05-02"]) == 0
    path = site / "incidents" / "2024-05-02-disk-full.md"
    path.write_text("mine\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["new", "Disk full", "--date", "2024-05-02"]) == 1
    assert "already exists and was left unchanged" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "mine\n"
    assert main(["new", "--title", "Disk full", "--date", "2024-05-02", "--slug", "disk-2"]) == 0
    assert (site / "incidents" / "2024-05-02-disk-2.md").is_file()


def test_template_explains_every_field(site: Path) -> None:
    assert main(["new", "Anything", "--date", "2024-05-02"]) == 0
    text = (site / "incidents" / "2024-05-02-anything.md").read_text(encoding="utf-8")
    for spec in FIELDS:
        assert re.search(rf"^# {spec.name}( \(required\))?: ", text, re.M), spec.name
        for sub in spec.fields:
            assert re.search(rf"^#   {sub.name}( \(required\))?: ", text, re.M), sub.name
    assert "#     monitoring-alert: An automated alert fired." in text


def test_new_file_fails_lint_only_on_its_placeholders(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "Login outage", "--date", "2024-03-08", "--severity", "sev2"]) == 0
    capsys.readouterr()
    assert main(["lint", "--format", "json"]) == 1
    found = [(row["rule"], row["field"]) for row in json.loads(capsys.readouterr().out)]
    assert found == [
        ("placeholder", "summary"),
        ("placeholder", "root_cause"),
        ("placeholder", "services[0]"),
        ("required-sections", "body"),
        ("required-sections", "body"),
    ]


def test_filled_template_passes_lint_and_a_strict_build(
    site: Path, capsys: pytest.CaptureFixture[str], build_site: BuildSite
) -> None:
    assert main(["new", "Login outage", "--date", "2024-03-08", "--team", "Web"]) == 0
    path = site / "incidents" / "2024-03-08-login-outage.md"
    path.write_text(fill(path.read_text(encoding="utf-8")), encoding="utf-8")
    capsys.readouterr()
    assert main(["lint", "--strict"]) == 0, capsys.readouterr().out
    built = build_site(
        {path.name: path.read_text(encoding="utf-8")}, plugin={"lint_on_build": True}, strict=True
    )
    assert built.error is None, built.messages
    assert "Login outage" in built.page("postmortems/2024-03-08-login-outage/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2024-13-01"], "'2024-13-01' is not a date; use YYYY-MM-DD"),
        (["--severity", "SEV9"], "unknown severity 'SEV9' (allowed: SEV1, SEV2, SEV3, SEV4)"),
        (["--slug", "Bad Slug"], "--slug 'Bad Slug' must be lowercase letters, digits and '-'"),
        (["--title", "Again"], "give the title once, as TITLE or --title"),
    ],
)
def test_bad_options_are_usage_errors(
    site: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["new", "Title", *args]) == 2
    assert message in capsys.readouterr().err
    assert main(["new", " "]) == 2
    assert "the title is empty" in capsys.readouterr().err
    assert main(["new"]) == 2
    assert not (site / "incidents").exists()


def test_slugify() -> None:
    assert slugify("Ünïcode: DNS → outage (v2)") == "unicode-dns-outage-v2"
    assert slugify("!!!") == ""  # callers choose their own fallback
    assert slugify("a" * 80) == "a" * 60
    assert len(slugify("word " * 40)) <= 60


def test_preview_url_follows_the_path_of_site_url(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `mkdocs serve` serves the site under site_url's path, as the published site.
    (site / "mkdocs.yml").write_text(
        "site_name: Test\nsite_url: https://example.github.io/mkdocs-postmortems/\n"
        "plugins:\n  - postmortems\n",
        encoding="utf-8",
    )
    assert main(["new", "Cache stampede", "--date", "2024-05-02"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/mkdocs-postmortems/postmortems/2024-05-02-cache-stampede/" in out
    (site / "mkdocs.yml").write_text(
        "site_name: Test\nuse_directory_urls: false\nplugins:\n  - postmortems\n",
        encoding="utf-8",
    )
    assert main(["new", "Queue backlog", "--date", "2024-05-03"]) == 0
    assert (
        "http://127.0.0.1:8000/postmortems/2024-05-03-queue-backlog.html" in capsys.readouterr().out
    )
