"""Convert the plugin's pages in a second process while the build converts the others.

MkDocs converts every page's Markdown in one process, one page after another: at 1,000
postmortems, incident bodies and listing pages take about 10 s of a build, on machines
(laptops, CI runners) with two cores or more. The plugin knows its pages before MkDocs converts
any: it forks one worker for the incident pages as soon as they are loaded (in `on_files`,
so their bodies are converted while the build makes its listings and data), and one for the
other pages at the end of `on_nav`. A worker runs, for its pages from the last one backwards,
what MkDocs' build runs for a page (`on_pre_page`, reading the source, `on_page_markdown`,
`Page.render` with the site's extensions and MkDocs' link checks, `on_page_content`) and sends
back through a pipe what that gave: HTML, table of contents, anchors, title, links to
anchors, and the log records of the conversion (the build reads the pipe at each of its pages,
in its one thread). The build goes forward as usual; on reaching a page a worker has
converted, it gives the page empty Markdown (whose conversion an incident page skips:
`rendered.ConvertedPage`) and puts the worker's result back, logging the worker's
records where MkDocs would have logged them (so `mkdocs build --strict` counts their
warnings). Where the two meet, the worker stops: neither estimates costs, each takes the next
page from its own end.

What keeps it safe:

- it forks only where `forkmap.fork_allowed` says a process may (Linux, one thread, never
  under `mkdocs serve`, whose rebuilds run beside the server's threads), for a non-dirty
  build in which no other
  plugin changes a page's source, Markdown or HTML and no extension reads other files
  (`rendered.changes_pages`): then a page's conversion depends only on the state at the fork;
- the worker never returns into MkDocs: it ends with `os._exit`, writes no file and prints
  nothing (its log records go to the build);
- a worker started in `on_files` sees the site's files of that moment: each conversion
  records the files it looked up (`Lookups`), and the build takes it only if they, and the
  page itself, still have the same URLs (a link to a page added since is resolved again);
- a page the worker could not convert (an exception, a record that cannot be sent, a crash, a
  stall longer than `STALL_S`) is converted by the build itself, as without a worker;
- the build kills and reaps the worker once the last page is converted or the build fails, so
  it leaves no process behind.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import mmap
import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .forkmap import fork_allowed
from .rendered import Rendered, changes_pages

log = get_plugin_logger("postmortems")

# A page the worker has started and not finished after this long is converted by the build
# (far beyond any page measured: the slowest listing page of 1,000 postmortems takes ~1 s).
STALL_S = 60.0
# With `workers: auto`, a build with less Markdown than this to convert (about 0.5 s of
# conversion on one core; 1,000 postmortems have 8 million characters) does not fork: the
# time it could save is of the order of what forking and handing pages over cost.
AUTO_MIN_MARKDOWN = 500_000

_FRAME = struct.Struct("<IIB")  # payload length, page index, kind
_PROGRESS = struct.Struct("<q")  # the index after the last page the build has taken
_STARTED, _DONE, _FAILED = 0, 1, 2
_READ_SIZE = 1 << 20
_PIPE_SIZE = 1 << 20  # the most Linux gives a process without privileges, by default


@dataclass(frozen=True)
class Converted:
    """What MkDocs' conversion of a page gave in the worker, after the plugin's own changes."""

    rendered: Rendered
    links_to_anchors: dict[str, dict[str, str]] | None  # by the linked page's source path
    records: tuple[dict[str, Any], ...]  # what the conversion logged, as LogRecord fields
    # The site's files the conversion looked up (resolving links): the URL found, or None.
    # With the page's own URL, all a conversion reads of the files (`Lookups`).
    url: str = ""
    lookups: tuple[tuple[str, str | None], ...] = ()

    def holds_for(self, page: Page, files: Files) -> bool:
        """Return whether the conversion is what one with `files` would give: the page and
        every file it looked up have the URLs they had in the worker (which may have started
        before every file was known: a link to a file added since must be resolved again)."""
        if page.file.url != self.url:
            return False
        for uri, url in self.lookups:
            found = files.get_file_from_path(uri)
            if (None if found is None else found.url) != url:
                return False
        return True

    def restore(self, page: Page, files: Files) -> str:
        """Give `page` what its conversion set, log what it logged; return its HTML."""
        if self.links_to_anchors is not None:
            page.links_to_anchors = {
                file: dict(links)
                for uri, links in self.links_to_anchors.items()
                if (file := files.get_file_from_path(uri)) is not None
            }
        replay(self.records)
        return self.rendered.restore(page)


def replay(records: Sequence[dict[str, Any]]) -> None:
    """Log here what the worker logged (the fields of its records), through the same loggers."""
    for fields in records:
        record = logging.makeLogRecord(fields)
        logging.getLogger(record.name).handle(record)


def unavailable(
    config: MkDocsConfig, owner: object, *, command: str | None, dirty: bool
) -> str | None:
    """Return why the pages of this build cannot be converted in a worker (None: they can)."""
    # The dirty build first: its reason holds whatever else runs in the process (the test
    # runner's browser threads, say).
    if dirty:
        return "a dirty build converts few pages"
    if not fork_allowed(command):
        return "this process may not fork (mkdocs serve, other threads, or not Linux)"
    if changes_pages(config, owner, ("pre_page", "page_read_source")):
        return "another plugin or extension takes part in converting pages"
    return None


class Worker:
    """The build's side of one worker process converting `uris` (in the build's page order)."""

    def __init__(self, pid: int, fd: int, progress: mmap.mmap, uris: Sequence[str]) -> None:
        """Follow the worker `pid`, which writes to the pipe `fd` and reads `progress`."""
        self.pid = pid
        self._fd = fd
        self._progress = progress
        self._index = {uri: index for index, uri in enumerate(uris)}
        self._buffer = bytearray()
        self._started: set[int] = set()
        self._done: dict[int, bytes] = {}
        self._failed: dict[int, str] = {}
        self._ended = False
        self._closed = False
        self._claimed: dict[str, Converted] = {}
        self.converted = 0
        os.set_blocking(fd, False)

    def claim(self, page: Page, files: Files) -> bool:
        """Return whether the worker did `page` (waiting if it is doing it now), for the
        site's `files`.

        False means the build converts it; the worker then stops before reaching it.
        """
        uri = page.file.src_uri
        index = self._index.get(uri)
        if index is None or self._closed:
            return False
        self._progress[:] = _PROGRESS.pack(index + 1)
        # Take in what the worker sent (so it seldom waits on a full pipe), and if it is doing
        # this page now, wait for it.
        self._read()
        deadline = time.monotonic() + STALL_S
        stalled = False
        while index in self._started and not self._settled(index) and not stalled:
            select.select([self._fd], [], [], max(deadline - time.monotonic(), 0))
            self._read()
            stalled = time.monotonic() > deadline
        payload = self._done.pop(index, None)
        failure = self._failed.pop(index, None)
        if stalled:
            log.debug(f"the worker process took over {STALL_S:.0f} s on {uri}; stopping it")
            self.close()
            return False
        if failure is not None:
            log.debug(f"the worker process could not convert {uri} ({failure}); converting it")
        if payload is None:
            return False
        try:
            claimed = pickle.loads(payload)
        except Exception as error:
            log.debug(f"cannot read the worker's conversion of {uri} ({error}); converting it")
            return False
        if isinstance(claimed, Converted) and not claimed.holds_for(page, files):
            log.debug(f"the site's files changed since the worker converted {uri}; converting it")
            return False
        self._claimed[uri] = claimed
        self.converted += 1
        return True

    def restore(self, page: Page, files: Files) -> str | None:
        """Put back the worker's conversion of a claimed page, returning its HTML (else None)."""
        converted = self.take(page)
        return None if converted is None else converted.restore(page, files)

    def take(self, page: Page) -> Any | None:
        """Return (and forget) what the worker's job gave for a claimed page (else None)."""
        return self._claimed.pop(page.file.src_uri, None)

    def close(self) -> None:
        """Stop the worker if it still runs, and reap it."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self._fd)
        self._progress.close()
        self._done.clear()
        log.debug(f"the worker process did {self.converted} of the pages")

    def _settled(self, index: int) -> bool:
        return self._ended or index in self._done or index in self._failed

    def _read(self) -> None:
        """Take in every message the worker has sent so far (the build reads the pipe between
        pages, not in a thread: the build process never runs two threads)."""
        while not self._ended:
            try:
                chunk = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._ended = True
                return
            self._buffer += chunk
            for index, kind, payload in _frames(self._buffer):
                self._note(index, kind, payload)

    def _note(self, index: int, kind: int, payload: bytes) -> None:
        if kind == _STARTED:
            self._started.add(index)
        elif kind == _DONE:
            self._done[index] = payload
        else:
            self._failed[index] = payload.decode("utf-8", "replace")


Job = Callable[["File", "Sink"], object]
"""What the worker does with one page: returns what the build's `Worker.restore` puts back
(an object with a `restore(page, files)` method), recording its log records in the sink."""


def start(
    config: MkDocsConfig,
    files: Files,
    uris: Sequence[str],
    prepare: Callable[[], None],
    job: Job | None = None,
) -> Worker | None:
    """Fork a worker doing `job` (by default: converting) for the pages of `uris`; `prepare`
    runs first in the worker.

    Return None (the build does every page itself) if the process cannot be forked.
    """
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError, AttributeError):
        import fcntl  # here: Linux only (see `unavailable`); Windows has no such module

        # Room for many pages, so the worker seldom waits for the build to read the pipe.
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    progress = mmap.mmap(-1, _PROGRESS.size)
    try:
        pid = os.fork()
    except OSError as error:
        for fd in (read_fd, write_fd):
            os.close(fd)
        progress.close()
        log.debug(f"cannot start a worker process ({error}); converting every page here")
        return None
    if pid == 0:  # pragma: no cover - the worker; coverage does not follow forks
        try:
            os.close(read_fd)
            convert: Job = lambda file, sink: _convert(file, config, files, sink)  # noqa: E731
            _work(files, uris, progress, write_fd, prepare, job or convert)
        finally:
            os._exit(0)
    os.close(write_fd)
    return Worker(pid, read_fd, progress, uris)


def _work(
    files: Files,
    uris: Sequence[str],
    progress: mmap.mmap,
    fd: int,
    prepare: Callable[[], None],
    job: Job,
) -> None:
    """Do `job` for the pages of `uris` from the last, until the build has taken the next one."""
    # Objects from before the fork are shared with the build until written: keep the
    # collector from writing to all of them.
    gc.freeze()
    prepare()
    sink = Sink()
    # Every record of the worker goes to the sink, none to the build's handlers.
    logging.Logger.handle = lambda _logger, record: sink.keep(record)  # type: ignore[method-assign,assignment]
    for index in reversed(range(len(uris))):
        if _PROGRESS.unpack(progress[:])[0] > index:
            return
        _send(fd, index, _STARTED, b"")
        file = files.get_file_from_path(uris[index])
        try:
            assert file is not None
            payload = pickle.dumps(job(file, sink), pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            _send(fd, index, _FAILED, f"{type(error).__name__}: {error}".encode())
        else:
            _send(fd, index, _DONE, payload)


def _convert(file: File, config: MkDocsConfig, files: Files, sink: Sink) -> Converted:
    """Do what MkDocs' build does to read and convert the page of `file`."""
    page = file.page if file.page is not None else Page(None, file, config)
    config._current_page = page
    page = config.plugins.on_pre_page(page, config=config, files=files)
    page.read_source(config)
    assert page.markdown is not None
    page.markdown = config.plugins.on_page_markdown(
        page.markdown, page=page, config=config, files=files
    )
    # The build itself reads the source and runs the hooks above: only what follows logs
    # something it would not.
    with sink.recording() as records, Lookups(files) as lookups:
        page.render(config, files)
        assert page.content is not None
        html = config.plugins.on_page_content(page.content, page=page, config=config, files=files)
    assert html is not None
    links = page.links_to_anchors
    return Converted(
        Rendered.of(page, html),
        None if links is None else {to.src_uri: dict(by) for to, by in links.items()},
        tuple(records),
        file.url,
        tuple(lookups.items()),
    )


