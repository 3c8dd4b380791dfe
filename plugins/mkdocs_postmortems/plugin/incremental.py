"""Tell `mkdocs serve --dirty` which generated pages changed, so an edit rebuilds only those.

MkDocs rebuilds a page in a dirty build only when its file says it is modified, and a file
generated with `content=` always says so: every incident and listing page would be rebuilt
after every save. Instead each page the plugin generates gets a digest of everything its HTML
is made from (its Markdown, the data its template shows, and what every page shares: the
set of pages and the navigation). A page whose digest is the one of the previous build of
the same session, and whose HTML is still in the site folder, is left alone.

A listing page's digest covers its Markdown and the records it lists, as listing pages see
them (`views.layout.listed`: no story, summary, impact, timeline, links); an incident page's
covers its file and everything its card shows of other incidents (related and recurring
ones with their reasons, and those incidents' records but their stories); every page's covers
what all pages share (the set of pages, the navigation's titles, the plugin's options,
`mkdocs.yml`). So a page that shows an edited incident is rebuilt; an edit of a story rebuilds
the incident's own page only, and one of a summary no listing page.

Under `mkdocs serve` the plugin also keeps, each under a digest of its inputs, what it made
from the whole catalog (`adapter._Listings`, `adapter._Data`, the pages of each facet value,
charts, export rows, the related ranking; `KeptPages`, `CompiledTemplates` below), so a
rebuild remakes only what an edit changed. `tests/test_dirty_serve.py` compares dirty rebuilds
with a build from scratch, byte for byte: a view that starts showing something new must add
it to its page's digest. A build that fails keeps the previous digests, so its
pages are rebuilt by the next one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from mkdocs.structure.files import File

from ..core.cache import fingerprint
from ..views.layout import GeneratedPage


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
        # os.path: a Path costs more to make than the stat, for thousands of pages.
        file.unchanged = same and os.path.isfile(file.abs_dest_path)  # noqa: PTH113

    def commit(self) -> None:
        """The build succeeded: its digests are what the next build compares with."""
        self.previous = self.current


class KeptPages:
    """Generated pages of the previous build and this one, by a digest of their inputs.

    Under `mkdocs serve` an edit remakes only the pages whose inputs it changed (see
    `browse_pages`); pages the last build did not ask for are dropped.
    """

    def __init__(self) -> None:
        self._previous: dict[str, list[GeneratedPage]] = {}
        self._current: dict[str, list[GeneratedPage]] = {}

    def begin(self) -> None:
        """Start a build: what the last one kept can be reused once."""
        if self._current:
            self._previous = self._current
        self._current = {}

    def __call__(self, key: object, make: Callable[[], list[GeneratedPage]]) -> list[GeneratedPage]:
        """Return the pages kept under `key`, or make (and keep) them."""
        digest = fingerprint(key)
        pages = self._current.get(digest)
        if pages is None:
            pages = self._previous.get(digest)
        if pages is None:
            pages = make()
        self._current[digest] = pages
        return pages


class CompiledTemplates(BytecodeCache):
    """Compiled Jinja templates kept in memory, each valid for its source's checksum and for
    the environment's compile options (`for_environment`)."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str], bytes] = {}
        self._options = ""

    def for_environment(self, env: Environment) -> CompiledTemplates:
        """Keep code for the compile options of `env` (what its syntax and output depend on)."""
        autoescape = env.autoescape
        self._options = fingerprint(
            sorted(env.extensions),
            getattr(autoescape, "__qualname__", autoescape),
            [getattr(env, name) for name in _COMPILE_OPTIONS],
        )
        return self

    def load_bytecode(self, bucket: Bucket) -> None:
        """Give `bucket` its code if kept (Jinja discards it if the source changed)."""
        code = self._code.get((self._options, bucket.key))
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code Jinja just compiled."""
        self._code[self._options, bucket.key] = bucket.bytecode_to_string()


_COMPILE_OPTIONS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "optimized",
)
