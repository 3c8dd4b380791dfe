"""`postmortems import`: turn free-form postmortems (files or whole folders) into the format."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from ...authoring.importer import ImportProblem, ImportResult, import_text
from ...authoring.importer.review import Reviewed, review_csv, review_markdown
from ...authoring.importer.sources import DEFAULT_SEVERITY_MAP
from ...core.catalog import Settings, load_catalog
from ...core.loader import Rejected, load_bytes
from ...core.options import check
from ...core.problems import Level
from ...core.vocabulary import Vocabularies
from ..progress import Progress
from .common import iso_date, site_options

EXAMPLES = """examples:
  postmortems import old/2024-03-08-auth-outage.md
  postmortems import old-archive/ --out postmortems --review import-review.md
  postmortems import status/content/issues --severity-map down=SEV1,disrupted=SEV2,notice=SEV4
  postmortems import notes.md --date 2024-05-02 --stdout

Each file becomes <out>/<date>-<slug>.md with front matter extracted from the text (or mapped
from the front matter it already has: status pages, blogs, postmortem archives) and the text kept
as the body. A fact the source does not state is left empty and listed for review, never filled
with a placeholder. A folder is imported recursively. A file that duplicates a postmortem in
<out> (same day, near-identical title or the same text) is skipped and reported; a new file
whose name is taken gets a -2, -3... suffix unless --force replaces it. --review writes, per
file, each field with the source line it came from and a confidence (.md or .csv).
exit status: 0 every file imported or skipped as a duplicate, 1 some file failed, 2 bad usage.
"""
_SOURCE_SUFFIXES = (".md", ".markdown", ".mdown", ".txt")
_SAME_TITLE = 0.9  # difflib ratio of two normalized titles that name the same incident
_SAME_START = timedelta(hours=1)  # two write-ups of one incident start within this
_DETAILS_UP_TO = 20  # files; beyond this, per-file guesses go to the review report only


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `import` sub-command."""
    parser = subparsers.add_parser(
        "import",
        help="turn free-form postmortems (files or folders) into files of the format",
        description="Turn free-form postmortems (bold labels, Markdown headings, the Google SRE "
        "template, timelines as tables or lists, status-page and blog front matter) into "
        "postmortem files with front matter.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="+", type=Path, metavar="PATH", help="files or folders to import"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder to write the imported files to (default: the site's postmortems folder, "
        "the plugin's 'source' option, else ./postmortems)",
    )
    parser.add_argument(
        "--date",
        type=iso_date,
        default=None,
        help="the incident day (YYYY-MM-DD) when neither the text nor the file name gives one",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing file of the same name"
    )
    parser.add_argument(
        "--stdout", action="store_true", help="print the result instead of writing files"
    )
    parser.add_argument(
        "--review",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the review report to FILE (.md or .csv), outside the postmortems folder",
    )
    parser.add_argument(
        "--severity-map",
        type=_severity_map,
        default=None,
        metavar="LEVEL=SEV,...",
        help="how status-page levels become severities (default: "
        + ",".join(f"{k}={v}" for k, v in DEFAULT_SEVERITY_MAP.items())
        + ")",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print every guess even for many files"
    )
    parser.add_argument(
        "--config",
        "-f",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml, for its vocabularies and options (default: %(default)s)",
    )
    parser.set_defaults(handler=run, source=None)


def _severity_map(value: str) -> dict[str, str]:
    pairs = [part.split("=", 1) for part in value.split(",") if part.strip()]
    if not pairs or any(len(pair) != 2 or not pair[0].strip() for pair in pairs):
        raise argparse.ArgumentTypeError(f"'{value}' is not LEVEL=SEVERITY,... (e.g. down=SEV1)")
    return {level.strip().lower(): severity.strip() for level, severity in pairs}


@dataclass
class _Known:
    """A postmortem already in the output folder (or written earlier in this run)."""

    name: str
    day: date
    title: str
    body: str
    source: str = ""
    started: datetime | None = None


