"""Rank "seen before" incidents for every postmortem at once, with reasons, in linear time.

Each postmortem is described by its words (stemmed, from the title, summary, impact, root
cause, contributing factors and trigger, each field with its own weight) and its facets
(root-cause categories, services, tags, trigger). Placeholders and empty values are never part
of it, so two imported files sharing `TODO-service` share nothing.

Two postmortems are compared by two cosines, weighted and added: words (tf-idf: a word shared
by few postmortems counts more than a common one) and facets (idf-weighted too). Pairs under a
threshold are not shown, nor pairs justified only by one shared word or one shared facet: noise
is worse than nothing for an engineer mid-incident. A semantic signal (wordllama vectors) was
measured and added nothing on the judged sets (benchmarks/semantic_probe.py), so it is not used.

Candidates come from an inverted index over words and facets, read rarest key first up to a
fixed budget of postings per postmortem, so a postmortem is only compared with a bounded number
of others and the whole is linear in the number of postmortems. A loop of one Whoosh `more_like`
query per postmortem was measured at 2.5 to 5 ms each (about 50 s at 10,000).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.cache import Mapper, serial_map

KEEP = 10  # related incidents kept per postmortem; pages show fewer
_SHORTLIST = 25  # candidates scored exactly per postmortem
BUDGET = 400  # postings read per postmortem to propose candidates: the work stays linear

# Weights tuned on the judged groups of benchmarks/data (python benchmarks/relevance.py).
WORD_WEIGHT = 1.0
FACET_WEIGHT = 0.6
THRESHOLD = 0.12  # a pair scoring less is not shown
_FACET_KINDS = {"c": 1.5, "s": 1.0, "t": 1.0, "x": 0.5}
_FACET_LABELS = {"c": "category", "s": "service", "t": "tag", "x": "trigger"}
_REASON_WORDS = 5  # shared words named in a reason
WORDS_REASON = "same words: "
"""How the reason naming shared words starts (recurrences require one)."""


@dataclass(frozen=True)
class Features:
    """What is compared between postmortems.

    `words` are stems with the field weight of each (`weights`) and the word as written
    (`shown`); `facets` are `kind:value` keys (c category, s service, t tag, x trigger).
    """

    id: str
    facets: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    shown: tuple[str, ...] = ()

    def keyset(self) -> set[str]:
        """Return the keys of this postmortem: facets, and words prefixed by `w:`."""
        return set(self.facets) | {f"w:{word}" for word in self.words}


# id -> [(other id, score, reasons such as "service: kiam")], best first
Related = dict[str, list[tuple[str, float, list[str]]]]


def candidate_cap(total: int) -> int:
    """Return the largest number of postmortems a key may hold and still propose candidates."""
    return max(100, int(2 * math.sqrt(total)))


@dataclass(frozen=True)
class _Doc:
    features: Features
    words: dict[str, float]  # stem -> field weight x idf
    word_norm: float
    facets: dict[str, float]  # key -> kind weight x idf
    facet_norm: float
    shown: dict[str, str]


def _idf(total: int, count: int) -> float:
    return math.log(1 + (total - count + 0.5) / (count + 0.5))


def _prepare(docs: Sequence[Features]) -> tuple[list[_Doc], dict[str, list[int]]]:
    postings: dict[str, list[int]] = {}
    for number, doc in enumerate(docs):
        for key in sorted(doc.keyset()):
            postings.setdefault(key, []).append(number)
    return [_prepare_one(doc, len(docs), postings) for doc in docs], postings


def _prepare_one(doc: Features, total: int, postings: dict[str, list[int]]) -> _Doc:
    """Return the weights of `doc` among `total` postmortems whose keys are in `postings`."""
    words: dict[str, float] = {}
    for word, weight in zip(doc.words, doc.weights, strict=True):
        words[word] = max(words.get(word, 0.0), weight * _idf(total, len(postings[f"w:{word}"])))
    facets = {
        key: _FACET_KINDS.get(key[0], 1.0) * _idf(total, len(postings[key])) for key in doc.facets
    }
    return _Doc(
        doc,
        words,
        math.sqrt(sum(v * v for v in words.values())) or 1.0,
        facets,
        math.sqrt(sum(v * v for v in facets.values())) or 1.0,
        dict(zip(doc.words, doc.shown, strict=True)),
    )


def _pair(mine: _Doc, other: _Doc) -> tuple[float, int]:
    """Return the score of a pair and how many words and facets it shares (its evidence)."""
    words = mine.words.keys() & other.words.keys()
    facets = mine.facets.keys() & other.facets.keys()
    if len(words) + len(facets) < 2:
        return 0.0, len(words) + len(facets)
    # fsum is exact whatever the order: set order varies between processes (string hashing),
    # and a cached score must equal the one a fresh build computes, ties included.
    word_dot = math.fsum(mine.words[w] * other.words[w] for w in words)
    facet_dot = math.fsum(mine.facets[k] * other.facets[k] for k in facets)
    score = WORD_WEIGHT * word_dot / (mine.word_norm * other.word_norm) + (
        FACET_WEIGHT * facet_dot / (mine.facet_norm * other.facet_norm)
    )
    return score, len(words) + len(facets)


def compute_related(
    docs: Sequence[Features], keep: int = KEEP, work: Counter[str] | None = None
) -> Related:
    """Return the best `keep` related postmortems of every postmortem in `docs`, with reasons.

    The result depends only on `docs`, so cached and fresh results are identical.
    """
    return Ranking.of(docs, keep, work).related


# What ranking one postmortem gives: its shortlist, whether it came from the fallback, its list.
_Ranked = tuple[tuple[int, ...], bool, list[tuple[str, float, list[str]]]]


class Ranking:
    """The related lists of a set of postmortems, with what it takes to update them cheaply.

    `rerank` gives the lists of changed features. When the same postmortems (same ids) come
    back with some features changed, only the lists those changes can move are computed again;
    every other list is the previous one, and the result equals `compute_related` from scratch
    (`tests/test_search_related.py` checks it on random edits). Why that is sound:

    - the weight of a word or facet depends on how many postmortems have it (its posting) and
      on the total; with the same total, only the keys that a changed postmortem gained or lost
      (*moved* keys) change weight, so only the postmortems having one (and the changed ones)
      get new weights and norms: the *affected* ones;
    - a postmortem's candidates (its shortlist) come from the postings of its own keys read
      rarest first, voted with its own weights, keys holding more than `candidate_cap`
      postmortems left out (unless too few candidates came: the fallback). Its shortlist can
      only change if it changed, used the fallback, or has a moved key that was or is under
      the cap: those postmortems are *voted again*;
    - a list is the exact scores and reasons of the shortlist: it changes only if its
      postmortem or one of its shortlist is affected, and is then *scored again*.

    A postmortem added, removed or renamed changes the total or the numbering: everything is
    computed again. Pickling keeps the features, shortlists and lists (what the next build
    needs); the weights and postings are rebuilt from the features on use.
    """

    def __init__(self, ordered: tuple[Features, ...], keep: int) -> None:
        self.ordered = ordered
        self.keep = keep
        self.shortlists: list[tuple[int, ...]] = [()] * len(ordered)
        self.fallbacks = [False] * len(ordered)  # whether a shortlist came from the fallback
        self.related: Related = {}
        self.voted = self.scored = 0  # lists the call that made this ranking voted and scored
        self._prepared: tuple[list[_Doc], dict[str, list[int]]] | None = None

    @classmethod
    def of(
        cls,
        docs: Sequence[Features],
        keep: int = KEEP,
        work: Counter[str] | None = None,
        mapper: Mapper[int, _Ranked] = serial_map,
    ) -> Ranking:
        """Rank every postmortem of `docs` from scratch, each through `mapper` (the lists are
        independent once the weights are known; `work` counts only in this process)."""
        ranking = cls(tuple(sorted(docs, key=lambda d: d.id)), keep)
        ranking._weights()  # once, before `mapper` may share the numbers with another process

        def rank(number: int) -> _Ranked:
            ranking._vote(number, work)
            ranking._score(number)
            ident = ranking.ordered[number].id
            return ranking.shortlists[number], ranking.fallbacks[number], ranking.related[ident]

        ranked = mapper(rank, range(len(ranking.ordered)))
        for number, (shortlist, fallback, related) in enumerate(ranked):
            ranking.shortlists[number], ranking.fallbacks[number] = shortlist, fallback
            ranking.related[ranking.ordered[number].id] = related
        ranking.voted = ranking.scored = len(ranked)
        return ranking

    def rerank(
        self, docs: Sequence[Features], keep: int = KEEP, mapper: Mapper[int, _Ranked] = serial_map
    ) -> Ranking:
        """Return the ranking of `docs`, reusing every list of this one that cannot change.

        This ranking is not to be reranked again afterwards (its postings move to the new one).
        """
        ordered = tuple(sorted(docs, key=lambda d: d.id))
        same_ids = len(ordered) == len(self.ordered) and all(
            new.id == old.id for new, old in zip(ordered, self.ordered, strict=True)
        )
        if not same_ids or keep != self.keep:
            return Ranking.of(ordered, keep, mapper=mapper)
        ranking = Ranking(ordered, keep)
        ranking.shortlists, ranking.fallbacks = list(self.shortlists), list(self.fallbacks)
        ranking.related = dict(self.related)
        changed = [n for n, doc in enumerate(ordered) if doc != self.ordered[n]]
        if not changed:
            ranking._prepared = self._prepared
            return ranking
        prepared, postings = self._weights()
        self._prepared = None
        moved: set[str] = set()
        for number in changed:
            moved |= self.ordered[number].keyset() ^ ordered[number].keyset()
        cap = candidate_cap(len(ordered))
        rare = {key for key in moved if len(postings.get(key, ())) <= cap}
        for number in changed:
            before, after = self.ordered[number].keyset(), ordered[number].keyset()
            for key in before - after:
                postings[key].remove(number)
                if not postings[key]:
                    del postings[key]
            for key in after - before:
                bisect.insort(postings.setdefault(key, []), number)
        rare |= {key for key in moved if len(postings.get(key, ())) <= cap}
        affected = set(changed).union(*(postings.get(key, ()) for key in moved))
        for number in affected:
            prepared[number] = _prepare_one(ordered[number], len(ordered), postings)
        ranking._prepared = prepared, postings
        voted = set(changed).union(*(postings.get(key, ()) for key in rare))
        voted |= {number for number in affected if self.fallbacks[number]}
        for number in sorted(voted):
            ranking._vote(number, None)
        for number, shortlist in enumerate(ranking.shortlists):
            if number in affected or not affected.isdisjoint(shortlist):
                ranking._score(number)
        return ranking

    def __getstate__(self) -> dict[str, object]:
        """Return what is pickled: not the weights and postings (rebuilt from the features)."""
        return {**self.__dict__, "_prepared": None}

    def _weights(self) -> tuple[list[_Doc], dict[str, list[int]]]:
        if self._prepared is None:
            self._prepared = _prepare(self.ordered)
        return self._prepared

    def _vote(self, number: int, work: Counter[str] | None) -> None:
        """Find the candidates of postmortem `number` (its shortlist) in the postings."""
        prepared, postings = self._weights()
        mine = prepared[number]
        cap = candidate_cap(len(prepared))
        proposed = 0
        votes: dict[int, float] = {}
        common: list[str] = []
        # Rarest keys first: they are the strongest evidence, and once the budget of postings
        # is spent the more common keys propose no one (they still count in exact scores).
        for key in sorted(mine.features.keyset(), key=lambda k: (len(postings[k]), k)):
            posting = postings[key]
            if len(posting) > cap:
                common.append(key)
            elif proposed + len(posting) <= BUDGET or not proposed:
                weight = mine.words.get(key[2:], 0.0) if key[0] == "w" else mine.facets[key]
                for other in posting:
                    votes[other] = votes.get(other, 0.0) + weight
                proposed += len(posting)
        self.fallbacks[number] = len(votes) <= self.keep
        if self.fallbacks[number]:
            # Nothing rare is shared: fall back to the rarest common keys, a bounded slice each.
            for key in sorted(common, key=lambda k: (len(postings[k]), k))[:3]:
                for other in postings[key][:cap]:
                    votes[other] = votes.get(other, 0.0) + 1e-6
        votes.pop(number, None)
        best = heapq.nlargest(_SHORTLIST, votes.items(), key=_most_votes)
        self.shortlists[number] = tuple(other for other, _ in best)
        self.voted += 1
        if work is not None:
            work["postings"] += proposed
            work["candidates"] += len(votes)
            work["scored"] += len(best)

    def _score(self, number: int) -> None:
        """Compute the related list of postmortem `number` from its shortlist."""
        prepared, _postings = self._weights()
        mine = prepared[number]
        scored = []
        for other in self.shortlists[number]:
            score, evidence = _pair(mine, prepared[other])
            # One shared word ("outage", "kubernetes") or one shared facet alone says little
            # about the cause; two pieces of evidence of any kind, scoring enough, do.
            if evidence >= 2 and score >= THRESHOLD:
                scored.append((-score, self.ordered[other].id, other))
        scored.sort()
        self.related[mine.features.id] = [
            (other_id, round(-negative, 4), _reasons(mine, prepared[other]))
            for negative, other_id, other in scored[: self.keep]
        ]
        self.scored += 1


def _most_votes(item: tuple[int, float]) -> tuple[float, int]:
    return (item[1], -item[0])


def _strongest_first(
    shared: set[str], mine: dict[str, float], other: dict[str, float]
) -> list[str]:
    return sorted(shared, key=lambda key: (-mine[key] * other[key], key))


def _reasons(mine: _Doc, other: _Doc) -> list[str]:
    """Return why two postmortems are related: the strongest shared words, then facets."""
    reasons = []
    words = _strongest_first(mine.words.keys() & other.words.keys(), mine.words, other.words)
    if words:
        named = [mine.shown.get(word, word) for word in words[:_REASON_WORDS]]
        more = len(words) - len(named)
        reasons.append(WORDS_REASON + ", ".join(named) + (f" (+{more})" if more > 0 else ""))
    facets = _strongest_first(mine.facets.keys() & other.facets.keys(), mine.facets, other.facets)
    # One mention per value: "network" as a category and as a tag is one reason.
    values = list(dict.fromkeys(key[2:] for key in facets))[:4]
    first = {value: next(k for k in facets if k[2:] == value) for value in values}
    reasons += [f"{_FACET_LABELS.get(first[v][0], 'facet')}: {v}" for v in values]
    return reasons
