"""Tell `mkdocs serve --dirty` which generated pages changed, so an edit rebuilds only those.

MkDocs rebuilds a page in a dirty build only when its file says it is modified, and a file
generated with `content=` always says so: every incident and listing page would be rebuilt
after every save. Instead each page the plugin generates gets a digest of everything its HTML
is made from (its Markdown, the data its template shows, and what every page shares: the
set of pages and the navigation). A page whose digest is the one of the previous build of
the same session, and whose HTML is still in the site folder, is left alone.

The digests are taken from the same data the page is then rendered from, never from a guess
of what a page depends on, so a page that shows an edited incident (a listing, a related
incident's card) has a new digest and is rebuilt. A build that fails keeps the previous
digests, so its pages are rebuilt by the next one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from mkdocs.structure.files import File


class TrackedFile(File):
    """A generated page that is modified only when its digest differs from the last build's."""

    unchanged = False  # set once the page's digest is known to be the previous build's

    def is_modified(self) -> bool:
        """Return whether a dirty build must render this page again."""
        return not self.unchanged or not Path(self.abs_dest_path).is_file()


def digest(*parts: object) -> str:
    """Return a digest of the `repr` of `parts` (Markdown, template data, shared state)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


class PageDigests:
    """The digest of every generated page in the previous and in the current build."""

    def __init__(self) -> None:
        self.previous: dict[str, str] = {}
        self.current: dict[str, str] = {}

    def begin(self) -> None:
        """Start a build: no page has a digest yet."""
        self.current = {}

    def mark(self, file: TrackedFile, page_digest: str) -> None:
        """Record the digest of `file`'s page and whether it is the previous build's."""
        self.current[file.src_uri] = page_digest
        file.unchanged = self.previous.get(file.src_uri) == page_digest

    def commit(self) -> None:
        """The build succeeded: its digests are what the next build compares with."""
        self.previous = self.current

    def rebuilt(self, files: Iterable[TrackedFile]) -> list[str]:
        """Return the source paths of the `files` a dirty build renders again."""
        return [file.src_uri for file in files if file.is_modified()]
