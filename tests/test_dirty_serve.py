"""`mkdocs serve --dirty` rebuilds only the pages an edit changes, and they match a full build."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from conftest import VALID_FRONT_MATTER, postmortem

COUNT = 24
WORDS = ("cache", "index", "queue", "certificate", "router", "scheduler", "quota", "replica")
EDITED = "2024-05-05-incident05.md"


def _front(number: int) -> str:
    front = VALID_FRONT_MATTER.replace(
        "Checkout errors after a config push", f"Incident number {number}"
    ).replace("services: [checkout]", f"services: [svc{number % 4}]\ntags: [tag{number % 3}]")
    cause = WORDS[number % len(WORDS)]
    front = front.replace("set the payment timeout to zero", f"broke the {cause} of unit {number}")
    if number % 5 == 0 and number != 5:
        front += "related: [2024-05-05-incident05]\n"
    return front.replace("2024-05-02", f"2024-05-{number:02d}")


def _site(root: Path) -> Path:
    source = root / "postmortems"
    source.mkdir(parents=True)
    (root / "docs").mkdir()
    for number in range(1, COUNT + 1):
        text = postmortem(_front(number), f"## What happened\n\nBody {number}.\n")
        (source / f"2024-05-{number:02d}-incident{number:02d}.md").write_text(text, "utf-8")
    for name, cache in (("mkdocs.yml", ".cache/serve"), ("fresh.yml", ".cache/fresh")):
        settings = {
            "site_name": "Dirty serve",
            "theme": {"name": "material", "font": False},
            "plugins": [
                "search",
                {
                    "postmortems": {
                        "build_date": "2024-06-01",
                        "cache_dir": cache,
                        "lint_on_build": False,
                        # Few cards name another incident, so an edit touches few pages.
                        "related": 1,
                        "recurrence_window": 0,
                    }
                },
            ],
        }
        (root / name).write_text(yaml.safe_dump(settings), encoding="utf-8")
    return source


@pytest.fixture
def serve_config(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Yield the site folder and its postmortems; leave the shared plugin in build mode."""
    source = _site(tmp_path)
    try:
        yield tmp_path, source
    finally:
        # MkDocs keeps a plugin with on_startup for the whole process: later tests build.
        config = load_config(str(tmp_path / "mkdocs.yml"))
        config.plugins.on_startup(command="build", dirty=False)


def _serve_build(root: Path, site: Path) -> MkDocsConfig:
    # What `mkdocs serve --dirty` does for each rebuild: load the config again and build dirty.
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site))
    build(config, dirty=True)
    return config


def _html(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.html")}


def _mtimes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*.html")}


def _dirty_then_fresh(root: Path, edit: Callable[[str], str]) -> tuple[list[str], Path, Path]:
    """Serve dirty, apply `edit` to one postmortem, rebuild; build from scratch to compare."""

    def change(source: Path) -> None:
        edited = source / EDITED
        edited.write_text(edit(edited.read_text(encoding="utf-8")), encoding="utf-8")

    return _dirty_then_fresh_after(root, change)


def _dirty_then_fresh_after(
    root: Path, change: Callable[[Path], None]
) -> tuple[list[str], Path, Path]:
    """Serve dirty, `change` the postmortems folder, rebuild; build from scratch to compare."""
    served = root / "served"
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(served))
    config.plugins.on_startup(command="serve", dirty=True)
    build(config, dirty=True)
    before = _mtimes(served)
    change(root / "postmortems")
    again = _serve_build(root, served)
    assert again.plugins["postmortems"] is config.plugins["postmortems"], "kept across rebuilds"
    after = _mtimes(served)
    rebuilt = sorted(path for path in after if after[path] != before.get(path))
    config.plugins.on_startup(command="build", dirty=False)
    fresh = root / "fresh"
    build(load_config(str(root / "fresh.yml"), site_dir=str(fresh)))
    return rebuilt, served, fresh


def _assert_same_html(served: Path, fresh: Path, stale: tuple[str, ...] = ()) -> None:
    """Assert the served site holds the pages of a full build, and `stale` pages besides (a
    dirty build, like MkDocs', does not delete the page of a deleted file)."""
    served_html, fresh_html = _html(served), _html(fresh)
    assert sorted(served_html) == sorted([*fresh_html, *stale])
    different = [path for path in fresh_html if served_html[path] != fresh_html[path]]
    assert different == [], "a dirty rebuild must write what a full build writes"


def test_dirty_rebuild_renders_only_changed_pages_and_matches_a_full_build(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root,
        lambda text: (
            text.replace("resolved: 2024-05-05T09:20:00Z", "resolved: 2024-05-05T11:20:00Z")
            + "\nA sentence added to the body.\n"
        ),
    )
    incidents = [path for path in rebuilt if path.startswith("postmortems/")]
    # Its own page, and the few whose card names it (their digests include its file's).
    assert "postmortems/2024-05-05-incident05/index.html" in incidents
    assert len(incidents) < COUNT // 3, incidents
    assert "catalog/index.html" in rebuilt
    assert "browse/services/svc1/index.html" in rebuilt, "the listing that shows it"
    assert "browse/services/svc2/index.html" not in rebuilt, "a listing that does not"
    _assert_same_html(served, fresh)
    page = (served / "postmortems/2024-05-05-incident05/index.html").read_text("utf-8")
    assert "A sentence added to the body." in page


