"""Related incidents: sensible, with reasons, never from placeholders, bounded work at scale."""

from __future__ import annotations

import pickle
import random
import sys
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from mkdocs_postmortems.analysis.related import (
    BUDGET,
    Features,
    Ranking,
    candidate_cap,
    compute_related,
)
from mkdocs_postmortems.core.model import Postmortem
from mkdocs_postmortems.plugin.forkmap import ForkMap
from mkdocs_postmortems.search.documents import features


def ids(items: list[tuple[str, float, list[str]]]) -> list[str]:
    return [other for other, _score, _why in items]


def doc(ident: str, facets: tuple[str, ...], *stems: str) -> Features:
    return Features(ident, facets, stems, (1.0,) * len(stems), stems)


def record(ident: str, **fields: object) -> Postmortem:
    values: dict[str, object] = {
        "id": ident,
        "path": f"{ident}.md",
        "title": "Outage",
        "date": date(2024, 1, 1),
        "status": "published",
        "severity": "SEV2",
        "summary": "",
        "root_cause": "",
        "services": (),
        "body": "",
        **fields,
    }
    return Postmortem(**values)  # type: ignore[arg-type]


def test_shared_words_and_facets_rank_first_with_their_reasons() -> None:
    docs = [
        doc("a", ("c:database", "s:users-db"), "index", "query", "slow", "login"),
        doc("b", ("c:database", "s:orders-db"), "index", "query", "scan"),
        doc("c", ("c:database", "s:users-db"), "replica", "lag"),
        doc("d", ("c:network",), "route", "leak", "bgp"),
        doc("e", ("c:network",), "route", "leak", "dns"),
        doc("f", ("c:capacity",), "disk", "full"),
    ]
    related = compute_related(docs)
    assert ids(related["a"]) == ["b", "c"]
    assert related["a"][0][2] == ["same words: index, query", "category: database"]
    assert related["a"][1][2] == ["category: database", "service: users-db"]
    assert ids(related["d"]) == ["e"]
    assert related["f"] == []


def test_one_shared_word_or_facet_alone_is_not_related() -> None:
    docs = [
        doc("a", ("s:kubernetes",), "cloudwatch", "logs"),
        doc("b", ("s:kubernetes",), "traefik", "ingress"),
        doc("c", (), "cloudwatch", "billing"),
    ]
    assert compute_related(docs) == {"a": [], "b": [], "c": []}


def test_placeholders_and_empty_values_never_count() -> None:
    placeholder = "TODO: the source does not say what was wrong; write the root cause here."
    first = record(
        "first",
        title="Logs not shipped",
        root_cause=placeholder,
        services=("TODO-service",),
        trigger="unknown",
        tags=("tbd",),
    )
    second = record(
        "second",
        title="Certificate expired",
        root_cause=placeholder,
        services=("TODO-service",),
        trigger="unknown",
        tags=("tbd",),
    )
    found = [features(first), features(second)]
    assert found[0].facets == ()
    assert "todo" not in found[0].words
    assert "sourc" not in found[0].words
    assert compute_related(found) == {"first": [], "second": []}


def test_titles_and_symptoms_find_a_recurrence_whose_cause_is_unknown() -> None:
    # The dfds "logs not shipped to CloudWatch" twins: titles and summaries only.
    first = record(
        "2021-logs",
        title="Logs from Kubernetes workloads not being shipped to CloudWatch Logs",
        summary="Fluentd stopped shipping logs after an annotation was overwritten.",
        services=("TODO-service",),
    )
    second = record(
        "2023-logs",
        title="Logs not being shipped to CloudWatch",
        summary="After a Fluentd upgrade, logs were sporadically not shipped.",
        services=("TODO-service",),
    )
    other = record(
        "2022-nodes",
        title="Two Kubernetes nodes went into NotReady state",
        summary="A node ran out of memory.",
        services=("TODO-service",),
    )
    related = compute_related([features(first), features(second), features(other)])
    assert ids(related["2023-logs"]) == ["2021-logs"]
    (reason,) = related["2023-logs"][0][2]
    assert reason.startswith("same words: ")
    assert {"cloudwatch", "shipped", "logs", "fluentd"} <= set(reason[12:].split(", "))


