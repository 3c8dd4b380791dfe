"""Rank "seen before" incidents for every postmortem at once, in sub-quadratic time.

Each postmortem has keys: its root-cause categories, services, tags and root-cause key terms.
A key shared by two postmortems counts by its kind and its rarity (inverse document frequency).
Candidates come from an inverted index over the keys, so a postmortem is only compared with
postmortems that share a key with it, read rarest key first up to a fixed budget of postings;
keys held by many postmortems (a category such as "database" in a large corpus) still count in
the score but do not propose candidates. The work per postmortem is bounded, so the whole is
linear in the number of postmortems instead of quadratic. A loop of one Whoosh
`more_like` query per postmortem was measured at 2.5 to 5 ms each (about 50 s at 10,000).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

KEEP = 10  # related incidents kept per postmortem; pages show fewer
_KIND_WEIGHTS = {"c": 1.5, "s": 1.0, "t": 1.0, "r": 0.7}
_KIND_LABELS = {"c": "category", "s": "service", "t": "tag", "r": "root cause"}
_SHORTLIST = 40  # candidates scored exactly per postmortem
BUDGET = 400  # postings read per postmortem to propose candidates: the work stays linear


@dataclass(frozen=True)
class Features:
    """What is compared between postmortems (all lowercase; terms are stemmed words)."""

    id: str
    categories: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()

    def keyset(self) -> set[str]:
        """Return the keys of this postmortem, each prefixed by its kind."""
        return (
            {f"c:{v}" for v in self.categories}
            | {f"s:{v}" for v in self.services}
            | {f"t:{v}" for v in self.tags}
            | {f"r:{v}" for v in self.terms}
        )


# id -> [(other id, score, reasons such as "tag: database")], best first
Related = dict[str, list[tuple[str, float, list[str]]]]


def candidate_cap(total: int) -> int:
    """Return the largest number of postmortems a key may hold and still propose candidates."""
    return max(100, int(2 * math.sqrt(total)))


def compute_related(
    docs: Sequence[Features], keep: int = KEEP, work: Counter[str] | None = None
) -> Related:
    """Return the best `keep` related postmortems of every postmortem in `docs`.

    Two postmortems are related when they share a facet and at least one more key, or three
    root-cause words. The result depends only on `docs`, so cached and fresh results are identical.
    """
    ordered = sorted(docs, key=lambda d: d.id)
    total = len(ordered)
    keys = [d.keyset() for d in ordered]
    # Facet keys and root-cause words apart, so "is this enough?" is two set sizes.
    facets = [{k for k in doc_keys if k[0] != "r"} for doc_keys in keys]
    postings: dict[str, list[int]] = {}
    for number, doc_keys in enumerate(keys):
        for key in sorted(doc_keys):
            postings.setdefault(key, []).append(number)
    cap = candidate_cap(total)
    weight = {
        key: _KIND_WEIGHTS[key[0]] * math.log(1 + total / len(posting))
        for key, posting in postings.items()
    }
    result: Related = {}
    for number, doc in enumerate(ordered):
        mine, my_facets = keys[number], facets[number]
        counts: Counter[int] = Counter()
        common: list[str] = []
        proposed = 0
        # Rarest keys first: they are the strongest evidence, and once the budget of
        # candidates is spent the more common keys add none (they still count in scores).
        for key in sorted(mine, key=lambda k: (len(postings[k]), k)):
            posting = postings[key]
            if len(posting) > cap:
                common.append(key)
            elif proposed + len(posting) <= BUDGET or not proposed:
                counts.update(posting)
                proposed += len(posting)
        if len(counts) <= keep:
            # Nothing rare is shared: fall back to the rarest common keys, a bounded slice each.
            for key in sorted(common, key=lambda k: (len(postings[k]), k))[:3]:
                counts.update(postings[key][:cap])
        counts.pop(number, None)
        if work is not None:
            work["postings"] += proposed
            work["candidates"] += len(counts)
            work["scored"] += min(len(counts), _SHORTLIST)
        scored = []
        for other, _ in counts.most_common(_SHORTLIST):
            shared = mine & keys[other]
            shared_facets = len(my_facets & facets[other])
            words = len(shared) - shared_facets
            # A shared facet plus anything else, or three shared root-cause words: one shared
            # word ("after", "user") or one shared category alone says little about the cause.
            if not ((shared_facets and len(shared) >= 2) or words >= 3):
                continue
            scored.append((-sum(map(weight.__getitem__, shared)), ordered[other].id, shared))
        scored.sort(key=lambda item: (item[0], item[1]))
        result[doc.id] = [
            (other_id, round(-negative, 4), _reasons(shared, weight))
            for negative, other_id, shared in scored[:keep]
        ]
    return result


def _reasons(shared: set[str], weight: dict[str, float]) -> list[str]:
    # Facets are shown by name; shared root-cause words are stems, so they are summarised.
    named = sorted((k for k in shared if k[0] != "r"), key=lambda k: (-weight[k], k))
    reasons = [f"{_KIND_LABELS[k[0]]}: {k[2:]}" for k in named[:3]]
    words = sum(1 for k in shared if k[0] == "r")
    if words:
        reasons.append(f"{words} root-cause word{'s' if words != 1 else ''}")
    return reasons
