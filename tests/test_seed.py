"""The seed postmortem lives in the repository and its page shows every fact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import REPO, BuildSite, parse_html

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"


def test_seed_page_shows_every_fact(build_site: BuildSite) -> None:
    site = build_site({SEED.name: SEED.read_text(encoding="utf-8")}, strict=True)
    assert site.error is None, site.messages
    text = parse_html(site.page("postmortems/2024-03-08-auth-outage/")).text
    for fact in [
        "2024-03-08 10:30 UTC",  # started and detected
        "2024-03-08 13:45 UTC",  # fix deployed
        "2024-03-08 14:45 UTC",  # resolved
        "Time to resolve 4 h 15 min",
        "Time to detect 0 min",
        "Detected by monitoring-alert",
        "Users affected 30%",
        "authentication-service",
        "user-database",
        "missing index in the user table",
        "database health",
        "network latency",
        "after 30 minutes",
        "Monitored the system for an additional hour",
    ]:
        assert fact in text, fact


def test_every_task_of_the_original_seed_is_an_action_item(build_site: BuildSite) -> None:
    original = REPO.parent / "shared" / "seed" / SEED.name
    if not original.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{original} is missing; CI lays shared/ beside the clone")
        pytest.skip(f"the original seed is not beside this checkout ({original})")
    site = build_site({SEED.name: SEED.read_text(encoding="utf-8")})
    text = parse_html(site.page("postmortems/2024-03-08-auth-outage/")).text
    tasks = [
        line.strip().removeprefix("- ").rstrip(".")
        for line in original.read_text(encoding="utf-8").splitlines()
        if line.startswith("    - ") and line.strip().removeprefix("- ")
    ]
    assert len(tasks) >= 9
    for task in tasks:
        assert task in text, task


def test_repository_site_builds_strictly(repo_site: Path) -> None:
    assert (repo_site / "postmortems" / "2024-03-08-auth-outage" / "index.html").exists()
