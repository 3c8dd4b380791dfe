"""`mkdocs serve` keeps running through content errors and shows them on the page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from conftest import VALID_FRONT_MATTER, postmortem

URL_PATH = "/postmortems/2024-05-02-checkout/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url: str, needle: str, seconds: float = 40) -> str:
    deadline = time.monotonic() + seconds
    html = None
    while time.monotonic() < deadline:
        html = _fetch(url)
        if html is not None and needle in html:
            return html
        time.sleep(0.3)
    raise AssertionError(f"{needle!r} never appeared at {url}; last page: {html and html[:300]}")


def test_serve_shows_problems_and_recovers(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    source = tmp_path / "postmortems"
    source.mkdir()
    page = source / "2024-05-02-checkout.md"
    page.write_text(postmortem(), encoding="utf-8")
    settings = {
        "site_name": "Serve test",
        "theme": {"name": "material", "font": False},
        "plugins": [{"postmortems": {"build_date": "2024-06-01"}}],
    }
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(base + URL_PATH, "Checkout errors after a config push")
        page.write_text(postmortem(VALID_FRONT_MATTER.replace("SEV2", "SEV9")), encoding="utf-8")
        html = _wait_for(base + URL_PATH, "pm-problems")
        assert "&#39;SEV9&#39; is not an allowed severity" in html
        page.write_bytes(b"not a postmortem at all")
        _wait_for(base + URL_PATH, "file has no front matter")
        page.write_text(postmortem(), encoding="utf-8")
        html = _wait_for(base + URL_PATH, "Time to resolve")
        assert "pm-problems" not in html
        assert server.poll() is None, "the server stopped"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert "Traceback" not in output, output
