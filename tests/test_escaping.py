"""Front matter is untrusted: every value we render shows as text, never as markup."""

from __future__ import annotations

import json

from conftest import BuildSite, parse_html, postmortem

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(2)</script>'


def hostile_front_matter() -> str:
    both = json.dumps(f"{IMG} {SCRIPT}")  # a JSON string is a valid YAML string
    return f"""\
title: {json.dumps("Title " + IMG + SCRIPT)}
date: 2024-05-02
status: published
severity: SEV2
summary: {both}
root_cause: {both}
services: [{json.dumps("svc " + IMG)}, {json.dumps(SCRIPT)}]
tags: [{json.dumps(IMG)}, {json.dumps("tag" + SCRIPT)}]
teams: [{json.dumps(SCRIPT)}]
contributing_factors: [{both}]
impact: {{description: {both}}}
action_items: [{{title: {both}, owner: {json.dumps(SCRIPT)}}}]
lessons: {{went_well: [{both}], went_wrong: [{both}], got_lucky: [{both}]}}
links: [{{url: "https://example.com/?q=%22%3E", title: {both}}}]
timeline: [{{at: "2024-05-02T09:00:00Z", event: {both}}}]
authors: [{json.dumps(IMG)}]
"""


def test_payloads_render_as_text_on_every_page(build_site: BuildSite) -> None:
    site = build_site({"2024-05-02-hostile.md": postmortem(hostile_front_matter())}, strict=True)
    assert site.error is None, site.messages
    pages = sorted(site.site_dir.rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        html = page.read_text(encoding="utf-8")
        parsed = parse_html(html)
        for tag, attrs in parsed.tags:
            assert "onerror" not in attrs, f"{page}: <{tag} {attrs}>"
        assert not [script for script in parsed.scripts if "alert(" in script], page
        assert "<script>alert(2)" not in html, page
        assert "<img src=x" not in html, page
    incident = site.page("postmortems/2024-05-02-hostile/")
    text = parse_html(incident).text
    assert text.count(IMG) >= 10  # summary, root cause, impact, lessons... as visible text
    assert "svc " + IMG in text
    assert SCRIPT in text
    head = incident.split("</head>", 1)[0]
    assert "<title>Title &lt;img src=x onerror=alert(1)&gt;&#34;&gt;&lt;script&gt;" in head
    assert '<meta name="description" content="&lt;img src=x onerror=alert(1)&gt; &#34;&gt;' in head
    home = parse_html(site.page("")).text
    assert "Title " + IMG + SCRIPT in home
