"""The Whoosh index: incremental updates, damage detection, concurrent readers, SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from mkdocs_postmortems.core.catalog import Settings, load_catalog
from mkdocs_postmortems.search.store import FORMAT, SearchIndex
from mkdocs_postmortems.search.synonyms import build_table

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
TABLE, _ = build_table()


def corpus(folder: Path) -> Path:
    """Copy the seed and the search fixtures into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in [SEED, *sorted((FIXTURES / "search").glob("*.md"))]:
        shutil.copy(path, folder / path.name)
    return folder


def ids_for(index: SearchIndex, query: str) -> list[str]:
    with index.searcher() as searcher:
        return [hit.id for hit in searcher.search(query, synonyms=TABLE, limit=50).hits]


def records(folder: Path) -> list:  # type: ignore[type-arg]
    return list(load_catalog(folder, Settings()).postmortems)


def test_incremental_update_reuses_unchanged_files(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    first = index.update(records(folder)).stats
    assert (first.indexed, first.reused, first.removed) == (7, 0, 0)
    again = index.update(records(folder)).stats
    assert (again.indexed, again.reused, again.removed) == (0, 7, 0)
    assert "0 postmortems indexed, 7 reused" in again.summary()

    changed = folder / "2024-04-10-k8s-oom.md"
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("larger index", "zebra-sized index"),
        encoding="utf-8",
    )
    stats = index.update(records(folder)).stats
    assert (stats.indexed, stats.reused, stats.removed) == (1, 6, 0)
    assert ids_for(index, "zebra") == ["2024-04-10-k8s-oom"]


