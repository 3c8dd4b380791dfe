"""`postmortems import`: turn free-form postmortems into files of the format."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from ...authoring.importer import ImportProblem, ImportResult, import_text
from ...core.loader import Rejected, load_bytes
from ...core.problems import Level
from ...core.vocabulary import DEFAULT_VOCABULARIES

EXAMPLES = """examples:
  postmortems import old/2024-03-08-auth-outage.md
  postmortems import docs/incidents/*.md --out postmortems
  postmortems import notes.md --date 2024-05-02 --stdout

Each file becomes <out>/<date>-<slug>.md with front matter extracted from the text and the
original text kept as the body. For every file the command lists what it guessed and what it
could not find: check those, then run 'postmortems lint'. An existing file is never replaced
unless --force is given.
exit status: 0 every file imported, 1 some file failed, 2 bad usage.
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `import` sub-command."""
    parser = subparsers.add_parser(
        "import",
        help="turn free-form postmortems into files of the format",
        description="Turn free-form postmortems (bold labels, Markdown headings, the Google SRE "
        "template, timelines as tables or lists) into postmortem files with front matter.",
        epilog=EXAMPLES,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to import")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("postmortems"),
        help="folder to write the imported files to (default: %(default)s)",
    )
    parser.add_argument(
        "--date",
        type=_date,
        default=None,
        help="the incident day (YYYY-MM-DD) when neither the text nor the file name gives one",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing file of the same name"
    )
    parser.add_argument(
        "--stdout", action="store_true", help="print the result instead of writing files"
    )
    parser.set_defaults(handler=run)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; use YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    """Import every file; return 1 when any could not be imported, else 0."""
    out: Path = args.out
    if not args.stdout and out.exists() and not out.is_dir():
        print(f"postmortems import: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    failed = 0
    for source in args.files:
        if not _import_one(source, args):
            failed += 1
    done = len(args.files) - failed
    next_step = "; check what was guessed, then run 'postmortems lint'" if done else ""
    print(
        f"{done} of {len(args.files)} file{'s' if len(args.files) != 1 else ''} imported"
        f"{next_step}",
        file=sys.stderr,
    )
    return 1 if failed else 0


def _fail(source: Path, message: str, hint: str) -> bool:
    print(f"{source}: error: {message} ({hint})", file=sys.stderr)
    return False


def _import_one(source: Path, args: argparse.Namespace) -> bool:
    try:
        raw = source.read_bytes()
    except OSError as error:
        return _fail(source, f"cannot be read: {error.strerror}", "check the path")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _fail(source, f"is not UTF-8 text (byte {error.start})", "save it as UTF-8")
    try:
        result = import_text(text, source.name, args.date)
    except ImportProblem as problem:
        return _fail(source, problem.message, problem.hint)
    rendered = result.render()
    target = args.out / f"{result.stem}.md"
    if not _loads_cleanly(source, result, rendered):
        return False
    if args.stdout:
        sys.stdout.write(rendered)
    else:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            with target.open("w" if args.force else "x", encoding="utf-8") as handle:
                handle.write(rendered)
        except FileExistsError:
            return _fail(
                source,
                f"{target} already exists and was not replaced",
                "rename or remove it, or pass --force",
            )
        except OSError as error:
            return _fail(source, f"cannot write {target}: {error.strerror}", "check --out")
    destination = "standard output" if args.stdout else str(target)
    print(f"{source}: imported to {destination}", file=sys.stderr)
    for guess in result.guesses:
        print(f"  guessed: {guess}", file=sys.stderr)
    for gap in result.missing:
        print(f"  not found: {gap}", file=sys.stderr)
    return True


def _loads_cleanly(source: Path, result: ImportResult, rendered: str) -> bool:
    """Check the output loads with no errors; print its warnings."""
    loaded = load_bytes(rendered.encode("utf-8"), f"{result.stem}.md", DEFAULT_VOCABULARIES)
    problems = loaded.problems
    errors = [p for p in problems if p.level is Level.ERROR or isinstance(loaded, Rejected)]
    for problem in problems:
        if problem not in errors:
            print(f"  warning: {problem.field}: {problem.message}", file=sys.stderr)
    if errors:
        details = "; ".join(f"{p.field or 'file'}: {p.message}" for p in errors)
        return _fail(
            source,
            f"the imported file would not be valid ({details})",
            "please report this as an importer bug, with the source file",
        )
    return True
