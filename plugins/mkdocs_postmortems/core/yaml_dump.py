"""Write front matter as block YAML that the strict loader reads back to the same values.

Strings are written plain only when no YAML reader (1.1 or 1.2) can mistake them for another
type; everything else is double-quoted with escapes, which is the one YAML string style that
survives any content (colons, hashes, quotes, leading spaces, line breaks, control characters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ._/+-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})")
# Words some YAML reader turns into a boolean or null.
_RESERVED = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity"}
)
_NAMED_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _needs_escape(char: str) -> bool:
    code = ord(char)
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F  # DEL, C1 controls and NEL (a YAML line break)
        or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
        or 0xD800 <= code <= 0xDFFF
    )


def quote(text: str) -> str:
    """Return `text` as a YAML scalar that reads back as exactly this string."""
    if _DATE.fullmatch(text) or _DATETIME.fullmatch(text):
        return text  # read as a string by the strict loader; validated as a date later
    if (
        _PLAIN.fullmatch(text)
        and not text.endswith((" ", "-", "."))
        and text.lower().lstrip(".") not in _RESERVED
    ):
        return text
    parts = ['"']
    for char in text:
        if char in _NAMED_ESCAPES:
            parts.append(_NAMED_ESCAPES[char])
        elif _needs_escape(char):
            code = ord(char)
            parts.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def scalar(value: object) -> str:
    """Return the YAML form of one scalar value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else f"{int(value)}"
    if isinstance(value, datetime):
        offset = value.utcoffset()
        text = value.isoformat(timespec="seconds")
        return text.removesuffix("+00:00") + "Z" if offset == timedelta(0) else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def inline(value: object) -> str:
    """Return `value` on one line: a scalar, or a list as a flow sequence `[a, "b, c"]`."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(scalar(item) for item in value) + "]"
    return scalar(value)


def _prune(value: object) -> object:
    """Return `value` without empty lists, mappings and None values (None if nothing is left)."""
    if isinstance(value, Mapping):
        kept = {key: _prune(item) for key, item in value.items()}
        kept = {key: item for key, item in kept.items() if item is not None}
        return kept or None
    if isinstance(value, list | tuple):
        items = [_prune(item) for item in value]
        return [item for item in items if item is not None] or None
    return value


def _mapping(data: Mapping[str, object], indent: int, out: list[str], first: str = "") -> None:
    pad = " " * indent
    lead = first
    for key, value in data.items():
        prefix = lead or pad
        lead = ""
        if isinstance(value, Mapping):
            out.append(f"{prefix}{key}:")
            _mapping(value, indent + 2, out)
        elif isinstance(value, list | tuple):
            out.append(f"{prefix}{key}:")
            _sequence(value, indent + 2, out)
        else:
            out.append(f"{prefix}{key}: {scalar(value)}")


def _sequence(items: Sequence[object], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping):
            _mapping(item, indent + 2, out, first=f"{pad}- ")
        elif isinstance(item, list | tuple):
            raise TypeError("nested lists are not part of the format")
        else:
            out.append(f"{pad}- {scalar(item)}")


def dump(data: Mapping[str, object]) -> str:
    """Return `data` as block-style YAML (without `---` fences); empty values are left out."""
    out: list[str] = []
    pruned = _prune(data)
    if isinstance(pruned, Mapping):
        _mapping(pruned, 0, out)
    return "\n".join(out) + "\n"