def test_rename_and_delete_leave_no_stale_documents(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    index.update(records(folder))
    (folder / "2024-04-10-k8s-oom.md").rename(folder / "2024-04-11-search-oom.md")
    (folder / "2024-05-05-dns-old-host.md").unlink()
    update = index.update(records(folder))
    assert (update.stats.indexed, update.stats.removed) == (1, 2)
    assert ids_for(index, "oom") == ["2024-04-11-search-oom"]
    assert ids_for(index, "decommissioned") == []
    assert "2024-05-05-dns-old-host" not in update.generation.related
    assert all(
        other != "2024-05-05-dns-old-host"
        for items in update.generation.related.values()
        for other, _score, _why in items
    )


def test_cli_refresh_parses_only_changed_files(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    index.update(records(folder))  # as a previous search leaves it
    assert index.refresh(folder, Settings().vocabularies).stats.indexed == 0
    (folder / "2024-06-02-new.md").write_text(
        (folder / "2024-06-01-replica-failover.md")
        .read_text(encoding="utf-8")
        .replace("lagging", "quarantined"),
        encoding="utf-8",
    )
    stats = index.refresh(folder, Settings().vocabularies).stats
    assert (stats.indexed, stats.reused) == (1, 7)
    assert ids_for(index, "quarantined") == ["2024-06-02-new"]


def _current_folder(index: SearchIndex) -> Path:
    return index.home / (index.home / "CURRENT").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize(
    "damage",
    [
        "truncate-segment",
        "garbage-manifest",
        "garbage-features",
        "missing-generation",
        "other-version",
        "no-toc",
    ],
)
def test_damaged_index_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    index.update(records(folder))
    current = _current_folder(index)
    if damage == "truncate-segment":
        segment = next(current.glob("*.seg"))
        segment.write_bytes(segment.read_bytes()[:100])
    elif damage == "garbage-manifest":
        (current / "manifest.json").write_text("{not json", encoding="utf-8")
    elif damage == "garbage-features":
        (current / "features.json").write_text("[]", encoding="utf-8")
    elif damage == "missing-generation":
        shutil.rmtree(current)
    elif damage == "other-version":
        manifest = json.loads((current / "manifest.json").read_text(encoding="utf-8"))
        manifest["format"] = FORMAT + 1
        (current / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    else:
        next(current.glob("*.toc")).unlink()
    update = index.update(records(folder))
    assert update.stats.indexed == 7
    assert update.stats.rebuilt, "the rebuild should say why"
    assert ids_for(index, "missing index")[0] == "2024-03-08-auth-outage"


def test_other_version_folder_is_ignored(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    old = tmp_path / "cache" / "search-v0"
    old.mkdir(parents=True)
    (old / "CURRENT").write_text("g-1\n", encoding="utf-8")
    index = SearchIndex(tmp_path / "cache")
    assert index.update(records(folder)).stats.indexed == 7
    assert index.home != old


WRITER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from mkdocs_postmortems.core.catalog import Settings
    from mkdocs_postmortems.search.store import SearchIndex

    folder, cache = Path(sys.argv[1]), Path(sys.argv[2])
    index = SearchIndex(cache)
    vocabularies = Settings().vocabularies
    files = sorted(folder.glob("bulk-*.md"))
    rng = random.Random(int(sys.argv[3]))
    index.refresh(folder, vocabularies)
    print("built", flush=True)
    while True:
        target = rng.choice(files)
        target.write_text(target.read_text().replace("marker", "marker x", 1))
        index.refresh(folder, vocabularies)
    """
)


def bulk(folder: Path, count: int) -> None:
    """Write `count` small valid postmortems (plus the seed) into `folder`."""
    corpus(folder)
    template = (FIXTURES / "search" / "2024-06-01-replica-failover.md").read_text(encoding="utf-8")
    for number in range(count):
        text = template.replace("lagging", f"lagging marker word{number}")
        (folder / f"bulk-{number:04d}.md").write_text(text, encoding="utf-8")


def _state(index: SearchIndex) -> dict[str, str]:
    generation = index.current(verify=True)
    return {path: entry.digest for path, entry in generation.entries.items()}


@pytest.mark.slow
def test_sigkill_at_any_point_leaves_a_correct_next_build(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    bulk(folder, 150)
    cache = tmp_path / "cache"
    index = SearchIndex(cache)
    mid_write = 0
    for round_number, delay in enumerate([0.15, 0.4, 0.8, 1.2, 1.7, 2.3]):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(cache), str(round_number)],
            stdout=subprocess.PIPE,
            env={**os.environ},
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.stdout is not None
        child.stdout.close()
        if index.home.is_dir() and any(p.name.startswith("tmp-") for p in index.home.iterdir()):
            mid_write += 1
        # Change, rename and delete files after the crash; the next build must see all of it.
        victim = folder / f"bulk-{round_number:04d}.md"
        victim.write_text(
            victim.read_text(encoding="utf-8").replace("lagging", f"changed{round_number}"),
            encoding="utf-8",
        )
        (folder / f"bulk-{100 + round_number:04d}.md").rename(folder / f"renamed-{round_number}.md")
        (folder / f"bulk-{120 + round_number:04d}.md").unlink()
        index.refresh(folder, Settings().vocabularies)
        fresh = SearchIndex(tmp_path / f"fresh-{round_number}")
        fresh.refresh(folder, Settings().vocabularies)
        assert _state(index) == _state(fresh)
        assert index.current().related == fresh.current().related
        assert ids_for(index, f"changed{round_number}") == [f"bulk-{round_number:04d}"]
        assert ids_for(index, f"word{100 + round_number}") == [f"renamed-{round_number}"]
        assert ids_for(index, f"word{120 + round_number}") == []
    assert mid_write >= 1, "no kill landed while a generation was being written"
    leftovers = [p.name for p in index.home.iterdir() if p.name.startswith("tmp-")]
    assert leftovers == [], "folders of killed writers are cleaned by the next update"


def test_search_works_while_another_process_writes(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    bulk(folder, 40)
    cache = tmp_path / "cache"
    index = SearchIndex(cache)
    index.refresh(folder, Settings().vocabularies)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(cache), "1"], stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"built"
        generations = set()
        deadline = time.monotonic() + 3
        searches = 0
        while time.monotonic() < deadline:
            assert ids_for(index, "missing index")[0] == "2024-03-08-auth-outage"
            generations.add((index.home / "CURRENT").read_text(encoding="utf-8"))
            searches += 1
        assert len(generations) >= 2, "the writer should have switched generations meanwhile"
        assert searches > 10
    finally:
        child.kill()
        child.wait()
        assert child.stdout is not None
        child.stdout.close()


def test_cli_refresh_sees_an_edit_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    target = folder / "2024-05-05-dns-old-host.md"
    old = time.time() - 3600
    os.utime(target, (old, old))
    index.refresh(folder, Settings().vocabularies)
    time.sleep(0.01)
    index.refresh(folder, Settings().vocabularies)  # the stat record is now trusted
    before = target.stat()
    text = target.read_text(encoding="utf-8").replace("decommissioned", "decommissionex")
    target.write_text(text, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size
    assert index.refresh(folder, Settings().vocabularies).stats.indexed == 1
    assert ids_for(index, "decommissionex") == ["2024-05-05-dns-old-host"]


def test_related_lists_follow_feature_changes_only(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "pm")
    index = SearchIndex(tmp_path / "cache")
    before = index.update(records(folder)).generation.related
    body_only = folder / "2024-02-20-cdn-cert-renewal.md"
    body_only.write_text(body_only.read_text(encoding="utf-8") + "\nMore notes.\n")
    assert index.update(records(folder)).generation.related == before
    tagged = folder / "2024-04-10-k8s-oom.md"
    tagged.write_text(
        tagged.read_text(encoding="utf-8")
        .replace("tags: [kubernetes, memory]", "tags: [cert]")
        .replace("root_cause_categories: [capacity]", "root_cause_categories: [expired-credential]")
    )
    after = index.update(records(folder)).generation.related
    assert [o for o, _s, _w in after["2024-04-10-k8s-oom"]][:1] == ["2024-02-20-cdn-cert-renewal"]
    fresh = SearchIndex(tmp_path / "fresh").update(records(folder)).generation.related
    assert after == fresh
