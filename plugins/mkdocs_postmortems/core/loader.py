"""Read postmortem files into records, turning every content error into a reported problem."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from frontmatter.default_handlers import YAMLHandler

from .model import ActionItem, Impact, Lessons, Link, Postmortem, TimelineEntry
from .problems import Problem
from .validate import ID_PATTERN, label, validate
from .vocabulary import Vocabularies
from .yaml_load import YamlProblem, parse

MAX_FILE_BYTES = 2 * 1024 * 1024
_BOUNDARY = YAMLHandler.FM_BOUNDARY
_PLACEHOLDER_DATE = date(1970, 1, 1)


@dataclass(frozen=True)
class Rejected:
    """A file that could not be read as a postmortem at all, with why."""

    id: str
    path: str
    problems: tuple[Problem, ...]
    text: str  # the decoded source, for showing on a problems page


LoadResult = Postmortem | Rejected


def page_id(stem: str) -> str:
    """Return a URL-safe id for a file stem, even for a stem that is not a valid id."""
    if ID_PATTERN.match(stem) and ".." not in stem:
        return stem
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in stem)
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"invalid-{safe.strip('-')[:60]}-{digest}".replace("--", "-")


def load_bytes(raw: bytes, path: str, vocabularies: Vocabularies) -> LoadResult:
    """Return the postmortem in `raw` (the bytes of file `path`), or why it was rejected."""
    stem = PurePosixPath(path).stem
    ident = page_id(stem)

    def reject(message: str, hint: str, line: int | None = None, text: str = "") -> Rejected:
        return Rejected(ident, path, (Problem(path, line, "", message, hint),), text)

    if len(raw) > MAX_FILE_BYTES:
        return reject(*_too_large(len(raw)))
    if b"\x00" in raw:
        return reject(
            "file is binary, not Markdown text",
            "only Markdown postmortems belong in this folder with a .md name",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return reject(
            f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x})",
            "save the file as UTF-8",
            line,
            raw.decode("utf-8", "replace"),
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():
        return reject("file is empty", 'start from `postmortems new "Title"`')
    opening, closing = _boundaries(text)
    if opening is None:
        return reject(
            "file has no front matter",
            "start the file with a line '---', then the fields, then another '---'",
            1,
            text,
        )
    if closing is None:
        return reject(
            "front matter is not closed", "add a line '---' after the last field", 1, text
        )
    front = text[opening.end() : closing.start()]
    # The front text starts right after the opening '---' (on that line), so its line 1 is
    # the file line of the boundary's end.
    front_line = text.count("\n", 0, opening.end()) + 1
    body_start = closing.end()
    body = text[body_start:].lstrip("\n")
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    try:
        parsed = parse(front)
    except YamlProblem as problem:
        where = front_line + problem.line - 1 if problem.line is not None else None
        return reject(problem.message, problem.hint, where, text)
    if not isinstance(parsed.data, dict):
        kind = (
            "a list"
            if isinstance(parsed.data, list)
            else "empty"
            if parsed.data is None
            else "a single value"
        )
        return reject(
            f"front matter is {kind}, not a mapping of fields",
            "write one 'field: value' per line, e.g. 'title: Database outage'",
            front_line,
            text,
        )
    offset = front_line - 1
    lines = {key: line + offset for key, line in parsed.lines.items()} if offset else parsed.lines
    duplicates = [
        Problem(
            path,
            line + offset,
            ".".join(str(p) for p in key),
            f"key '{key[-1]}' is given twice",
            "keep one; the last one wins otherwise",
        )
        for key, line in parsed.duplicates
    ]
    clean, problems = validate(parsed.data, path, lines, vocabularies, stem)
    return _record(
        ident,
        path,
        clean,
        body,
        body_line,
        tuple(duplicates + problems),
        hashlib.sha256(raw).hexdigest(),
        dict(zip(map(label, lines), lines.values(), strict=True)),
    )


def _boundaries(text: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """Return the '---' line that opens `text` (None if it does not) and the next one after it.

    These are the first two matches of `_BOUNDARY` when the first starts the text. A boundary
    starts a line with '-', so only such lines are tried: searching with the pattern alone tries
    it at every character of the front matter.
    """
    opening = _BOUNDARY.match(text)
    if opening is None:
        return None, None
    newline = opening.end() - 1
    while (newline := text.find("\n-", newline)) >= 0:
        closing = _BOUNDARY.match(text, newline + 1)
        if closing is not None:
            return opening, closing
        newline += 1
    return opening, None


def _record(
    ident: str,
    path: str,
    clean: dict[str, Any],
    body: str,
    body_line: int,
    problems: tuple[Problem, ...],
    digest: str,
    lines: dict[str, int],
) -> Postmortem:
    started: datetime | None = clean.get("started")
    day = clean.get("date") or (started.date() if started else _PLACEHOLDER_DATE)
    impact = clean.get("impact")
    lessons = clean.get("lessons") or {}
    return Postmortem(
        id=ident,
        path=path,
        title=clean.get("title", ident),
        date=day,
        status=clean.get("status", "draft"),
        severity=clean.get("severity", ""),
        summary=clean.get("summary", ""),
        root_cause=clean.get("root_cause", ""),
        services=tuple(clean.get("services", ())),
        body=body,
        body_line=body_line,
        started=started,
        latent_since=clean.get("latent_since"),
        detected=clean.get("detected"),
        mitigated=clean.get("mitigated"),
        resolved=clean.get("resolved"),
        approximate=tuple(clean.get("approximate", ())),
        root_cause_categories=tuple(clean.get("root_cause_categories", ())),
        trigger=clean.get("trigger"),
        contributing_factors=tuple(clean.get("contributing_factors", ())),
        detection=clean.get("detection"),
        tags=tuple(clean.get("tags", ())),
        teams=tuple(clean.get("teams", ())),
        impact=_impact(impact) if impact and "description" in impact else None,
        timeline=tuple(TimelineEntry(**entry) for entry in clean.get("timeline", ())),
        action_items=tuple(ActionItem(**item) for item in clean.get("action_items", ())),
        lessons=Lessons(**{k: tuple(v) for k, v in lessons.items()}),
        related=tuple(clean.get("related", ())),
        links=tuple(Link(**link) for link in clean.get("links", ())),
        authors=tuple(clean.get("authors", ())),
        extra=dict(clean.get("extra", {})),
        problems=problems,
        digest=digest,
        lines=lines,
    )


def _impact(clean: dict[str, Any]) -> Impact:
    values = dict(clean)
    values["regions"] = tuple(values.get("regions", ()))
    values["figures"] = tuple((f["label"], f["value"]) for f in values.get("figures", ()))
    return Impact(**values)


def iter_source_files(root: Path) -> list[Path]:
    """Return every file under `root` that is not hidden, sorted, without following links out.

    A link to a folder is returned too (not entered), so that it is reported, not skipped.
    """
    found: list[Path] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(directory, d) for d in dirnames if Path(directory, d).is_symlink())
        found.extend(Path(directory, name) for name in filenames if not name.startswith("."))
    return sorted(found)


def _too_large(size: int) -> tuple[str, str]:
    return (
        f"file is {size // 1024} KiB; at most {MAX_FILE_BYTES // 1024} KiB is allowed",
        "move attachments out of the Markdown file",
    )


def refuse_unsafe(root: Path, file: Path, ident: str) -> Rejected | None:
    """Return why `file` must not be read or published, or None when it is a plain file.

    Links to folders, broken links, links out of `root` and pipes or devices are refused:
    reading a pipe would hang the build, and publishing a link would publish its target.
    """
    with contextlib.suppress(OSError):
        if stat.S_ISREG(file.lstat().st_mode):
            # A plain file, not a link: `iter_source_files` enters no linked folder, so it is
            # under `root` (one system call where the checks below take several per file).
            return None
    relative = file.relative_to(root).as_posix()

    def refuse(message: str, hint: str) -> Rejected:
        return Rejected(ident, relative, (Problem(relative, None, "", message, hint),), "")

    if file.is_symlink() and file.is_dir():
        return refuse(
            "is a link to a folder; files in it are not read",
            "move the files into the postmortems folder instead of linking to them",
        )
    if not file.exists():
        return refuse("is a broken link", "remove it or point it at a file in the folder")
    if not file.resolve().is_relative_to(root.resolve()):
        return refuse(
            "is a link to a file outside the postmortems folder",
            "copy the file into the folder instead of linking to it",
        )
    if not file.is_file():
        return refuse(
            "is not a regular file (a pipe, socket or device)",
            "remove it; only postmortems and the files they show belong here",
        )
    return None


def read_source(root: Path, file: Path) -> tuple[str, bytes] | Rejected:
    """Return the path of `file` under `root` and its bytes, or why it cannot be read."""
    relative = file.relative_to(root).as_posix()
    ident = page_id(file.stem)
    # A plain file (not a link) is safe, and its lstat gives its size: one system call per
    # file where `refuse_unsafe` and then stat take two.
    try:
        status = file.lstat()
    except OSError:
        status = None
    try:
        if status is None or not stat.S_ISREG(status.st_mode):
            refused = refuse_unsafe(root, file, ident)
            if refused is not None:
                return refused
            status = file.stat()  # a link to a file in the folder
        size = status.st_size
        if size > MAX_FILE_BYTES:
            # Checked before reading: a huge file must not be loaded into memory first.
            return Rejected(ident, relative, (Problem(relative, None, "", *_too_large(size)),), "")
        with file.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # the file may have grown since
    except OSError as error:
        return Rejected(
            ident,
            relative,
            (Problem(relative, None, "", f"cannot be read: {error.strerror}", "check the file"),),
            "",
        )
    return relative, raw


def load_file(root: Path, file: Path, vocabularies: Vocabularies) -> LoadResult:
    """Return the postmortem in `file` under `root`, or why it was rejected."""
    source = read_source(root, file)
    if isinstance(source, Rejected):
        return source
    return load_bytes(source[1], source[0], vocabularies)
