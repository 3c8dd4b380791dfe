"""Hostile input: every attack gets a precise problem or a safe page, fast, and the rest builds."""

from __future__ import annotations

import contextlib
import re
import signal
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import parse_html
from hostile_site import (
    CASES,
    LINKS,
    MARKER,
    PAYLOADS,
    SECRET,
    SPECIAL,
    VALID_FILES,
    Case,
    HostileBuild,
    hostile_build,
    write_hostile,
    write_special,
)
from mkdocs_postmortems.core.catalog import Catalog, Settings, load_catalog
from mkdocs_postmortems.core.validate import is_safe_url

pytestmark = pytest.mark.slow

__all__ = ["hostile_build"]  # the session fixture, imported so pytest finds it here

LOAD_SECONDS = 5.0  # per file, generous for a shared machine; the worst case takes ~0.1 s
LOAD_BYTES = 128 * 1024**2
HANG_SECONDS = 30  # a hang fails the test instead of stopping the suite


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after `seconds` of wall time."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def hostile_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Return the catalog of the hostile folder."""
    root = tmp_path_factory.mktemp("hostile-core")
    write_hostile(root)
    return load_catalog(root / "postmortems", Settings())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_case_loads_alone_in_bounded_time_and_memory(tmp_path: Path, case: Case) -> None:
    path = tmp_path / case.name
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with _deadline(HANG_SECONDS):
            catalog = load_catalog(tmp_path, Settings())
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < LOAD_SECONDS
    assert peak < LOAD_BYTES
    problems = [p for p in catalog.problems if p.path == case.name]
    if case.problem is None:
        assert [pm.path for pm in catalog] == [case.name]
        assert not [p for p in problems if p.level == "error"], [p.format() for p in problems]
        return
    matching = [p for p in problems if case.problem in p.message + " " + p.hint]
    assert matching, [p.format() for p in problems]
    if case.line is not None:
        assert matching[0].line == case.line, matching[0].format()
    if case.field is not None:
        assert matching[0].field == case.field, matching[0].format()
    assert all(p.hint for p in matching), "every problem says how to fix it"


def test_every_hostile_file_is_a_page_or_a_problem(hostile_catalog: Catalog) -> None:
    names = {c.name for c in CASES} | set(LINKS) | set(SPECIAL)
    names |= {n for n in VALID_FILES if n.endswith(".md")}
    seen = {pm.path for pm in hostile_catalog} | {r.path for r in hostile_catalog.rejected}
    assert names <= seen
    assert hostile_catalog.assets == ("diagram.svg",)


def test_links_out_of_the_folder_are_reported_not_read(hostile_catalog: Catalog) -> None:
    for name, (_target, problem) in LINKS.items():
        (rejected,) = [r for r in hostile_catalog.rejected if r.path == name]
        assert problem in rejected.problems[0].message
        assert SECRET not in rejected.text
    assert all(SECRET not in pm.title for pm in hostile_catalog)


def test_javascript_and_data_urls_are_each_reported(hostile_catalog: Catalog) -> None:
    (pm,) = [pm for pm in hostile_catalog if pm.path == "javascript-links.md"]
    fields = {p.field for p in pm.problems if "is not an allowed link" in p.message}
    expected = {f"links[{i}].url" for i in range(5)}
    assert fields == expected | {"action_items[0].ticket", "action_items[1].ticket"}
    assert [link.url for link in pm.links] == ["https://example.com/fine"]
    assert all(item.ticket is None for item in pm.action_items)


def test_payloads_are_kept_as_text_in_the_record(hostile_catalog: Catalog) -> None:
    titles = {pm.title for pm in hostile_catalog}
    assert set(PAYLOADS) <= titles


# --- the whole hostile site, built for real ------------------------------------------------


def _html_pages(build: HostileBuild) -> list[Path]:
    return sorted(build.site.rglob("*.html"))


