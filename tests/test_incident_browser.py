"""The incident page in a real browser: phone width, dark mode, nothing fetched from outside."""

from __future__ import annotations

from typing import Any

import pytest

from browser import LocalSite, Watched
from conftest import REPO, BuildSite

pytestmark = pytest.mark.browser

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
URL = "postmortems/2024-03-08-auth-outage/"
PALETTE = [
    {"media": "(prefers-color-scheme: light)", "scheme": "default"},
    {"media": "(prefers-color-scheme: dark)", "scheme": "slate"},
]


@pytest.mark.parametrize(("width", "scheme"), [(375, "light"), (375, "dark"), (1280, "dark")])
def test_incident_card_fits_and_stays_local(
    build_site: BuildSite, chromium: Any, width: int, scheme: str
) -> None:
    site = build_site(
        {SEED.name: SEED.read_text(encoding="utf-8")},
        config={"theme": {"name": "material", "font": False, "palette": PALETTE}},
    )
    watched = Watched(chromium, viewport={"width": width, "height": 800}, color_scheme=scheme)
    with LocalSite(site.site_dir) as local:
        page = watched.page
        page.goto(local.base + URL)
        page.wait_for_selector(".pm-card")
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == (
            "slate" if scheme == "dark" else "default"
        )
        # Nothing overflows the viewport sideways; wide tables scroll inside their wrapper.
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        root_cause = page.locator(".pm-rootcause").inner_text()
        assert "missing index in the user table" in root_cause
        # The severity badge text is readable: its colour differs from its background.
        colours = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('.pm-sev'));"
            " return [s.color, s.backgroundColor]; })()"
        )
        assert colours[0] != colours[1]
        page.screenshot(path=str(site.root / f"incident-{width}-{scheme}.png"), full_page=True)
    watched.close()
    assert watched.external() == []
    assert watched.errors == []
