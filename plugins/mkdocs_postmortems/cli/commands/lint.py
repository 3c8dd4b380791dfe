"""`postmortems lint`: check postmortems against the format and the lint rules."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from ...authoring.lint import CORE_RULES, RULES, Context, Finding, LintConfig, lint_catalog
from ...core.catalog import MARKDOWN_SUFFIX, Settings, build_catalog
from ...core.loader import LoadResult, iter_source_files, load_file
from ...core.options import check
from ...core.problems import Level, Problem
from ..progress import Progress
from .common import add_source_option, site_options, source_folder

EXAMPLES = """rules:
{rules}

examples:
  postmortems lint                                  # every postmortem
  postmortems lint postmortems/2024-03-08-auth-outage.md
  postmortems lint --changed-since origin/main      # only files changed on this branch
  postmortems lint --format github                  # pull-request annotations in GitHub Actions
  postmortems lint --format json > problems.json

exit status: 0 no errors (warnings allowed unless --strict), 1 problems found, 2 usage error.
"""


class UsageError(Exception):
    """The command line cannot be carried out as given."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `lint` sub-command."""
    rules = "\n".join(
        f"  {name:<19} {summary}"
        for name, summary in [*CORE_RULES.items(), *((r.name, r.summary) for r in RULES)]
    )
    parser = subparsers.add_parser(
        "lint",
        help="check postmortems and list every problem",
        description="Check postmortems against the format and the lint rules and list every "
        "problem at once as path:line:col: error|warning: field: message (hint).",
        epilog=EXAMPLES.format(rules=rules),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="postmortem files or folders inside the postmortems folder (default: all)",
    )
    add_source_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "github", "json"),
        default="text",
        help="text (default), github (workflow annotations) or json",
    )
    parser.add_argument(
        "--changed-since",
        metavar="REF",
        help="lint only postmortems changed since git REF (committed, staged, unstaged or new)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 on warnings too, not only on errors"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Lint the selected postmortems, print the findings and return the exit status."""
    try:
        return _run(args)
    except UsageError as error:
        print(f"postmortems lint: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    options = site_options(args)
    vocabularies = check(options)
    severities = [term.value for term in vocabularies["severity"]]
    config, config_errors = LintConfig.from_options(options.plugin_values(), severities)
    if config_errors:
        raise UsageError(f"{args.config}: plugin options: " + "; ".join(config_errors))
    root = source_folder(args, options)
    if not root.is_dir():
        raise UsageError(f"no postmortems folder at {root} (pass --source or --config)")
    selected = _select(args, root)
    files = iter_source_files(root)
    progress = Progress("loading postmortems", len(files))
    loaded: list[LoadResult] = []
    for done, file in enumerate(files, 1):
        if file.suffix.lower() == MARKDOWN_SUFFIX:
            loaded.append(load_file(root, file, vocabularies))
        progress.advance(done)
    progress.close()
    catalog = build_catalog(loaded, Settings(vocabularies))
    context = Context(
        catalog,
        config,
        root,
        options.docs_dir,
        options.prefix,
    )
    findings = lint_catalog(catalog, context)
    checked = {pm.path for pm in catalog} | {r.path for r in catalog.rejected}
    if selected is not None:
        findings = [f for f in findings if f.problem.path in selected]
        checked &= selected
    display = _display_root(root)
    _print(findings, display, args.format)
    errors_found = sum(1 for f in findings if f.problem.level == Level.ERROR)
    warnings_found = len(findings) - errors_found
    print(
        f"{len(checked)} file{'s' if len(checked) != 1 else ''} checked: "
        f"{errors_found} error{'s' if errors_found != 1 else ''}, "
        f"{warnings_found} warning{'s' if warnings_found != 1 else ''}",
        file=sys.stderr,
    )
    return 1 if errors_found or (args.strict and warnings_found) else 0


def _select(args: argparse.Namespace, root: Path) -> set[str] | None:
    """Return the selected files as paths relative to `root`, or None for every file."""
    real_root = root.resolve()
    chosen: list[Path] = list(args.paths)
    if args.changed_since:
        chosen += _changed_since(args.changed_since, real_root)
        if not chosen:
            return set()
    elif not chosen:
        return None
    selected: set[str] = set()
    for path in chosen:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
        real = path.resolve()
        if not real.is_relative_to(real_root):
            raise UsageError(
                f"{path} is not inside the postmortems folder {root} (pass --source to lint "
                "another folder)"
            )
        if real.is_dir():
            selected |= {
                f.resolve().relative_to(real_root).as_posix()
                for f in iter_source_files(real)
                if f.suffix.lower() == MARKDOWN_SUFFIX
            }
        else:
            selected.add(real.relative_to(real_root).as_posix())
    return selected


def _git(*args: str, cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"cannot run git: {error}") from None
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def _changed_since(ref: str, root: Path) -> list[Path]:
    """Return the Markdown files under `root` changed since `ref`, or added and not committed."""
    top = Path(_git("rev-parse", "--show-toplevel", cwd=root).strip())
    base = _git("merge-base", ref, "HEAD", cwd=top).strip()
    # Against the merge base, so a branch's own changes count and main's later ones do not.
    changed = _git("diff", "--name-only", "--diff-filter=d", "-z", base, "--", cwd=top)
    untracked = _git("ls-files", "--others", "--exclude-standard", "-z", cwd=top)
    found = []
    for name in sorted(set(changed.split("\0") + untracked.split("\0")) - {""}):
        path = top / name
        if (
            path.suffix.lower() == MARKDOWN_SUFFIX
            and path.is_file()
            and path.resolve().is_relative_to(root)
        ):
            found.append(path)
    return found


def _display_root(root: Path) -> str:
    try:
        relative = Path(os.path.relpath(root.resolve(), Path.cwd()))
    except ValueError:
        return root.as_posix()
    return root.as_posix() if relative.as_posix().startswith("../..") else relative.as_posix()


def _print(findings: list[Finding], root: str, form: str) -> None:
    def full(problem: Problem) -> str:
        return f"{root.rstrip('/')}/{problem.path}" if root not in ("", ".") else problem.path

    if form == "json":
        rows = [
            {
                "path": full(f.problem),
                "line": f.problem.line,
                "column": f.problem.column,
                "level": str(f.problem.level),
                "rule": f.rule,
                "field": f.problem.field,
                "message": f.problem.message,
                "hint": f.problem.hint,
            }
            for f in findings
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for finding in findings:
        problem = finding.problem
        if form == "github":
            print(_annotation(finding, full(problem)))
        else:
            print(
                f"{root.rstrip('/')}/{problem.format()}"
                if root not in ("", ".")
                else problem.format()
            )


def _annotation(finding: Finding, path: str) -> str:
    """Return a GitHub Actions workflow command that annotates the pull request."""
    problem = finding.problem
    properties = [f"file={_escape_property(path)}"]
    if problem.line is not None:
        properties.append(f"line={problem.line}")
        if problem.column is not None:
            properties.append(f"col={problem.column}")
    title = f"postmortems lint ({finding.rule})" + (f": {problem.field}" if problem.field else "")
    properties.append(f"title={_escape_property(title)}")
    message = problem.message + (f" ({problem.hint})" if problem.hint else "")
    return f"::{problem.level} {','.join(properties)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
