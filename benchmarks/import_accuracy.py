"""Score `postmortems import` against facts judged by hand on real public archives.

    python benchmarks/import_accuracy.py CORPORA_DIR benchmarks/data/import_judged.tsv [--json]

CORPORA_DIR holds the archives checked out as plain files (never inside the repository; see the
TSV's header for how the facts were judged). Each judged file is imported in process with the
importer the command uses, and the output's facts are compared with the judged ones:

- date: the imported `date` (or the day of `started`) equals the judged day; a file judged to
  state no date is right only when the importer sets none (it is then skipped for review);
- start / end: `started` / (`mitigated` or `resolved`) equals one of the judged instants, to the
  minute; a judged value without an offset (the text states no zone) compares wall clocks;
- cause: every keyword group appears in `root_cause` (a group is `a|b` alternatives);
  precision is the share right among files where a cause was given (a wrong cause is worse than
  none: none is listed for review); "cause, none judged" counts causes given where the judge
  found the text states none (each is either a cause the judge missed or an invented one);
- services: share of judged services found among the imported ones;
- invented: years in the imported times that appear nowhere in the source, and services whose
  name appears nowhere in the source (placeholders count as invented);
- front-matter keys kept: the source's own front-matter keys (read here with PyYAML / tomllib)
  that became a field or were kept under `extra:`.

Start, end, cause and services are scored only over files where the judged value is not empty.
The table is printed per archive and per split (`seen`, `unseen`: held out while tuning).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from mkdocs_postmortems.authoring.importer import ImportProblem, import_text

_ALNUM = re.compile(r"[^a-z0-9]+")
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")


@dataclass
class Tally:
    """Right answers and the number of files scored, for one measure."""

    right: float = 0.0
    scored: int = 0

    def add(self, value: float) -> None:
        """Count one scored file that earned `value` (0 to 1)."""
        self.right += value
        self.scored += 1

    def cell(self) -> str:
        """Return `pct% (right/scored)` or `-` when nothing was scored."""
        if not self.scored:
            return "-"
        return f"{100 * self.right / self.scored:.0f}% ({self.right:g}/{self.scored})"


@dataclass
class Score:
    """Every measure for one group of files."""

    files: int = 0
    failed: int = 0
    date: Tally = field(default_factory=Tally)
    start: Tally = field(default_factory=Tally)
    end: Tally = field(default_factory=Tally)
    cause: Tally = field(default_factory=Tally)
    cause_given: Tally = field(default_factory=Tally)  # precision: right among causes given
    cause_unjudged: int = 0  # a cause given where the judge found none stated
    services: Tally = field(default_factory=Tally)
    invented_years: int = 0
    invented_services: int = 0
    keys_kept: Tally = field(default_factory=Tally)  # source front-matter keys mapped or kept
    examples: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return _ALNUM.sub("", text.lower())


def _instants(judged: str) -> list[str]:
    return [part for part in judged.split("|") if part]


def _same_instant(value: object, judged: str) -> bool:
    if not isinstance(value, datetime):
        return False
    want = datetime.fromisoformat(judged)
    if want.tzinfo is None:
        got = value.replace(tzinfo=None)
    else:
        got = value if value.tzinfo else value.replace(tzinfo=want.tzinfo)
    return abs((got - want).total_seconds()) < 60


def _day_of(front: dict[str, object]) -> str:
    day = front.get("date")
    if isinstance(day, date):
        return (day.date() if isinstance(day, datetime) else day).isoformat()
    started = front.get("started")
    return started.date().isoformat() if isinstance(started, datetime) else ""


def _year_in(year: int, source: str) -> bool:
    """Say whether the source writes `year`, in full or as a two-digit year (`5-26-21`)."""
    short = re.compile(rf"\d[-/.]{year % 100:02d}(?!\d)|'{year % 100:02d}(?!\d)")
    return str(year) in source or bool(short.search(source))


def _cause_found(cause: str, keywords: str) -> bool:
    text = cause.lower()
    return all(
        any(word.strip().lower() in text for word in group.split("|"))
        for group in keywords.split(";")
        if group.strip()
    )


def _import(path: Path) -> tuple[str, dict[str, object] | None]:
    source = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        result = import_text(source, path.name)
    except ImportProblem:
        return source, None
    front = dict(result.front_matter)
    front[_MAPPED] = result.mapped
    return source, front


_MAPPED = "\0mapped"  # where _import leaves which source keys became which field
_FENCES = re.compile(r"\A(?:---\n(.*?)\n---|\+\+\+\n(.*?)\n\+\+\+)\n", re.DOTALL)


def _source_keys(source: str) -> list[str]:
    """Return the top-level keys, with a value, of the source's own front matter (read here)."""
    match = _FENCES.match(source)
    if match is None:
        return []
    try:
        data = (
            yaml.safe_load(match.group(1))
            if match.group(1) is not None
            else tomllib.loads(match.group(2))
        )
    except (yaml.YAMLError, tomllib.TOMLDecodeError):
        return []
    if not isinstance(data, dict):
        return []
    # An empty value ("product: ''") holds nothing to lose.
    return [str(key) for key, value in data.items() if value not in (None, "", [], {})]


