"""The `postmortems` command line: `main(argv) -> int`, called directly by tests.

Each sub-command lives in its own module under `commands/` and exposes `register(subparsers)`,
which adds its parser and sets `handler=function(args) -> int` as a default.
Exit codes: 0 success, 1 problems or no results, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..core.options import OptionsError
from .commands import COMMANDS


class _Parser(argparse.ArgumentParser):
    """An argument parser that keeps `--help` examples formatted as written."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one sub-command per task."""
    parser = _Parser(
        prog="postmortems",
        description="Work with a postmortem knowledge base.",
        epilog="Run 'postmortems COMMAND --help' for a command's options and examples.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args.handler(args)
    except OptionsError as error:
        # The site's mkdocs.yml or plugin options are unusable: a usage problem, never ignored.
        print(f"postmortems {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`postmortems schema | head`): stop quietly, like other tools.
        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - lives until the process exits
        return 0
    return code
