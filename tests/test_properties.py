"""Property-based tests: whatever the input, loading gives a record or problems, never a crash."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import markdown
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mkdocs_postmortems.core import yaml_load
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.problems import Level
from mkdocs_postmortems.core.schema import FIELDS, Kind
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.core.yaml_load import YamlProblem, parse
from mkdocs_postmortems.search.documents import STEMMED, terms
from mkdocs_postmortems.views.markup import render_markdown
from mkdocs_postmortems.views.sanitize import sanitize_html

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VOCABULARIES = DEFAULT_VOCABULARIES
FIELD_NAMES = [field.name for field in FIELDS]
NESTED_NAMES = sorted({sub.name for field in FIELDS for sub in field.fields})

# Text that looks like YAML: indentation, quotes, colons, dashes, anchors, tags and unicode.
YAML_ALPHABET = st.sampled_from(
    [*"abcz019 :-#&*!|>'\"[]{},?%@`\t\n\\", "\u00e9", "\u2028", "\ufeff", "\x00", "\x85"]
)
yaml_like_text = st.text(YAML_ALPHABET, max_size=200) | st.text(max_size=200)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "2024-03-08",
            "2024-03-08T10:30:00Z",
            "2024-13-45",
            "2024-03-08 10:30",
            "SEV1",
            "published",
            "no",
            "1:30",
            "0755",
            "javascript:alert(1)",
            "https://example.com",
            "../../etc/passwd",
        ]
    )
)
keys = st.sampled_from(FIELD_NAMES + NESTED_NAMES) | st.text(max_size=12)
structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=16,
)
front_matters = st.dictionaries(st.sampled_from(FIELD_NAMES) | keys, structures, max_size=10)


def _check_result(result: Postmortem | Rejected, path: str) -> None:
    """Assert that `result` is a record or a rejection whose problems say what and how."""
    assert isinstance(result, Postmortem | Rejected)
    problems = result.problems
    if isinstance(result, Rejected):
        assert problems
    for problem in problems:
        assert problem.path == path
        assert problem.message
        assert problem.line is None or problem.line >= 1
        problem.format()
    if isinstance(result, Postmortem) and not [p for p in problems if p.level == Level.ERROR]:
        # A record without errors has every required field.
        assert result.title
        assert result.summary
        assert result.root_cause
        assert result.services
        assert result.severity in [term.value for term in VOCABULARIES["severity"]]


@FAST
@given(yaml_like_text)
def test_any_front_matter_text_gives_a_record_or_problems(text: str) -> None:
    raw = ("---\n" + text + "\n---\n\nBody.\n").encode("utf-8", "surrogatepass")
    _check_result(load_bytes(raw, "2024-01-01-x.md", VOCABULARIES), "2024-01-01-x.md")


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_give_a_record_or_problems(raw: bytes) -> None:
    _check_result(load_bytes(b"---\n" + raw, "x.md", VOCABULARIES), "x.md")
    _check_result(load_bytes(raw, "x.md", VOCABULARIES), "x.md")


@FAST
@given(yaml_like_text)
def test_the_strict_parser_returns_data_or_a_yaml_problem(text: str) -> None:
    message = ""
    try:
        parsed = parse(text)
    except YamlProblem as problem:
        message = problem.message or "(empty message)"
    else:
        json.dumps(parsed.data)  # plain data only: no dates, no Python objects
    assert message != "(empty message)"


@FAST
@given(front_matters)
def test_any_yaml_structure_gives_a_record_or_problems(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    raw = f"---\n{text}---\n\nBody.\n".encode("utf-8", "surrogatepass")
    _check_result(load_bytes(raw, "2024-01-01-x.md", VOCABULARIES), "2024-01-01-x.md")


def _valid_value(kind: Kind, field: Any) -> Any:
    examples = {
        Kind.TEXT: "some text",
        Kind.LINE: "a line",
        Kind.DATE: "2024-03-08",
        Kind.DATETIME: "2024-03-08T10:30:00Z",
        Kind.URL: "https://example.com",
        Kind.NUMBER: 5,
        Kind.INTEGER: 5,
        Kind.BOOLEAN: True,
        Kind.ID: "2024-01-01-x",
        Kind.ANY: {"k": "v"},
    }
    if kind is Kind.VOCAB:
        return VOCABULARIES[field.vocabulary][0].value
    return examples.get(kind, "x")


@FAST
@given(st.data())
def test_one_wrong_value_in_a_valid_file_gives_a_problem_on_that_field(data: st.DataObject) -> None:
    front = {
        "title": "T",
        "date": "2024-01-01",
        "status": "published",
        "severity": "SEV2",
        "summary": "S",
        "root_cause": "R",
        "services": ["svc"],
    }
    field = data.draw(st.sampled_from([f for f in FIELDS if f.kind is not Kind.MAPPING]))
    value = data.draw(structures)
    front[field.name] = value
    text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    raw = f"---\n{text}---\n\nBody.\n".encode("utf-8", "surrogatepass")
    result = load_bytes(raw, "2024-01-01-x.md", VOCABULARIES)
    _check_result(result, "2024-01-01-x.md")
    assert isinstance(result, Postmortem)
    errors = [p for p in result.problems if p.level == Level.ERROR]
    # Any problem is about the field that was changed (or the date it must agree with).
    assert all(p.field.split("[")[0].split(".")[0] in (field.name, "date") for p in errors)


class _Unsafe(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "iframe", "object", "embed", "svg", "math", "meta"):
            self.found.append(tag)
        for name, _value in attrs:
            allowed_style = name == "style" and tag in ("td", "th")
            if (name.startswith("on") or name in ("style", "srcdoc")) and not allowed_style:
                self.found.append(f"{tag} {name}")


HTML_ALPHABET = st.sampled_from(
    [
        "<",
        ">",
        "/",
        "=",
        '"',
        "'",
        " ",
        "a",
        "b",
        "script",
        "img",
        "svg",
        "onerror",
        "onload",
        "src",
        "href",
        "javascript:",
        "style",
        "td",
        "!--",
        "&",
        "#",
        ";",
        "\n",
        "x",
    ]
)


@FAST
@given(st.lists(HTML_ALPHABET, max_size=60).map("".join))
def test_sanitized_html_has_no_script_or_handlers(html: str) -> None:
    parser = _Unsafe()
    parser.feed(sanitize_html(html))
    parser.close()
    assert parser.found == []


# Without NEL and BOM, which libyaml reads as a line break and a marker but Python as text.
PLAIN_YAML = st.text(st.sampled_from([*"abcz019 :-#&*!|>'\"[]{},?%@`\t\n\\", "\u00e9", "\x01"]))


@FAST
@given(PLAIN_YAML)
def test_libyaml_and_the_python_parser_agree(text: str) -> None:
    if yaml_load._FAST is None:
        return  # without libyaml there is only one parser
    outcomes: list[object] = []
    for fast in (yaml_load._FAST, None):
        previous, yaml_load._FAST = yaml_load._FAST, fast
        try:
            parsed = parse(text)
            outcomes.append((parsed.data, parsed.lines, parsed.duplicates))
        except YamlProblem:
            outcomes.append(None)
        finally:
            yaml_load._FAST = previous
    # Their scanners differ on a few corners (a tab after a value, '>#'); what both accept,
    # they read the same way.
    if None not in outcomes:
        assert outcomes[0] == outcomes[1]


@FAST
@given(yaml_like_text)
def test_the_python_parser_alone_returns_data_or_a_yaml_problem(text: str) -> None:
    # The fallback when PyYAML has no libyaml; it once raised on control characters.
    previous, yaml_load._FAST = yaml_load._FAST, None
    try:
        parse(text)
    except YamlProblem as problem:
        assert problem.message  # noqa: PT017 - the property is about the message
    finally:
        yaml_load._FAST = previous


@settings(max_examples=400, deadline=None)
@example("1. a")
@example("12.  x")
@example("2024-03-08 done")
@given(
    st.lists(st.sampled_from([*"aZ09 ,.;:'\"()/%?-", "1.", "2)", "  "]), max_size=40).map("".join)
)
def test_the_plain_text_shortcut_renders_like_markdown(text: str) -> None:
    converter = markdown.Markdown(extensions=["sane_lists"])
    assert str(render_markdown(text)) == converter.convert(text)


@settings(max_examples=400, deadline=None)
@example("The DB-primary failed; 3.141 big-time under_score \u0130stanbul was Running RUNNING")
@given(
    st.lists(
        st.sampled_from(["the", "was", "Running", "db", "a", "x.y", "3.1", "\u0130", *" .-_,aZ9"]),
        max_size=40,
    ).map("".join)
    | st.text(max_size=80)
)
def test_terms_analyse_each_word_as_the_whoosh_analyzer_does(text: str) -> None:
    whoosh = [(token.original, token.text) for token in STEMMED(text, keeporiginal=True)]
    assert list(terms(text)) == whoosh
