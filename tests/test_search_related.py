"""Related incidents: sensible on the fixtures, deterministic, bounded work on large corpora."""

from __future__ import annotations

import random
from collections import Counter

from mkdocs_postmortems.analysis.related import BUDGET, Features, candidate_cap, compute_related


def ids(items: list[tuple[str, float, list[str]]]) -> list[str]:
    return [other for other, _score, _why in items]


def test_shared_facets_and_words_rank_first() -> None:
    docs = [
        Features("a", ("database",), ("users-db",), ("missing-index",), ("index", "query", "slow")),
        Features(
            "b", ("database",), ("orders-db",), ("missing-index",), ("index", "query", "scan")
        ),
        Features("c", ("database",), ("users-db",), ("replication",), ("replica", "lag")),
        Features("d", ("network",), ("edge",), ("bgp",), ("route", "leak", "query")),
        Features("e", ("database",), (), (), ("disk",)),
    ]
    related = compute_related(docs)
    assert ids(related["a"]) == ["b", "c"]
    assert related["a"][0][2] == ["tag: missing-index", "category: database", "2 root-cause words"]
    # One shared word or one shared category alone is not "seen before".
    assert related["d"] == []
    assert related["e"] == []
    # Symmetric pairs, best first.
    assert "a" in ids(related["b"])


def test_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(3)
    docs = [
        Features(
            f"pm-{n:04d}",
            (rng.choice("abcde"),),
            (f"svc{rng.randrange(30)}",),
            (f"tag{rng.randrange(40)}",),
            tuple(f"w{rng.randrange(300)}" for _ in range(8)),
        )
        for n in range(600)
    ]
    first = compute_related(docs)
    shuffled = docs[:]
    rng.shuffle(shuffled)
    assert compute_related(shuffled) == first


def test_work_per_postmortem_is_bounded() -> None:
    # Services and tags come from fixed lists, so each is shared by more postmortems as the
    # corpus grows: reading every posting of every key would grow with N per postmortem
    # (quadratic overall). Candidates come from a fixed budget of postings per postmortem.
    count = 5000
    rng = random.Random(5)
    docs = [
        Features(
            f"pm-{n:05d}",
            (rng.choice(["database", "network", "capacity"]),),
            (f"svc{rng.randrange(40)}",),
            (f"tag{rng.randrange(60)}", "customer-facing"),
            tuple(f"w{rng.randrange(3000)}" for _ in range(30)),
        )
        for n in range(count)
    ]
    work: Counter[str] = Counter()
    result = compute_related(docs, work=work)
    cap = candidate_cap(count)
    postings: Counter[str] = Counter(key for doc in docs for key in doc.keyset())
    unbounded = sum(postings[k] for doc in docs for k in doc.keyset() if postings[k] <= cap)
    bound = count * (BUDGET + cap)
    assert work["postings"] <= bound
    assert unbounded > 3 * bound, "the corpus should need the budget for the test to mean much"
    assert work["scored"] <= 40 * count
    assert sum(1 for items in result.values() if items) > 0.9 * count
