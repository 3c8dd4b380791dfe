"""Open every page of the hostile site in Chromium: no payload may run or reach the DOM."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from browser import LocalSite
from hostile_site import MARKER, HostileBuild, hostile_build

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["hostile_build"]  # the session fixture, imported so pytest finds it here

# Elements and attributes that only an injected payload would put in a page.
FIND_INJECTED = """(marker) => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    if (el.tagName === 'SCRIPT' && el.textContent.includes(marker)) found.push(el.outerHTML);
    if (['IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) found.push(el.outerHTML);
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase();
      if (attr.name.startsWith('on') && attr.value.includes(marker)) found.push(el.outerHTML);
      if (['href', 'src', 'action', 'formaction', 'data'].includes(attr.name)
          && (value.startsWith('javascript:') || value.startsWith('data:text'))) {
        found.push(el.outerHTML);
      }
    }
  }
  return found.map((html) => html.slice(0, 200));
}"""


_BENIGN_FACET = re.compile(r"browse/(?:tags/t|services/s)(?:[3-9]|\d\d+)/index\.html")


@pytest.fixture(scope="module")
def served(hostile_build: HostileBuild) -> Iterator[str]:
    """Serve the hostile site on 127.0.0.1 and return its base URL."""
    with LocalSite(hostile_build.site) as local:
        yield local.base


def test_no_payload_runs_on_any_page(
    hostile_build: HostileBuild, served: str, chromium: Any
) -> None:
    every = sorted(
        path.relative_to(hostile_build.site).as_posix()
        for path in hostile_build.site.rglob("*.html")
    )
    # The 10,000-item-list cases make a thousand facet pages named t0, t1... and s0, s1...:
    # the same template with benign names and no payload. Three of each kind stand for the
    # rest, which keeps this test at a minute instead of six; every other page is opened.
    pages = [p for p in every if not _BENIGN_FACET.fullmatch(p)]
    assert len(every) - len(pages) > 900
    assert any(p.startswith("postmortems/payload-") for p in pages)
    dialogs: list[str] = []
    console: list[str] = []
    errors: list[str] = []
    requests: list[str] = []
    injected: dict[str, list[str]] = {}
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
        page.on("console", lambda m: console.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        for relative in pages:
            page.goto(served + relative, wait_until="load")
            # Give onerror/onload/ontoggle/onfocus handlers time to fire.
            page.wait_for_timeout(150)
            page.mouse.move(200, 300)
            found = page.evaluate(FIND_INJECTED, MARKER)
            if found:
                injected[relative] = found
        # Search the payload text with Material's search: results render page text.
        page.goto(served, wait_until="load")
        page.keyboard.press("/")
        page.keyboard.type(MARKER)
        page.wait_for_timeout(1500)
        found = page.evaluate(FIND_INJECTED, MARKER)
        if found:
            injected["search results"] = found
    finally:
        context.close()
    assert not dialogs, dialogs
    assert not [line for line in console if MARKER in line], console
    assert not errors, errors
    assert not injected, injected
    assert all(url.startswith(served) for url in requests), [
        url for url in requests if not url.startswith(served)
    ]
