"""Write the review report of an import: per file, each field, where it came from, how sure.

A migration is checked by a person, file by file. The report lists for every source what
became of it (imported, needs review, skipped and why) and, for each extracted field, its value,
the line of the source it was read from, how it was read and a confidence (high: a structured or
labelled field; medium: a section or a sentence that states it; low: a guess or a default).
Markdown is for reading; CSV is for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from .assemble import ImportResult
from .outline import one_line

# The fields a reviewer checks first, in this order; others follow as found.
_ORDER = (
    "title",
    "date",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "latent_since",
    "severity",
    "services",
    "summary",
    "root_cause",
    "tags",
    "links",
    "time zone",
)
_COLUMNS = ("source", "output", "outcome", "field", "value", "line", "how", "confidence")


@dataclass
class Reviewed:
    """One source file and what the import made of it."""

    source: str
    outcome: str  # "imported", "needs review", "skipped: <reason>", "failed: <reason>"
    output: str = ""
    result: ImportResult | None = None
    notes: list[str] = field(default_factory=list)


def _value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return one_line(str(value), 120) if value is not None else ""


def _rows(entry: Reviewed) -> list[tuple[str, str, str, str, str]]:
    """Return (field, value, line, how, confidence) for every field worth checking."""
    if entry.result is None:
        return []
    front = entry.result.front_matter
    evidence = entry.result.evidence
    names = [n for n in _ORDER if n in front or n in evidence or n in entry.result.review]
    rows = []
    for name in names:
        found = evidence.get(name)
        if name in front:
            value = _value(front[name])
        elif name in evidence:
            value = "(see how)"
        else:
            value = "(empty: the source does not state it)"
        rows.append(
            (
                name,
                value,
                str(found.line) if found and found.line else "",
                found.how if found else ("" if name in front else "not found"),
                found.confidence if found else ("low" if name in front else "none"),
            )
        )
    return rows


def review_csv(entries: list[Reviewed]) -> str:
    """Return the review report as CSV, one row per file and field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for entry in entries:
        rows = _rows(entry) or [("", "", "", "", "")]
        for row in rows:
            writer.writerow((entry.source, entry.output, entry.outcome, *row))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def review_markdown(entries: list[Reviewed]) -> str:
    """Return the review report as Markdown: a summary, then one section per file."""
    counts: dict[str, int] = {}
    for entry in entries:
        kind = entry.outcome.split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    lines = [
        "# Import review",
        "",
        ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items())) + ".",
        "",
        "Confidence: high = a structured or labelled field; medium = a section or a sentence "
        "that states it; low = a guess or a default; none = not found (left empty).",
        "",
    ]
    for entry in entries:
        lines += [f"## {_cell(entry.source)}", "", f"- outcome: {entry.outcome}"]
        if entry.output:
            lines.append(f"- written to: {entry.output}")
        if entry.result is not None and entry.result.review:
            lines.append(f"- to fill in or check: {', '.join(entry.result.review)}")
        lines += [f"- {note}" for note in entry.notes]
        rows = _rows(entry)
        if rows:
            lines += ["", "| field | value | line | how | confidence |", "|---|---|---|---|---|"]
            lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)
