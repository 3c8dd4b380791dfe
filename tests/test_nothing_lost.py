"""Nothing is lost: every file under postmortems/ becomes a page (or a published asset) or a
reported problem, and every page is reachable and in each index the site has.

The checks on exports (`postmortems.json`) and search indexes run whenever the site has them,
so this test gets stronger as those features land without being rewritten.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from conftest import PLUGIN_LOGGER, VALID_FRONT_MATTER, parse_html, postmortem
from mkdocs_postmortems.core.catalog import Catalog, Settings, load_catalog
from mkdocs_postmortems.views.layout import Layout

FILES: dict[str, str | bytes] = {
    "2024-05-02-checkout.md": postmortem(),
    "2024-05-03-related.md": postmortem(
        VALID_FRONT_MATTER.replace("Checkout errors", "Payment errors")
        + "related: [2024-05-02-checkout]\ntags: [payments]\n"
    ),
    "team-a/2024-01-10-cache.md": postmortem(
        VALID_FRONT_MATTER.replace("Checkout errors", "Cache stampede")
    ),
    # Valid YAML with content errors: still a page, with its problems on it and in the log.
    "2024-02-01-invalid.md": postmortem(
        VALID_FRONT_MATTER.replace("SEV2", "SEV9") + "colour: red\n"
    ),
    # Unreadable files: a problems page each.
    "2024-02-02-bad-yaml.md": "---\ntitle: [unclosed\n---\nbody\n",
    "2024-02-03-binary.md": b"\x00\x01\x02 not text",
    "empty.md": "",
    "no front matter.md": "# Only a heading\n",
    # The same id twice: the second is rejected.
    "team-b/2024-05-02-checkout.md": postmortem(),
    # Assets beside the postmortems.
    "images/graph.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "team-a/notes.txt": "plain notes\n",
}
LINK = "elsewhere.md"  # a link to a file outside the folder: refused and reported


def _build(root: Path) -> tuple[Path, list[str]]:
    source = root / "postmortems"
    for name, content in FILES.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "outside.md").write_text(postmortem(), encoding="utf-8")
    (source / LINK).symlink_to(root / "outside.md")
    (source / ".hidden.md").write_text(postmortem(), encoding="utf-8")
    (root / "docs").mkdir()
    config = {
        "site_name": "Nothing lost",
        "theme": {"name": "material", "font": False},
        "plugins": ["search", {"postmortems": {"build_date": "2024-06-01"}}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage().removeprefix("postmortems: "))

    handler = Collect()
    logger = logging.getLogger(PLUGIN_LOGGER)
    logger.addHandler(handler)
    try:
        build(load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site")))
    finally:
        logger.removeHandler(handler)
    return root / "site", records


@dataclass(frozen=True)
class Built:
    """The mixed folder after a build: its root, site, plugin log lines and catalog."""

    root: Path
    site: Path
    log: list[str]
    catalog: Catalog


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the mixed folder once for the module."""
    root = tmp_path_factory.mktemp("nothing-lost")
    site, log = _build(root)
    return Built(root, site, log, load_catalog(root / "postmortems", Settings()))


def _source_files(source: Path) -> list[str]:
    """Return every file under `source`, hidden ones excepted (they are ignored by design)."""
    found = []
    for directory, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                found.append(Path(directory, name).relative_to(source).as_posix())
    return sorted(found)


def _page_file(site: Path, src_uri: str) -> Path:
    return site / src_uri.removesuffix(".md") / "index.html"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _link_targets(site: Path) -> dict[str, set[str]]:
    """Return, for each site path, the pages of the site that link to it."""
    linked: dict[str, set[str]] = {}
    for page in site.rglob("*.html"):
        relative = page.relative_to(site).as_posix()
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            target = posixpath.normpath(unquote(urljoin("/" + relative, parts.path)).lstrip("/"))
            if not target.endswith(".html"):
                target = posixpath.join(target, "index.html")
            linked.setdefault(target.removeprefix("./"), set()).add(relative)
    return linked


def test_every_file_is_a_page_an_asset_or_a_problem(
    built: Built,
) -> None:
    root, site, log, catalog = built.root, built.site, built.log, built.catalog
    files = _source_files(root / "postmortems")
    layout = Layout()
    pages = {pm.path: layout.incident_uri(pm.path) for pm in catalog}
    rejected = {r.path: layout.rejected_uri(r) for r in catalog.rejected}
    assets = set(catalog.assets)
    # Each file is accounted for exactly once.
    assert sorted([*pages, *rejected, *assets]) == files
    for path, src_uri in {**pages, **rejected}.items():
        assert _page_file(site, src_uri).is_file(), path
    for path in assets:
        published = site / layout.incident_uri(path)
        assert published.read_bytes() == (root / "postmortems" / path).read_bytes(), path
    # Every file with a problem is named in the build log, with the problem.
    for problem in catalog.problems:
        assert any(line.startswith(problem.format()) for line in log), problem.format()
    for path in rejected:
        assert any(line.startswith(f"{path}:") for line in log), path
    invalid = [pm for pm in catalog if pm.has_errors]
    assert [pm.path for pm in invalid] == ["2024-02-01-invalid.md"]
    text = parse_html(_page_file(site, pages["2024-02-01-invalid.md"]).read_text("utf-8")).text
    assert "'SEV9' is not an allowed severity" in text


def test_hidden_files_are_the_only_ones_ignored(
    built: Built,
) -> None:
    site, catalog = built.site, built.catalog
    assert ".hidden.md" not in {pm.path for pm in catalog} | {r.path for r in catalog.rejected}
    assert not list(site.rglob("*hidden*"))


def test_every_incident_page_is_reachable_and_indexed(
    built: Built,
) -> None:
    site, catalog = built.site, built.catalog
    layout = Layout()
    linked = _link_targets(site)
    material_index = site / "search" / "search_index.json"
    locations: set[str] = set()
    compact = site / "assets" / "postmortems" / "search-data.json"
    if compact.exists():
        # With the search page, incidents are searched (search page and header box) from the
        # compact data instead of Material's index.
        locations = {row[0] for row in json.loads(compact.read_text("utf-8"))["docs"]}
    elif material_index.exists():
        docs = json.loads(material_index.read_text("utf-8"))["docs"]
        locations = {doc["location"].split("#")[0] for doc in docs}
    exports = sorted(site.rglob("postmortems.json"))
    export_text = "\n".join(p.read_text("utf-8") for p in exports)
    for pm in catalog:
        page = _page_file(site, layout.incident_uri(pm.path)).relative_to(site).as_posix()
        referrers = linked.get(page, set()) - {page}
        assert referrers, f"no page links to {page}"
        if locations:
            assert page.removesuffix("index.html") in locations, page
        if exports:
            assert json.dumps(pm.id) in export_text, pm.id
    for rejected in catalog.rejected:
        page = _page_file(site, layout.rejected_uri(rejected)).relative_to(site).as_posix()
        assert linked.get(page, set()) - {page}, f"no page links to the problems of {page}"
