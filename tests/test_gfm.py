"""GitHub-style list layouts render as lists, not as run-on paragraphs."""

from __future__ import annotations

import markdown

from mkdocs_postmortems.views.gfm import normalize_lists


def html(text: str) -> str:
    return markdown.markdown(normalize_lists(text))


def test_list_right_under_a_paragraph_line_is_a_list() -> None:
    assert html("**Summary:**\n- one\n- two\n") == (
        "<p><strong>Summary:</strong></p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    )


def test_two_space_nesting_becomes_nested_lists() -> None:
    out = html("- a:\n  - b\n    - c\n- d\n")
    assert out.count("<ul>") == 3
    assert "<li>b<ul>\n<li>c</li>" in out


def test_four_space_nesting_is_left_alone() -> None:
    text = "Intro\n\n- a\n    - b\n"
    assert normalize_lists(text) == text


def test_fenced_code_is_untouched() -> None:
    text = "Run:\n```\ntext\n- not a list\n  - nor this\n```\n- real item\n  - nested\n"
    out = normalize_lists(text)
    assert "```\ntext\n- not a list\n  - nor this\n```" in out
    assert "- real item\n    - nested" in out


def test_lazy_continuation_stays_in_its_item() -> None:
    assert html("- item one\ncontinues here\n- item two\n").count("<li>") == 2
