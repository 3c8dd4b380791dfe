"""Listing pages written as HTML (`views.html`, `plugin.html_page`): built without Markdown,
every value escaped, every link resolving, with their table of contents, and still passed
through every other plugin's page hooks."""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from conftest import BuildSite, Site, parse_html, postmortem
from mkdocs_postmortems.views.html import Headings, HtmlBody, heading, link, table, text, write

FACTOR = '<img src=x onerror=alert(1)> & "retries"'
SERVICE = '<script>alert("svc")</script>'
PAIR_PAGES = "browse/factors"


def _incident(ident: str, day: str, services: list[str], factors: list[str]) -> tuple[str, str]:
    front = (
        f"title: Incident {ident}\n"
        f"date: {day}\n"
        "status: published\n"
        "severity: SEV2\n"
        f"summary: Summary of {ident}.\n"
        f"root_cause: Root cause of {ident}, with `rm -rf` in it.\n"
        f"services: {json.dumps(services)}\n"
        f"started: {day}T09:00:00Z\n"
        f"resolved: {day}T09:30:00Z\n"
        "root_cause_categories: [database]\n"
        "trigger: code-deploy\n"
        f"contributing_factors: {json.dumps(factors)}\n"
        "lessons:\n"
        "  went_wrong: ['<b>Alerts</b> were late']\n"
    )
    return f"{day}-{ident}.md", postmortem(front)


def _files() -> dict[str, str | bytes]:
    return dict(
        [
            _incident("one", "2024-01-01", [SERVICE, "api"], [FACTOR]),
            _incident("two", "2024-02-01", [SERVICE], [FACTOR]),
            _incident("three", "2024-03-01", ["api"], ["a one-off"]),
        ]
    )


def _pair_page(site: Site) -> str:
    """Return the site path of the one page of a contributing factor on a service."""
    found = [
        path.relative_to(site.site_dir).as_posix()
        for path in (site.site_dir / PAIR_PAGES).glob("*/*/index.html")
    ]
    assert len(found) == 1, found
    return found[0]


