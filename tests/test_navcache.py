"""Pages outside the navigation share one drawing of it and of the header, and the plugin's
pages are drawn from one shell per kind (stencil); every page stays byte for byte what the
theme draws without these shortcuts."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_postmortems.plugin import stencil
from mkdocs_postmortems.plugin.navcache import HEADER_PARTIALS, PARTIALS, _material_templates
from synthetic import write_synthetic


class Drawn(NamedTuple):
    """How many pages reused a drawing of the navigation, of the header and of a page shell,
    and how many drew one."""

    nav_hits: int
    nav_misses: int
    header_hits: int
    header_misses: int
    stencil_hits: int
    stencil_misses: int
    stencil_refused: int


@pytest.fixture
def no_stencil(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never trust a shell: every page is drawn in full (with the navigation cache)."""
    monkeypatch.setattr(stencil, "CHECKS", 10**9)


def _site(
    root: Path,
    *,
    directory_urls: bool,
    own_partials: dict[str, str] | None,
    site_url: bool = False,
) -> Drawn:
    """Build a site of synthetic postmortems and a nested nav; return what was drawn.

    With `site_url`, pages have canonical URLs (and incident pages edit links)."""
    write_synthetic(root / "postmortems", 40, seed=3)
    docs = root / "docs"
    (docs / "guide" / "deep").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    (docs / "guide" / "index.md").write_text("# Guide\n", encoding="utf-8")
    (docs / "guide" / "deep" / "page.md").write_text("# Deep\n\n## Part\n", encoding="utf-8")
    (docs / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    features = ["navigation.tabs", "navigation.tabs.sticky", "navigation.indexes"]
    theme: dict[str, object] = {
        "name": "material",
        "font": False,
        "logo": "logo.svg",
        "features": features,
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
        "markdown_extensions": [{"toc": {"permalink": True}}],
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
    if site_url:
        settings["site_url"] = "https://kb.example.com/incidents/"
        settings["edit_uri"] = "edit/main/docs/"
        theme["features"] = [*features, "content.action.edit"]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    build(config)
    plugin = config.plugins["postmortems"]
    drawn = plugin._navigation
    shells = plugin._stencils
    return Drawn(
        drawn.hits,
        drawn.misses,
        drawn.header_hits,
        drawn.header_misses,
        shells.hits,
        shells.misses,
        shells.refused,
    )


def _pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))}


def _material_copies() -> dict[str, str]:
    """Material's own navigation and header partials, copied as a site's custom_dir would hold
    them."""
    folder = _material_templates()
    names = [name for name in (*PARTIALS, *HEADER_PARTIALS) if (folder / name).is_file()]
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


@pytest.mark.usefixtures("no_stencil")
@pytest.mark.parametrize("directory_urls", [True, False])
def test_reused_navigation_is_what_the_theme_draws(tmp_path: Path, directory_urls: bool) -> None:
    drawn = _site(tmp_path / "cached", directory_urls=directory_urls, own_partials=None)
    # The same partials from a custom_dir turn the shortcuts off: the reference drawing.
    copies = _material_copies()
    reference = _site(tmp_path / "drawn", directory_urls=directory_urls, own_partials=copies)
    assert reference[:4] == (0, 0, 0, 0)
    # Pages outside the navigation share a drawing per set of relative links.
    hits, misses, header_hits, header_misses = drawn[:4]
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
@pytest.mark.usefixtures("no_stencil")
def test_a_header_showing_more_of_the_page_is_drawn_for_every_page(
    tmp_path: Path, name: str, extra: str
) -> None:
    material = (_material_templates() / name).read_text(encoding="utf-8")
    own = {name: material + extra}
    drawn = _site(tmp_path, directory_urls=True, own_partials=own)
    assert drawn[2:4] == (0, 0)
    site = tmp_path / "site"
    for page in [*(site / "postmortems").glob("*/index.html"), *(site / "browse").rglob("*.html")]:
        html = page.read_text(encoding="utf-8")
        assert html.count('<p class="own">') == 1
        uri = page.relative_to(site).parent.as_posix() + "/"
        if "page.url" in extra:
            assert f'<p class="own">{uri} ' in html


