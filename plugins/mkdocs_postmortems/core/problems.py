"""Describe a problem found in a postmortem, in the one format every interface prints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How serious a problem is: errors fail `--strict` builds and lint; warnings advise."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file: where it is, which field, what is wrong, how to fix it."""

    path: str
    line: int | None
    field: str
    message: str
    hint: str = ""
    level: Level = Level.ERROR
    column: int | None = None
    rule: str = "schema"  # the lint rule this problem belongs to, set where it is made

    def location(self) -> str:
        """Return `path:line:col` (the parts that are known)."""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """Return the human form: `path:line: level: field: message (hint)`."""
        field = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.location()}: {self.level}: {field}{self.message}{hint}"


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return a `did you mean ...?` hint for the closest choice, or a list of choices."""
    import difflib  # only for files with mistakes: not part of every build's start-up

    options = sorted(set(choices))
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in options}
        close = [lowered[m] for m in difflib.get_close_matches(value.lower(), lowered, n=1)]
    if close:
        return f"did you mean '{close[0]}'?"
    if len(options) <= 16:
        return "allowed: " + ", ".join(options)
    return ""
