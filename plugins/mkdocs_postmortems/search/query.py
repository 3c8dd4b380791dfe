"""Run queries against one generation of the index: parsing, synonyms, did-you-mean, hits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.query import DateRange, Query

from ..core.text import shorten
from .documents import PLAIN, STEMMED
from .synonyms import Table, expand_query

# Default search fields and how much a match in each counts: the root cause is what people
# search for ("have we seen this before?"), then the title.
# Few fields on purpose: each default field adds a posting-list walk to every query
# (measured at 1,000 postmortems: about 20 ms per query with seven fields, 8 ms with four).
FIELD_BOOSTS = {"root_cause": 3.0, "title": 2.0, "keywords": 1.5, "text": 1.0}
# Field names a query may use, with the schema field each one means.
QUERY_FIELDS = {
    "root_cause": "root_cause",
    "title": "title",
    "summary": "text",
    "text": "text",
    "factors": "text",
    "lessons": "lessons",
    "id": "id",
    "tag": "tag",
    "tags": "tag",
    "service": "service",
    "services": "service",
    "category": "category",
    "categories": "category",
    "team": "team",
    "teams": "team",
    "severity": "severity",
    "trigger": "trigger",
}


class QueryError(ValueError):
    """A query that cannot be run, with a message that says how to fix it."""


@dataclass(frozen=True)
class Hit:
    """One search result."""

    id: str
    path: str
    title: str
    date: str
    severity: str
    root_cause: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    score: float
    snippet: str
    why: tuple[str, ...] = ()  # e.g. "root cause: index, missing", "tag: missing-index"


@dataclass(frozen=True)
class Results:
    """The hits of a query, and a corrected query when some words are unknown."""

    hits: list[Hit]
    total: int
    suggestion: str | None = None
    partial: bool = False  # no incident matched every word; these match some


_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]+):")
_WORD = re.compile(r"(?<![\w:~*\-])([A-Za-z][A-Za-z0-9]*)(?![\w:~*\-])")
_OPERATOR_WORDS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def check_query(text: str) -> None:
    """Raise QueryError when `text` is empty, unbalanced or names an unknown field."""
    if not text.strip():
        raise QueryError("the query is empty; try e.g. 'connection pool exhausted'")
    if text.count('"') % 2:
        raise QueryError('the query has an unclosed quote (")')
    depth = 0
    for char in _strip_phrases(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth:
        raise QueryError("the query has unbalanced parentheses")
    for match in _FIELD_PREFIX.finditer(_strip_phrases(text)):
        if match.group(1) not in QUERY_FIELDS:
            known = ", ".join(sorted({"root_cause", "tag", "service", "category", "severity"}))
            raise QueryError(
                f"unknown field '{match.group(1)}:'; use one of {known}, trigger, team, title"
            )


def _strip_phrases(text: str) -> str:
    return re.sub(r'"[^"]*"', " ", text)


class _Formatter(Formatter):  # type: ignore[misc]
    """Wrap matched words in the given markers."""

    def __init__(self, start: str, end: str) -> None:
        self.start, self.end = start, end
        self.between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"{self.start}{get_text(text, token, replace)}{self.end}"


# Fuzzy terms are compared with indexed words; on stemmed fields those are stems (the parser
# even stems the typed word: "databse~" becomes "databs~"), so a bare fuzzy word is searched in
# `exact`, the unstemmed copy of every text field.
_BARE_FUZZY = re.compile(r'(?<![\w:"~*\-])([^\W\d_][\w-]*~\d*)')


class Searcher:
    """Run queries against one open generation."""

    def __init__(self, searcher: Any, ix: Any) -> None:
        self._searcher = searcher
        self._ix = ix

    def parse(self, text: str, synonyms: Table, *, every_word: bool = True) -> Query:
        """Return the Whoosh query of `text` with synonyms expanded.

        Words are combined with AND unless `every_word` is false; then with a plain OR (a
        coordination factor, OrGroup.factory, measured 40% slower at p95, and BM25 already
        ranks incidents that match more of the words higher).
        """
        check_query(text)
        parser = MultifieldParser(
            list(FIELD_BOOSTS),
            self._ix.schema,
            fieldboosts=FIELD_BOOSTS,
            group=AndGroup if every_word else OrGroup,
        )
        parser.add_plugin(FuzzyTermPlugin())
        aliases: dict[str, list[str]] = {real: [] for real in set(QUERY_FIELDS.values())}
        for alias, real in QUERY_FIELDS.items():
            if alias != real:
                aliases[real].append(alias)
        parser.add_plugin(FieldAliasPlugin({k: v for k, v in aliases.items() if v}))
        try:
            query = parser.parse(_BARE_FUZZY.sub(r"exact:\1", expand_query(text, synonyms)))
        except Exception as error:  # Whoosh's parser errors have no common base
            raise QueryError(f"the query cannot be read ({error})") from None
        return query

    def stored(self, path: str) -> dict[str, str]:
        """Return the title, date and severity indexed for the postmortem at `path` ({} if none)."""
        fields = self._searcher.document(path=path)
        if not fields:
            return {}
        return {
            "title": str(fields.get("title", "")),
            "date": fields["date"].date().isoformat() if "date" in fields else "",
            "severity": str(fields.get("severity", "")),
        }

    def suggest(self, text: str, synonyms: Table) -> str | None:
        """Return `text` with unknown words replaced by the closest indexed words, if any."""
        reader = self._searcher.reader()
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(1)
            if word in _OPERATOR_WORDS or word.lower() in synonyms:
                return word
            tokens = [t.text for t in PLAIN(word)]
            if not tokens or all(reader.doc_frequency("exact", t) for t in tokens):
                return word
            stems = [t.text for t in STEMMED(word)]
            if stems and any(reader.doc_frequency(f, stems[0]) for f in FIELD_BOOSTS):
                return word  # a form of an indexed word ("limit" when "limits" is indexed)
            # Closest first, and sharing the first letter(s): building the edit-distance
            # automaton for distance 2 over the whole word list measured ~150 ms at 10,000.
            found = self._searcher.suggest("exact", tokens[0], limit=1, maxdist=1, prefix=1)
            if not found and len(tokens[0]) > 4:
                found = self._searcher.suggest("exact", tokens[0], limit=1, maxdist=2, prefix=2)
            if found:
                changed = True
                return str(found[0])
            return word

        fixed = _WORD.sub(fix, text)
        return fixed if changed else None

    def search(
        self,
        text: str,
        *,
        synonyms: Table,
        limit: int = 10,
        since: date | None = None,
        until: date | None = None,
        marks: tuple[str, str] = ("**", "**"),
    ) -> Results:
        """Return the best `limit` hits for `text`: incidents matching every word, else any.

        Matching every word first is what people expect of a search box, and it is fast
        (intersections skip through posting lists); when nothing matches every word, the
        incidents matching some of them are better than nothing mid-incident.
        """
        query = self.parse(text, synonyms)
        date_filter = None
        if since or until:
            start = datetime.combine(since, datetime.min.time()) if since else None
            end = datetime.combine(until, datetime.max.time()) if until else None
            date_filter = DateRange("date", start, end)
        results = self._searcher.search(query, limit=limit, filter=date_filter, terms=True)
        partial = False
        if results.is_empty():
            some = self.parse(text, synonyms, every_word=False)
            if some != query:
                results = self._searcher.search(some, limit=limit, filter=date_filter, terms=True)
                partial = not results.is_empty()
        results.fragmenter = ContextFragmenter(maxchars=160, surround=40)
        results.formatter = _Formatter(*marks)
        hits = []
        for hit in results:
            snippet = ""
            stored = hit.fields()
            for name, value in (("root_cause", None), ("text", stored.get("summary", ""))):
                snippet = hit.highlights(name, text=value, top=2)
                if snippet:
                    break
            if not snippet:
                snippet = shorten(stored.get("root_cause", ""), 160)
            hits.append(
                Hit(
                    id=stored["id"],
                    path=stored["path"],
                    title=stored["title"],
                    date=stored["date"].date().isoformat(),
                    severity=stored.get("severity", ""),
                    root_cause=stored.get("root_cause", ""),
                    services=_split(stored.get("service", "")),
                    tags=_split(stored.get("tag", "")),
                    categories=_split(stored.get("category", "")),
                    score=round(float(hit.score), 4),
                    snippet=" ".join(snippet.split()),
                    why=why(stored, hit.matched_terms()),
                )
            )
        suggestion = self.suggest(text, synonyms)
        return Results(hits, results.estimated_length(), suggestion, partial)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


_WHY_FIELDS = {"title": "title", "root_cause": "root cause", "text": "summary"}
_WHY_FACETS = {"category": "category", "tag": "tag", "service": "service", "trigger": "trigger"}


def why(stored: dict[str, Any], matched: list[tuple[str, bytes]]) -> tuple[str, ...]:
    """Return why a hit matched: the words of each field whose stems matched, then the facet
    values holding a matched word (each value once), as the browser says it (search.js).
    """
    terms: dict[str, set[str]] = {}
    for field, term in matched:
        text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        terms.setdefault(field, set()).add(text)
    reasons = []
    for field, label in _WHY_FIELDS.items():
        wanted = terms.get(field, set())
        words = list(
            dict.fromkeys(
                t.original.lower()
                for t in STEMMED(str(stored.get(field, "")), keeporiginal=True)
                if t.text in wanted
            )
        )
        if words:
            reasons.append(f"{label}: {', '.join(words[:4])}")
    keywords = terms.get("keywords", set())
    seen: set[str] = set()
    for field, label in _WHY_FACETS.items():
        for value in _split(str(stored.get(field, ""))):
            stems = {t.text for t in STEMMED(value.replace("-", " ").replace("_", " "))}
            direct = value.lower() in terms.get(field, set())
            if (direct or stems & keywords) and value.lower() not in seen:
                seen.add(value.lower())
                reasons.append(f"{label}: {value}")
    return tuple(reasons)