def _norm_title(title: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", title.lower()).split())


def _norm_body(body: str) -> str:
    return " ".join(body.split())


def _sources(paths: list[Path]) -> list[Path]:
    """Return the files to import: files as given, folders walked recursively in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            files = [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in _SOURCE_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            found.extend(files)
        else:
            found.append(path)
    return found


def run(args: argparse.Namespace) -> int:
    """Import every file; return 1 when any could not be imported, else 0."""
    options = site_options(args)
    if args.out is None:
        args.out = options.root
    out: Path = args.out
    if not args.stdout and out.exists() and not out.is_dir():
        print(f"postmortems import: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    if args.review is not None and args.review.suffix.lower() not in (".md", ".csv"):
        print("postmortems import: --review must end in .md or .csv", file=sys.stderr)
        return 2
    if args.review is not None and args.review.resolve().is_relative_to(out.resolve()):
        print(
            f"postmortems import: --review {args.review} is inside {out}, where it would be "
            "read as a postmortem; write it elsewhere",
            file=sys.stderr,
        )
        return 2
    vocabularies = check(options)
    severities = {term.value for term in vocabularies.get("severity", ())}
    severity_map = args.severity_map or dict(options.import_severity) or DEFAULT_SEVERITY_MAP
    wrong = [f"{k}={v}" for k, v in severity_map.items() if v not in severities]
    if wrong:
        print(
            f"postmortems import: --severity-map {', '.join(wrong)}: not a severity of this "
            f"site (allowed: {', '.join(sorted(severities))})",
            file=sys.stderr,
        )
        return 2
    sources = _sources(args.files)
    known = [] if args.stdout else _existing(out, vocabularies)
    taken = {p.name for p in out.iterdir()} if out.is_dir() and not args.stdout else set()
    run_state = _Run(args, vocabularies, severity_map, known, taken, len(sources))
    progress = Progress("importing", len(sources))
    for number, source in enumerate(sources, start=1):
        run_state.entries.append(run_state.one(source))
        progress.advance(number)
    progress.close()
    return run_state.finish()


def _existing(out: Path, vocabularies: Vocabularies) -> list[_Known]:
    catalog = load_catalog(out, Settings(vocabularies))
    return [
        _Known(
            pm.path,
            pm.date,
            pm.title,
            pm.body,
            str(pm.extra.get("imported_from", "")),
            pm.started,
        )
        for pm in catalog
    ]


class _Run:
    """One `postmortems import` run: what is known, what was written, what to report."""

    def __init__(
        self,
        args: argparse.Namespace,
        vocabularies: Vocabularies,
        severity_map: dict[str, str],
        known: list[_Known],
        taken: set[str],
        total: int,
    ) -> None:
        self.args = args
        self.vocabularies = vocabularies
        self.severity_map = severity_map
        self.known = known
        self.taken = taken
        self.details = total <= _DETAILS_UP_TO or args.verbose
        self.entries: list[Reviewed] = []

    def _say(self, text: str) -> None:
        print(text, file=sys.stderr)

    def _failed(self, source: Path, message: str, hint: str) -> Reviewed:
        self._say(f"{source}: error: {message} ({hint})")
        return Reviewed(str(source), f"failed: {message}")

    def one(self, source: Path) -> Reviewed:
        """Import one file; return what became of it."""
        try:
            raw = source.read_bytes()
        except OSError as error:
            return self._failed(source, f"cannot be read: {error.strerror}", "check the path")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return self._failed(
                source, f"is not UTF-8 text (byte {error.start})", "save it as UTF-8"
            )
        try:
            result = import_text(
                text, source.name, self.args.date, self.severity_map, self.vocabularies
            )
        except ImportProblem as problem:
            self._say(f"{source}: skipped: {problem.message} ({problem.hint})")
            return Reviewed(str(source), f"skipped: {problem.message}")
        twin = self._duplicate(result, source)
        if twin is not None:
            why = f"duplicate of {twin.name} (same day {twin.day}, same incident)"
            self._say(f"{source}: skipped: {why}")
            return Reviewed(str(source), f"skipped: {why}", result=result)
        rendered = result.render()
        name = self._free_name(result.stem)
        errors = _load_errors(result, rendered, name, self.vocabularies)
        if errors:
            return self._failed(
                source,
                f"the imported file would not be valid ({errors})",
                "please report this as an importer bug, with the source file",
            )
        target = self.args.out / name
        if self.args.stdout:
            sys.stdout.write(rendered)
        else:
            try:
                self.args.out.mkdir(parents=True, exist_ok=True)
                target.write_text(rendered, encoding="utf-8")
            except OSError as error:
                return self._failed(
                    source, f"cannot write {target}: {error.strerror}", "check --out"
                )
        self.taken.add(name)
        self.known.append(
            _Known(
                name,
                _day_of(result),
                str(result.front_matter["title"]),
                result.body,
                source.name,
                _started(result),
            )
        )
        outcome = "needs review" if result.review else "imported"
        notes = (
            [f"renamed to {name}: {result.stem}.md was taken"]
            if name != f"{result.stem}.md"
            else []
        )
        destination = "standard output" if self.args.stdout else str(target)
        self._say(
            f"{source}: imported to {destination}" + (" (needs review)" if result.review else "")
        )
        for note in notes:
            self._say(f"  {note}")
        if self.details:
            for guess in result.guesses:
                self._say(f"  guessed: {guess}")
            for gap in result.missing:
                self._say(f"  not found: {gap}")
        return Reviewed(str(source), outcome, destination, result, notes)

    def _duplicate(self, result: ImportResult, source: Path) -> _Known | None:
        """Return the known postmortem `result` repeats: same day, and same title or text."""
        day = _day_of(result)
        title = _norm_title(str(result.front_matter.get("title", "")))
        body = _norm_body(result.body)
        started = _started(result)
        for other in self.known:
            if other.day != day:
                continue
            if started and other.started and abs(started - other.started) > _SAME_START:
                continue  # the same title twice in a day, hours apart: two incidents
            ratio = difflib.SequenceMatcher(None, title, _norm_title(other.title)).ratio()
            same_text = body and body == _norm_body(other.body)
            if ratio >= _SAME_TITLE or same_text or other.source == source.name:
                return other
        return None

    def _free_name(self, stem: str) -> str:
        """Return `stem`.md, or the first of `stem`-2.md, -3... not taken (unless --force)."""
        if self.args.force or self.args.stdout or f"{stem}.md" not in self.taken:
            return f"{stem}.md"
        number = 2
        while f"{stem}-{number}.md" in self.taken:
            number += 1
        return f"{stem}-{number}.md"

    def finish(self) -> int:
        """Print the summary, write the review report; return the exit status."""
        total = len(self.entries)
        kinds = [entry.outcome.split(":")[0] for entry in self.entries]
        done = kinds.count("imported") + kinds.count("needs review")
        parts = [f"{done} of {total} file{'s' if total != 1 else ''} imported"]
        if kinds.count("needs review"):
            parts.append(f"{kinds.count('needs review')} need review")
        reasons: dict[str, int] = {}
        for entry in self.entries:
            if entry.outcome.startswith("skipped"):
                reason = entry.outcome.split(": ", 1)[1].split(" (")[0]
                reason = "duplicate" if reason.startswith("duplicate of") else reason
                reasons[reason] = reasons.get(reason, 0) + 1
        if reasons:
            parts.append(
                "skipped: " + "; ".join(f"{count} {why}" for why, count in reasons.items())
            )
        if kinds.count("failed"):
            parts.append(f"{kinds.count('failed')} failed")
        if done:
            parts.append("check what was guessed, then run 'postmortems lint'")
        self._say("; ".join(parts))
        if self.args.review is not None:
            report = (
                review_csv(self.entries)
                if self.args.review.suffix.lower() == ".csv"
                else review_markdown(self.entries)
            )
            self.args.review.write_text(report, encoding="utf-8")
            self._say(f"review report: {self.args.review}")
        return 1 if "failed" in kinds else 0


def _started(result: ImportResult) -> datetime | None:
    value = result.front_matter.get("started")
    return value if isinstance(value, datetime) else None


def _day_of(result: ImportResult) -> date:
    value = result.front_matter["date"]
    assert isinstance(value, date)
    return value


def _load_errors(result: ImportResult, rendered: str, name: str, vocabularies: Vocabularies) -> str:
    """Return the errors the loader finds in the output ('' when it loads; warnings are fine)."""
    loaded = load_bytes(rendered.encode("utf-8"), name, vocabularies)
    problems = loaded.problems
    errors = [p for p in problems if p.level is Level.ERROR or isinstance(loaded, Rejected)]
    return "; ".join(f"{p.field or 'file'}: {p.message}" for p in errors)
