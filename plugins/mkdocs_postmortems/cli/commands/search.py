"""`postmortems search QUERY`: search past root causes from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ...core.options import DEFAULTS, Options, OptionsError, check
from ...core.vocabulary import Vocabularies
from ...search.query import Hit, QueryError
from ...search.store import IndexUnusable, SearchIndex, Update
from ...search.synonyms import Table, build_table
from .common import add_source_option, incident_url, iso_date, site_options, source_folder

EXAMPLES = """examples:
  postmortems search "missing index"
  postmortems search 'root_cause:index tag:database severity:SEV1'
  postmortems search '"connection pool" exhausted' --since 2024-01-01
  postmortems search 'databse~' --json --limit 5

fields: root_cause: title: summary: tag: service: category: team: severity: trigger:
fuzzy: add ~ to a word (indx~); phrases: "out of memory"; operators: AND OR NOT ( )
synonyms: db finds database, k8s kubernetes, oom "out of memory" (plugin option `synonyms`)
snippets mark matched words in bold on a terminal, with **stars** otherwise (and in --json)
exit codes: 0 results, 1 no results, 2 bad usage or query
"""
PROGRESS_MIN = 50  # files to (re)index before progress is worth showing


@dataclass(frozen=True)
class Site:
    """Where the command finds the postmortems, the index, and how to link to pages."""

    root: Path
    cache_dir: Path
    synonyms: Table
    options: Options
    vocabularies: Vocabularies

    def url(self, path: str) -> str:
        """Return the URL of the page of the postmortem at `path` (relative to the source)."""
        return incident_url(self.options, path)


def add_site_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that locate the site, its postmortems and its index."""
    add_source_option(parser)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"where the index is kept (default: the plugin's cache_dir, else {DEFAULTS.cache_dir}"
        " next to mkdocs.yml)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `search` sub-command."""
    parser = subparsers.add_parser(
        "search",
        help="search past incidents by root cause, tags, services...",
        description="Search the postmortems' root causes, titles, summaries, tags, services, "
        "contributing factors and lessons. The index is brought up to date first; only "
        "changed files are read again.",
        epilog=EXAMPLES,
    )
    parser.add_argument("query", nargs="+", help="words, phrases or field:value terms")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--limit", type=_positive, default=10, help="at most this many results (default: 10)"
    )
    parser.add_argument("--since", type=iso_date, help="only incidents on or after YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, help="only incidents on or before YYYY-MM-DD")
    add_site_options(parser)
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def site_from_args(args: argparse.Namespace) -> Site:
    """Return where the postmortems and the index of the site named by `args` are."""
    options = site_options(args)
    vocabularies = check(options)
    table, errors = build_table(options.synonyms, defaults=options.default_synonyms)
    if errors:
        raise OptionsError(f"{args.config}: " + "; ".join(errors))
    cache = args.cache_dir or options.cache_path
    return Site(source_folder(args, options), cache, table, options, vocabularies)


def refresh(site: Site, stream: TextIO = sys.stderr) -> Update:
    """Bring the site's index up to date, showing progress on a terminal."""
    shown = False

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal shown
        if total >= PROGRESS_MIN and stream.isatty():
            stream.write(f"\r{phase} postmortems for the search index: {done}/{total}   ")
            stream.flush()
            shown = True

    update = SearchIndex(site.cache_dir).refresh(site.root, site.vocabularies, progress)
    if shown:
        stream.write("\r" + " " * 60 + "\r")
        stream.flush()
    if (update.stats.indexed or update.stats.removed) and (stream.isatty() or update.stats.rebuilt):
        print(update.stats.summary(), file=stream)
    return update


def run(args: argparse.Namespace) -> int:
    """Print the best matches; return 0 with results, 1 without, 2 on a bad query."""
    site = site_from_args(args)
    if not site.root.is_dir():
        print(f"postmortems: no folder {site.root} (use --source or --config)", file=sys.stderr)
        return 2
    text = " ".join(args.query)
    if args.since and args.until and args.since > args.until:
        print("postmortems: --since is after --until", file=sys.stderr)
        return 2
    refresh(site)
    color = sys.stdout.isatty() and not args.json
    marks = ("\x1b[1m", "\x1b[0m") if color else ("**", "**")
    try:
        with SearchIndex(site.cache_dir).searcher() as searcher:
            results = searcher.search(
                text,
                synonyms=site.synonyms,
                limit=args.limit,
                since=args.since,
                until=args.until,
                marks=marks,
            )
            corrected = None
            if results.suggestion and (results.partial or not results.hits):
                corrected = searcher.search(
                    results.suggestion,
                    synonyms=site.synonyms,
                    limit=args.limit,
                    since=args.since,
                    until=args.until,
                    marks=marks,
                )
    except QueryError as error:
        print(f"postmortems: {error}", file=sys.stderr)
        return 2
    except IndexUnusable as error:
        print(f"postmortems: the search index is unusable: {error}", file=sys.stderr)
        return 2
    hits = results.hits
    if results.suggestion:
        print(f"Did you mean: {results.suggestion}", file=sys.stderr)
    # A corrected query wins over no results, and over partial ones when it matches every word.
    if corrected is not None and corrected.hits and (not hits or not corrected.partial):
        print(
            f"No incident matches every word of '{text}'; "
            f"showing results for '{results.suggestion}'",
            file=sys.stderr,
        )
        hits, results = corrected.hits, corrected
    if results.partial:
        print("No incident matches every word; these match some of them.", file=sys.stderr)
    if args.json:
        print(json.dumps([_json(hit, site) for hit in hits], indent=2, ensure_ascii=False))
    else:
        _print(hits, site)
    if not hits:
        print(f"No postmortem matches '{text}'.", file=sys.stderr)
        return 1
    return 0


def _json(hit: Hit, site: Site) -> dict[str, object]:
    return {
        "id": hit.id,
        "title": hit.title,
        "date": hit.date,
        "severity": hit.severity,
        "root_cause": hit.root_cause,
        "score": hit.score,
        "url": site.url(hit.path),
        "path": hit.path,
        "services": list(hit.services),
        "tags": list(hit.tags),
        "categories": list(hit.categories),
        "snippet": hit.snippet,
        "why": list(hit.why),
    }


def _print(hits: list[Hit], site: Site) -> None:
    for number, hit in enumerate(hits, 1):
        print(f"{number}. {hit.title}")
        print(f"   {hit.date}  {hit.severity}  {', '.join(hit.services)}  (score {hit.score:g})")
        print(f"   {hit.snippet}")
        if hit.why:
            print(f"   why: {'; '.join(hit.why)}")
        print(f"   {site.url(hit.path)}")
