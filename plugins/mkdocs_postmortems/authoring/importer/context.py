"""Share what every extraction step needs: the problem it may raise and what it learned."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..timetext import Zone

HIGH = "high"  # read from a structured field or a labelled fact
MEDIUM = "medium"  # read from a section or a sentence that states it
LOW = "low"  # guessed: a default, a vocabulary word, a publication date


class ImportProblem(Exception):
    """The text cannot be imported; carries what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Evidence:
    """Where one extracted value came from: the file line, how it was read, how sure we are."""

    line: int | None
    how: str
    confidence: str


@dataclass
class Context:
    """What the importer knows about the document while reading it."""

    text: str = ""  # the whole source, to find the line a value came from
    day: date | None = None
    zone: Zone | None = None
    guesses: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)  # fields a person must fill in or check

    def line_of(self, snippet: str) -> int | None:
        """Return the file line on which `snippet` (or its first words) is written."""
        words = " ".join(snippet.split())[:60]
        for size in (60, 30, 15):
            probe = words[:size].strip()
            if len(probe) < 4:
                break
            position = self.text.find(probe)
            if position >= 0:
                return self.text.count("\n", 0, position) + 1
        return None

    def note(
        self, name: str, how: str, confidence: str, snippet: str = "", line: int | None = None
    ) -> None:
        """Record how `name` was found; the first record of a field wins."""
        if name not in self.evidence:
            where = line if line is not None else self.line_of(snippet) if snippet else None
            self.evidence[name] = Evidence(where, how, confidence)

    def needs(self, name: str, why: str) -> None:
        """List `name` for review: the source does not give it, so a person must."""
        if name not in self.review:
            self.review.append(name)
        self.missing.append(f"{name}: {why}")
