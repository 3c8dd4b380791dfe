"""The JSON Schema, the reference page and the edit links all come from the one schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conftest import REPO, VALID_FRONT_MATTER, BuildSite, parse_html, postmortem
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.core.schema import FIELDS, Kind
from mkdocs_postmortems.core.validate import validate
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.core.yaml_load import parse
from mkdocs_postmortems.views.guides import example_front_matter

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"


def schema_from_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Draft202012Validator:
    """Return a validator for the schema `postmortems schema ARGS` prints."""
    assert main(["schema", *args]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def front(text: str) -> object:
    """Return the parsed front matter of a postmortem file's text."""
    return parse(text.split("---\n")[1]).data


def test_seed_and_reference_example_are_valid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    validator = schema_from_cli(capsys)
    seed = front(SEED.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(seed)) == []
    example = parse(example_front_matter()).data
    assert list(validator.iter_errors(example)) == []
    # The example uses every field that has an example, and the validator accepts it too.
    _, problems = validate(example, "x.md", {}, DEFAULT_VOCABULARIES, "2024-03-08-auth-outage")
    assert problems == []
    assert isinstance(example, dict)
    assert set(example) == {spec.name for spec in FIELDS if spec.example or spec.fields}


BAD = [
    ("sumary: x\n", "sumary"),  # unknown key
    ("severity: SEV22\n", "severity"),
    ("started: 2024-05-02 09:00\n", "started"),  # no time zone
    ("impact: {users_affected_percent: 150, description: x}\n", "impact"),
    ("links: ['javascript:alert(1)']\n", "links"),
    ("related: ['../etc/passwd']\n", "related"),
    ("action_items: [{owner: me}]\n", "action_items"),  # title is required
]


@pytest.mark.parametrize(("extra", "field"), BAD)
def test_bad_front_matter_fails_both_schema_and_validator(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    extra: str,
    field: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    validator = schema_from_cli(capsys)
    lines = VALID_FRONT_MATTER.splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith(extra.split(":")[0] + ":"))
    data = parse(text + extra).data
    errors = list(validator.iter_errors(data))
    assert errors, extra
    assert any(
        field in (list(error.absolute_path) or [error.message]) or field in error.message
        for error in errors
    )
    _, problems = validate(data, "x.md", {}, DEFAULT_VOCABULARIES, "x")
    assert any(problem.field.startswith(field) for problem in problems)


def test_missing_required_fields_fail(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    validator = schema_from_cli(capsys)
    data = parse(VALID_FRONT_MATTER).data
    assert isinstance(data, dict)
    assert list(validator.iter_errors(data)) == []
    del data["summary"]
    assert [e.message for e in validator.iter_errors(data)] == ["'summary' is a required property"]
    del data["date"], data["started"]
    assert len(list(validator.iter_errors(data))) == 2  # summary, and date or started


def test_site_vocabularies_reach_the_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "plugins:\n  - postmortems:\n      vocabularies:\n        severity: {P1: Worst, P2: Bad}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    validator = schema_from_cli(capsys)
    severity = validator.schema["properties"]["severity"]
    assert severity["oneOf"] == [
        {"const": "P1", "description": "Worst"},
        {"const": "P2", "description": "Bad"},
    ]
    data = parse(VALID_FRONT_MATTER.replace("SEV2", "P2")).data
    assert list(validator.iter_errors(data)) == []
    (tmp_path / "mkdocs.yml").write_text(
        "plugins:\n  - postmortems:\n      vocabularies: {sevrity: [a]}\n", encoding="utf-8"
    )
    assert main(["schema"]) == 2
    assert "unknown vocabulary 'sevrity'" in capsys.readouterr().err


def test_reference_page_lists_every_field_and_value(build_site: BuildSite) -> None:
    site = build_site(
        {SEED.name: SEED.read_text(encoding="utf-8")},
        plugin={"vocabularies": {"severity": {"SEV1": "<b>Worst</b>", "SEV2": "Bad"}}},
        strict=True,
    )
    assert site.error is None, site.messages
    html = site.page("writing-a-postmortem/")
    page = parse_html(html)
    for spec in FIELDS:
        assert spec.name in page.text
        for sub in spec.fields:
            nested = f"{spec.name}{'[]' if spec.kind is Kind.LIST else ''}.{sub.name}"
            assert nested in page.text, nested
    for name, terms in DEFAULT_VOCABULARIES.items():
        if name == "severity":
            continue
        for term in terms:
            assert term.value in page.text, (name, term.value)
    assert "<b>Worst</b>" in page.text  # the site's text, shown literally
    assert "<b>" not in html.split('class="md-content"')[1].split("</article>")[0].replace(
        "&lt;b&gt;", ""
    )
    assert "2024-03-08-auth-outage" in page.text  # the example
    nav = [attrs.get("href") for tag, attrs in page.tags if tag == "a"]
    assert "add-a-postmortem/" in " ".join(str(href) for href in nav)
    add = parse_html(site.page("add-a-postmortem/")).text
    assert 'postmortems new "Checkout errors after a config push"' in add
    assert "postmortems lint" in add


def test_docs_pages_win_over_generated_guides(build_site: BuildSite) -> None:
    site = build_site({}, docs={"add-a-postmortem.md": "# Our own way\n"})
    assert "Our own way" in parse_html(site.page("add-a-postmortem/")).text
    off = build_site({}, plugin={"guide_pages": False})
    assert not (off.site_dir / "writing-a-postmortem").exists()


def _edit_links(html: str) -> list[str]:
    return [
        str(attrs["href"])
        for tag, attrs in parse_html(html).tags
        if tag == "a" and "md-content__button" in str(attrs.get("class"))
    ]


def test_incident_pages_link_to_their_file_for_editing(build_site: BuildSite) -> None:
    files = {"sub/2024-05-02-checkout.md": postmortem()}
    repo = {"repo_url": "https://github.com/acme/kb", "edit_uri": "edit/main/docs/"}
    features = {"theme": {"name": "material", "font": False, "features": ["content.action.edit"]}}
    site = build_site(files, config={**repo, **features}, docs={"about.md": "# About\n"})
    assert _edit_links(site.page("postmortems/sub/2024-05-02-checkout/")) == [
        "https://github.com/acme/kb/edit/main/postmortems/sub/2024-05-02-checkout.md"
    ]
    assert _edit_links(site.page("about/")) == [
        "https://github.com/acme/kb/edit/main/docs/about.md"
    ]
    explicit = build_site(
        files,
        config={**repo, **features},
        plugin={"edit_uri": "https://git.example.com/kb/-/edit/trunk/incidents/"},
    )
    assert _edit_links(explicit.page("postmortems/sub/2024-05-02-checkout/")) == [
        "https://git.example.com/kb/-/edit/trunk/incidents/sub/2024-05-02-checkout.md"
    ]
    rejected = build_site(
        {"2024-05-02-broken.md": "no front matter\n"}, config={**repo, **features}
    )
    assert _edit_links(rejected.page("postmortems/2024-05-02-broken/")) == [
        "https://github.com/acme/kb/edit/main/postmortems/2024-05-02-broken.md"
    ]
    none = build_site(files, config=features)
    assert _edit_links(none.page("postmortems/sub/2024-05-02-checkout/")) == []
