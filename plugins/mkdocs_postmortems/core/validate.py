"""Check parsed front matter against the schema, collecting every problem in one pass.

`validate` never raises on content: each wrong value becomes a `Problem` naming the field and
the line, and the value is dropped so the rest of the record can still be used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from .problems import Level, Problem, did_you_mean
from .schema import (
    FIELDS,
    MAX_ITEMS,
    MAX_LINE,
    MAX_TEXT,
    REVIEW_FIELDS,
    TIME_FIELDS,
    Field,
    Kind,
)
from .vocabulary import Vocabularies, match_term
from .yaml_load import Path

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SAFE_PREFIXES = ("https://", "http://", "mailto:")

_INVALID = object()


def is_safe_url(url: str) -> bool:
    """Return whether `url` is http(s), mailto or relative (never javascript:, data:, ...)."""
    # Browsers drop whitespace and control characters before reading the scheme.
    compact = _URL_IGNORED.sub("", url)
    if (
        compact.startswith(_SAFE_PREFIXES)
        and compact.isascii()
        and "[" not in compact
        and "]" not in compact
    ):
        # urlsplit reads these schemes from such a URL, and raises only on brackets in the
        # host or on a host that is not ASCII; this shortcut skips its cost.
        return True
    try:
        scheme = urlsplit(compact).scheme.lower()
    except ValueError:
        return False
    return (scheme == "" and not compact.startswith("//")) or scheme in SAFE_URL_SCHEMES


@lru_cache(maxsize=4096)  # the same few hundred paths recur in every file
def label(path: Path) -> str:
    """Return the dotted form of a field path: `action_items[2].owner`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass
