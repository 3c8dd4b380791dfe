"""The build cache: unchanged files are not parsed again, and nothing stale is ever served."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import VALID_FRONT_MATTER, BuildSite, postmortem
from mkdocs_postmortems.core import cache as cache_module
from mkdocs_postmortems.core.cache import FOLDER_NAME, MANIFEST_NAME, BuildCache, serial_map
from mkdocs_postmortems.core.catalog import Catalog, Settings, load_catalog
from mkdocs_postmortems.plugin.forkmap import ForkMap
from synthetic import synthetic_files

BLAMING_BODY = "## What happened\n\nThe operator was careless with the config push.\n"
LESSONS_AND_TIMELINE = "\n## Timeline\n\n- 09:00 the push\n\n## Lessons\n\nReview pushes.\n"


def write_corpus(folder: Path, count: int) -> None:
    """Write `count` valid postmortems, each with a word of its own, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        front = VALID_FRONT_MATTER.replace(
            "Checkout errors after a config push", f"Incident {number} with word{number}"
        )
        (folder / f"2024-05-{number % 28 + 1:02d}-item{number:03d}.md").write_text(
            postmortem(front, f"Body of word{number}.\n"), encoding="utf-8"
        )


def same(a: Catalog, b: Catalog) -> None:
    """Assert that two catalogs hold equal records, rejected files and assets."""
    assert a.postmortems == b.postmortems
    assert a.rejected == b.rejected
    assert a.assets == b.assets


