"""Find incidents that happened before: same root-cause category and service within a window.

Incidents are grouped by (category, service) and each group is scanned in date order, so the
cost is O(n log n) in the number of (incident, category, service) triples, never quadratic.
Each incident is paired with the nearest earlier incident of each group it belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from ..core.catalog import Catalog
from ..core.model import Postmortem, known

DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Recurrence:
    """`incident` repeats `previous`: both share `category` and `service`, `days` apart."""

    incident: Postmortem  # the later one
    previous: Postmortem  # the nearest earlier one in the same (category, service) group
    category: str
    service: str

    @property
    def days(self) -> int:
        """Return how many days passed between the two incidents."""
        return (self.incident.date - self.previous.date).days


def _order(pm: Postmortem) -> tuple[object, ...]:
    return (pm.date, pm.started.isoformat() if pm.started else "", pm.id)


def recurrences(catalog: Catalog, window: int = DEFAULT_WINDOW_DAYS) -> list[Recurrence]:
    """Return every recurrence in `catalog` within `window` days, newest incident first."""
    if window < 0:
        raise ValueError(f"the recurrence window must be 0 or more days, not {window}")
    groups: dict[tuple[str, str], list[Postmortem]] = defaultdict(list)
    for pm in catalog:
        # A placeholder service ("TODO-service") is not a service two incidents share.
        for category in dict.fromkeys(known(pm.root_cause_categories)):
            for service in dict.fromkeys(known(pm.services)):
                groups[(category, service)].append(pm)
    found: list[Recurrence] = []
    for (category, service), members in groups.items():
        members.sort(key=_order)
        for previous, incident in pairwise(members):
            if (incident.date - previous.date).days <= window:
                found.append(Recurrence(incident, previous, category, service))
    found.sort(key=lambda r: (r.category, r.service))
    found.sort(key=lambda r: _order(r.incident), reverse=True)  # stable: groups stay in order
    return found


def by_incident(found: list[Recurrence]) -> dict[str, list[Recurrence]]:
    """Return `found` keyed by the id of the later incident, in the order given."""
    result: dict[str, list[Recurrence]] = defaultdict(list)
    for recurrence in found:
        result[recurrence.incident.id].append(recurrence)
    return dict(result)
