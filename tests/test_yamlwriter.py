"""The YAML writer: whatever text goes in reads back, unchanged, through the strict loader."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mkdocs_postmortems.core.yaml_dump import dump, quote
from mkdocs_postmortems.core.yaml_load import parse

# Text decoded from a UTF-8 file never holds lone surrogates.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@given(TEXT)
def test_any_text_reads_back_as_itself(text: str) -> None:
    assert parse(f"key: {quote(text)}\n").data == {"key": text}


@given(st.lists(TEXT, max_size=4), TEXT)
def test_nested_structures_read_back(items: list[str], text: str) -> None:
    data = {"list": items, "map": {"inner": text}, "records": [{"a": text, "b": items}]}
    expected = {key: value for key, value in data.items() if value not in ([], {})}
    parsed = parse(dump(data)).data
    assert isinstance(parsed, dict)
    assert parsed["map"] == {"inner": text}
    assert parsed.get("list", []) == items
    assert parsed["records"][0]["a"] == text
    assert set(parsed) <= set(expected)


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "Yes",
        "off",
        "null",
        "~",
        "",
        "true",
        "1:30",
        "0755",
        "1e3",
        "12",
        "3.5",
        ".inf",
        "- item",
        "a: b",
        "#x",
        "key #comment",
        " lead",
        "trail ",
        "[x]",
        "{x}",
        "*alias",
        "&a",
        "!tag",
        "|",
        ">",
        "'",
        '"',
        "@at",
        "`tick",
        "%percent",
        "line\nbreak",
        "\u2028",
        "\x85",
    ],
)
def test_yaml_lookalikes_are_quoted(text: str) -> None:
    written = quote(text)
    assert written.startswith('"'), written
    assert parse(f"k: {written}\n").data == {"k": text}


@pytest.mark.parametrize("text", ["SEV2", "auth-service", "Web Stack Outage", "2024-03-08"])
def test_plain_words_stay_plain(text: str) -> None:
    assert quote(text) == text


def test_scalars_and_layout() -> None:
    data = {
        "date": date(2024, 3, 8),
        "started": datetime(2024, 3, 8, 10, 30, tzinfo=UTC),
        "local": datetime(2024, 3, 8, 10, 30, tzinfo=timezone(timedelta(hours=-8))),
        "percent": 4.5,
        "whole": 30.0,
        "flag": True,
        "empty": [],
        "none": None,
        "items": [{"title": "One", "horizon": "short-term"}],
    }
    assert dump(data) == (
        "date: 2024-03-08\n"
        "started: 2024-03-08T10:30:00Z\n"
        "local: 2024-03-08T10:30:00-08:00\n"
        "percent: 4.5\n"
        "whole: 30\n"
        "flag: true\n"
        "items:\n"
        "  - title: One\n"
        "    horizon: short-term\n"
    )
