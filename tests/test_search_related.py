"""Related incidents: sensible on the fixtures, deterministic, bounded work on large corpora."""

from __future__ import annotations

import random
import time

from mkdocs_postmortems.related import Features, compute_related


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


def test_work_per_postmortem_stays_bounded() -> None:
    # Ten times more postmortems must cost far less than a hundred times more (quadratic).
    def corpus(count: int) -> list[Features]:
        rng = random.Random(5)
        return [
            Features(
                f"pm-{n:05d}",
                (rng.choice(["database", "network", "capacity"]),),
                (f"svc{rng.randrange(40)}",),
                (f"tag{rng.randrange(60)}", "customer-facing"),
                tuple(f"w{rng.randrange(2000)}" for _ in range(12)),
            )
            for n in range(count)
        ]

    small, large = corpus(400), corpus(4000)
    started = time.perf_counter()
    compute_related(small)
    small_time = time.perf_counter() - started
    started = time.perf_counter()
    result = compute_related(large)
    large_time = time.perf_counter() - started
    assert large_time < 40 * small_time, (small_time, large_time)
    assert sum(1 for items in result.values() if items) > 0.9 * len(large)
