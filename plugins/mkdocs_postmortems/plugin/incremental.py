"""Tell `mkdocs serve --dirty` which generated pages changed, so an edit rebuilds only those.

MkDocs rebuilds a page in a dirty build only when its file says it is modified, and a file
generated with `content=` always says so: every incident and listing page would be rebuilt
after every save. Instead each page the plugin generates gets a digest of everything its HTML
is made from (its Markdown, the data its template shows, and what every page shares: the
set of pages and the navigation). A page whose digest is the one of the previous build of
the same session, and whose HTML is still in the site folder, is left alone.

A listing page's digest covers its Markdown and the records it lists; an incident page's
covers its file and everything its card shows of other incidents (related and recurring
ones with their reasons, and those incidents' files); every page's covers what all pages
share (the set of pages, the navigation's titles, the plugin's options, `mkdocs.yml`). So a
page that shows an edited incident is rebuilt. `tests/test_dirty_serve.py` compares dirty
rebuilds with a build from scratch, byte for byte: a view that starts showing something new
must add it to its page's digest. A build that fails keeps the previous digests, so its
pages are rebuilt by the next one.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File


class TrackedFile(File):
    """A generated page that is modified only when its digest differs from the last build's."""

    unchanged = False  # set once the page's digest is the previous build's and its HTML is there

    def is_modified(self) -> bool:
        """Return whether a dirty build must render this page again."""
        return not self.unchanged


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
        same = self.previous.get(file.src_uri) == page_digest
        file.unchanged = same and Path(file.abs_dest_path).is_file()

    def commit(self) -> None:
        """The build succeeded: its digests are what the next build compares with."""
        self.previous = self.current
