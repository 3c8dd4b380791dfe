"""The body sanitiser keeps what Markdown and Material produce and drops anything that runs."""

from __future__ import annotations

import pytest

from conftest import VALID_FRONT_MATTER, BuildSite, parse_html, postmortem
from mkdocs_postmortems.views.sanitize import sanitize_html

KEPT = [
    '<h2 id="root-cause">Root cause<a class="headerlink" href="#root-cause" '
    'title="Permanent link">¶</a></h2>',
    '<div class="admonition warning"><p class="admonition-title">Careful</p><p>x</p></div>',
    '<table><thead><tr><th style="text-align: right;">n</th></tr></thead>'
    '<tbody><tr><td style="text-align: right;">1</td></tr></tbody></table>',
    '<div class="highlight"><pre><span></span><code><span class="k">def</span> '
    '<span class="nf">f</span>()</code></pre></div>',
    '<details class="note" open=""><summary>More</summary><p>x</p></details>',
    '<ul class="task-list"><li class="task-list-item">'
    '<input type="checkbox" disabled="" checked="">done</li></ul>',
    '<p><img src="../images/graph.png" alt="graph"> <a href="https://example.com/x">x</a> '
    '<a href="../other/">o</a> <a href="mailto:oncall@example.com">m</a></p>',
    '<p>H<sub>2</sub>O, <kbd>Ctrl</kbd>, <abbr title="Site Reliability">SRE</abbr>, '
    "<mark>m</mark>, <del>d</del></p>",
    '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
]


@pytest.mark.parametrize("html", KEPT)
def test_markup_from_markdown_and_material_is_kept(html: str) -> None:
    assert sanitize_html(html) == html.replace("text-align: right;", "text-align:right")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>body{display:none}</style><p>x</p>", "<p>x</p>"),
        ('<img src="x" onerror="alert(1)">', '<img src="x">'),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
        ('<iframe src="https://example.com"></iframe><p>x</p>', "<p>x</p>"),
        ('<svg onload="alert(1)"><circle r="1"></circle></svg>', ""),
        ('<p onclick="alert(1)" style="color:red" class="c">x</p>', '<p class="c">x</p>'),
        ('<input autofocus onfocus="alert(1)" type="text">', "<input>"),
        ('<td style="background:url(javascript:alert(1))">x</td>', "x"),
        ("<!-- <script>alert(1)</script> --><p>x</p>", "<p>x</p>"),
        ('<form action="https://evil.example"><button>go</button></form>', "go"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', ""),
    ],
)
def test_scripts_handlers_and_unsafe_urls_are_removed(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


def test_incident_body_is_sanitised_but_other_pages_are_not(build_site: BuildSite) -> None:
    body = (
        "## Details\n\n<script>alert('body')</script>\n\n"
        '<img src="x.png" onerror="alert(1)">\n\n'
        "!!! note\n    An admonition.\n\n| a | b |\n| - | -: |\n| 1 | 2 |\n"
    )
    site = build_site(
        {"2024-05-02-x.md": postmortem(VALID_FRONT_MATTER, body)},
        docs={"about.md": "# About\n\n<script>window.trusted = 1</script>\n"},
        config={"markdown_extensions": ["admonition", "tables", {"toc": {"permalink": True}}]},
    )
    html = site.page("postmortems/2024-05-02-x/")
    body_html = html.split('class="pm-body"', 1)[1]
    assert "alert('body')" not in body_html
    assert "onerror" not in body_html
    assert '<img src="x.png">' in body_html
    assert '<div class="admonition note">' in body_html
    assert '<td style="text-align:right">2</td>' in body_html
    assert 'class="headerlink"' in body_html
    assert "Details" in parse_html(body_html).text
    # Pages the site's owners write are trusted: their raw HTML is theirs to keep.
    assert "window.trusted = 1" in site.page("about/")
