"""Map the front matter a source already has, instead of flattening it into the body.

Three families are recognised by their keys:

- status pages (cState, used by Hugo sites such as the Jenkins status page): `date` is when the
  incident started, `resolvedWhen` when it ended, `severity` is down / disrupted / notice and
  `affected` lists the services;
- postmortem archives in the postmortems.app layout: `start_time`, `end_time`, `company`,
  `product`, `categories`, `keywords`, `summary`, `url`;
- blogs (Jekyll, Hugo, Zola with TOML between `+++`, Material's blog plugin): `date` is when the
  post was published, used as the incident day only when the text gives none, and marked
  approximate.

Every key that has no field in the format is kept under `extra:`, so nothing is lost. Values are
read as text and parsed here (`python-dateutil` for the date forms these generators write), so
YAML 1.1 surprises (`no` becoming false) never reach the result.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timezone

import yaml
from dateutil import parser as date_parser

from ...core.schema import MAX_LINE

# cState's three levels, and the severity each becomes unless the site maps them otherwise.
DEFAULT_SEVERITY_MAP: dict[str, str] = {"down": "SEV1", "disrupted": "SEV2", "notice": "SEV4"}

_YAML_FENCE = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
_STATUS_KEYS = frozenset({"resolvedWhen", "affected"})
_STATUS_LEVELS = frozenset(DEFAULT_SEVERITY_MAP)
_ARCHIVE_KEYS = frozenset({"start_time", "end_time", "company", "product", "source_fetched_at"})
# Metadata about the copy, never about the incident: kept under extra, never used as a date.
_FETCH_KEYS = frozenset({"source_fetched_at", "fetched_at", "lastmod", "updated", "modified"})
_UTC_NAMES = {"UTC": 0, "GMT": 0, "Z": 0}
_PUBLISHED_KEYS = ("source_published_at", "publishDate", "published", "pubdate")


@dataclass
class Source:
    """What a source's own front matter says, mapped onto the format."""

    kind: str = ""  # "", "status-page", "postmortem-archive", "blog"
    body: str = ""  # the text after the front matter
    body_line: int = 1  # the file line the body starts on
    fields: dict[str, object] = field(default_factory=dict)  # format field -> value
    extra: dict[str, object] = field(default_factory=dict)
    published: date | None = None  # a post's publication day: the last resort for `date`
    keys: dict[str, str] = field(default_factory=dict)  # format field -> the source's key
    used: dict[str, str] = field(default_factory=dict)  # every source key -> the field it fed
    lines: dict[str, int] = field(default_factory=dict)  # format field -> file line of its key
    notes: list[str] = field(default_factory=list)  # what a person should check
    problem: str = ""  # why the front matter could not be read, when it could not


def read_source(text: str, severity_map: Mapping[str, str] | None = None) -> Source:
    """Return the source's front matter mapped onto the format, and the text after it."""
    yaml_match, toml_match = _YAML_FENCE.match(text), _TOML_FENCE.match(text)
    match = yaml_match or toml_match
    if match is None:
        return Source(body=text)
    kind = "yaml" if yaml_match else "toml"
    raw = match.group(1) or ""
    body = text[match.end() :]
    body_line = text[: match.end()].count("\n") + 1
    try:
        data = _parse(raw, kind)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, RecursionError) as error:
        reason = str(error).split("\n")[0]
        return Source(
            body=text, problem=f"its front matter could not be read ({reason}); kept as text"
        )
    if not isinstance(data, dict) or not data:
        return Source(body=body, body_line=body_line)
    source = Source(body=body, body_line=body_line)
    key_lines = _key_lines(raw)
    _map(data, source, dict(severity_map or DEFAULT_SEVERITY_MAP))
    source.lines = {name: key_lines[key] for name, key in source.keys.items() if key in key_lines}
    return source