class Validator:
    """Validate one file's front matter; problems accumulate in `problems`."""

    path: str
    lines: Mapping[Path, int]
    vocabularies: Vocabularies
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """Return the file line of `path`, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def report(
        self,
        path: Path,
        message: str,
        hint: str = "",
        level: Level = Level.ERROR,
        rule: str = "schema",
    ) -> None:
        """Record a problem at `path`, found by the lint rule `rule`."""
        self.problems.append(
            Problem(self.path, self.line_of(path), label(path), message, hint, level, rule=rule)
        )

    def mapping(self, value: object, fields: tuple[Field, ...], path: Path) -> dict[str, object]:
        """Return the valid keys of `value` checked against `fields`."""
        if not isinstance(value, dict):
            self.report(path, f"expected a mapping of keys, got {_kind_of(value)}")
            return {}
        known, required = _field_index(fields)
        clean: dict[str, object] = {}
        for key, item in value.items():
            spec = known.get(key)
            if spec is None:
                hint = did_you_mean(key, known)
                if not path:
                    hint = (hint + "; " if hint else "") + "put custom keys under 'extra:'"
                self.report((*path, key), f"unknown key '{key}'", hint)
                continue
            if item is None or (not item and isinstance(item, str | list | dict)):
                continue  # an empty value is the same as leaving the key out
            checked = _CHECKERS[spec.kind](self, spec, item, (*path, key))
            if checked is not _INVALID:
                clean[key] = checked
        draft = not path and value.get("status") == "draft"
        for spec in required:
            if draft and spec.name in REVIEW_FIELDS:
                continue  # a draft may leave them empty: one review finding says so
            if spec.name not in clean and not self._reported_at((*path, spec.name)):
                example = f" e.g. {spec.name}: {_example(spec)}" if spec.example is not None else ""
                self.report(
                    (*path, spec.name) if path else (spec.name,),
                    f"required field '{spec.name}' is missing",
                    f"add it{example}".rstrip(),
                )
        return clean

    def _reported_at(self, path: Path) -> bool:
        wanted = label(path)
        return any(problem.field == wanted for problem in self.problems)

    def value(self, spec: Field, value: object, path: Path) -> object:
        """Return `value` checked and converted for `spec`, or `_INVALID` after reporting."""
        return _CHECKERS[spec.kind](self, spec, value, path)

    def _check_mapping(self, spec: Field, value: object, path: Path) -> object:
        if isinstance(value, str) and spec.shorthand:
            value = {spec.shorthand: value}
        return self.mapping(value, spec.fields, path)

    def _check_list(self, spec: Field, value: object, path: Path) -> object:
        if not isinstance(value, list):
            if isinstance(value, dict) and spec.item is not Kind.MAPPING:
                self.report(
                    path,
                    f"expected a list, got {_kind_of(value)}",
                    f"write it as '{spec.name}: [a, b]' or one '- item' per line",
                )
                return _INVALID
            value = [value]  # a single value is a list of one
        if len(value) > MAX_ITEMS:
            self.report(
                path,
                f"has {len(value)} items; at most {MAX_ITEMS} are allowed",
                "keep the most important ones",
            )
            value = value[:MAX_ITEMS]
        items: list[object] = []
        if spec.item is Kind.MAPPING:
            required = _field_index(spec.fields)[1]
            for index, item in enumerate(value):
                if isinstance(item, str) and spec.shorthand:
                    item = {spec.shorthand: item}
                entry = self.mapping(item, spec.fields, (*path, index))
                if entry and all(f.name in entry for f in required):
                    items.append(entry)
            return items
        assert spec.item is not None
        check = _CHECKERS[spec.item]
        seen: set[object] = set()
        for index, item in enumerate(value):
            checked = check(self, spec, item, (*path, index))
            if checked is _INVALID or checked in seen:
                continue
            seen.add(checked)
            items.append(checked)
        return items

    def scalar(self, kind: Kind, spec: Field, value: object, path: Path) -> object:
        """Return one scalar checked for `kind`, or `_INVALID` after reporting."""
        return _CHECKERS[kind](self, spec, value, path)

    def _text(self, spec: Field, value: object, path: Path, *, one_line: bool) -> object:
        if value.__class__ is not str and (
            isinstance(value, bool) or not isinstance(value, str | int | float)
        ):
            self.report(
                path,
                f"expected text, got {_kind_of(value)}",
                "write the value as plain text (quote it if it starts with [ or {)",
            )
            return _INVALID
        text = str(value).strip()
        limit = spec.max_length or (MAX_LINE if one_line else MAX_TEXT)
        if one_line and "\n" in text:
            self.report(path, "must be a single line", "remove the line breaks")
            return _INVALID
        # Control characters are not printable: most text needs no search for them.
        if not text.isprintable() and _CONTROL.search(text):
            self.report(path, "contains control characters", "remove them")
            return _INVALID
        if len(text) > limit:
            self.report(
                path,
                f"is {len(text)} characters long; at most {limit} are allowed",
                "shorten it, and put details in the body",
            )
            return _INVALID
        return text

    def _check_line(self, spec: Field, value: object, path: Path) -> object:
        return self._text(spec, value, path, one_line=True)

    def _check_text(self, spec: Field, value: object, path: Path) -> object:
        return self._text(spec, value, path, one_line=False)

    def _check_id(self, spec: Field, value: object, path: Path) -> object:
        text = self._text(spec, value, path, one_line=True)
        if text is _INVALID:
            return text
        if not ID_PATTERN.match(str(text)) or ".." in str(text):
            self.report(
                path,
                f"'{text}' is not a valid postmortem id",
                "use the file name without .md: letters, digits, '-', '_' and '.'",
            )
            return _INVALID
        return text

    def _check_date(self, spec: Field, value: object, path: Path) -> object:
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as error:
                self.report(path, f"'{value}' is not a real date ({error})", "use YYYY-MM-DD")
                return _INVALID
        self.report(path, f"'{value}' is not a date", "use YYYY-MM-DD, e.g. 2024-03-08")
        return _INVALID

    def _check_datetime(self, spec: Field, value: object, path: Path) -> object:
        example = "e.g. 2024-03-08T10:30:00Z for UTC or 2024-03-08T10:30:00+01:00"
        if not isinstance(value, str):
            self.report(path, f"expected a date and time, got {_kind_of(value)}", example)
            return _INVALID
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.report(path, f"'{value}' is not an ISO 8601 date and time", example)
            return _INVALID
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.report(
                path, f"'{value}' has no time zone", f"add Z for UTC or an offset, {example}"
            )
            return _INVALID
        return moment

    def _check_url(self, spec: Field, value: object, path: Path) -> object:
        text = self._text(spec, value, path, one_line=True)
        if text is _INVALID:
            return text
        if not is_safe_url(str(text)):
            self.report(
                path,
                f"'{text}' is not an allowed link",
                "use an http(s) or mailto URL, or a relative path",
            )
            return _INVALID
        return text

    def _check_number(self, spec: Field, value: object, path: Path) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.report(
                path, f"expected a number, got {_kind_of(value)}", "write digits only, e.g. 30"
            )
            return _INVALID
        return self._in_range(spec, value, path)

    def _check_integer(self, spec: Field, value: object, path: Path) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(
                path,
                f"expected a whole number, got {_kind_of(value)}",
                "write digits only, e.g. 1200",
            )
            return _INVALID
        return self._in_range(spec, value, path)

    def _in_range(self, spec: Field, value: float, path: Path) -> object:
        if (spec.minimum is not None and value < spec.minimum) or (
            spec.maximum is not None and value > spec.maximum
        ):
            self.report(
                path,
                f"{value} is outside {spec.minimum:g} to {spec.maximum:g}"
                if spec.maximum is not None
                else f"{value} is below {spec.minimum:g}",
                "check the figure",
            )
            return _INVALID
        return value

    def _check_boolean(self, spec: Field, value: object, path: Path) -> object:
        if isinstance(value, bool):
            return value
        self.report(
            path,
            f"expected true or false, got '{value}'",
            "write true or false (yes/no/on/off are text in this format)",
        )
        return _INVALID

    def _check_vocab(self, spec: Field, value: object, path: Path) -> object:
        assert spec.vocabulary is not None
        terms = self.vocabularies.get(spec.vocabulary, ())
        if isinstance(value, str | int) and not isinstance(value, bool):
            canonical = match_term(str(value), terms)
            if canonical is not None:
                return canonical
        allowed = [term.value for term in terms]
        self.report(
            path,
            f"'{value}' is not an allowed {spec.vocabulary.replace('_', ' ')}",
            did_you_mean(str(value), allowed),
        )
        return _INVALID

    def _check_any(self, spec: Field, value: object, path: Path) -> object:
        if not isinstance(value, dict):
            self.report(
                path,
                f"expected a mapping, got {_kind_of(value)}",
                "put custom keys under 'extra:' as 'key: value' lines",
            )
            return _INVALID
        return value


# The check of each kind of field, looked up once rather than by name for every value.
_CHECKERS: dict[Kind, Callable[[Validator, Field, object, Path], object]] = {
    kind: getattr(Validator, f"_check_{kind.value}") for kind in Kind
}
# Each tuple of fields, by identity (kept alive here): its fields by name, and the required ones.
_FIELD_INDEXES: dict[int, tuple[tuple[Field, ...], dict[str, Field], tuple[Field, ...]]] = {}


def _field_index(fields: tuple[Field, ...]) -> tuple[dict[str, Field], tuple[Field, ...]]:
    entry = _FIELD_INDEXES.get(id(fields))
    if entry is None or entry[0] is not fields:
        known = {f.name: f for f in fields}
        entry = (fields, known, tuple(f for f in fields if f.required))
        _FIELD_INDEXES[id(fields)] = entry
    return entry[1], entry[2]


def validate(
    data: object, path: str, lines: Mapping[Path, int], vocabularies: Vocabularies, stem: str
) -> tuple[dict[str, object], list[Problem]]:
    """Return the valid fields of one file's front matter and every problem found in it."""
    checker = Validator(path, lines, vocabularies)
    clean = checker.mapping(data, FIELDS, ())
    _check_identity(checker, clean, stem)
    _check_times(checker, clean)
    _check_review(checker, clean)
    return clean, checker.problems


