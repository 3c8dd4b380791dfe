"""The repository's own site makes no request to other sites (fonts, CDNs, GitHub's API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser import LocalSite, Watched

pytestmark = pytest.mark.browser


def test_repository_site_stays_offline(repo_site: Path, chromium: Any) -> None:
    site_dir = repo_site
    pages = ["", "catalog/", "insights/", "search/", "postmortems/2024-03-08-auth-outage/"]
    watched = Watched(chromium)
    with LocalSite(site_dir) as local:
        for url in pages:
            watched.page.goto(local.base + url)
            watched.page.wait_for_load_state("networkidle")
    watched.close()
    assert len(watched.requests) > len(pages)
    assert watched.external() == []
    assert watched.errors == []
