"""The incident page in a real browser: phone width, dark mode, nothing fetched from outside."""

from __future__ import annotations

from typing import Any

import pytest

from browser import browser_page, external, serve
from conftest import REPO, BuildSite

pytestmark = pytest.mark.browser

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
URL = "postmortems/2024-03-08-auth-outage/"


@pytest.mark.parametrize(("width", "scheme"), [(375, "light"), (375, "dark"), (1280, "dark")])
def test_incident_card_fits_and_stays_local(build_site: BuildSite, width: int, scheme: str) -> None:
    site = build_site(
        {SEED.name: SEED.read_text(encoding="utf-8")},
        config={
            "theme": {
                "name": "material",
                "font": False,
                "palette": [
                    {"media": "(prefers-color-scheme: light)", "scheme": "default"},
                    {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
                ],
            }
        },
    )
    with serve(site.site_dir) as base, browser_page(width, 800, scheme) as (page, requests):
        p: Any = page
        p.goto(base + URL)
        p.wait_for_selector(".pm-card")
        assert p.evaluate("document.body.getAttribute('data-md-color-scheme')") == (
            "slate" if scheme == "dark" else "default"
        )
        # Nothing overflows the viewport sideways; wide tables scroll inside their wrapper.
        overflow = p.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        root_cause = p.locator(".pm-rootcause").inner_text()
        assert "missing index in the user table" in root_cause
        # The severity badge text is readable: its colour differs from its background.
        colours = p.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('.pm-sev'));"
            " return [s.color, s.backgroundColor]; })()"
        )
        assert colours[0] != colours[1]
        p.screenshot(path=str(site.root / f"incident-{width}-{scheme}.png"), full_page=True)
    assert external(requests) == []
