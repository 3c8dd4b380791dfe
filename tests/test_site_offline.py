"""The repository's own site makes no request to other sites (fonts, CDNs, GitHub's API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from browser import browser_page, external, serve
from conftest import REPO

pytestmark = pytest.mark.browser


def test_repository_site_stays_offline(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    build(load_config(str(REPO / "mkdocs.yml"), site_dir=str(site_dir)))
    pages = ["", "insights/", "postmortems/2024-03-08-auth-outage/"]
    with serve(site_dir) as base, browser_page() as (page, requests):
        p: Any = page
        for url in pages:
            p.goto(base + url)
            p.wait_for_load_state("networkidle")
    assert len(requests) > len(pages)
    assert external(requests) == []
