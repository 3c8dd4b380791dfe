"""Pages outside the navigation share one drawing of it, and every page stays byte for byte
what the theme draws without the shortcut."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_postmortems.plugin.navcache import HEADER_PARTIALS, PARTIALS, _material_templates
from synthetic import write_synthetic


def _site(
    root: Path, *, directory_urls: bool, own_partials: dict[str, str] | None
) -> tuple[int, int, int, int]:
    """Build a site of synthetic postmortems and a nested nav; return how many pages reused
    a drawing of the navigation and how many drew one, then the same for the header."""
    write_synthetic(root / "postmortems", 40, seed=3)
    docs = root / "docs"
    (docs / "guide" / "deep").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    (docs / "guide" / "index.md").write_text("# Guide\n", encoding="utf-8")
    (docs / "guide" / "deep" / "page.md").write_text("# Deep\n\n## Part\n", encoding="utf-8")
    (docs / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    theme: dict[str, object] = {
        "name": "material",
        "font": False,
        "logo": "logo.svg",
        "features": ["navigation.tabs", "navigation.tabs.sticky", "navigation.indexes"],
        # Two schemes with toggles: the header draws the palette switch.
        "palette": [
            {"scheme": "default", "toggle": {"icon": "material/weather-night", "name": "Dark"}},
            {"scheme": "slate", "toggle": {"icon": "material/weather-sunny", "name": "Light"}},
        ],
    }
    if own_partials is not None:
        overrides = root / "overrides"
        for name, text in own_partials.items():
            (overrides / name).parent.mkdir(parents=True, exist_ok=True)
            (overrides / name).write_text(text, encoding="utf-8")
        theme["custom_dir"] = "overrides"
    settings = {
        "site_name": "Navigation",
        "repo_url": "https://example.com/kb",
        "use_directory_urls": directory_urls,
        "theme": theme,
        # The header links other languages' sites: relative links, like the navigation's (one
        # into the category pages, which share their other links with the factor pages).
        "extra": {
            "alternate": [
                {"name": "English", "link": "/", "lang": "en"},
                {"name": "Deutsch", "link": "browse/categories/", "lang": "de"},
            ]
        },
        "nav": [
            {"Home": "index.md"},
            {"Guide": ["guide/index.md", {"Deep": "guide/deep/page.md"}]},
            {"Catalog": "catalog.md"},
            {"Browse": [{"Tags": "browse/tags/index.md"}, {"Years": "browse/years/index.md"}]},
            {"Elsewhere": "https://example.org/runbooks"},
        ],
        "plugins": [
            "search",
            {"postmortems": {"build_date": "2024-06-01", "lint_on_build": False}},
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    build(config)
    drawn = config.plugins["postmortems"]._navigation
    return drawn.hits, drawn.misses, drawn.header_hits, drawn.header_misses


def _pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))}


def _material_copies() -> dict[str, str]:
    """Material's own navigation and header partials, copied as a site's custom_dir would hold
    them."""
    folder = _material_templates()
    names = [name for name in (*PARTIALS, *HEADER_PARTIALS) if (folder / name).is_file()]
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


@pytest.mark.parametrize("directory_urls", [True, False])
def test_reused_navigation_is_what_the_theme_draws(tmp_path: Path, directory_urls: bool) -> None:
    drawn = _site(tmp_path / "cached", directory_urls=directory_urls, own_partials=None)
    # The same partials from a custom_dir turn the shortcuts off: the reference drawing.
    copies = _material_copies()
    reference = _site(tmp_path / "drawn", directory_urls=directory_urls, own_partials=copies)
    assert reference == (0, 0, 0, 0)
    # Pages outside the navigation share a drawing per set of relative links.
    hits, misses, header_hits, header_misses = drawn
    assert hits > 40 > misses > 0
    assert (header_hits, header_misses) == (hits, misses)
    cached, reference = _pages(tmp_path / "cached" / "site"), _pages(tmp_path / "drawn" / "site")
    assert cached.keys() == reference.keys()
    different = [name for name in cached if cached[name] != reference[name]]
    assert different == []


def test_a_custom_navigation_partial_is_drawn_for_every_page(tmp_path: Path) -> None:
    partial = '<nav class="own">{{ page.title | e }} at {{ page.url | e }}</nav>\n'
    own = {"partials/nav.html": partial}
    assert _site(tmp_path, directory_urls=True, own_partials=own)[:2] == (0, 0)
    site = tmp_path / "site"
    incident = next((site / "postmortems").glob("*/index.html"))
    html = incident.read_text(encoding="utf-8")
    assert f"at postmortems/{incident.parent.name}/</nav>" in html


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        # A site's header that shows more of the page than its title: drawn for every page.
        ("partials/header.html", '<p class="own">{{ page.url }} {{ page.title }}</p>'),
        ("partials/header.html", '<p class="own">{{ page.title }}: {{ page.toc | length }}</p>'),
        # A partial the header includes, reading the page: the same.
        ("partials/search.html", '<p class="own">{{ page.file.src_uri if page }}</p>'),
    ],
)
def test_a_header_showing_more_of_the_page_is_drawn_for_every_page(
    tmp_path: Path, name: str, extra: str
) -> None:
    material = (_material_templates() / name).read_text(encoding="utf-8")
    own = {name: material + extra}
    drawn = _site(tmp_path, directory_urls=True, own_partials=own)
    assert drawn[2:] == (0, 0)
    site = tmp_path / "site"
    for page in [*(site / "postmortems").glob("*/index.html"), *(site / "browse").rglob("*.html")]:
        html = page.read_text(encoding="utf-8")
        assert html.count('<p class="own">') == 1
        uri = page.relative_to(site).parent.as_posix() + "/"
        if "page.url" in extra:
            assert f'<p class="own">{uri} ' in html