class Lookups(dict[str, str | None]):
    """The files looked up in `files` while in the `with` block: the URL found, or None.

    MkDocs' conversion reads the site's files only through `Files.get_file_from_path` (to
    resolve and check links); the worker's copy of it records each lookup for `Converted`.
    """

    def __init__(self, files: Files) -> None:
        super().__init__()
        self._files = files

    def __enter__(self) -> Lookups:
        find = type(self._files).get_file_from_path

        def recording(path: str) -> File | None:
            found = find(self._files, path)
            self[path] = None if found is None else found.url
            return found

        # In the worker process only, which never returns into MkDocs.
        setattr(self._files, "get_file_from_path", recording)  # noqa: B010
        return self

    def __exit__(self, *_exc: object) -> None:
        del self._files.get_file_from_path


class Sink:
    """Where the worker's log records go: kept while a conversion is recorded, else dropped."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] | None = None

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[dict[str, Any]]]:
        self._records = []
        try:
            yield self._records
        finally:
            self._records = None

    def keep(self, record: logging.LogRecord) -> None:
        """Keep `record` if a conversion is recorded; the build passes it through the logger's
        filters and handlers, in the order a build in one process would."""
        if self._records is not None:
            self._records.append(_fields(record))


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    """Return the fields of `record` with its message formatted (its arguments may not pickle)."""
    fields = dict(record.__dict__)
    fields["msg"] = record.getMessage()
    fields["args"] = None
    if record.exc_info:
        fields["exc_text"] = record.exc_text or logging.Formatter().formatException(record.exc_info)
    fields["exc_info"] = None
    return fields


def _send(fd: int, index: int, kind: int, payload: bytes) -> None:
    data = memoryview(_FRAME.pack(len(payload), index, kind) + payload)
    while data:
        data = data[os.write(fd, data) :]


def _frames(buffer: bytearray) -> list[tuple[int, int, bytes]]:
    """Take the complete messages off the front of `buffer` and return them."""
    messages = []
    offset = 0
    while len(buffer) - offset >= _FRAME.size:
        size, index, kind = _FRAME.unpack_from(buffer, offset)
        end = offset + _FRAME.size + size
        if len(buffer) < end:
            break
        messages.append((index, kind, bytes(buffer[offset + _FRAME.size : end])))
        offset = end
    del buffer[:offset]
    return messages