def test_hostile_site_builds_without_traceback_in_bounded_time(hostile_build: HostileBuild) -> None:
    assert hostile_build.returncode == 0, hostile_build.log[-3000:]
    assert "Traceback" not in hostile_build.log
    assert hostile_build.seconds < 180
    assert hostile_build.peak_mib < 2048


def test_every_problem_is_in_the_build_log(hostile_build: HostileBuild) -> None:
    for case in CASES:
        if case.problem is not None:
            assert re.search(
                rf"postmortems: {re.escape(case.name)}(:\d+)?: error: ", hostile_build.log
            ), case.name
    for name in [*LINKS, *SPECIAL]:
        assert f"postmortems: {name}: error: " in hostile_build.log


def test_valid_postmortems_still_build(hostile_build: HostileBuild) -> None:
    for name, title in (
        ("2024-05-02-fine", "A perfectly fine postmortem"),
        ("sub/2024-05-03-also-fine", "Another fine postmortem"),
        ("front-matter-only", "Only front matter"),
    ):
        html = (hostile_build.site / "postmortems" / name / "index.html").read_text("utf-8")
        assert title in parse_html(html).text
    assert (hostile_build.site / "postmortems" / "diagram.svg").is_file()


def test_nothing_outside_the_folder_is_published(hostile_build: HostileBuild) -> None:
    for path in hostile_build.site.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_payloads_render_as_text_on_incident_pages(hostile_build: HostileBuild) -> None:
    for index, payload in enumerate(PAYLOADS):
        html = (hostile_build.site / "postmortems" / f"payload-{index}" / "index.html").read_text(
            "utf-8"
        )
        text = parse_html(html).text
        # The raw-HTML payloads appear literally in the title and the card.
        if not payload.startswith("["):
            assert text.count(" ".join(payload.split())) >= 2, payload


def test_no_page_carries_an_executable_payload(hostile_build: HostileBuild) -> None:
    pages = _html_pages(hostile_build)
    assert len(pages) > len(CASES)
    for page in pages:
        for tag, attrs, inner in _elements(page.read_text("utf-8")):
            where = f"{page.relative_to(hostile_build.site)}: <{tag} {attrs}>"
            assert not (tag == "script" and MARKER in inner), where
            assert tag not in ("iframe", "object", "embed") or MARKER not in str(attrs), where
            assert not (tag == "meta" and attrs.get("http-equiv")), where
            for name, value in attrs.items():
                assert not (name.startswith("on") and value and MARKER in value), where
                if name in ("href", "src", "action", "formaction", "data", "srcdoc"):
                    assert value is None or is_safe_url(value), where


def _elements(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    """Return each element's tag, attributes and, for scripts, the text inside."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None], str]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs), ""))

        def handle_data(self, data: str) -> None:
            if found and found[-1][0] == "script":
                tag, attrs, inner = found[-1]
                found[-1] = (tag, attrs, inner + data)

    parser = Collect(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return found


def test_path_traversal_in_fields_is_reported_field_by_field(hostile_catalog: Catalog) -> None:
    (pm,) = [pm for pm in hostile_catalog if pm.path == "path-traversal-fields.md"]
    invalid_ids = {p.field for p in pm.problems if "is not a valid postmortem id" in p.message}
    assert invalid_ids == {"id", "related[0]", "related[1]", "related[2]"}
    assert pm.related == ()
    bad_links = {p.field for p in pm.problems if "is not an allowed link" in p.message}
    assert bad_links == {"links[1].url"}
    # A relative link stays inside the site whatever its dots: it is kept as written.
    assert [link.url for link in pm.links] == ["../../../../../etc/passwd"]


def test_pipes_and_huge_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    write_special(tmp_path)
    tracemalloc.start()
    try:
        with _deadline(HANG_SECONDS):
            catalog = load_catalog(tmp_path, Settings())
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < LOAD_BYTES
    problems = {r.path: r.problems[0].message for r in catalog.rejected}
    assert problems.keys() == SPECIAL.keys()
    for name, message in SPECIAL.items():
        assert message in problems[name]
    assert catalog.assets == ()
