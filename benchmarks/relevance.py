"""Measure relevance on judged data: search (CLI, search page, header box) and related incidents.

Usage: python benchmarks/relevance.py [--corpora /work/corpora] [--no-browser] [--json FILE]

Judged data lives in benchmarks/data/: `queries.tsv` (queries over the repository's own
postmortems, each with the ids of the incidents it should find) and `recurrence.json` (groups of
incidents that are the same or closely related failures, in the repository and in public
archives fetched outside the repository). Archive files are imported with `postmortems import`
into a temporary folder first, so related incidents are measured on what a team would get.

Printed per surface: hit@3 (a relevant incident in the top 3), MRR@10 (mean reciprocal rank
of the first relevant incident, 0 past rank 10), recall@5 (share of the relevant incidents in
the top 5); for related incidents also "earlier@5", the share of later group members with an
earlier member of their group among their top 5 related incidents (the recurrence goal).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(REPO / "plugins"))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import relevance_surfaces as surfaces  # noqa: E402

Ranker = surfaces.Ranker


@dataclass(frozen=True)
class Query:
    """A judged query: its text, the ids it should find (the intended one first), its kind."""

    text: str
    relevant: tuple[str, ...]
    kind: str


@dataclass
class Scores:
    """Relevance of one surface over a judged set."""

    hit3: list[float] = field(default_factory=list)
    rr10: list[float] = field(default_factory=list)
    recall5: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, label: str, ranked: Sequence[str], relevant: Iterable[str]) -> None:
        """Score one ranked list against its relevant ids."""
        wanted = set(relevant)
        first = next((n for n, ident in enumerate(ranked[:10], 1) if ident in wanted), 0)
        self.hit3.append(1.0 if first and first <= 3 else 0.0)
        self.rr10.append(1.0 / first if first else 0.0)
        self.recall5.append(len(wanted & set(ranked[:5])) / len(wanted) if wanted else 0.0)
        if not first or first > 3:
            self.misses.append(f"{label!r}: first relevant at {first or '>10'}; got {ranked[:3]}")

    def row(self) -> dict[str, float]:
        """Return the three means."""
        count = max(len(self.hit3), 1)
        return {
            "n": len(self.hit3),
            "hit@3": sum(self.hit3) / count,
            "MRR@10": sum(self.rr10) / count,
            "recall@5": sum(self.recall5) / count,
        }


def read_queries(path: Path = DATA / "queries.tsv") -> list[Query]:
    """Return the judged queries of `path` (TSV: query, relevant ids, kind; # comments)."""
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, relevant, kind = line.split("\t")
        queries.append(Query(text, tuple(relevant.split(",")), kind))
    return queries


def read_groups(path: Path = DATA / "recurrence.json") -> dict[str, list[dict[str, Any]]]:
    """Return the judged groups: `repository` (ids) and `corpora` (paths under the corpora)."""
    data: dict[str, list[dict[str, Any]]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def score_search(ranker: Ranker, queries: list[Query]) -> Scores:
    """Score `ranker` over the judged queries."""
    scores = Scores()
    for query in queries:
        scores.add(query.text, ranker(query.text), query.relevant)
    return scores


def agreement(cli: Ranker, other: Ranker, queries: list[Query]) -> tuple[int, int]:
    """Return for how many queries `other` ranks the CLI's first incident first, and its top 3."""
    first = top3 = 0
    for query in queries:
        mine, theirs = cli(query.text), [i for i in other(query.text) if "/" not in i]
        first += mine[:1] == theirs[:1]
        top3 += mine[:3] == theirs[:3]
    return first, top3


def score_related(
    related: dict[str, list[str]], groups: list[list[str]]
) -> tuple[Scores, float, list[str]]:
    """Score related lists against judged groups; return the scores and the earlier@5 rate.

    Each member of a group is a query whose relevant answers are the other members.
    """
    scores = Scores()
    earlier, later, misses = 0, 0, []
    for members in groups:
        for position, member in enumerate(members):
            ranked = related.get(member, [])
            scores.add(member, ranked, [m for m in members if m != member])
            if position:
                later += 1
                if set(members[:position]) & set(ranked[:5]):
                    earlier += 1
                else:
                    misses.append(f"{member}: no earlier twin in top 5; got {ranked[:5]}")
    return scores, earlier / max(later, 1), misses


def print_table(rows: dict[str, dict[str, float]], stream: Any = sys.stdout) -> None:
    """Print one line per surface."""
    print(
        f"{'surface':<34}{'n':>4}{'hit@3':>8}{'MRR@10':>8}{'recall@5':>10}{'earlier@5':>11}",
        file=stream,
    )
    for name, row in rows.items():
        earlier = f"{row['earlier@5']:>11.2f}" if "earlier@5" in row else f"{'':>11}"
        print(
            f"{name:<34}{row['n']:>4}{row['hit@3']:>8.2f}{row['MRR@10']:>8.2f}"
            f"{row['recall@5']:>10.2f}{earlier}",
            file=stream,
        )


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=Path("/work/corpora"))
    parser.add_argument("--no-browser", action="store_true", help="skip Chromium surfaces")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument(
        "--signals",
        action="store_true",
        help="also measure related incidents with each signal added in turn",
    )
    args = parser.parse_args(argv)
    queries = read_queries()
    groups = read_groups()
    print(
        f"judged: {len(queries)} queries ({sum(q.kind == 'remembered' for q in queries)} as "
        f"remembered), {len(groups['repository'])} repository groups, "
        f"{len(groups['corpora'])} archive groups "
        f"({sum(len(g['members']) - 1 for g in groups['corpora'])} later members)"
    )
    rows: dict[str, dict[str, float]] = {}
    misses: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="relevance-") as temp:
        work = Path(temp)
        started = time.perf_counter()
        cli = surfaces.cli_ranker(REPO, work / "cache")
        scores = score_search(cli, queries)
        rows["search: CLI"] = scores.row()
        misses["search: CLI"] = scores.misses
        print(f"  CLI search measured in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        if not args.no_browser:
            started = time.perf_counter()
            site = surfaces.build_site(REPO, work / "site", work / "build-cache")
            with surfaces.Browser(site) as browser:
                for name, ranker in (
                    ("search: search page (Chromium)", browser.search_page),
                    ("search: header box (Chromium)", browser.header_box),
                ):
                    scores = score_search(ranker, queries)
                    rows[name] = scores.row()
                    misses[name] = scores.misses
                    agree = agreement(cli, ranker, queries)
                    print(
                        f"  {name} agrees with the CLI: same first incident for "
                        f"{agree[0]}/{len(queries)} queries, same top 3 for {agree[1]}",
                    )
            print(f"  browser measured in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        imported = None
        if args.corpora.is_dir():
            imported = surfaces.import_corpora(args.corpora, groups["corpora"], work / "imported")
            print(f"  archives: {imported.count} files imported", file=sys.stderr)
        steps = surfaces.SIGNALS if args.signals else surfaces.SIGNALS[-1:]
        for step in steps:
            signals = surfaces.SIGNALS[: surfaces.SIGNALS.index(step) + 1]
            suffix = f" [+{step}]" if args.signals else ""
            started = time.perf_counter()
            repo_related = surfaces.related_lists(
                REPO / "postmortems", work / f"cache-related-{step}", signals
            )
            scores, rate, extra = score_related(
                repo_related, [g["members"] for g in groups["repository"]]
            )
            rows["related: repository" + suffix] = {**scores.row(), "earlier@5": rate}
            misses["related: repository" + suffix] = scores.misses + extra
            if imported is None:
                continue
            corpus_related = surfaces.related_lists(
                imported.folder, work / f"cache-corpora-{step}", signals
            )
            by_source = {
                imported.source[ident]: [imported.source.get(o, o) for o in others]
                for ident, others in corpus_related.items()
                if ident in imported.source
            }
            scores, rate, extra = score_related(
                by_source, [g["members"] for g in groups["corpora"]]
            )
            rows["related: archives" + suffix] = {**scores.row(), "earlier@5": rate}
            misses["related: archives" + suffix] = scores.misses + extra
            print(
                f"  related{suffix} measured in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
    print_table(rows)
    if args.verbose:
        for name, lines in misses.items():
            for line in lines:
                print(f"  miss [{name}] {line}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
