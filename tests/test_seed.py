"""The seed postmortem lives in the repository and its page shows every fact."""

from __future__ import annotations

import shutil
from pathlib import Path

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
    seed_body = REPO.parent / "shared" / "seed" / SEED.name
    if seed_body.exists():
        # Every task of the seed's Short/Mid/Long-Term lists is an action item on the card.
        for line in seed_body.read_text(encoding="utf-8").splitlines():
            task = line.strip().removeprefix("- ").rstrip(".")
            if line.startswith("    - ") and task:
                assert text.count(task) >= 2, task  # once on the card, once in the body


def test_repository_site_builds_strictly(tmp_path: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    cfg = load_config(str(REPO / "mkdocs.yml"), strict=True, site_dir=str(tmp_path / "site"))
    build(cfg)
    assert (tmp_path / "site" / "postmortems" / "2024-03-08-auth-outage" / "index.html").exists()
    shutil.rmtree(tmp_path / "site")
