"""Measure what an offline embedding model (wordllama) would add to search and related incidents.

Usage: pip install wordllama; python benchmarks/semantic_probe.py [--corpora /work/corpora]

The product ranks by words and facets only; this probe keeps the question open on new judged
data. It prints the model's cost (load, embedding time for 1,000 and 10,000 postmortem texts)
and, on the judged sets of `relevance.py`, the scores of: the lexical ranking, the semantic
ranking alone, and the two fused (reciprocal-rank fusion for search; the cosine added to the
lexical score for related incidents, re-ranking the lexical candidates).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import relevance as judged
import relevance_surfaces as surfaces
from mkdocs_postmortems.core.catalog import Settings, load_catalog
from mkdocs_postmortems.core.model import Postmortem, is_placeholder
from relevance import REPO  # also puts the package on the path

FUSED_WEIGHT = 0.5  # weight of the semantic ranking (search) or cosine (related) when fused


def _text(pm: Postmortem) -> str:
    parts = [pm.title, pm.summary, pm.root_cause]
    return "\n".join(p for p in parts if not is_placeholder(p))


def _model() -> Any:
    import wordllama

    return wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )


def _fuse(*rankings: tuple[list[str], float]) -> list[str]:
    score: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, ident in enumerate(ranking[:10]):
            score[ident] = score.get(ident, 0.0) + weight / (10 + rank)
    return sorted(score, key=lambda ident: (-score[ident], ident))


def main() -> int:
    """Print the cost of the model and its gain on the judged sets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=Path("/work/corpora"))
    args = parser.parse_args()
    try:
        started = time.perf_counter()
        model = _model()
    except ImportError:
        print("wordllama is not installed (pip install wordllama)", file=sys.stderr)
        return 2
    print(f"load: {time.perf_counter() - started:.2f} s")
    catalog = load_catalog(REPO / "postmortems", Settings())
    texts = [_text(pm) for pm in catalog]
    rng = random.Random(1)
    for count in (1000, 10000):
        batch = [rng.choice(texts) for _ in range(count)]
        started = time.perf_counter()
        model.embed(batch, norm=True)
        print(f"embed {count:,} postmortem texts: {time.perf_counter() - started:.2f} s")

    ids = [pm.id for pm in catalog]
    vectors = model.embed(texts, norm=True)
    queries = judged.read_queries()
    with tempfile.TemporaryDirectory() as temp:
        cli = surfaces.cli_ranker(REPO, Path(temp) / "cache")
        rows = {"lexical": judged.Scores(), "semantic": judged.Scores(), "fused": judged.Scores()}
        for query in queries:
            lexical = cli(query.text)
            closeness = vectors @ model.embed([query.text], norm=True)[0]
            semantic = [ids[n] for n in closeness.argsort()[::-1]]
            rows["lexical"].add(query.text, lexical, query.relevant)
            rows["semantic"].add(query.text, semantic, query.relevant)
            fused = _fuse((lexical, 1.0), (semantic, FUSED_WEIGHT))
            rows["fused"].add(query.text, fused, query.relevant)
        table = {f"search: {name}": scores.row() for name, scores in rows.items()}
        groups = judged.read_groups()
        sets = [("repository", REPO / "postmortems", lambda ident: ident, "repository")]
        if args.corpora.is_dir():
            imported = surfaces.import_corpora(args.corpora, groups["corpora"], Path(temp) / "i")
            sets.append(("archives", imported.folder, imported.source.get, "corpora"))
        for name, folder, source, kind in sets:
            related = surfaces.related_lists(folder, Path(temp) / f"cache-{name}")
            records = {pm.id: pm for pm in load_catalog(folder, Settings())}
            order = sorted(records)
            found = model.embed([_text(records[i]) for i in order], norm=True)
            position = {ident: n for n, ident in enumerate(order)}
            for label, weight in (("lexical", 0.0), ("fused", FUSED_WEIGHT)):
                ranked = {}
                for ident, others in related.items():
                    mine = found[position[ident]]
                    closeness = {o: float(found[position[o]] @ mine) for o in others}
                    rescored = sorted(
                        others,
                        key=lambda o: -(1 - others.index(o) / 10 + weight * closeness[o]),
                    )
                    ranked[source(ident) or ident] = [source(o) or o for o in rescored]
                scores, rate, _ = judged.score_related(ranked, [g["members"] for g in groups[kind]])
                table[f"related {name}: {label}"] = {**scores.row(), "earlier@5": rate}
    judged.print_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
