"""Headless Chromium for tests: a built site served on 127.0.0.1, and pages opened on it.

One Chromium runs for the whole session (the `chromium` fixture in conftest.py); each test
opens its own context, so tests stay independent.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip when Chromium is missing locally; fail in CI, where it must be installed."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI; .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


class LocalSite:
    """A folder served on 127.0.0.1 from a thread; `base` is its URL, ending in '/'."""

    def __init__(self, directory: Path) -> None:
        self.root = directory
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def __enter__(self) -> LocalSite:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Watched:
    """A browser page whose requests, dialogs and script errors are recorded."""

    def __init__(self, chromium: Any, **context_options: Any) -> None:
        self.context = chromium.new_context(**context_options)
        self.page: Any = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss())
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: self.console.append(message.text))

    def external(self) -> list[str]:
        """Return the requested URLs that left 127.0.0.1."""
        return external(self.requests)

    def close(self) -> None:
        """Close the page's context."""
        self.context.close()


def external(requests: list[str]) -> list[str]:
    """Return the requested URLs that left 127.0.0.1."""
    return [
        url
        for url in requests
        if not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
    ]
