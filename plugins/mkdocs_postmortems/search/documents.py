"""Map a postmortem to what the search index stores: Whoosh fields and related-incident features.

The schema and the analyzers live here so the store (which writes documents) and the query
side (which stems and spell-checks typed words) agree on what a word is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from ..analysis.related import Features
from ..core.model import Postmortem, known

STEMMED = StemmingAnalyzer()
PLAIN = StandardAnalyzer()


def schema() -> Schema:
    """Return the Whoosh schema of the index."""
    keyword = {"lowercase": True, "commas": True, "scorable": True, "stored": True}
    return Schema(
        path=ID(unique=True, stored=True),
        id=ID(stored=True),
        title=TEXT(analyzer=STEMMED, stored=True),
        root_cause=TEXT(analyzer=STEMMED, stored=True),
        keywords=TEXT(analyzer=STEMMED),
        text=TEXT(analyzer=STEMMED),  # summary, contributing factors, lessons, action items
        summary=STORED(),
        # Unstemmed copy of every text field: fuzzy terms and spelling suggestions need real
        # words (a fuzzy "databse~" misses the stem "databas" on stemmed fields).
        exact=TEXT(analyzer=PLAIN, phrase=False),  # no phrases: only fuzzy terms search it
        tag=KEYWORD(**keyword),
        service=KEYWORD(**keyword),
        category=KEYWORD(**keyword),
        team=KEYWORD(**keyword),
        severity=KEYWORD(lowercase=True, commas=True, stored=True),
        trigger=KEYWORD(lowercase=True, commas=True, stored=True),
        date=DATETIME(stored=True),
    )


def _joined(values: Iterable[str]) -> str:
    return ",".join(value.replace(",", " ") for value in values)


def document(pm: Postmortem) -> dict[str, Any]:
    """Return the Whoosh fields of `pm`."""
    lessons = [*pm.lessons.went_well, *pm.lessons.went_wrong, *pm.lessons.got_lucky]
    lessons += [item.title for item in pm.action_items]
    facets = [*pm.tags, *pm.services, *pm.root_cause_categories, *pm.teams]
    if pm.trigger:
        facets.append(pm.trigger)
    # Hyphenated tags ("missing-index") are also words a person types ("missing index").
    keywords = " ".join(value.replace("-", " ").replace("_", " ") for value in facets)
    # Lessons and action items stay out of `exact`: they double its size and are rarely what a
    # misspelt word was meant to find.
    texts = [pm.title, pm.summary, pm.root_cause, *pm.contributing_factors, keywords]
    return {
        "path": pm.path,
        "id": pm.id,
        "title": pm.title,
        "summary": pm.summary,
        "root_cause": pm.root_cause,
        "text": "\n".join([pm.summary, *pm.contributing_factors, *lessons]),
        "keywords": keywords,
        "exact": "\n".join(texts),
        "tag": _joined(pm.tags),
        "service": _joined(pm.services),
        "category": _joined(pm.root_cause_categories),
        "team": _joined(pm.teams),
        "severity": pm.severity or "unknown",
        "trigger": pm.trigger or "",
        "date": datetime(pm.date.year, pm.date.month, pm.date.day),  # noqa: DTZ001 (a day)
    }


def key_terms(text: str) -> list[str]:
    """Return the distinct stemmed words of `text` (stop words and short words dropped)."""
    return list(dict.fromkeys(t.text for t in STEMMED(text) if len(t.text) > 2))


def features(pm: Postmortem) -> Features:
    """Return what related-incident ranking compares: facets and root-cause key terms."""
    # A placeholder ("TODO-service", "unknown") is never a reason to relate two incidents.
    cause = " ".join(known([pm.root_cause, pm.trigger or "", *pm.contributing_factors]))
    return Features(
        id=pm.id,
        categories=tuple(value.lower() for value in known(pm.root_cause_categories)),
        services=tuple(value.lower() for value in known(pm.services)),
        tags=tuple(value.lower() for value in known(pm.tags)),
        terms=tuple(key_terms(cause)),
    )