def test_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(3)
    docs = [
        doc(
            f"pm-{n:04d}",
            (f"c:{rng.choice('abcde')}", f"s:svc{rng.randrange(30)}", f"t:tag{rng.randrange(40)}"),
            *sorted({f"w{rng.randrange(300)}" for _ in range(8)}),
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
        doc(
            f"pm-{n:05d}",
            (
                f"c:{rng.choice(['database', 'network', 'capacity'])}",
                f"s:svc{rng.randrange(40)}",
                f"t:tag{rng.randrange(60)}",
                "t:customer-facing",
            ),
            *sorted({f"w{rng.randrange(3000)}" for _ in range(30)}),
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


def test_a_value_that_is_both_a_category_and_a_tag_is_one_reason() -> None:
    docs = [
        doc("a", ("c:network", "t:network", "t:bgp"), "route", "leak"),
        doc("b", ("c:network", "t:network", "t:bgp"), "route", "withdrawn"),
    ]
    (item,) = compute_related(docs)["a"]
    assert item[2] == ["same words: route", "category: network", "tag: bgp"]


def _random_doc(rng: random.Random, ident: str, words: int = 300) -> Features:
    weights = (2.0, 0.6, 0.4)
    stems = sorted({f"w{rng.randrange(words)}" for _ in range(rng.randrange(2, 10))})
    facets = (f"c:{rng.choice('abcde')}", f"s:svc{rng.randrange(30)}", f"t:tag{rng.randrange(40)}")
    return Features(
        ident,
        facets[: rng.randrange(4)],
        tuple(stems),
        tuple(rng.choice(weights) for _ in stems),
        tuple(stem.upper() for stem in stems),
    )


def _edit(rng: random.Random, old: Features) -> Features:
    """Return `old` with a word, a facet or a word's weight changed (what an edit changes)."""
    choice = rng.randrange(4)
    if choice == 0:  # a common word: many postmortems are affected
        word = "w0" if "w0" not in old.words else f"w{rng.randrange(300)}"
        return replace(
            old, words=(*old.words, word), weights=(*old.weights, 2.0), shown=(*old.shown, "W")
        )
    if choice == 1 and old.words:
        return replace(old, words=old.words[1:], weights=old.weights[1:], shown=old.shown[1:])
    if choice == 2:
        return replace(old, facets=(*old.facets[:1], f"s:svc{rng.randrange(30)}"))
    return replace(old, weights=tuple(w * 0.5 for w in old.weights))


def test_a_reranking_after_edits_equals_one_from_scratch() -> None:
    rng = random.Random(11)
    docs = [_random_doc(rng, f"pm-{n:04d}") for n in range(400)]
    ranking = Ranking.of(docs)
    partial = voted = 0
    for step in range(40):
        edited = rng.sample(range(len(docs)), rng.choice([1, 1, 1, 2, 5]))
        for number in edited:
            docs[number] = _edit(rng, docs[number])
        if step % 10 == 9:  # the next build reads the ranking back from the build cache
            ranking = pickle.loads(pickle.dumps(ranking))
        ranking = ranking.rerank(docs)
        assert ranking.related == compute_related(docs), f"step {step}"
        partial += ranking.scored < len(docs)
        voted += ranking.voted
    assert partial > 20, "most single edits should recompute only some lists"
    assert voted < 40 * len(docs) / 4, "most lists should keep their candidates"
    again = ranking.rerank(docs)  # unchanged features: nothing to compute
    assert (again.voted, again.scored, again.related) == (0, 0, ranking.related)


def test_a_reranking_after_an_addition_removal_or_rename_equals_one_from_scratch() -> None:
    rng = random.Random(12)
    docs = [_random_doc(rng, f"pm-{n:04d}") for n in range(200)]
    ranking = Ranking.of(docs)
    changes = [
        [*docs, _random_doc(rng, "pm-0500")],
        docs[1:],
        [replace(docs[0], id="pm-9999"), *docs[1:]],
    ]
    for changed in changes:
        again = ranking.rerank(changed)
        assert again.related == compute_related(changed)
        assert again.voted == again.scored == len(changed)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")
def test_a_ranking_shared_with_a_second_process_equals_one_in_this_process() -> None:
    rng = random.Random(13)
    docs = [_random_doc(rng, f"pm-{n:04d}") for n in range(500)]
    mapper = ForkMap(enabled=True)
    shared = Ranking.of(docs, mapper=mapper)
    assert mapper.shared == 250  # the second half was ranked by the child
    alone = Ranking.of(docs)
    assert shared.related == alone.related
    assert (shared.shortlists, shared.fallbacks) == (alone.shortlists, alone.fallbacks)
    # The next build's edits rerank from what the shared ranking kept.
    docs[7] = _edit(rng, docs[7])
    assert shared.rerank(docs).related == compute_related(docs)
