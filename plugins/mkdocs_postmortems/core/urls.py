"""Page URLs by MkDocs' rules, for code that runs without a build (the command line), and
relative URLs for code that makes many (the incident cards).

During a build the plugin takes every URL from MkDocs' own `File` objects; tests check that
these functions give MkDocs' answers.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from urllib.parse import quote


def page_url(src_uri: str, *, directory_urls: bool) -> str:
    """Return the site-relative URL of the page MkDocs makes from the Markdown file `src_uri`.

    `index.md` and `README.md` become their folder's index page; with directory URLs,
    `a/b.md` becomes `a/b/`, otherwise `a/b.html`.
    """
    parent, filename = posixpath.split(src_uri)
    stem = posixpath.splitext(filename)[0]
    if stem == "README":
        stem = "index"
    if stem == "index" or not directory_urls:
        dest = posixpath.join(parent, f"{stem}.html")
    else:
        dest = posixpath.join(parent, stem, "index.html")
    folder, name = posixpath.split(dest)
    url = (folder or ".") + "/" if directory_urls and name == "index.html" else dest
    return quote(url)


@lru_cache(maxsize=65_536)
def _segments(path: str) -> tuple[str, ...]:
    """Return the segments of `path` normalized as MkDocs does (leading slash ignored)."""
    normal = posixpath.normpath(path if path.startswith("/") else "/" + path)[1:]
    return tuple(normal.split("/")) if normal else ()


@lru_cache(maxsize=65_536)
def _climbing(depth: int, common: int, url: str) -> str:
    """Return `url` relative to a folder `depth` segments deep that shares its first `common`
    segments: the same from every incident page to a facet page, or to another incident."""
    relative = "/".join(("..",) * (depth - common) + _segments(url)[common:]) or "."
    return relative + "/" if url.endswith("/") else relative


class RelativeTo:
    """Make site URLs relative to one page, as `mkdocs.utils.get_relative_url` does.

    An incident card links about sixteen pages, and MkDocs' function normalizes both paths on
    every call; this normalizes the page's once, and each URL and each answer once per
    process.
    """

    __slots__ = ("_base",)

    def __init__(self, here: str) -> None:
        """Make URLs relative to the page at `here` (its last segment is skipped if it
        contains a dot: a file)."""
        folder, _, name = here.rpartition("/")
        self._base = _segments(folder if "." in name else here)

    def __call__(self, url: str) -> str:
        """Return `url` relative to the page (`.` for the page's own folder)."""
        base = self._base
        common = 0
        for ours, theirs in zip(base, _segments(url), strict=False):
            if ours != theirs:
                break
            common += 1
        return _climbing(len(base), common, url)
