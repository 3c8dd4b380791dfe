"""Map a postmortem to what the search index stores: Whoosh fields and related-incident features.

The schema and the analyzers live here so the store (which writes documents) and the query
side (which stems and spell-checks typed words) agree on what a word is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer

from ..analysis.related import Features
from ..core.model import Postmortem, is_placeholder, known
from .stopwords import STOP_WORDS

if TYPE_CHECKING:
    from whoosh.fields import Schema

STEMMED = StemmingAnalyzer(stoplist=STOP_WORDS)
PLAIN = StandardAnalyzer(stoplist=STOP_WORDS)

# STEMMED's filters (lowercase, stop words, stem) each look at one token alone, so a word is
# analysed the same wherever it is: `terms` runs them once per distinct word. Running the
# analyzer's generator chain for every token was most of the search data's CPU in a cold build
# (0.75 s of 0.95 s per 1,000 records, profiled).
_TOKEN = STEMMED.items[0].expression  # the analyzer's tokenizer pattern
_TERMS: dict[str, str | None] = {}  # word as written -> its term (None: a stop word)
_TERMS_MAX = 500_000  # words kept; past it the table starts again


def terms(text: str) -> Iterator[tuple[str, str]]:
    """Yield (word as written, term) for every token STEMMED indexes in `text`, in order."""
    known = _TERMS
    for match in _TOKEN.finditer(text):
        word = match.group()
        term = known.get(word, "")
        if term == "":
            if len(known) >= _TERMS_MAX:
                known.clear()
            analysed = [token.text for token in STEMMED(word)]
            if len(analysed) > 1:  # cannot happen with a tokenizer that matches whole words
                raise AssertionError(f"the analyzer splits a token it made: {word!r}")
            term = known[word] = analysed[0] if analysed else None
        if term is not None:
            yield word, term


# How much a word counts in related-incident matching, by the field it comes from. Tuned on the
# judged groups of benchmarks/data (benchmarks/relevance.py): a repeat usually repeats its
# title ("Logs not shipped to CloudWatch", "LDAP outage"), while root causes and summaries are
# long and share more incidental words.
FIELD_WEIGHTS = {
    "title": 2.0,
    "root_cause": 0.6,
    "summary": 0.6,
    "impact": 0.6,
    "factors": 0.6,
    "trigger": 0.4,
}


def schema() -> Schema:
    """Return the Whoosh schema of the index."""
    # Only the index needs it (the CLI and `search.store`), not a build: imported here.
    from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

    keyword = {"lowercase": True, "commas": True, "scorable": True, "stored": True}
    return Schema(
        path=ID(unique=True, stored=True),
        id=ID(stored=True),
        title=TEXT(analyzer=STEMMED, stored=True),
        root_cause=TEXT(analyzer=STEMMED, stored=True),
        keywords=TEXT(analyzer=STEMMED),
        # Summary, impact, contributing factors (as in the browser); stored for "why" a hit.
        text=TEXT(analyzer=STEMMED, stored=True),
        lessons=TEXT(analyzer=STEMMED),  # lessons and action items: `lessons:` searches them
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


def search_text(pm: Postmortem) -> str:
    """Return the `text` field of `pm`: summary, impact and contributing factors.

    The browser searches the same text (views.search_page ships it), so both rank alike.
    """
    impact = pm.impact.description if pm.impact else ""
    parts = [pm.summary, impact, *pm.contributing_factors]
    return "\n".join(" ".join(p.split()) for p in parts if not is_placeholder(p))


def keywords(pm: Postmortem) -> str:
    """Return the `keywords` field of `pm`: its facet values as words, as the browser has them."""
    values = [*pm.services, *pm.tags, *pm.root_cause_categories, pm.trigger or ""]
    # Hyphenated tags ("missing-index") are also words a person types ("missing index").
    return " ".join(v.replace("-", " ").replace("_", " ") for v in values if not is_placeholder(v))


def cause(pm: Postmortem) -> str:
    """Return the root cause of `pm` on one line, or "" while it is a placeholder."""
    return "" if is_placeholder(pm.root_cause) else " ".join(pm.root_cause.split())


def document(pm: Postmortem) -> dict[str, Any]:
    """Return the Whoosh fields of `pm`."""
    lessons = [*pm.lessons.went_well, *pm.lessons.went_wrong, *pm.lessons.got_lucky]
    lessons += [item.title for item in pm.action_items]
    words = keywords(pm)
    text = search_text(pm)
    # Lessons and action items stay out of `exact`: they double its size and are rarely what a
    # misspelt word was meant to find.
    return {
        "path": pm.path,
        "id": pm.id,
        "title": pm.title,
        "summary": pm.summary,
        "root_cause": cause(pm),
        "text": text,
        "lessons": "\n".join(lessons),
        "keywords": words,
        "exact": "\n".join([pm.title, cause(pm), text, words]),
        "tag": _joined(pm.tags),
        "service": _joined(pm.services),
        "category": _joined(pm.root_cause_categories),
        "team": _joined(pm.teams),
        "severity": pm.severity or "unknown",
        "trigger": pm.trigger or "",
        "date": datetime(pm.date.year, pm.date.month, pm.date.day),  # noqa: DTZ001 (a day)
    }


def record_words(pm: Postmortem) -> dict[str, str]:
    """Return every searched word of `pm` with its stem ("" when the word is its stem)."""
    found: dict[str, str] = {}
    for text in (pm.title, cause(pm), search_text(pm), keywords(pm)):
        for original, term in terms(text):
            word = original.lower()
            if word not in found:
                found[word] = "" if term == word else term
    return found


def vocabulary(
    records: Iterable[Postmortem],
    words_of: Callable[[Postmortem], dict[str, str]] = record_words,
) -> dict[str, str]:
    """Return every searched word of `records` with its stem ("" when the word is its stem).

    The browser stems with this table, so its index holds the same terms as Whoosh's. A word
    has one stem wherever it is, so `words_of` may return each record's words from a cache.
    """
    found: dict[str, str] = {}
    for pm in records:
        for word, stem in words_of(pm).items():
            found.setdefault(word, stem)
    return dict(sorted(found.items()))


def _facet(kind: str, values: Iterable[str]) -> list[str]:
    """Return the facet keys of `values` (placeholders left out), lowercased, each once."""
    return list(dict.fromkeys(f"{kind}:{v.strip().lower()}" for v in known(values)))


def _texts(pm: Postmortem) -> dict[str, str]:
    impact = pm.impact.description if pm.impact else ""
    texts = {
        "title": pm.title,
        "root_cause": pm.root_cause,
        "summary": pm.summary,
        "impact": impact,
        "factors": "\n".join(pm.contributing_factors),
        "trigger": (pm.trigger or "").replace("-", " "),
    }
    return {
        field: text
        for field, text in texts.items()
        if FIELD_WEIGHTS.get(field) and not is_placeholder(text)
    }


def features(pm: Postmortem) -> Features:
    """Return what related-incident ranking compares: words by field, and facets."""
    weights: dict[str, float] = {}
    shown: dict[str, str] = {}
    for field, text in _texts(pm).items():
        for original, term in terms(text):
            if len(term) > 2 and not term[0].isdigit():
                weights[term] = max(weights.get(term, 0.0), FIELD_WEIGHTS[field])
                shown.setdefault(term, original.lower())
    facets = _facet("c", pm.root_cause_categories) + _facet("s", pm.services)
    facets += _facet("t", pm.tags) + _facet("x", [pm.trigger or ""])
    return Features(
        id=pm.id,
        facets=tuple(facets),
        words=tuple(weights),
        weights=tuple(weights.values()),
        shown=tuple(shown[word] for word in weights),
    )


def features_to_json(found: Features) -> dict[str, Any]:
    """Return `found` as JSON data (the id is the manifest's)."""
    return {
        "facets": list(found.facets),
        "words": list(found.words),
        "weights": list(found.weights),
        "shown": list(found.shown),
    }


def features_from_json(ident: str, data: dict[str, Any]) -> Features:
    """Return the features of `ident` read back from `features_to_json` data."""
    return Features(
        id=ident,
        facets=tuple(str(v) for v in data["facets"]),
        words=tuple(str(v) for v in data["words"]),
        weights=tuple(float(v) for v in data["weights"]),
        shown=tuple(str(v) for v in data["shown"]),
    )