def test_cached_load_is_a_fresh_load_after_change_rename_and_delete(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    write_corpus(folder, 12)
    (folder / "broken.md").write_text("no front matter\n", encoding="utf-8")
    settings = Settings()
    cache = BuildCache(tmp_path / "cache")
    same(load_catalog(folder, settings, cache), load_catalog(folder, settings))
    cache.save()
    assert cache.misses == 13

    again = BuildCache(tmp_path / "cache")  # the next build, in a new process
    same(load_catalog(folder, settings, again), load_catalog(folder, settings))
    assert (again.hits, again.misses) == (13, 0)

    changed = sorted(folder.glob("*item000.md"))[0]
    changed.write_text(changed.read_text(encoding="utf-8").replace("SEV2", "SEV1"), "utf-8")
    renamed = sorted(folder.glob("*item001.md"))[0]
    renamed.rename(folder / "2024-05-02-renamed.md")
    sorted(folder.glob("*item002.md"))[0].unlink()
    again.begin()
    catalog = load_catalog(folder, settings, again)
    same(catalog, load_catalog(folder, settings))
    assert (again.hits, again.misses) == (10, 2)
    assert catalog.get("2024-05-01-item000") is not None
    assert catalog.get("2024-05-01-item000").severity == "SEV1"  # type: ignore[union-attr]
    assert catalog.get("2024-05-02-renamed") is not None
    assert catalog.get("2024-05-02-item001") is None
    assert catalog.get("2024-05-03-item002") is None
    again.save()
    keys = BuildCache(tmp_path / "cache").digests("record")  # as the next build reads it
    assert sorted(keys) == sorted(p.name for p in folder.iterdir()), (  # type: ignore[type-var]
        "entries of renamed and deleted files are dropped"
    )


def test_other_vocabularies_are_a_miss(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    write_corpus(folder, 3)
    cache = BuildCache(tmp_path / "cache")
    load_catalog(folder, Settings(), cache)
    vocabularies = dict(Settings().vocabularies)
    vocabularies["severity"] = tuple(
        term for term in vocabularies["severity"] if term.value != "SEV2"
    )
    narrow = Settings(vocabularies)
    catalog = load_catalog(folder, narrow, cache)
    assert cache.misses == 6
    same(catalog, load_catalog(folder, narrow))
    assert all(pm.has_errors for pm in catalog), "SEV2 is no longer allowed"


def test_a_cache_of_other_code_or_a_torn_file_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    write_corpus(folder, 3)
    cache = BuildCache(tmp_path / "cache", salt="code A")
    load_catalog(folder, Settings(), cache)
    cache.store("only_a", "key", "digest", "a value code B does not compute")
    cache.save()
    other = BuildCache(tmp_path / "cache", salt="code B")
    load_catalog(folder, Settings(), other)
    assert other.hits == 0, "a cache written by other code is not read"
    assert any(name.startswith("only_a-") for name in _shards(tmp_path / "cache"))
    other.save()
    # Shards of equal content are shared (the records here); the others go with A's manifest.
    assert [name for name in _shards(tmp_path / "cache") if name.startswith("only_a-")] == []
    path = tmp_path / "cache" / FOLDER_NAME / MANIFEST_NAME
    path.write_bytes(path.read_bytes()[:100])
    torn = BuildCache(tmp_path / "cache", salt="code B")
    same(load_catalog(folder, Settings(), torn), load_catalog(folder, Settings()))
    assert torn.hits == 0
    torn.save()
    rewritten = BuildCache(tmp_path / "cache", salt="code B")
    assert rewritten.digests("record"), "the torn file is rewritten"


class Counted:
    """A cached value that counts how often it is pickled and unpickled."""

    pickled = 0
    unpickled = 0

    def __init__(self, number: int) -> None:
        self.number = number

    def __reduce__(self) -> tuple[object, tuple[int]]:
        Counted.pickled += 1
        return _unpickle_counted, (self.number,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counted) and other.number == self.number

    __hash__ = None  # type: ignore[assignment]


def _unpickle_counted(number: int) -> Counted:
    Counted.unpickled += 1
    return Counted(number)


def _filled(folder: Path, count: int, space: str = "numbers") -> BuildCache:
    """Return a cache of `count` Counted values in `space`, saved in `folder`."""
    cache = BuildCache(folder, salt="test")
    for number in range(count):
        cache.store(space, f"key{number}", f"digest{number}", Counted(number))
    cache.save()
    return cache


def _shards(folder: Path) -> dict[str, int]:
    """Return the shard files of the cache in `folder`, with their inode numbers."""
    files = (folder / FOLDER_NAME).glob("*-*-*.pickle")
    return {path.name: path.stat().st_ino for path in files}


def test_values_are_unpickled_on_lookup_only(tmp_path: Path) -> None:
    _filled(tmp_path, 100)
    Counted.unpickled = 0
    cache = BuildCache(tmp_path, salt="test")
    assert Counted.unpickled == 0, "reading the cache unpickles no value"
    assert cache.holds("numbers", "key7", "digest7")
    assert Counted.unpickled == 0
    assert cache.lookup("numbers", "key7", "digest7") == Counted(7)
    assert cache.lookup("numbers", "key7", "digest7") == Counted(7)
    assert Counted.unpickled == 1, "a value is unpickled once, when it is first looked up"
    assert cache.lookup("numbers", "key8", "other digest") is None
    assert Counted.unpickled == 1, "a value of another digest is not unpickled"


def test_a_save_after_one_change_writes_one_shard_and_pickles_one_value(tmp_path: Path) -> None:
    _filled(tmp_path, 300)
    before = _shards(tmp_path)
    assert len(before) > 4, "the values are spread over shards"
    cache = BuildCache(tmp_path, salt="test")
    Counted.pickled = 0
    for number in range(300):
        cache.keep("numbers", f"key{number}")
    for number in range(0, 300, 2):  # unpickled: their bytes are let go
        assert cache.lookup("numbers", f"key{number}", f"digest{number}") == Counted(number)
    cache.store("numbers", "key5", "changed", Counted(-5))
    cache.save()
    assert Counted.pickled == 1, "unchanged values are written as the bytes that were read"
    after = _shards(tmp_path)
    assert len(set(after) - set(before)) == 1, "one shard is written"
    assert len(set(before) - set(after)) == 1, "the shard it replaces is removed"
    assert all(after[name] == inode for name, inode in before.items() if name in after)
    again = BuildCache(tmp_path, salt="test")
    assert again.lookup("numbers", "key5", "changed") == Counted(-5)
    assert again.lookup("numbers", "key5", "digest5") is None
    assert [again.lookup("numbers", f"key{n}", f"digest{n}") for n in range(6, 300)] == [
        Counted(n) for n in range(6, 300)
    ]
    again.begin()
    again.keep("numbers", "key1")
    again.save()
    assert BuildCache(tmp_path, salt="test").digests("numbers") == {"key1": "digest1"}
    assert len(_shards(tmp_path)) == 1, "the shards of dropped entries are removed"


def test_damaged_or_missing_shards_are_misses_and_written_again(tmp_path: Path) -> None:
    _filled(tmp_path, 300)
    damaged, missing = (tmp_path / FOLDER_NAME / name for name in sorted(_shards(tmp_path))[:2])
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 1  # one bit, as a disk may flip it: same size, still a pickle?
    damaged.write_bytes(bytes(data))
    missing.unlink()
    cache = BuildCache(tmp_path, salt="test")
    found = [cache.lookup("numbers", f"key{n}", f"digest{n}") for n in range(300)]
    lost = [n for n, value in enumerate(found) if value is None]
    assert 0 < len(lost) < 300 // 2, "only the entries of the two shards are misses"
    assert all(found[n] == Counted(n) for n in range(300) if n not in lost)
    for number in lost:
        cache.store("numbers", f"key{number}", f"digest{number}", Counted(number))
    cache.save()
    again = BuildCache(tmp_path, salt="test")
    assert [again.lookup("numbers", f"key{n}", f"digest{n}") for n in range(300)] == [
        Counted(n) for n in range(300)
    ]
    assert again.misses == 0


def test_a_save_that_dies_before_its_manifest_leaves_the_previous_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _filled(tmp_path, 300)
    cache = BuildCache(tmp_path, salt="test")
    for number in range(300):
        cache.store("numbers", f"key{number}", f"new{number}", Counted(number + 1000))
    real = cache_module._write_atomically

    def die_at_the_manifest(path: Path, data: bytes) -> None:
        if path.name == MANIFEST_NAME:
            raise KeyboardInterrupt  # as a kill between the shards and the manifest
        real(path, data)

    monkeypatch.setattr(cache_module, "_write_atomically", die_at_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        cache.save()
    monkeypatch.undo()
    written = set(_shards(tmp_path))
    after_crash = BuildCache(tmp_path, salt="test")
    assert [after_crash.lookup("numbers", f"key{n}", f"new{n}") for n in range(300)] == [None] * 300
    assert [after_crash.lookup("numbers", f"key{n}", f"digest{n}") for n in range(300)] == [
        Counted(n) for n in range(300)
    ], "the previous manifest and its shards are whole"
    for path in (tmp_path / FOLDER_NAME).iterdir():
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    after_crash.save()  # nothing changed, but shards no manifest names are old: removed
    assert set(_shards(tmp_path)) < written


def test_a_save_shared_with_a_second_process_writes_the_same_files(tmp_path: Path) -> None:
    for folder, mapper in (("serial", serial_map), ("shared", ForkMap(True, min_items=2))):
        cache = BuildCache(tmp_path / folder, salt="test")
        for space in ("numbers", "others"):
            for number in range(500):
                cache.store(space, f"key{number}", f"digest{number}", Counted(number))
        cache.save(mapper)
    assert mapper.shared > 0, "the second process wrote shards"
    assert set(_shards(tmp_path / "shared")) == set(_shards(tmp_path / "serial"))
    again = BuildCache(tmp_path / "shared", salt="test")
    for space in ("numbers", "others"):
        assert [again.lookup(space, f"key{n}", f"digest{n}") for n in range(500)] == [
            Counted(n) for n in range(500)
        ]


def test_values_a_worker_stored_reach_the_build_as_bytes(tmp_path: Path) -> None:
    build = BuildCache(tmp_path, salt="test")
    build.store("numbers", "before", "d", Counted(0))
    worker = BuildCache(None, salt="test")  # as the worker's copy of the build's cache
    worker.watch_stores()
    worker.store("numbers", "one", "d1", Counted(1))
    worker.store("numbers", "one", "d2", Counted(2))
    worker.store("cards", "two", "d3", Counted(3))
    sent = worker.take_stores()
    assert worker.take_stores() == []
    assert [(space, key, digest) for space, key, digest, _ in sent] == [
        ("numbers", "one", "d2"),
        ("cards", "two", "d3"),
    ]
    Counted.pickled = Counted.unpickled = 0
    for entry in sent:
        build.store_pickled(*entry)
    build.save()
    assert (Counted.pickled, Counted.unpickled) == (1, 0), "only the build's own value is pickled"
    assert BuildCache(tmp_path, salt="test").lookup("cards", "two", "d3") == Counted(3)
    with pytest.raises(ValueError, match="namespace"):
        build.store("Not a name/", "key", "digest", 1)


SAVER = textwrap.dedent(
    """
    import random, sys
    from pathlib import Path
    from mkdocs_postmortems.core.cache import BuildCache
    from mkdocs_postmortems.core.catalog import Settings, load_catalog

    folder, home = Path(sys.argv[1]), Path(sys.argv[2])
    rng = random.Random(int(sys.argv[3]))
    files = sorted(folder.glob("*.md"))
    cache = BuildCache(home)
    while True:
        target = rng.choice(files)
        target.write_text(target.read_text().replace("Body of", "Body of x", 1))
        cache.begin()
        load_catalog(folder, Settings(), cache)
        cache.save()
    """
)


@pytest.mark.slow
def test_sigkill_while_saving_leaves_a_correct_next_build(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    write_corpus(folder, 150)
    home = tmp_path / "cache"
    for round_number, delay in enumerate([0.3, 0.7, 1.1, 1.6, 2.2]):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(folder), str(home), str(round_number)],
            env={**os.environ},
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # Change, rename and delete files after the crash; the next build must see all of it.
        victim = sorted(folder.glob(f"*item{round_number:03d}.md"))[0]
        victim.write_text(
            victim.read_text(encoding="utf-8").replace("Body of", f"Changed{round_number}"),
            encoding="utf-8",
        )
        sorted(folder.glob(f"*item{100 + round_number:03d}.md"))[0].rename(
            folder / f"2024-06-01-renamed-{round_number}.md"
        )
        sorted(folder.glob(f"*item{120 + round_number:03d}.md"))[0].unlink()
        cache = BuildCache(home)
        catalog = load_catalog(folder, Settings(), cache)
        same(catalog, load_catalog(folder, Settings()))
        assert f"Changed{round_number}" in catalog.get(victim.stem).body  # type: ignore[union-attr]
        cache.save()
    for leftover in (home / FOLDER_NAME).glob(".*.tmp"):
        os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    cache = BuildCache(home)
    load_catalog(folder, Settings(), cache)
    sorted(folder.glob("*.md"))[0].unlink()  # something to save
    cache.begin()
    load_catalog(folder, Settings(), cache)
    cache.save()
    assert list((home / FOLDER_NAME).glob(".*.tmp")) == [], "abandoned temporary files are removed"


def test_builds_reuse_the_cache_and_show_every_change(build_site: BuildSite) -> None:
    files = {
        "2024-05-02-checkout.md": postmortem(body=BLAMING_BODY),
        "2024-05-03-other.md": postmortem(
            VALID_FRONT_MATTER.replace("Checkout errors after a config push", "Other outage")
        ),
    }
    plugin = {"lint_on_build": True, "cache_dir": "../cache"}
    first = build_site(files, plugin=plugin)
    # Lint findings are cached with the records: an error-level one is visible in the log.
    blame = [m for m in first.messages if "checkout.md" in m and "'Lessons'" in m]
    assert blame, first.messages
    cache_dir = first.root.parent / "cache"
    assert (cache_dir / FOLDER_NAME / MANIFEST_NAME).is_file()
    cache = BuildCache(cache_dir)
    assert sorted(cache.digests("record")) == sorted(files)  # type: ignore[type-var]
    assert sorted(cache.digests("lint")) == sorted(files)  # type: ignore[type-var]

    # The same files in another site folder, sharing the cache: the lint finding still shows.
    second = build_site(files, plugin=plugin)
    assert [m for m in second.messages if "checkout.md" in m and "'Lessons'" in m] == blame
    assert second.page("postmortems/2024-05-02-checkout/") == first.page(
        "postmortems/2024-05-02-checkout/"
    )

    fixed = dict(files)
    fixed["2024-05-02-checkout.md"] = postmortem(
        VALID_FRONT_MATTER.replace("20 minutes", "25 minutes"),
        BLAMING_BODY.replace("careless with", "surprised by") + LESSONS_AND_TIMELINE,
    )
    third = build_site(fixed, plugin=plugin)
    assert not [m for m in third.messages if "checkout.md" in m], third.messages
    assert [m for m in third.messages if "other.md" in m and "'Lessons'" in m]
    page = third.page("postmortems/2024-05-02-checkout/")
    assert "25 minutes" in page
    assert "surprised by" in page
    fresh = build_site(fixed, plugin={**plugin, "cache_dir": "fresh-cache"})
    for url in ("postmortems/2024-05-02-checkout/", "postmortems/2024-05-03-other/", ""):
        assert third.page(url) == fresh.page(url), url


def test_a_build_from_the_cache_writes_what_a_build_from_scratch_writes(
    build_site: BuildSite,
) -> None:
    files: dict[str, str | bytes] = dict(synthetic_files(40))
    cached = {"cache_dir": "../shared-cache"}
    build_site(files, plugin=cached)
    # One incident renamed and resummarized: its page, the listings and the cards of the
    # incidents that show it change; every other record, lint result, card and page is reused.
    name = sorted(files)[20]
    text = str(files[name])
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    summary = next(line for line in text.splitlines() if line.startswith("summary: "))
    files[name] = text.replace(title, "title: Renamed incident").replace(
        summary, "summary: A new summary."
    )
    warm = build_site(files, plugin=cached)
    fresh = build_site(files, plugin={"cache_dir": "fresh-cache"})
    warm_pages, fresh_pages = _pages(warm.site_dir), _pages(fresh.site_dir)
    assert sorted(warm_pages) == sorted(fresh_pages)
    assert [page for page in fresh_pages if warm_pages[page] != fresh_pages[page]] == []
    assert sum(b"Renamed incident" in html for html in fresh_pages.values()) > 3


def _pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.html"))}


def test_reading_and_saving_leave_the_collector_as_they_found_it(tmp_path: Path) -> None:
    assert gc.isenabled()
    _filled(tmp_path, 50)
    BuildCache(tmp_path, salt="test").save()
    assert gc.isenabled()
    gc.disable()
    try:
        _filled(tmp_path, 60)
        assert not gc.isenabled(), "a caller that turned it off keeps it off"
    finally:
        gc.enable()


def test_values_a_second_process_computed_are_saved_as_the_bytes_it_sent(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path, salt="test")
    mapper = ForkMap(True, min_items=2)
    items = [(f"key{n}", f"digest{n}", n) for n in range(40)]
    Counted.pickled = 0
    values = cache.get_or_compute_all("numbers", items, Counted, mapper)
    assert values == [Counted(n) for n in range(40)]
    assert mapper.shared == 20
    assert Counted.pickled == 0, "the child's pickling happens in the child"
    cache.save()
    assert Counted.pickled == 20, "only the values computed here are pickled by the save"
    again = BuildCache(tmp_path, salt="test")
    assert again.get_or_compute_all("numbers", items, _not_called) == values
    assert again.hits == 40


def _not_called(number: int) -> Counted:
    raise AssertionError(f"computed {number} again")


def test_records_parsed_by_a_second_process_read_back_equal(tmp_path: Path) -> None:
    folder = tmp_path / "pm"
    write_corpus(folder, 30)
    mapper = ForkMap(True, min_items=2)
    cache = BuildCache(tmp_path / "cache")
    shared = load_catalog(folder, Settings(), cache, mapper)
    assert mapper.shared == 15
    same(shared, load_catalog(folder, Settings()))
    cache.save()
    again = BuildCache(tmp_path / "cache")
    same(load_catalog(folder, Settings(), again), shared)
    assert (again.hits, again.misses) == (30, 0)
