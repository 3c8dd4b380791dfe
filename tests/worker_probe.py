"""A Markdown extension for tests: notes which process converts each page, and can fail in the
plugin's worker process.

Listed in a test site's `markdown_extensions` as `worker_probe` (the tests folder is on the
build's PYTHONPATH). It changes no output. With PM_PROBE_LOG set, it appends the id of the
converting process to that file for every page; with PM_PROBE_FAIL set to `raise` or `exit`,
a conversion in any process other than the build's raises, or ends that process at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

# MkDocs imports the site's extensions while it reads mkdocs.yml, before the plugin forks.
BUILD_PID = os.getpid()


class _Probe(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        log = os.environ.get("PM_PROBE_LOG")
        if log:
            with Path(log).open("a", encoding="utf-8") as stream:
                stream.write(f"{os.getpid()}\n")
        if os.getpid() != BUILD_PID:
            failure = os.environ.get("PM_PROBE_FAIL")
            if failure == "raise":
                raise RuntimeError("worker_probe: failing in the worker on purpose")
            if failure == "exit":
                os._exit(3)
        return lines


class WorkerProbe(Extension):
    """Register the probe before every other preprocessor."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Probe(md), "worker_probe", 100)


def makeExtension(**kwargs: Any) -> WorkerProbe:
    """Return the extension (Markdown finds it by this name)."""
    return WorkerProbe(**kwargs)
