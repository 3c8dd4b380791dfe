"""Shared fixtures: real `mkdocs build` runs of small sites in a temporary folder."""

from __future__ import annotations

import filecmp
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

REPO = Path(__file__).resolve().parent.parent
# Test this checkout's code even when another checkout is installed in editable mode.
sys.path.insert(0, str(REPO / "plugins"))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO / "plugins"), *filter(None, [os.environ.get("PYTHONPATH")])]
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLUGIN_LOGGER = "mkdocs.plugins.postmortems"

VALID_FRONT_MATTER = """\
title: Checkout errors after a config push
date: 2024-05-02
status: published
severity: SEV2
summary: Checkout failed for 20 minutes after a bad config push.
root_cause: A config push set the payment timeout to zero.
services: [checkout]
started: 2024-05-02T09:00:00Z
detected: 2024-05-02T09:05:00Z
resolved: 2024-05-02T09:20:00Z
"""


def postmortem(front_matter: str = VALID_FRONT_MATTER, body: str = "Body text.\n") -> str:
    """Return the text of a postmortem file with `front_matter` and `body`."""
    return f"---\n{textwrap.dedent(front_matter)}---\n\n{body}"


@dataclass
class Site:
    """A built site: its folders, the plugin's log lines and helpers to read pages."""

    root: Path
    site_dir: Path
    logs: list[logging.LogRecord] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def messages(self) -> list[str]:
        """Return the plugin's log messages (warnings and up, then infos), in order."""
        return [record.getMessage() for record in self.logs]

    @property
    def warnings(self) -> list[str]:
        """Return the plugin's warning messages."""
        return [r.getMessage() for r in self.logs if r.levelno >= logging.WARNING]

    def page(self, url: str) -> str:
        """Return the HTML of the page at site `url` (e.g. 'postmortems/x/')."""
        path = self.site_dir / url
        if url.endswith("/") or not url:
            path = path / "index.html"
        return path.read_text(encoding="utf-8")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


BuildSite = Callable[..., Site]


@pytest.fixture
def build_site(tmp_path: Path) -> Iterator[BuildSite]:
    """Return a function that writes a site into `tmp_path` and builds it for real.

    `files` maps paths under `postmortems/` to text (or bytes); `docs` maps docs paths to
    text; `plugin` holds plugin options; `strict` makes warnings fail the build (the error is
    kept on the returned Site instead of raised).
    """
    handler = _Collector()
    logger = logging.getLogger(PLUGIN_LOGGER)
    logger.addHandler(handler)
    counter = 0

    def run(
        files: dict[str, str | bytes] | None = None,
        *,
        docs: dict[str, str] | None = None,
        plugin: dict[str, object] | None = None,
        config: dict[str, object] | None = None,
        strict: bool = False,
    ) -> Site:
        nonlocal counter
        counter += 1
        root = tmp_path / f"site{counter}"
        for name, content in (files or {}).items():
            path = root / "postmortems" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        (root / "postmortems").mkdir(parents=True, exist_ok=True)
        (root / "docs").mkdir(parents=True, exist_ok=True)
        for name, content in (docs or {}).items():
            (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "docs" / name).write_text(content, encoding="utf-8")
        settings: dict[str, object] = {
            "site_name": "Test postmortems",
            "theme": {"name": "material", "font": False},
            # Test postmortems are minimal, not policy-complete: lint rules run when asked.
            "plugins": [
                "search",
                {
                    "postmortems": {
                        "build_date": "2024-06-01",
                        "lint_on_build": False,
                        **(plugin or {}),
                    }
                },
            ],
            **(config or {}),
        }
        (root / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
        site = Site(root, root / "site")
        handler.records.clear()
        cfg = load_config(str(root / "mkdocs.yml"), strict=strict, site_dir=str(root / "site"))
        try:
            build(cfg)
        except Exception as error:
            if not strict:
                raise
            site.error = error
        site.logs = list(handler.records)
        return site

    yield run
    logger.removeHandler(handler)


def site_differences(first: Path, second: Path) -> list[str]:
    """Return the files that are missing from one site or differ in their bytes."""
    files_a = {p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file()}
    files_b = {p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()}
    different = sorted(files_a ^ files_b)
    for name in sorted(files_a & files_b):
        if not filecmp.cmp(first / name, second / name, shallow=False):
            different.append(name)
    return different


class TextOf(HTMLParser):
    """Collect the visible text of an HTML document, and its elements by tag name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []  # the text inside <script> elements
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)
        elif self.tags and self.tags[-1][0] == "script":
            self.scripts.append(data)

    @property
    def text(self) -> str:
        """Return the visible text with whitespace collapsed."""
        return " ".join(" ".join(self.chunks).split())


@pytest.fixture(scope="session")
def repo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the site folder of the repository's own site, built strictly once per test run.

    Tests only read it; a test that changes the site builds its own.
    """
    site_dir = tmp_path_factory.mktemp("repo") / "site"
    build(load_config(str(REPO / "mkdocs.yml"), strict=True, site_dir=str(site_dir)))
    return site_dir


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Return a headless Chromium shared by the session (skipped locally when missing)."""
    from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def parse_html(html: str) -> TextOf:
    """Return the parsed form of `html`."""
    parser = TextOf()
    parser.feed(html)
    parser.close()
    return parser
