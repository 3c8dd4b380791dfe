"""The incident page shows each fact once: body sections the card shows are folded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import parse_html
from mkdocs_postmortems.core.model import ActionItem, Postmortem, TimelineEntry
from mkdocs_postmortems.views.body import fold_repeated

START = "<p>Context the card does not have.</p>\n"
SEED_LIKE = (
    "<p><strong>Postmortem: Web Stack Outage</strong></p>\n"
    "<p><strong>Issue Summary:</strong></p>\n<ul>\n<li>Duration: 4 h</li>\n</ul>\n"
    "<p><strong>Timeline:</strong></p>\n<ul>\n<li><p><strong>Detection:</strong></p>\n"
    "<ul><li>10:30 alert</li></ul></li>\n</ul>\n"
    "<h2 id='background'>Background</h2>\n" + START
)


def _pm(**fields: object) -> Postmortem:
    values: dict[str, object] = {
        "id": "x",
        "path": "x.md",
        "title": "X",
        "date": date(2024, 3, 8),
        "status": "published",
        "severity": "SEV2",
        "summary": "Logins failed.",
        "root_cause": "A missing index.",
        "services": ("auth",),
        "body": "",
    }
    values.update(fields)
    return Postmortem(**values)  # type: ignore[arg-type]


def test_sections_the_card_shows_fold_at_the_end_and_the_rest_stays() -> None:
    pm = _pm(timeline=(TimelineEntry(at=None, event="alert"),))  # type: ignore[arg-type]
    html = fold_repeated(SEED_LIKE, pm)
    before, folded = html.split('<details class="pm-original">', 1)
    assert "Issue Summary" not in before
    assert "Timeline" not in before
    assert "Background" in before
    assert START.strip() in before
    summary = folded.split("</summary>", 1)[0]
    assert "Original write-up: Issue Summary, Timeline (shown in the card above)" in summary
    # The bold line inside a list item stays inside its list: no element is cut in two.
    assert "<li><p><strong>Detection:</strong></p>" in folded
    assert folded.count("<ul") == folded.count("</ul>")
    assert html.count("<details") == html.count("</details>") == 1


def test_a_section_folds_only_if_the_card_shows_that_fact() -> None:
    html = fold_repeated(SEED_LIKE, _pm())  # no timeline in the front matter
    before = html.split('<details class="pm-original">', 1)[0]
    assert "Timeline" in before
    assert "Issue Summary" not in before


def test_a_body_of_repeats_folds_whole_title_included() -> None:
    body = (
        "<p><strong>Postmortem: Web Stack Outage</strong></p>\n"
        "<h2>Root cause</h2>\n<p>The index.</p>\n<h2>Action items</h2>\n<ul><li>Add it</li></ul>\n"
    )
    html = fold_repeated(body, _pm(action_items=(ActionItem("Add it"),)))
    assert html.startswith('\n<details class="pm-original">')
    assert "Postmortem: Web Stack Outage" in html.split("</summary>", 1)[1]
    assert "Action items" in html.split("</details>")[0].split("</summary>", 1)[1]


def test_a_body_without_repeats_is_left_alone() -> None:
    body = "<h2>Background</h2>\n<p>Text.</p>\n"
    assert fold_repeated(body, _pm()) == body


def test_the_seed_page_shows_its_write_up_once(repo_site: Path) -> None:
    html = (repo_site / "postmortems" / "2024-03-08-auth-outage" / "index.html").read_text()
    body = html.split('<div class="pm-body">', 1)[1]
    visible, folded = body.split('<details class="pm-original">', 1)
    for heading in ("Issue Summary", "Timeline", "Root Cause and Resolution"):
        assert heading not in parse_html(visible).text
        assert heading in folded.split("</summary>", 1)[0]
    # Every word of the original is still on the page, one click away.
    assert "inefficient database query used for user authentication" in folded
