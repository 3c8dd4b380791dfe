"""`postmortems similar ID`: list the incidents most like one postmortem."""

from __future__ import annotations

import argparse
import json
import sys

from ...core.problems import did_you_mean
from ...search.store import IndexUnusable, SearchIndex
from .search import add_site_options, refresh, site_from_args

EXAMPLES = """examples:
  postmortems similar 2024-03-08-auth-outage
  postmortems similar 2024-03-08-auth-outage --json

Related incidents share words of the title, summary, impact, root cause and contributing
factors, and root-cause categories, services, tags and trigger; rare shared words and values
count more than common ones, placeholders never count. Each says why ("why:", and "shared" in
--json). The same lists appear on every incident page.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `similar` sub-command."""
    parser = subparsers.add_parser(
        "similar",
        help="list the incidents most like one postmortem",
        description="List the past incidents that share the most with one postmortem.",
        epilog=EXAMPLES,
    )
    parser.add_argument("id", help="the postmortem's id (its file name without .md)")
    parser.add_argument("--json", action="store_true", help="print the list as JSON")
    parser.add_argument("--limit", type=int, default=5, help="at most this many (default: 5)")
    add_site_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the related incidents; 0 when there are some, 1 when none, 2 for an unknown id."""
    site = site_from_args(args)
    if not site.root.is_dir():
        print(f"postmortems: no folder {site.root} (use --source or --config)", file=sys.stderr)
        return 2
    generation = refresh(site).generation
    by_id = {entry.id: path for path, entry in generation.entries.items()}
    if not by_id:
        print(f"postmortems: there are no valid postmortems in {site.root}", file=sys.stderr)
        return 2
    if args.id not in by_id:
        hint = did_you_mean(args.id, set(by_id))
        print(
            f"postmortems: no postmortem has the id '{args.id}'"
            + (f"; {hint}" if hint else "; ids are file names without .md"),
            file=sys.stderr,
        )
        return 2
    related = generation.related.get(args.id, [])[: max(args.limit, 0)]
    try:
        with SearchIndex(site.cache_dir).searcher() as searcher:
            facts = {other: searcher.stored(by_id[other]) for other, _s, _r in related}
    except IndexUnusable as error:
        print(f"postmortems: the search index is unusable: {error}", file=sys.stderr)
        return 2
    rows: list[dict[str, object]] = [
        {
            "id": other,
            **facts[other],
            "score": score,
            "shared": reasons,
            "path": by_id[other],
            "url": site.url(by_id[other]),
        }
        for other, score, reasons in related
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for number, (other, score, reasons) in enumerate(related, 1):
            fact = facts[other]
            print(f"{number}. {fact.get('title', other)}")
            print(f"   {fact.get('date', '')}  {fact.get('severity', '')}  (score {score:g})")
            print(f"   why: {'; '.join(reasons)}")
            print(f"   {site.url(by_id[other])}")
    if not rows:
        print(f"No incident shares enough with '{args.id}'.", file=sys.stderr)
        return 1
    return 0
