"""Find incidents that happened before: an earlier related incident within a window of days.

A recurrence is a pair of incidents, the later one and an earlier one at most `window` days
before it, that related-incident ranking links (so the pair scored above its threshold on at
least two pieces of shared evidence) and that share words of their title, summary, impact, root
cause or contributing factors: a similar cause or similar symptoms, not only a service name or
a category. Each pair appears once, with every reason. The cost is that of reading the related
lists: linear in the number of incidents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..core.catalog import Catalog
from ..core.model import Postmortem
from .related import WORDS_REASON, Related

DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Recurrence:
    """`incident` repeats `previous`, `days` after it, for `reasons` (shared words, facets)."""

    incident: Postmortem  # the later one
    previous: Postmortem
    reasons: tuple[str, ...]

    @property
    def days(self) -> int:
        """Return how many days passed between the two incidents."""
        return (self.incident.date - self.previous.date).days


def _order(pm: Postmortem) -> tuple[object, ...]:
    return (pm.date, pm.started.isoformat() if pm.started else "", pm.id)


def recurrences(
    catalog: Catalog, related: Related, window: int = DEFAULT_WINDOW_DAYS
) -> list[Recurrence]:
    """Return every recurrence in `catalog` within `window` days, newest incident first."""
    if window < 0:
        raise ValueError(f"the recurrence window must be 0 or more days, not {window}")
    found: list[Recurrence] = []
    for pm in catalog:
        for other_id, _score, reasons in related.get(pm.id, []):
            previous = catalog.get(other_id)
            if previous is None or _order(previous) >= _order(pm):
                continue
            if (pm.date - previous.date).days > window:
                continue
            if any(reason.startswith(WORDS_REASON) for reason in reasons):
                found.append(Recurrence(pm, previous, tuple(reasons)))
    # Newest incident first; for one incident, its nearest earlier incident first.
    found.sort(key=lambda r: _order(r.previous), reverse=True)
    found.sort(key=lambda r: _order(r.incident), reverse=True)
    return found


def by_incident(found: list[Recurrence]) -> dict[str, list[Recurrence]]:
    """Return `found` keyed by the id of the later incident, in the order given."""
    result: dict[str, list[Recurrence]] = defaultdict(list)
    for recurrence in found:
        result[recurrence.incident.id].append(recurrence)
    return dict(result)