def _score_file(
    row: dict[str, str], source: str, imported: dict[str, object] | None, score: Score
) -> None:
    score.files += 1
    score.failed += imported is None
    front = imported or {}
    where = f"{row['archive']}/{Path(row['file']).name}"
    day = _day_of(front)
    score.date.add(day == row["date"])
    if day != row["date"]:
        score.examples.append(f"{where}: date {day or '(none)'} != {row['date'] or '(none)'}")
    if row["start"]:
        ok = any(_same_instant(front.get("started"), want) for want in _instants(row["start"]))
        score.start.add(ok)
        if not ok:
            score.examples.append(f"{where}: started {front.get('started')} != {row['start']}")
    if row["end"]:
        ends = [front.get("mitigated"), front.get("resolved")]
        ok = any(_same_instant(end, want) for end in ends for want in _instants(row["end"]))
        score.end.add(ok)
        if not ok:
            got = front.get("mitigated") or front.get("resolved")
            score.examples.append(f"{where}: end {got} != {row['end']}")
    cause = str(front.get("root_cause", "") or "")
    if row["cause"]:
        ok = _cause_found(cause, row["cause"])
        score.cause.add(ok)
        if cause:
            score.cause_given.add(ok)
        if not ok:
            shown = " ".join(cause.split())[:160] or "(none)"
            score.examples.append(f"{where}: cause [{row['cause']}] not in {shown!r}")
    elif cause:
        score.cause_unjudged += 1
    listed = front.get("services")
    services = [str(s) for s in listed] if isinstance(listed, list) else []
    if row["services"]:
        judged = [s for s in row["services"].split(";") if s]
        have = {_norm(s) for s in services}
        score.services.add(sum(_norm(s) in have for s in judged) / len(judged))
    mapped = front.get(_MAPPED)
    extra = front.get("extra")
    for key in _source_keys(source) if imported is not None else []:
        kept = (isinstance(mapped, dict) and key in mapped) or (
            isinstance(extra, dict) and key in extra
        )
        score.keys_kept.add(kept)
        if not kept:
            score.examples.append(f"{where}: front-matter key {key!r} neither mapped nor kept")
    flat = _norm(source)
    for name in services:
        if not _norm(name) or _norm(name) not in flat:
            score.invented_services += 1
            score.examples.append(f"{where}: invented service {name!r}")
    for key in ("date", "started", "detected", "mitigated", "resolved", "latent_since"):
        value = front.get(key)
        if isinstance(value, date) and not _year_in(value.year, source):
            score.invented_years += 1
            score.examples.append(f"{where}: invented year {value.year} in {key}")


def _row(name: str, score: Score) -> str:
    cells = [
        name,
        str(score.files),
        score.date.cell(),
        score.start.cell(),
        score.end.cell(),
        score.cause.cell(),
        score.cause_given.cell(),
        str(score.cause_unjudged),
        score.services.cell(),
        f"{score.invented_years} / {score.invented_services}",
        score.keys_kept.cell(),
        str(score.failed),
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy table; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", type=Path, help="folder holding the checked-out archives")
    parser.add_argument("judged", type=Path, help="TSV of judged facts")
    parser.add_argument("--examples", action="store_true", help="list every miss")
    parser.add_argument("--split", help="score only rows of this split (seen / unseen)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    lines = args.judged.read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader((ln for ln in lines if not ln.startswith("#")), delimiter="\t"))
    if args.split:
        rows = [row for row in rows if row["split"] == args.split]
    groups: dict[str, Score] = defaultdict(Score)
    began = time.perf_counter()
    for row in rows:
        source, front = _import(args.corpora / row["file"])
        for key in (
            f"{row['archive']} ({row['split']})",
            f"all ({row['split']})",
            "all",
        ):
            _score_file(row, source, front, groups[key])
    seconds = time.perf_counter() - began
    if args.json:
        measures = ("date", "start", "end", "cause", "services")
        print(
            json.dumps(
                {
                    key: {
                        "files": score.files,
                        "not_imported": score.failed,
                        "invented_years": score.invented_years,
                        "invented_services": score.invented_services,
                        "keys_kept": score.keys_kept.cell(),
                        "cause_precision": score.cause_given.cell(),
                        "cause_none_judged": score.cause_unjudged,
                        **{m: getattr(score, m).cell() for m in measures},
                    }
                    for key, score in groups.items()
                },
                indent=1,
            )
        )
        return 0
    print(
        "| archive (split) | files | date | start | end | root cause | cause precision "
        "| cause, none judged | services | invented years / services "
        "| front-matter keys kept | not imported |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k.startswith("all"), k)):
        print(_row(key, groups[key]))
    print(f"\n{len(rows)} judged files imported in {seconds:.1f} s")
    if args.examples:
        for line in groups["all"].examples:
            print("-", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
