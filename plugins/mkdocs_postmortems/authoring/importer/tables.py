"""Read Markdown tables: rows of cells, the header, and which column holds what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .outline import EMPHASIS, TABLE_ROW, normalize_label

_RULE_CELL = re.compile(r"\s*:?-*:?\s*")
_YEAR_IN_HEADER = re.compile(r"\((?:[^()]*?\b)?((?:19|20)\d\d)\)|\b((?:19|20)\d\d)\b")


@dataclass
class Table:
    """One Markdown table: its header cells and its body rows (the rule row left out)."""

    header: list[str]
    rows: list[list[str]]

    def column(self, pattern: str, skip: Iterable[int] = ()) -> int | None:
        """Return the first column whose normalized header matches `pattern`, or None."""
        unwanted = set(skip)
        for index, cell in enumerate(self.header):
            if index not in unwanted and re.search(pattern, normalize_label(cell)):
                return index
        return None

    def year_of(self, index: int) -> int | None:
        """Return the year a column's header states ("Date (2022)"), or None."""
        match = _YEAR_IN_HEADER.search(EMPHASIS.sub("", self.header[index]))
        return int(match.group(1) or match.group(2)) if match else None


def row_cells(line: str) -> list[str] | None:
    """Return the cells of a table row, or None when `line` is not one."""
    row = TABLE_ROW.match(line)
    return [cell.strip() for cell in row.group(1).split("|")] if row else None


def make_table(rows: list[list[str]]) -> Table:
    """Return the table made of raw rows (header first), dropping the `|---|` rule."""
    body = [row for row in rows[1:] if not all(_RULE_CELL.fullmatch(cell) for cell in row)]
    return Table(rows[0], body)


def tables_in(lines: Iterable[str]) -> list[Table]:
    """Return every table written in `lines`, in order."""
    tables: list[Table] = []
    current: list[list[str]] = []
    for line in [*lines, ""]:
        cells = row_cells(line)
        if cells is not None:
            current.append(cells)
        elif current:
            tables.append(make_table(current))
            current = []
    return tables