def test_a_renamed_incident_shows_everywhere_after_a_dirty_rebuild(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root,
        lambda text: text.replace("Incident number 5", "Renamed incident five").replace(
            "Checkout failed", "Payments failed"
        ),
    )
    # The cards that list it as related are rebuilt with the new title (and any reasons that
    # the edit changed): the result is what a full build writes.
    assert "postmortems/2024-05-05-incident05/index.html" in rebuilt
    _assert_same_html(served, fresh)
    assert "Renamed incident five" in (served / "catalog/index.html").read_text("utf-8")


def test_a_rebuild_without_changes_renders_no_incident_page(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    served = root / "served"
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(served))
    config.plugins.on_startup(command="serve", dirty=True)
    build(config, dirty=True)
    before = _mtimes(served)
    _serve_build(root, served)
    after = _mtimes(served)
    rebuilt = [path for path in after if after[path] != before.get(path)]
    assert not [path for path in rebuilt if path.startswith(("postmortems/", "browse/"))], rebuilt


def test_an_edit_of_the_story_only_rebuilds_its_own_page(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root, lambda text: text + "\nA paragraph added to the story.\n"
    )
    # No listing, card, export or chart shows the story: only its page changes.
    pages = [path for path in rebuilt if path.endswith("index.html") and path != "404.html"]
    assert pages == ["postmortems/2024-05-05-incident05/index.html"], rebuilt
    _assert_same_html(served, fresh)


def test_an_edit_that_moves_related_lists_matches_a_full_build(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    # Incident 5 takes the words and facets of incident 13: both related lists move, and
    # those of the incidents that listed either.
    rebuilt, served, fresh = _dirty_then_fresh(
        root,
        lambda text: (
            text.replace("broke the router of unit 5", "broke the router of unit 13")
            .replace("services: [svc1]", "services: [svc1, svc0]")
            .replace("tags: [tag2]", "tags: [tag2, tag1]")
        ),
    )
    assert "postmortems/2024-05-13-incident13/index.html" in rebuilt
    _assert_same_html(served, fresh)


@pytest.mark.parametrize("change", ["new", "delete", "rename"])
def test_a_new_deleted_or_renamed_file_matches_a_full_build(
    serve_config: tuple[Path, Path], change: str
) -> None:
    root, _source = serve_config

    def apply(source: Path) -> None:
        edited = source / EDITED
        if change == "new":
            text = edited.read_text(encoding="utf-8").replace("2024-05-05", "2024-05-30")
            (source / "2024-05-30-incident30.md").write_text(text, encoding="utf-8")
        elif change == "delete":
            edited.unlink()
        else:
            edited.rename(source / "2024-05-05-incident-five.md")

    _rebuilt, served, fresh = _dirty_then_fresh_after(root, apply)
    stale = () if change == "new" else ("postmortems/2024-05-05-incident05/index.html",)
    _assert_same_html(served, fresh, stale)


def test_a_new_title_alone_shows_on_every_listing(serve_config: tuple[Path, Path]) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root, lambda text: text.replace("Incident number 5", "Retitled incident five")
    )
    assert "browse/services/svc1/index.html" in rebuilt
    _assert_same_html(served, fresh)
    assert "Retitled incident five" in (served / "catalog/index.html").read_text("utf-8")


def test_a_new_severity_shows_in_the_figures_of_its_listings(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root, lambda text: text.replace("severity: SEV2", "severity: SEV1")
    )
    # The pages of its service and tag count incidents by severity.
    assert "browse/services/svc1/index.html" in rebuilt
    _assert_same_html(served, fresh)
    svc1 = (served / "browse/services/svc1/index.html").read_text("utf-8")
    assert "SEV1" in svc1


def test_a_new_summary_rebuilds_no_listing(serve_config: tuple[Path, Path]) -> None:
    root, _source = serve_config
    rebuilt, served, fresh = _dirty_then_fresh(
        root,
        lambda text: text.replace(
            "summary: Checkout failed", "summary: After a long wait, checkout failed"
        ),
    )
    # Listings, charts and the catalog do not show summaries: the exports and search data do.
    assert "postmortems/2024-05-05-incident05/index.html" in rebuilt
    assert not [path for path in rebuilt if path.startswith(("browse/", "catalog/"))], rebuilt
    _assert_same_html(served, fresh)
    exports = (served / "postmortems.json").read_text("utf-8")
    assert "After a long wait, checkout failed" in exports


def test_a_summary_edit_that_moves_recurrences_matches_a_full_build(
    serve_config: tuple[Path, Path],
) -> None:
    root, _source = serve_config
    for name in ("mkdocs.yml", "fresh.yml"):
        path = root / name
        path.write_text(
            path.read_text("utf-8").replace("recurrence_window: 0", "recurrence_window: 90")
        )
    served = root / "served"

    def insights() -> str:
        return (served / "insights/index.html").read_text("utf-8")

    before: list[str] = []

    def change(source: Path) -> None:
        before.append(insights())
        edited = source / EDITED
        text = edited.read_text(encoding="utf-8").replace(
            "summary: Checkout failed", "summary: Checkout failed as the router of unit 6 broke;"
        )
        edited.write_text(text, encoding="utf-8")

    rebuilt, served, fresh = _dirty_then_fresh_after(root, change)
    # Only the Insights page lists recurrences: no other listing is made again.
    assert insights() != before[0], "the edit should change a recurrence"
    assert not [path for path in rebuilt if path.startswith(("browse/", "catalog/"))], rebuilt
    _assert_same_html(served, fresh)
