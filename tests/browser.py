"""Headless Chromium for tests: a local server for a built site, and a browser page on it."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 and yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def browser_page(
    width: int = 1280, height: int = 900, color_scheme: str = "light"
) -> Iterator[tuple[object, list[str]]]:
    """Yield a Playwright page in headless Chromium and the list of URLs it requests."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme=color_scheme,  # type: ignore[arg-type]
            )
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            yield page, requests
        finally:
            browser.close()


def external(requests: list[str]) -> list[str]:
    """Return the requested URLs that left 127.0.0.1."""
    return [
        url
        for url in requests
        if not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
    ]