def _check_review(checker: Validator, clean: dict[str, object]) -> None:
    """Report, in one finding, what a draft still needs before it can be published."""
    if clean.get("status") != "draft":
        return
    empty = [name for name in REVIEW_FIELDS if name not in clean]
    if empty:
        checker.report(
            (),
            f"needs review: {', '.join(empty)} still empty (the source did not state "
            f"{'it' if len(empty) == 1 else 'them'})",
            "fill them in before changing status from draft; a published postmortem requires them",
            Level.WARNING,
        )


def _check_identity(checker: Validator, clean: dict[str, object], stem: str) -> None:
    if not ID_PATTERN.match(stem) or ".." in stem:
        checker.report(
            (),
            f"file name '{stem}.md' cannot be a postmortem id",
            "rename the file to YYYY-MM-DD-short-title.md (letters, digits, '-')",
            rule="id-matches-file",
        )
    given = clean.get("id")
    if given is not None and given != stem:
        checker.report(
            ("id",),
            f"id '{given}' does not match the file name '{stem}.md'",
            f"set id: {stem} or rename the file to {given}.md",
            rule="id-matches-file",
        )


def _check_times(checker: Validator, clean: dict[str, object]) -> None:
    started = clean.get("started")
    if "date" not in clean and started is None and not checker._reported_at(("started",)):
        checker.report(
            ("date",),
            "either 'date' or 'started' is required",
            "add started: 2024-03-08T10:30:00Z (or date: 2024-03-08)",
        )
    day = clean.get("date")
    if isinstance(started, datetime) and isinstance(day, date) and day != started.date():
        checker.report(
            ("date",),
            f"date {day} is not the day 'started' ({started.date()}) falls on",
            "make them agree, or drop 'date'",
            Level.WARNING,
            rule="chronology",
        )
    latent = clean.get("latent_since")
    if isinstance(latent, datetime) and isinstance(started, datetime) and latent > started:
        checker.report(
            ("latent_since",),
            "latent_since is after started",
            "latent_since is when the cause was introduced, before the impact began",
            rule="chronology",
        )
    order = [(name, clean.get(name)) for name in TIME_FIELDS]
    for index, (name, moment) in enumerate(order):
        if not isinstance(moment, datetime):
            continue
        for earlier_name, earlier in order[:index]:
            if isinstance(earlier, datetime) and moment < earlier:
                checker.report(
                    (name,),
                    f"{name} ({moment.isoformat()}) is before "
                    f"{earlier_name} ({earlier.isoformat()})",
                    "check the dates and time zones; times must be in order "
                    "started <= detected <= mitigated <= resolved",
                    rule="chronology",
                )
                break
    previous: datetime | None = None
    timeline = clean.get("timeline")
    for index, entry in enumerate(timeline if isinstance(timeline, list) else []):
        moment = entry["at"]
        if previous is not None and moment < previous:
            checker.report(
                ("timeline", index, "at"),
                "timeline entries are out of order",
                "list the entries oldest first",
                Level.WARNING,
                rule="chronology",
            )
        previous = moment


def _kind_of(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return f"'{value}'"


def _example(spec: Field) -> str:
    if isinstance(spec.example, list):
        return "[" + ", ".join(str(item) for item in spec.example) + "]"
    return str(spec.example)