class _TextLoader(yaml.BaseLoader):
    """Read every scalar as text and refuse aliases (an alias bomb would never finish)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases (*name) are not read; write the values out")
        return super().compose_node(parent, index)


def _parse(raw: str, kind: str) -> object:
    if kind == "toml":
        return tomllib.loads(raw)
    # Every scalar as text: dates and booleans are read here, the same way for YAML and TOML.
    return yaml.load(raw, Loader=_TextLoader)  # a BaseLoader: it builds no objects


def _key_lines(raw: str) -> dict[str, int]:
    """Return the file line of each top-level key (the opening fence is line 1)."""
    lines: dict[str, int] = {}
    for number, line in enumerate(raw.split("\n"), start=2):
        key = re.match(r"([A-Za-z_][\w-]*)\s*[:=]", line)
        if key and key.group(1) not in lines:
            lines[key.group(1)] = number
    return lines


def _map(data: dict[object, object], source: Source, severity_map: dict[str, str]) -> None:
    keys = {str(k) for k in data}
    severity = str(data.get("severity", "")).strip().lower()
    if keys & _STATUS_KEYS or (severity in _STATUS_LEVELS and "date" in keys):
        source.kind = "status-page"
    elif keys & _ARCHIVE_KEYS:
        source.kind = "postmortem-archive"
    else:
        source.kind = "blog"
    taken = source.keys

    def put(name: str, value: object, key: str) -> None:
        """Map `key` onto the field `name`; a value that cannot be read is kept under extra."""
        if value in (None, "", [], {}) or name in source.fields:
            raw = data.get(key)
            if raw not in (None, "", [], {}):
                source.extra[key] = _plain(raw)
                source.notes.append(f"{key}: '{_plain(raw)}' could not be read; kept under extra")
            return
        source.fields[name] = value
        taken[name] = key
        source.used[key] = name

    for raw_key, value in data.items():
        key = str(raw_key)
        lowered = key.lower()
        if lowered == "title":
            put("title", _text(value), key)
        elif lowered in ("summary", "description") and isinstance(value, str):
            put("summary", _text(value), key)
        elif key in ("start_time", "started") or (
            lowered == "date" and source.kind == "status-page"
        ):
            put("started", _moment(value), key)
        elif key in ("end_time", "resolvedWhen", "resolved_at", "ended"):
            put("resolved", _moment(value), key)
        elif lowered == "date":
            published = _moment(_created(value))
            if isinstance(published, date):
                source.published = _day(published)
                taken["date"] = key
            source.extra[key] = _plain(value)
        elif key in _PUBLISHED_KEYS:
            published = _moment(value)
            if isinstance(published, date) and source.published is None:
                source.published = _day(published)
            source.extra[key] = _plain(value)
        elif lowered == "severity" and isinstance(value, str):
            mapped = severity_map.get(value.strip().lower())
            if mapped:
                put("severity", mapped, key)
                source.notes.append(
                    f"severity: {mapped} from {source.kind} level '{value.strip()}' "
                    "(the site's severity mapping)"
                )
            else:
                # "SEV2", "major": checked against the site's vocabulary later, kept if unknown.
                put("severity", value.strip(), key)
        elif lowered in ("affected", "product", "services", "components"):
            put("services", _names(value), key)
        elif lowered in ("keywords", "categories", "tags"):
            tags = [*_as_list(source.fields.get("tags")), *_names(value)]
            source.fields["tags"] = list(dict.fromkeys(tags))
            taken.setdefault("tags", key)
            source.used[key] = "tags"
        elif lowered == "taxonomies" and isinstance(value, dict):
            for name in ("tags", "categories"):
                tags = [*_as_list(source.fields.get("tags")), *_names(value.get(name))]
                if tags:
                    source.fields["tags"] = list(dict.fromkeys(tags))
                    taken.setdefault("tags", key)
            source.extra[key] = _plain({k: v for k, v in value.items() if k not in ("tags",)})
        elif lowered in ("authors", "author"):
            put("authors", _names(value), key)
        elif lowered in ("url", "archive_url", "link", "source") and _is_url(value):
            links = _as_list(source.fields.get("links"))
            kind = "status-page" if source.kind == "status-page" else "report"
            links.append({"url": str(value).strip(), "title": _link_title(key), "type": kind})
            source.fields["links"] = links
            taken.setdefault("links", key)
            source.used[key] = "links"
        else:
            source.extra[key] = _plain(value)
        if key in _FETCH_KEYS:
            source.notes.append(f"{key}: metadata of the copy, kept under extra, never a date")
    if source.kind == "status-page" and str(data.get("resolved", "")).lower() == "false":
        source.notes.append("resolved: the status page marks this incident as not resolved")


def _created(value: object) -> object:
    """Return Material's blog `date: {created: ...}` as the creation date."""
    if isinstance(value, dict):
        return value.get("created") or next(iter(value.values()), None)
    return value


def _moment(value: object) -> datetime | date | None:
    """Return the date or time a front-matter value states, or None.

    A value without a time is a date; a time without an offset stays naive (the caller decides
    the zone and says so). No part that is not written is filled in: the parse is made with two
    different defaults and refused when they disagree.
    """
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > 80:
        return None
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return _fixed(parsed)
    try:
        # Naive defaults on purpose: a zone that is not written must stay unknown.
        first = date_parser.parse(text, default=datetime(1904, 1, 1), tzinfos=_UTC_NAMES)  # noqa: DTZ001
        second = date_parser.parse(text, default=datetime(1908, 2, 2, 1, 1), tzinfos=_UTC_NAMES)  # noqa: DTZ001
    except (ValueError, OverflowError):
        return None
    if first.year != second.year or first.month != second.month or first.day != second.day:
        return None  # the year, month or day is not written
    if (first.hour, first.minute) != (second.hour, second.minute):
        return first.date()
    return _fixed(first)


def _fixed(value: datetime) -> datetime:
    """Return `value` with a fixed offset (dateutil may hand back the machine's local zone)."""
    offset = value.utcoffset()
    return value if offset is None else value.replace(tzinfo=timezone(offset))


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _text(value: object) -> str:
    flat = " ".join(str(value).split()) if isinstance(value, str | int | float) else ""
    return flat if len(flat) <= MAX_LINE * 20 else flat[: MAX_LINE * 20]


def _names(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    names: list[str] = []
    for item in items:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            for part in str(item).split(",") if isinstance(value, str) else [str(item)]:
                name = " ".join(part.split())
                if name and len(name) <= MAX_LINE:
                    names.append(name)
    return list(dict.fromkeys(names))


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _is_url(value: object) -> bool:
    return isinstance(value, str) and bool(re.match(r"https?://\S+$", value.strip()))


def _link_title(key: str) -> str:
    return {"archive_url": "Archived copy of the report"}.get(key, "Original report")


def _plain(value: object) -> object:
    """Return `value` as plain YAML data: text, numbers, booleans, lists and mappings."""
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def aware(value: datetime) -> tuple[datetime, bool]:
    """Return `value` with a zone (UTC when none is written) and whether one was assumed."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), True
    return value, False
