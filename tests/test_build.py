"""Real `mkdocs build` runs: problems reported, pages generated, navigation that scales."""

from __future__ import annotations

import re

import pytest

from conftest import VALID_FRONT_MATTER, BuildSite, parse_html, postmortem

BROKEN = postmortem(VALID_FRONT_MATTER.replace("severity: SEV2", "severity: SEV7"))


def test_incident_page_has_the_card_above_the_body(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": postmortem(body="## Details\n\nThe story.\n")})
    assert site.warnings == []
    html = site.page("postmortems/2024-05-02-checkout/")
    text = parse_html(html).text
    assert text.index("Root cause") < text.index("The story.")
    assert "Checkout errors after a config push" in text
    assert "Time to detect 5 min" in text
    assert "Time to resolve 20 min" in text
    assert "Started 2024-05-02 09:00 UTC" in text
    assert '<meta name="description" content="Checkout failed for 20 minutes' in html


def test_problems_are_logged_with_file_line_and_field(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": BROKEN})
    assert site.warnings[0].startswith(
        "postmortems: 2024-05-02-checkout.md:5: error: severity: 'SEV7' is not an allowed "
        "severity (did you mean 'SEV"
    )
    assert "1 problem in the postmortems folder" in site.warnings[-1]


def test_strict_build_fails_and_lists_every_problem(build_site: BuildSite) -> None:
    other = postmortem(VALID_FRONT_MATTER + "servces: [x]\n")
    site = build_site(
        {"2024-05-02-checkout.md": BROKEN, "2024-05-03-other.md": other, "2024-05-04-x.md": ""},
        strict=True,
    )
    assert site.error is not None
    assert "Aborted with 4 warnings in strict mode" in str(site.error)
    joined = "\n".join(site.warnings)
    assert "2024-05-02-checkout.md:5: error: severity:" in joined
    assert "2024-05-03-other.md:12: error: servces: unknown key 'servces'" in joined
    assert "2024-05-04-x.md: error: file is empty" in joined


def test_page_with_problems_shows_a_banner(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": BROKEN})
    html = site.page("postmortems/2024-05-02-checkout/")
    assert 'class="admonition failure pm-problems"' in html
    assert "'SEV7' is not an allowed severity" in parse_html(html).text


def test_unreadable_file_gets_a_problem_page_and_is_listed_on_home(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": postmortem(), "notes.md": "# no front matter\n"})
    page = parse_html(site.page("postmortems/notes/")).text
    assert "notes.md could not be read" in page
    assert "file has no front matter" in page
    assert "# no front matter" in page  # the source is shown to help fix it
    home = parse_html(site.page("")).text
    assert "notes.md could not be read" in home


def test_home_lists_incidents_newest_first(build_site: BuildSite) -> None:
    files = {
        f"2024-0{month}-0{day}-incident.md": postmortem(
            VALID_FRONT_MATTER.replace("2024-05-02", f"2024-0{month}-0{day}")
        )
        for month, day in [(3, 1), (5, 2), (4, 9)]
    }
    site = build_site(files)
    html = site.page("")
    links = re.findall(r'href="(postmortems/[^"]+)"', html)
    assert links == [
        "postmortems/2024-05-02-incident/",
        "postmortems/2024-04-09-incident/",
        "postmortems/2024-03-01-incident/",
    ]


def test_postmortems_are_not_in_the_sidebar(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": postmortem()}, docs={"about.md": "# About\n"})
    for url in ("", "about/", "postmortems/2024-05-02-checkout/"):
        nav_links = [
            attrs.get("href") or ""
            for tag, attrs in parse_html(site.page(url)).tags
            if tag == "a" and "md-nav__link" in (attrs.get("class") or "")
        ]
        assert nav_links, url
        assert not [link for link in nav_links if "2024-05-02-checkout" in link], url


def test_nothing_is_fetched_from_other_sites(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-checkout.md": postmortem()})
    for page in site.site_dir.rglob("*.html"):
        for tag, attrs in parse_html(page.read_text(encoding="utf-8")).tags:
            url = (attrs.get("src") if tag in ("script", "img") else None) or (
                attrs.get("href") if tag == "link" else None
            )
            if url:
                assert not re.match(r"^(https?:)?//", url), f"{page}: {tag} {url}"


def test_plugin_works_with_defaults_in_another_site(build_site: BuildSite) -> None:
    site = build_site(
        {"2024-05-02-checkout.md": postmortem()},
        docs={"index.md": "# Our own home\n"},
        plugin={"build_date": None},
    )
    assert "Our own home" in site.page("")
    assert "Checkout errors" in site.page("postmortems/2024-05-02-checkout/")


def test_vocabulary_override_in_config(build_site: BuildSite) -> None:
    text = postmortem(VALID_FRONT_MATTER.replace("severity: SEV2", "severity: critical"))
    site = build_site(
        {"2024-05-02-checkout.md": text},
        plugin={"vocabularies": {"severity": {"critical": "Everything is down", "minor": ""}}},
    )
    assert site.warnings == []
    assert ">critical<" in site.page("postmortems/2024-05-02-checkout/")


def test_overdue_action_items_are_marked(build_site: BuildSite) -> None:
    items = (
        "action_items:\n"
        "  - {title: Late fix, owner: sre, due: 2024-05-20}\n"
        "  - {title: Future fix, owner: sre, due: 2024-07-01}\n"
        "  - {title: Done fix, owner: sre, due: 2024-05-10, status: done}\n"
    )
    site = build_site({"2024-05-02-checkout.md": postmortem(VALID_FRONT_MATTER + items)})
    html = site.page("postmortems/2024-05-02-checkout/")
    rows = re.findall(r'<tr class="pm-action ([^"]+)">\s*<td>([^<]+)', html)
    assert rows == [
        ("pm-action--open pm-action--overdue", "Late fix"),
        ("pm-action--open", "Future fix"),
        ("pm-action--done", "Done fix"),
    ]
    # The counts use the status words of the rows: no second meaning of "open".
    text = parse_html(html).text
    assert "3 action items as of 2024-06-01: 2 open, 1 done (2 not done, 1 past due )" in text


def test_assets_beside_postmortems_are_published(build_site: BuildSite) -> None:
    body = "![graph](img/latency.png)\n"
    site = build_site(
        {"2024-05-02-checkout.md": postmortem(body=body), "img/latency.png": b"\x89PNG fake"},
        strict=True,
    )
    assert site.error is None, site.messages
    assert (site.site_dir / "postmortems" / "img" / "latency.png").read_bytes() == b"\x89PNG fake"
    assert 'src="../img/latency.png"' in site.page("postmortems/2024-05-02-checkout/")


def test_bad_plugin_configuration_is_a_clear_error(
    build_site: BuildSite, caplog: pytest.LogCaptureFixture
) -> None:
    site = build_site({}, plugin={"vocabularies": {"sevrity": ["a"]}}, strict=True)
    assert site.error is not None
    assert "postmortems: vocabularies: unknown vocabulary 'sevrity'" in caplog.text
