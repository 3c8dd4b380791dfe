"""Synonym table and query expansion (the browser applies the same rule to the same table)."""

from __future__ import annotations

import pytest

from mkdocs_postmortems.search.synonyms import build_table, expand_query, synonym_groups


def test_defaults_and_merging() -> None:
    table, errors = build_table([["DB", "datastore"], ["mq", "message queue"]])
    assert errors == []
    assert table["db"] == ("db", "database", "datastore")
    assert table["datastore"] == table["database"]
    assert table["message queue"] == ("mq", "message queue")
    assert ["k8s", "kubernetes"] in synonym_groups(table)


def test_defaults_can_be_turned_off() -> None:
    table, _ = build_table([["a1", "b1"]], defaults=False)
    assert set(table) == {"a1", "b1"}


@pytest.mark.parametrize(
    ("groups", "message"),
    [(["db"], "must be a list"), ([["alone"]], "at least two"), ([42], "must be a list")],
)
def test_configuration_errors(groups: list[object], message: str) -> None:
    _table, errors = build_table(groups)  # type: ignore[arg-type]
    assert message in errors[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("db outage", "(db OR database) outage"),
        ("Out of  Memory crash", '(oom OR "out of memory" OR oomkilled) crash'),
        ('"db index" db', '"db index" (db OR database)'),  # phrases are kept as written
        ("tag:db db~ db*", "tag:db db~ db*"),  # fields, fuzzy and prefix terms too
        ("NOT k8s", "NOT (k8s OR kubernetes)"),
        (
            "(cert OR dns)",
            '((cert OR certificate OR tls OR ssl) OR (dns OR "name resolution" '
            'OR "domain name system"))',
        ),
        ("nothing here", "nothing here"),
    ],
)
def test_expand_query(query: str, expected: str) -> None:
    table, _ = build_table()
    assert expand_query(query, table) == expected