@pytest.mark.parametrize(("directory_urls", "site_url"), [(True, True), (False, False)])
def test_pages_drawn_from_shells_are_what_the_theme_draws(
    tmp_path: Path, directory_urls: bool, site_url: bool
) -> None:
    drawn = _site(
        tmp_path / "shells", directory_urls=directory_urls, own_partials=None, site_url=site_url
    )
    reference = _site(
        tmp_path / "drawn",
        directory_urls=directory_urls,
        own_partials=_material_copies(),
        site_url=site_url,
    )
    assert reference.stencil_hits == 0
    # The incident pages and the listing pages outside the navigation come from shells: two of
    # each kind are drawn in full (and checked) first.
    assert drawn.stencil_hits > 40
    assert 0 < drawn.stencil_misses * 4 < drawn.stencil_hits
    assert drawn.stencil_refused == 0
    shells, reference_pages = (
        _pages(tmp_path / "shells" / "site"),
        _pages(tmp_path / "drawn" / "site"),
    )
    assert shells.keys() == reference_pages.keys()
    different = [name for name in shells if shells[name] != reference_pages[name]]
    assert different == []
    incident = next(name for name in shells if name.startswith("postmortems/"))
    html = shells[incident].decode()
    assert 'name="description" content="' in html
    if site_url:
        assert '<link rel="canonical" href="https://kb.example.com/incidents/postmortems/' in html
        assert 'href="https://example.com/kb/edit/main/postmortems/' in html


# A site's main.html that shows more of the page than the values a shell fills in (the last
# shows nothing of it, so its pages come from shells).
SHOWING = [
    "{{ page.url }}",
    "{{ page.file.src_uri if page }}",
    "{{ page.title | upper if page }}",
    "{{ page.meta.title | e if page }}",
    "{{ page.content | length if page }}",
    "{{ page.toc | length if page }}",
    "{{ 'long' if page and page.title | length > 30 }}",
    "{{ 'a' if page and 'a' in page.content }}",
    "{{ page.title | lower if page }}",
    "{{ config.site_name }}",
]
OWN_MAIN = '{% extends "base.html" %}{% block extrahead %}<meta name="own" content="SHOW">'


def _built(
    tmp_path: Path, name: str, own: dict[str, str], checks: int | None
) -> tuple[dict[str, bytes], Drawn]:
    """Build the site with the templates `own` in its custom_dir; with `checks`, shells are
    trusted after that many pages (10**9: never)."""
    with pytest.MonkeyPatch.context() as patch:
        if checks is not None:
            patch.setattr(stencil, "CHECKS", checks)
        drawn = _site(tmp_path / name, directory_urls=True, own_partials=own)
    return _pages(tmp_path / name / "site"), drawn


def _showing(
    tmp_path: Path, name: str, show: str, checks: int | None
) -> tuple[dict[str, bytes], Drawn]:
    own = {"main.html": OWN_MAIN.replace("SHOW", show) + "{% endblock %}\n"}
    return _built(tmp_path, name, own, checks)


@pytest.mark.parametrize("show", SHOWING)
def test_a_template_showing_more_of_the_page_is_drawn_right(tmp_path: Path, show: str) -> None:
    shells, drawn = _showing(tmp_path, "shells", show, None)
    reference, _ = _showing(tmp_path, "drawn", show, 10**9)
    different = [name for name in reference if shells.get(name) != reference[name]]
    assert different == []
    incidents = [html for name, html in shells.items() if name.startswith("postmortems/")]
    assert all(b'<meta name="own" content=' in html for html in incidents)
    if "page" not in show:
        assert drawn.stencil_hits > 40
        assert drawn.stencil_refused == 0
    else:  # a kind whose shell failed its checks is drawn in full
        assert drawn.stencil_refused > 0


def test_the_checks_are_what_keeps_a_page_s_url_out_of_the_others(tmp_path: Path) -> None:
    # Trusting the first shell at once would give every page of a kind the first page's URL.
    shells, _ = _showing(tmp_path, "shells", "{{ page.url }}", 0)
    reference, _ = _showing(tmp_path, "drawn", "{{ page.url }}", 10**9)
    different = [name for name in reference if shells.get(name) != reference[name]]
    assert len(different) > 40


def test_a_site_s_table_of_contents_partial_is_drawn_for_every_page(tmp_path: Path) -> None:
    material = (_material_templates() / stencil.TOC).read_text(encoding="utf-8")
    own = {stencil.TOC: material + '<p class="own-toc">{{ page.url }}</p>\n'}
    shells, drawn = _built(tmp_path, "shells", own, None)
    reference, _ = _built(tmp_path, "drawn", own, 10**9)
    # Drawn from shells still: the partial is drawn for every page, into its shell.
    assert drawn.stencil_hits > 40
    assert drawn.stencil_refused == 0
    different = [name for name in reference if shells.get(name) != reference[name]]
    assert different == []
    for name, html in shells.items():
        if name.startswith("postmortems/"):
            assert f'<p class="own-toc">{name.removesuffix("index.html")}</p>'.encode() in html
