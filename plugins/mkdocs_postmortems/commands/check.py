"""`postmortems check`: load every postmortem and print each problem (lint's quick form)."""

from __future__ import annotations

import argparse
import sys

from .common import add_source_option, load_from_args

EXAMPLES = """examples:
  postmortems check
  postmortems check --source path/to/postmortems
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `check` sub-command."""
    parser = subparsers.add_parser(
        "check",
        help="validate every postmortem and list the problems",
        description="Validate every postmortem and list each problem as "
        "path:line: level: field: message (hint).",
        epilog=EXAMPLES,
    )
    add_source_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print every problem; return 1 when there is an error, else 0."""
    catalog, root = load_from_args(args)
    if not root.is_dir():
        print(f"postmortems: no folder {root}", file=sys.stderr)
        return 2
    for problem in catalog.problems:
        print(f"{root.as_posix().rstrip('/')}/{problem.format()}")
    files = len(catalog) + len(catalog.rejected)
    errors = len(catalog.errors)
    print(f"{files} files checked, {errors} error{'s' if errors != 1 else ''}", file=sys.stderr)
    return 1 if errors else 0
