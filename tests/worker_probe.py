"""A Markdown extension and MkDocs hook for tests: notes which process converts and which
builds each page, and can fail in the plugin's worker processes.

Listed in a test site's `markdown_extensions` as `worker_probe` (the tests folder is on the
build's PYTHONPATH) and, for building, in its `hooks`. It changes no output. With PM_PROBE_LOG
set, it appends the id of the converting process to that file for every page; with
PM_BUILDER_LOG set, the id of the process running `on_page_context` (the build for every page,
the worker for the pages it builds). With PM_PROBE_FAIL set to `raise` or `exit`, a conversion
in any process other than the build's raises, or ends that process at once; `raise-build` and
`exit-build` do the same when a page is built. With PM_PROBE_SLOW set, the build takes
longer at its first page (see `on_page_context`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

# MkDocs imports the site's extensions while it reads mkdocs.yml, before the plugin forks.
BUILD_PID = os.getpid()


def _note(variable: str, suffix: str = "") -> None:
    log = os.environ.get(variable)
    if log:
        with Path(log).open("a", encoding="utf-8") as stream:
            stream.write(f"{os.getpid()}\n")
    if os.getpid() != BUILD_PID:
        failure = os.environ.get("PM_PROBE_FAIL")
        if failure == "raise" + suffix:
            raise RuntimeError("worker_probe: failing in the worker on purpose")
        if failure == "exit" + suffix:
            os._exit(3)


class _Probe(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        _note("PM_PROBE_LOG")
        return lines


def on_page_context(context: Any, **kwargs: Any) -> Any:
    """As a MkDocs hook: note the process building a page (and with PM_PROBE_SLOW set, a
    number of seconds, make the build take that long at its first page, so the worker builds
    the others)."""
    _note("PM_BUILDER_LOG", "-build")
    if os.getpid() == BUILD_PID and (delay := os.environ.pop("PM_PROBE_SLOW", "")):
        time.sleep(float(delay))
    return context


class WorkerProbe(Extension):
    """Register the probe before every other preprocessor."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Probe(md), "worker_probe", 100)


def makeExtension(**kwargs: Any) -> WorkerProbe:
    """Return the extension (Markdown finds it by this name)."""
    return WorkerProbe(**kwargs)
