"""Hold the typed records of the knowledge base: a postmortem and its parts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .problems import Problem

PLACEHOLDER = "TODO"
"""What the template and the importer write where a value is still to be filled in."""


@dataclass(frozen=True)
class ActionItem:
    """A follow-up task."""

    title: str
    owner: str | None = None
    status: str = "open"
    due: date | None = None
    type: str | None = None
    horizon: str | None = None
    priority: str | None = None
    ticket: str | None = None
    notes: str | None = None

    @property
    def is_open(self) -> bool:
        """Return whether the item still needs work."""
        return self.status not in ("done", "wont-do")

    def is_overdue(self, today: date) -> bool:
        """Return whether the item is open and past its due date on `today`."""
        return self.is_open and self.due is not None and self.due < today


@dataclass(frozen=True)
class Impact:
    """Who was affected, and how much."""

    description: str
    users_affected_percent: float | None = None
    users_affected: int | None = None
    requests_failed_percent: float | None = None
    regions: tuple[str, ...] = ()
    figures: tuple[tuple[str, str], ...] = ()  # (label, value)
    data_loss: bool | None = None
    customer_facing: bool | None = None


@dataclass(frozen=True)
class Lessons:
    """What went well, what went wrong, and where we got lucky."""

    went_well: tuple[str, ...] = ()
    went_wrong: tuple[str, ...] = ()
    got_lucky: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.went_well or self.went_wrong or self.got_lucky)


@dataclass(frozen=True)
class Link:
    """A link to a ticket, chat, dashboard or report."""

    url: str
    title: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """A key moment of the incident."""

    at: datetime
    event: str
    approximate: bool = False


@dataclass(frozen=True)
class Postmortem:
    """One incident postmortem, validated, with its computed fields."""

    id: str
    path: str  # relative to the postmortems folder, with forward slashes
    title: str
    date: date
    status: str
    severity: str
    summary: str
    root_cause: str
    services: tuple[str, ...]
    body: str
    body_line: int = 1  # the file line the body starts on
    started: datetime | None = None
    latent_since: datetime | None = None
    detected: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None
    approximate: tuple[str, ...] = ()
    root_cause_categories: tuple[str, ...] = ()
    trigger: str | None = None
    contributing_factors: tuple[str, ...] = ()
    detection: str | None = None
    tags: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    impact: Impact | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    lessons: Lessons = field(default_factory=Lessons)
    related: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    authors: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)  # field label -> file line
    digest: str = ""  # sha256 of the file bytes, for caches

    def _since_start(self, end: datetime | None) -> timedelta | None:
        if self.started is None or end is None:
            return None
        return end - self.started

    @property
    def latent_for(self) -> timedelta | None:
        """Return how long the cause lay dormant: started minus latent_since."""
        if self.latent_since is None or self.started is None:
            return None
        return self.started - self.latent_since

    @property
    def time_to_detect(self) -> timedelta | None:
        """Return detected minus started."""
        return self._since_start(self.detected)

    @property
    def time_to_mitigate(self) -> timedelta | None:
        """Return mitigated minus started."""
        return self._since_start(self.mitigated)

    @property
    def time_to_resolve(self) -> timedelta | None:
        """Return resolved minus started."""
        return self._since_start(self.resolved)

    @property
    def impact_duration(self) -> timedelta | None:
        """Return how long users were affected: mitigated (or else resolved) minus started."""
        return self._since_start(self.mitigated or self.resolved)

    @property
    def has_errors(self) -> bool:
        """Return whether any problem of this postmortem is an error."""
        return any(problem.level == "error" for problem in self.problems)

    def is_approximate(self, time_field: str) -> bool:
        """Return whether `time_field` (started, detected, ...) is an estimate."""
        return time_field in self.approximate

    @property
    def open_action_items(self) -> tuple[ActionItem, ...]:
        """Return the action items that still need work."""
        return tuple(item for item in self.action_items if item.is_open)


_PLACEHOLDER = re.compile(
    r"^\W*(?:(?:todo|tbd|tba|fixme|xxx+)(?:\W|$)|(?:unknown|n/?a|none|null|\?+)\W*$)",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """Say whether `value` stands for a missing fact: empty, `TODO-service`, `TBD`, `unknown`.

    Views never treat such a value as shared between incidents (a related incident, a
    recurrence, a facet), however many files carry it.
    """
    return not value.strip() or bool(_PLACEHOLDER.match(value))


def known(values: Iterable[str]) -> tuple[str, ...]:
    """Return `values` without placeholders, in order."""
    return tuple(value for value in values if not is_placeholder(value))