def _target(page: str, href: str) -> str | None:
    """Return the site file a relative `href` on `page` points at (None: not a site link)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    return posixpath.join(target, "index.html") if parts.path.endswith("/") else target


def _article(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


def test_factor_service_page_escapes_names_links_resolve_and_has_a_toc(
    build_site: BuildSite,
) -> None:
    site = build_site(_files(), strict=True)
    assert site.error is None, site.messages
    page = _pair_page(site)
    html = (site.site_dir / page).read_text(encoding="utf-8")
    article = _article(html)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    parsed = parse_html(article)
    assert not any(tag in ("img", "script") for tag, _ in parsed.tags)
    # What a reader sees: both names literally, in the heading and the sentence.
    assert f"{FACTOR} · {SERVICE}" in parsed.text
    # (The text collector puts a space at every element boundary.)
    assert f"2 incidents on {SERVICE} where a contributing factor was: {FACTOR} ." in parsed.text
    assert "Median time to resolve: 30 min , from 2 incidents" in parsed.text
    assert "<title>&lt;img src=x onerror=alert(1)&gt; &amp; &#34;retries&#34; · &lt;script" in html
    # Links: to the service page, the factor page, the category page and both incidents.
    links = [str(attrs["href"]) for tag, attrs in parsed.tags if tag == "a" and attrs.get("href")]
    targets = {_target(page, href) for href in links}
    assert all(t is not None and (site.site_dir / t).is_file() for t in targets), links
    folders = {posixpath.dirname(posixpath.dirname(str(t))) for t in targets}
    assert folders == {"browse/services", "browse/factors", "browse/categories", "postmortems"}
    assert len([t for t in targets if str(t).startswith("postmortems/")]) == 2
    # Headings have ids, and Material's table of contents lists the second-level ones.
    ids = [attrs.get("id") for tag, attrs in parsed.tags if tag in ("h1", "h2")]
    assert ids[1:] == ["at-a-glance", "incidents"]
    assert ids[0] == "img-srcx-onerroralert1-retries-scriptalertsvcscript"
    toc = html[html.index('data-md-component="toc"') :]
    assert 'href="#at-a-glance"' in toc
    assert 'href="#incidents"' in toc
    # No permalinks where the site's toc extension adds none.
    assert "headerlink" not in article


def test_html_pages_show_what_their_markdown_showed(build_site: BuildSite) -> None:
    site = build_site(_files(), strict=True)
    assert site.error is None, site.messages
    factors = parse_html(site.page("browse/factors/")).text
    header = "Contributing factor Incidents Worst severity Median time to resolve Latest"
    assert f"{header} {FACTOR} 2 SEV2 30 min 2024-02-01" in factors
    causes = site.page("root-causes/")
    assert "<code>rm -rf</code>" in causes
    assert "Root cause of one, with rm -rf in it." in parse_html(causes).text
    lessons = site.page("lessons/database/")
    assert "&lt;b&gt;Alerts&lt;/b&gt; were late (" in lessons
    assert "2 went wrong" not in parse_html(lessons).text
    assert "3 went wrong, 0 went well, 0 got lucky." in parse_html(site.page("lessons/")).text


def test_permalinks_follow_the_site_toc_option(build_site: BuildSite) -> None:
    config = {"markdown_extensions": [{"toc": {"permalink": True}}]}
    site = build_site(_files(), config=config, strict=True)
    assert site.error is None, site.messages
    html = (site.site_dir / _pair_page(site)).read_text(encoding="utf-8")
    expected = '<a class="headerlink" href="#at-a-glance" title="Permanent link">&para;</a></h2>'
    assert expected in html
    # The same as the toc extension writes on a Markdown page of the site.
    docs = {"about.md": "# About\n\n## At a glance\n"}
    site = build_site(_files(), docs=docs, config=config, strict=True)
    assert expected in site.page("about/")
    config = {"markdown_extensions": [{"toc": {"permalink": "#", "permalink_title": ""}}]}
    site = build_site(_files(), config=config, strict=True)
    html = site.page("browse/tags/")
    assert '<h1 id="tags">Tags<a class="headerlink" href="#tags">#</a></h1>' in html


def test_the_site_nav_titles_html_pages(build_site: BuildSite) -> None:
    config = {"nav": [{"Home": "index.md"}, {"Every tag": "browse/tags/index.md"}]}
    site = build_site(_files(), config=config, strict=True)
    assert site.error is None, site.messages
    html = site.page("browse/tags/")
    nav = html[html.index('<nav class="md-nav md-nav--primary"') : html.index("<article")]
    assert "Home Every tag" in parse_html(nav).text
    # Material titles the window with the page's own title (its metadata), as before.
    assert "<title>Tags - Test postmortems</title>" in html


HOOKS = '''
"""Hooks of a site that changes pages, as other plugins do."""


def on_page_read_source(page, config):
    if page.file.src_uri == "lessons/index.md":
        return "---\\ntitle: Replaced\\n---\\n\\n# Replaced\\n\\nA source from a *hook*.\\n"
    return None


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri == "root-causes.md":
        return markdown + "\\n\\nAdded by a **hook**.\\n"
    if page.file.src_uri == "browse/tags/index.md":
        assert "<h1 " in markdown, markdown  # the page's HTML
    return None


def on_page_content(html, page, config, files):
    return html + '<p class="hooked">content hook ran</p>'
'''


def test_other_plugins_page_hooks_run_on_html_pages(build_site: BuildSite, tmp_path: Path) -> None:
    hooks = tmp_path / "hooks.py"
    hooks.write_text(HOOKS, encoding="utf-8")
    site = build_site(_files(), config={"hooks": [str(hooks)]}, strict=True)
    assert site.error is None, site.messages
    for url in ("browse/tags/", "root-causes/", "lessons/", _pair_page(site)[: -len("index.html")]):
        assert '<p class="hooked">content hook ran</p>' in site.page(url), url
    # A page whose Markdown a hook changed is converted with Markdown, as any page is.
    causes = site.page("root-causes/")
    assert "Added by a <strong>hook</strong>." in causes
    assert "Root cause of one, with rm -rf in it." in parse_html(causes).text
    # A page a hook gave its own source shows that source.
    lessons = site.page("lessons/")
    assert "A source from a <em>hook</em>." in lessons
    assert "<title>Replaced - Test postmortems</title>" in lessons


# --- the writer, without a build ------------------------------------------------------------


def test_write_escapes_resolves_links_and_makes_unique_ids() -> None:
    body = HtmlBody(
        (
            heading(1, "A & B"),
            heading(2, "Same"),
            heading(2, "Same"),
            *table(["Name", "Count"], [(link('<x> "y"', "a/b.md", "?q=1&r=2"), "3")], right={1}),
            text("<i>"),
        )
    )
    made = write(body, lambda uri: "../" + uri.removesuffix(".md") + "/", Headings())
    assert '<h1 id="a-b">A &amp; B</h1>' in made.html
    assert '<h2 id="same">Same</h2>' in made.html
    assert '<h2 id="same_1">Same</h2>' in made.html
    assert '<a href="../a/b/?q=1&amp;r=2">&lt;x&gt; &#34;y&#34;</a>' in made.html
    assert '<td style="text-align: right;">3</td>' in made.html
    assert made.html.endswith("&lt;i&gt;")
    assert made.ids == {"a-b", "same", "same_1"}
    assert [(t["id"], [c["id"] for c in t["children"]]) for t in made.toc] == [
        ("a-b", ["same", "same_1"])
    ]
    assert made.toc[0]["name"] == "A &amp; B"


def test_write_follows_the_headings_style() -> None:
    style = Headings(
        slugify=lambda value, separator: value.upper().replace(" ", separator),
        separator="_",
        permalink=Markup("&para;"),
        permalink_class="link",
        permalink_title="",
        permalink_leading=True,
    )
    made = write(HtmlBody((heading(2, "At a glance"),)), str, style)
    permalink = '<a class="link" href="#AT_A_GLANCE">&para;</a>'
    assert made.html == f'<h2 id="AT_A_GLANCE">{permalink}At a glance</h2>\n'


def test_the_file_of_an_html_page_holds_its_front_matter() -> None:
    from mkdocs.utils.meta import get_data

    from mkdocs_postmortems.views.layout import html_page

    page = html_page("a.md", 'Tag: <b>"x"</b> ü', [], searchable=False, template="t.html")
    assert page.meta is not None
    assert get_data(page.markdown) == ("", page.meta)
    assert page.meta["title"] == "Tag: &lt;b&gt;&#34;x&#34;&lt;/b&gt; ü"
    assert page.meta["search"] == {"exclude": True}
