"""Small text jobs every layer needs, each written once: slugs, plurals, shortening, durations."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

SLUG_LIMIT = 60
_WORD = re.compile(r"[a-z0-9]+")


def slugify(text: str, limit: int = SLUG_LIMIT) -> str:
    """Return `text` as lowercase ASCII words joined by '-', at most `limit` characters.

    Accented letters keep their base letter ("café" gives "cafe"); the cut falls between words
    unless the first word alone is too long. Text without letters or digits gives "".
    """
    # NFKD splits an accented letter into the letter and its accent, which ASCII then drops.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _WORD.findall(ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug or (words[0][:limit] if words else "")


def plural(count: int, word: str, many: str | None = None) -> str:
    """Return `count` with `word` in the right number: "1 incident", "3 incidents"."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def shorten(text: str, limit: int = 160, *, sentence: bool = False) -> str:
    """Return `text` on one line, cut between words to at most `limit` characters with "…".

    With `sentence`, the first sentence is enough when it fits.
    """
    flat = " ".join(text.split())
    if sentence:
        end = flat.find(". ")
        if 0 < end < limit:
            return flat[: end + 1]
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def format_duration(delta: timedelta | None) -> str:
    """Return `delta` as `4 h 15 min`, `2 d 3 h` or `45 min` (nearest minute); `-` if unknown."""
    if delta is None:
        return "-"
    minutes = round(delta.total_seconds() / 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
    if hours:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    return f"{sign}{minutes} min"
