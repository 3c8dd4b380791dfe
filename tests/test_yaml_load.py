"""The fast YAML path (nodes composed by libyaml) reads front matter exactly as the careful one.

`parse` first tries `_from_nodes`, which walks a node tree composed in C, and leaves anything
unusual to `_from_events`, the careful loop over libyaml's events that reports each problem.
Every case here is parsed both ways and must give the same data (with the same types), lines,
duplicates, or the same problem; the cases marked plain must take the fast path, the others
must not, so a change that makes the fast path silently skip its work also fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mkdocs_postmortems.core import yaml_load
from mkdocs_postmortems.core.loader import Rejected, load_bytes
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.core.validate import is_safe_url, label
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES, Term, match_term
from mkdocs_postmortems.core.yaml_load import YamlProblem, parse

pytestmark = pytest.mark.skipif(yaml_load._FAST is None, reason="needs PyYAML with libyaml")

# Words the YAML 1.1 and 1.2 schemas read differently, numbers, dates and near-misses.
TRICKY = [
    "no", "yes", "on", "off", "y", "n", "true", "True", "TRUE", "false", "FALSE", "tRue",
    "null", "Null", "NULL", "~", "nul", "1", "-1", "+1", "0", "-0", "00", "0755", "0x1F",
    "0o17", "1_000", "1.5", "-1.5", ".5", "1.", "1e3", "1.5e-3", "1E+3", ".inf", "-.inf",
    ".nan", "1:30", "190:20:30", "2024-03-08", "2024-03-08 10:30", "2024-03-08T10:30:00Z",
    "é1", "١٢",
]  # fmt: skip

PLAIN = [
    "",
    "# only a comment\n",
    "title: Database outage\nsummary: short\n",
    *(f"value: {word}\n" for word in TRICKY),
    *(f"- {word}\n" for word in TRICKY),
    "".join(f"k{index}: {word}\n" for index, word in enumerate(TRICKY)),
    "list: [" + ", ".join(TRICKY) + "]\n",
    "map: {a: 1, b: no, c: 1:30, d: 2024-03-08, e: ~, f: '1', g: \"true\"}\n",
    *(f"{word}: key\n" for word in TRICKY),
    "=: a key, not YAML 1.1's value\n",
    "1: int key\n'1': quoted key\n",
    "a:\n  b:\n    c: [1, {d: [e, 2.5]}]\n",
    "a: {b: 1, b: 2}\n",
    "a:\n  - {x: 1}\n  - x: 2\n    x: 3\n",
    "a: 1\nb: 2\na: 3\n",
    "a: {b: 1}\na: {c: 2}\n",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "plain: first\n  continued\n\n  after a blank\n",
    "quoted: 'it''s'\ndouble: \"tab\\there\"\n",
    "empty:\nnone: ~\nlist: []\nmap: {}\n",
    "\ufefftitle: with a BOM\n",
    "a: 1\n...\n",  # the end of the one document
    "? complex\n: value\n",
    "key: ! 12\n",  # the non-specific tag leaves a plain scalar to the schema
    "key: ! '12'\n",
    "quoted: !!int '12'\n",  # quoted scalars are text whatever their tag
    "tagged collection: !!set {a: 1}\n",
    "nested: " + "[" * 19 + "x" + "]" * 19 + "\n",  # a value at level 20: allowed
    "a:\tb\n",
]

UNUSUAL = [
    "a: &x 1\nb: *x\n",  # an alias
    "a: &x 1\nb: &x 2\n",  # an anchor defined twice
    "a: &x 1\n",  # an anchor alone is fine, but left to the careful path
    "b: *nowhere\n",  # an undefined alias
    "value: !!str 12\n",
    "value: !!int 12\n",
    "value: !!python/object:os.system x\n",
    "value: !custom x\n",
    "value: =\n",
    "value: <<\n",
    "- =\n",
    "<<: {a: 1}\n",
    "'<<': 1\n",
    "[a, b]: list key\n",
    "{a: 1}: map key\n",
    "a: 1\n---\nb: 2\n",
    "a: [1, 2\n",
    "a: 'open\n",
    "a: b: c\n",
    "- a\nb: c\n",
    "a: \x07\n",
    "a:\n\tb: 1\n",
    "deep: " + "[" * 20 + "x" + "]" * 20 + "\n",  # a value at level 21
    "deep: " + "[" * 20 + "]" * 20 + "\n",  # an empty list at level 21: allowed, but rare
    "deep: " + "[" * 500 + "]" * 500 + "\n",  # composed in C, refused by the walk
    "deep: " + "[" * 1200 + "]" * 1200 + "\n",  # too many indicators to compose in C
]


@contextmanager
def careful_only() -> Iterator[None]:
    """Parse with the event loop alone, as before the fast path existed."""
    fast = yaml_load._from_nodes
    yaml_load._from_nodes = lambda text: None
    try:
        yield
    finally:
        yaml_load._from_nodes = fast


def outcome(text: str) -> str:
    """Return everything `parse` says about `text`, with types, as one comparable string."""
    try:
        parsed = parse(text)
    except YamlProblem as problem:
        return repr(("problem", problem.message, problem.line, problem.hint))
    return repr(("parsed", parsed.data, list(parsed.lines.items()), parsed.duplicates))


def careful_outcome(text: str) -> str:
    with careful_only():
        return outcome(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_yaml_takes_the_fast_path_and_reads_the_same(text: str) -> None:
    assert yaml_load._from_nodes(text) is not None
    assert outcome(text) == careful_outcome(text)


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_yaml_is_left_to_the_careful_path(text: str) -> None:
    assert yaml_load._from_nodes(text) is None
    assert outcome(text) == careful_outcome(text)


def test_the_schema_reads_plain_scalars_as_yaml_1_2_core() -> None:
    parsed = parse("".join(f"k{index}: {word}\n" for index, word in enumerate(TRICKY)))
    assert isinstance(parsed.data, dict)
    values = dict(zip(TRICKY, parsed.data.values(), strict=True))
    assert values["no"] == "no"
    assert values["1:30"] == "1:30"
    assert values["2024-03-08"] == "2024-03-08"
    assert values["0755"] == "0755"
    assert values["TRUE"] is True
    assert values["tRue"] == "tRue"
    assert values["~"] is None
    assert values["-0"] == 0
    assert type(values["1"]) is int
    assert type(values["1e3"]) is float
    assert values["1."] == "1."
    assert values["١٢"] == "١٢"  # digits of other scripts are text


def test_duplicates_and_lines_in_nested_mappings() -> None:
    parsed = parse("a:\n  b: 1\n  c: 2\n  b: 3\nlist:\n  - x\n  - y: 1\n    y: 2\n")
    assert parsed.data == {"a": {"b": 3, "c": 2}, "list": ["x", {"y": 2}]}
    assert parsed.duplicates == [(("a", "b"), 4), (("list", 1, "y"), 8)]
    assert parsed.lines[("a", "b")] == 4
    assert parsed.lines[("list", 1)] == 7


def test_load_bytes_reads_crlf_and_bom_through_the_fast_path() -> None:
    text = "---\r\ntitle: x\r\nextra: {a: no, b: 1:30, c: 1}\r\n---\r\nbody\r\n"
    result = load_bytes(("\ufeff" + text).encode("utf-8"), "2024-05-02-x.md", DEFAULT_VOCABULARIES)
    assert isinstance(result, Postmortem)
    assert result.extra == {"a": "no", "b": "1:30", "c": 1}
    assert result.lines["extra.b"] == 3
    assert result.body == "body\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: x\n---\n", "file has no front matter"),
        ("\n---\ntitle: x\n---\n", "file has no front matter"),
        ("---\ntitle: x\n", "front matter is not closed"),
        ("---\ntitle: x\n--- not a boundary\n-- nor this\n", "front matter is not closed"),
    ],
)
def test_boundaries_are_found_only_on_their_own_lines(text: str, message: str) -> None:
    result = load_bytes(text.encode("utf-8"), "2024-05-02-x.md", DEFAULT_VOCABULARIES)
    assert isinstance(result, Rejected)
    assert result.problems[0].message == message


def test_the_closing_boundary_may_follow_blank_lines_and_dashes() -> None:
    text = "-----  \n\ntitle: x\n- - -\n  ----\n----\t\nbody\n---\nmore\n"
    result = load_bytes(text.encode("utf-8"), "2024-05-02-x.md", DEFAULT_VOCABULARIES)
    # '- - -' and '  ----' are YAML, not boundaries, so the front matter is not a mapping.
    assert isinstance(result, Rejected)
    assert result.problems[0].line == 4


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com/a?b#c", True),
        ("mailto:ops@example.com", True),
        ("HTTPS://EXAMPLE.COM", True),
        ("https://[::1]/", True),
        ("https://[::1/", False),  # urlsplit refuses the host, so it is not a safe link
        ("http://ex]ample.com", False),
        ("https://exa\u2100mple.com", False),  # a host that NFKC turns into a path
        ("https://ex\u00e4mple.com", True),
        ("java\tscript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("//evil.example.com", False),
        ("../relative/page.md", True),
    ],
)
def test_safe_urls(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe


def test_the_first_term_of_a_comparable_form_wins() -> None:
    terms = (Term("Wont Do"), Term("wont-do"), Term("SEV1"))
    assert match_term("wont-do", terms) == "Wont Do"
    assert match_term("Won't do", terms) == "Wont Do"
    assert match_term("sev 1", terms) is None
    assert match_term("SEV1", terms) == "SEV1"
    assert match_term("sev1", terms) == "SEV1"


def test_a_vocabulary_given_as_a_list_is_read_afresh() -> None:
    terms = [Term("a")]
    assert match_term("a", terms) == "a"  # type: ignore[arg-type]
    terms[0] = Term("b")
    assert match_term("a", terms) is None  # type: ignore[arg-type]
    assert match_term("b", terms) == "b"  # type: ignore[arg-type]


def test_labels() -> None:
    assert label(("action_items", 2, "owner")) == "action_items[2].owner"
    assert label(("extra", "2")) == "extra.2"
    assert label(()) == ""


# Front matter made of lines that are each plausible, in any order and indentation: most are
# valid YAML, some are not, and each must be read the same way by both paths.
_VALUES = st.sampled_from(
    [*TRICKY, "=", "<<", "'q'", '"d\\n"', "[a, 1]", "{a: no}", "!!str 1", "! 2", "&a x", "*a", "|"]
)
_LINE = st.tuples(
    st.sampled_from(["", "  ", "    "]),
    st.sampled_from(["", "- ", "- - "]),
    st.sampled_from(["a: ", "b: ", "a: ", "1: ", "? ", "<<: ", "no: ", ""]),
    _VALUES,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=12).map("\n".join))
def test_both_paths_read_generated_front_matter_alike(text: str) -> None:
    assert outcome(text) == careful_outcome(text)
