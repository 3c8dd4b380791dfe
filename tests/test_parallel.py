"""Converting the plugin's pages in a worker process changes nothing but how long a build takes.

Every build here is a real `mkdocs build` in a child interpreter, as on the command line (the
test runner's own threads would keep the plugin from forking). Each site is built with
`workers: 0` and `workers: 1`; the two sites must be byte-identical and the two logs the same
line for line (MkDocs' link warnings included, so `--strict` counts the same), and the build
must leave no process behind. The `worker_probe` extension notes which processes converted
pages, so a test knows the worker really ran, and makes the worker fail on demand.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from conftest import REPO, VALID_FRONT_MATTER, postmortem, site_differences
from hostile_site import write_hostile
from mkdocs_postmortems.core.cache import BuildCache
from mkdocs_postmortems.plugin.adapter import PostmortemsPlugin
from mkdocs_postmortems.plugin.parallel import Sink, _convert, unavailable
from mkdocs_postmortems.plugin.rendered import ConvertedPage

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

TESTS = Path(__file__).resolve().parent
# Runs `mkdocs build` as its command line does, then says whether a child process or a
# thread is left.
DRIVER = """
import os, sys, threading
import click
from mkdocs.__main__ import cli
try:
    cli.main(args=sys.argv[1:], prog_name="mkdocs", standalone_mode=False)
    status = 0
except click.ClickException as error:
    error.show()
    status = 1
try:
    os.waitpid(-1, os.WNOHANG)
    print("driver: a child process is left", file=sys.stderr)
except ChildProcessError:
    print("driver: no child process left", file=sys.stderr)
print(f"driver: {threading.active_count()} thread(s)", file=sys.stderr)
sys.exit(status)
"""
EPOCH = "1717200000"


@dataclass(frozen=True)
class Build:
    """One build of a site: its folder, exit status, log and the processes that converted
    and built pages."""

    site: Path
    returncode: int
    log: str
    converters: set[str]
    builders: set[str]

    def lines(self) -> list[str]:
        """Return the log without timings and folders, which differ between any two builds."""
        text = self.log.replace(str(self.site), "SITE")
        text = re.sub(r"\d+\.\d+ s(econds)?", "N s", text)
        return [line for line in text.splitlines() if not line.startswith("driver:")]


def _variant(config: Path, workers: int, **plugin: object) -> Path:
    """Write a copy of `config` beside it with these plugin options and the probe extension."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    entries = data["plugins"]
    for index, entry in enumerate(entries):
        if entry == "postmortems" or (isinstance(entry, dict) and "postmortems" in entry):
            options = entry["postmortems"] if isinstance(entry, dict) else {}
            entries[index] = {
                "postmortems": {
                    **(options or {}),
                    "workers": workers,
                    "cache_dir": f".cache/workers-{workers}",  # each build starts cold
                    **plugin,
                }
            }
    data["markdown_extensions"] = [*data.get("markdown_extensions", []), "worker_probe"]
    data["hooks"] = [*data.get("hooks", []), str(TESTS / "worker_probe.py")]
    variant = config.with_name(f"mkdocs-workers-{workers}.yml")
    variant.write_text(yaml.safe_dump(data), encoding="utf-8")
    return variant


def _build(config: Path, site: Path, *flags: str, fail: str = "") -> Build:
    probe = site.with_name(site.name + "-converters.txt")
    built = site.with_name(site.name + "-builders.txt")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "SOURCE_DATE_EPOCH": EPOCH,
        "PM_PROBE_LOG": str(probe),
        "PM_BUILDER_LOG": str(built),
        "PM_PROBE_FAIL": fail,
    }
    command = [sys.executable, "-c", DRIVER, "build", "-f", str(config), "-d", str(site), *flags]
    proc = subprocess.run(
        command, cwd=config.parent, env=env, capture_output=True, text=True, timeout=300
    )
    assert "driver: no child process left" in proc.stderr, proc.stderr[-3000:]
    assert "driver: 1 thread(s)" in proc.stderr
    converters, builders = (
        set(path.read_text(encoding="utf-8").split()) if path.exists() else set()
        for path in (probe, built)
    )
    return Build(site, proc.returncode, proc.stdout + proc.stderr, converters, builders)


def _both(config: Path, *flags: str, fail: str = "", **plugin: object) -> tuple[Build, Build]:
    """Build `config` without and with a worker; return both builds."""
    serial = _build(_variant(config, 0, **plugin), config.parent / "serial", *flags)
    parallel = _build(_variant(config, 1, **plugin), config.parent / "parallel", *flags, fail=fail)
    return serial, parallel


def _assert_same(serial: Build, parallel: Build) -> None:
    assert serial.returncode == parallel.returncode
    assert (serial.site / "index.html").exists()
    assert site_differences(serial.site, parallel.site) == []
    assert serial.lines() == parallel.lines()
    assert len(serial.converters) == len(serial.builders) == 1
    # The build and its workers: one converting incident bodies from on_files, one the other
    # pages from on_nav, then one building pages.
    assert len(parallel.converters) == 3
    assert len(parallel.builders) == 2


LINKING = """\
## Details

See [the other incident](2024-05-03-other.md#details),
[a missing section](2024-05-03-other.md#nowhere), [a missing page](2024-01-01-missing.md),
[a folder](../nowhere/), [mail](someone@example.com) and
[the service's incidents](../browse/services/checkout.md), a page made after the incidents'.

## Details

Same title twice: MkDocs gives the second heading another anchor.
"""


def _synthetic(root: Path, count: int) -> Path:
    """Write a generated knowledge base plus incidents whose bodies link to other pages."""
    generate(count, 7, root / "postmortems")
    other = VALID_FRONT_MATTER.replace("2024-05-02", "2024-05-03")
    files = {
        "2024-05-02-linking.md": postmortem(body=LINKING),
        "2024-05-03-other.md": postmortem(other, body="## Details\n\nText.\n"),
    }
    for name, text in files.items():
        (root / "postmortems" / name).write_text(text, encoding="utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "about.md").write_text(
        "# About\n\nSee [an incident](postmortems/2024-05-02-linking.md#details).\n",
        encoding="utf-8",
    )
    config = {
        "site_name": "Parallel",
        "theme": {"name": "material", "font": False},
        "plugins": ["search", {"postmortems": {"build_date": "2024-06-01"}}],
        "markdown_extensions": ["admonition", "attr_list", "tables", {"toc": {"permalink": True}}],
        "validation": {"anchors": "warn", "unrecognized_links": "warn"},
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


@pytest.mark.slow
def test_a_generated_site_with_broken_links_fails_strict_mode_alike(tmp_path: Path) -> None:
    serial, parallel = _both(_synthetic(tmp_path, 120), "--strict")
    _assert_same(serial, parallel)
    assert serial.returncode == 1
    assert "Aborted with" in serial.log
    # MkDocs' link checks of an incident body, whichever process converted it.
    for problem in (
        "contains a link '2024-01-01-missing.md', but the target",
        "unrecognized relative link '../nowhere/'",
        "does not contain an anchor '#nowhere'",
    ):
        assert problem in parallel.log


@pytest.mark.slow
def test_the_hostile_site_is_identical(tmp_path: Path) -> None:
    _assert_same(*_both(write_hostile(tmp_path)))


@pytest.mark.slow
def test_the_repository_site_is_identical(tmp_path: Path) -> None:
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for folder in ("docs", "postmortems", "overrides"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    serial, parallel = _both(tmp_path / "mkdocs.yml", "--strict")
    _assert_same(serial, parallel)
    assert parallel.returncode == 0


@pytest.mark.parametrize("failure", ["raise", "exit", "raise-build", "exit-build"])
def test_a_failing_worker_leaves_its_pages_to_the_build(tmp_path: Path, failure: str) -> None:
    serial, parallel = _both(_synthetic(tmp_path, 10), fail=failure)
    # The worker started (the probe saw it) and the build converted or built its pages instead.
    _assert_same(serial, parallel)


def test_cards_the_worker_computed_reach_the_build_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_PROBE_SLOW", "3")  # so the worker builds incident pages too
    serial, parallel = _both(_synthetic(tmp_path, 10))
    _assert_same(serial, parallel)
    alone, shared = (BuildCache(tmp_path / ".cache" / f"workers-{n}") for n in (0, 1))
    cards = alone.digests("card")
    assert len(cards) == 12
    assert shared.digests("card") == cards, "every card, whichever process computed it"
    assert [shared.lookup("card", key, digest) for key, digest in cards.items()] == [
        alone.lookup("card", key, digest) for key, digest in cards.items()
    ]


def test_a_small_site_stays_in_one_process(tmp_path: Path) -> None:
    config = _variant(_synthetic(tmp_path, 10), 0)
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["plugins"][1]["postmortems"]["workers"] = "auto"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    build = _build(config, tmp_path / "site", "--verbose")
    reason = r"converting every page in the build process: [\d,]+ characters of Markdown to"
    assert re.search(reason, build.log)
    assert re.search(r"building every page in the build process: \d+ pages of its own", build.log)
    assert len(build.converters) == len(build.builders) == 1


def test_serve_dirty_builds_and_threads_keep_one_process(tmp_path: Path) -> None:
    config = load_config(str(_synthetic(tmp_path, 1)))
    owner = next(p for p in config.plugins.values() if isinstance(p, PostmortemsPlugin))
    assert "serve" in (unavailable(config, owner, command="serve", dirty=False) or "")
    assert "dirty" in (unavailable(config, owner, command="build", dirty=True) or "")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert "threads" in (unavailable(config, owner, command="build", dirty=False) or "")
    finally:
        stop.set()
        thread.join()


def test_a_conversion_holds_only_while_the_files_it_looked_up_keep_their_urls(
    tmp_path: Path,
) -> None:
    # What a worker started in on_files records, and what the build checks before taking it.
    docs, site = tmp_path / "docs", str(tmp_path / "site")
    for name, text in {
        "a/page.md": "See [b](../b.md) and [c](c.md).\n",
        "a/c.md": "# C\n",
        "b.md": "# B\n",
        "d.md": "# D\n",
    }.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: Lookups\n", encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"))

    def file(name: str, *, directory_urls: bool = True) -> File:
        return File(name, str(docs), site, use_directory_urls=directory_urls)

    page_file, b = file("a/page.md"), file("b.md")
    files = Files([page_file, b])
    converted = _convert(page_file, config, files, Sink())
    # (and the guesses MkDocs tries for its warning about the missing one)
    assert {("b.md", "b/"), ("a/c.md", None)} <= set(converted.lookups)
    assert converted.url == "a/page/"
    page = page_file.page
    assert page is not None
    assert converted.holds_for(page, files)
    # A file nobody links to changes nothing; the missing target, once added, does.
    files.append(file("d.md"))
    assert converted.holds_for(page, files)
    files.append(file("a/c.md"))
    assert not converted.holds_for(page, files)
    # So does a target that moved, or the page itself.
    assert not converted.holds_for(page, Files([page_file, file("b.md", directory_urls=False)]))
    moved_page = Page(None, file("a/page.md", directory_urls=False), config)
    assert not converted.holds_for(moved_page, Files([moved_page.file, b]))


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_converted_elsewhere_skips_only_an_empty_conversion(
    tmp_path: Path, debug: bool
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    settings = {"site_name": "Skip", "markdown_extensions": ["toc", "abbr", "footnotes"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    config = load_config(str(tmp_path / "mkdocs.yml"))
    names = ("a.md", "b.md", "c.md")
    for name in names:
        (docs / name).write_text("\n", encoding="utf-8")
    files = Files([File(name, str(docs), str(tmp_path / "site"), True) for name in names])
    logger = logging.getLogger("mkdocs.structure.pages")
    level = logger.level
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    try:
        converted = Page(None, files.src_uris["a.md"], config)  # MkDocs' own, of nothing
        skipped = ConvertedPage(None, files.src_uris["b.md"], config)
        given = ConvertedPage(None, files.src_uris["c.md"], config)
        for page in (converted, skipped, given):
            page.read_source(config)
            page.markdown = ""
        skipped.elsewhere = given.elsewhere = True
        given.markdown = "# Given\n\nA [link](a.md#top).\n"  # by a later plugin: converted
        for page in (converted, skipped, given):
            page.render(config, files)
    finally:
        logger.setLevel(level)
    fields = ("content", "_title_from_render", "present_anchor_ids", "links_to_anchors")
    assert [getattr(skipped, f, None) for f in fields] == [
        getattr(converted, f, None) for f in fields
    ]
    assert list(skipped.toc) == list(converted.toc) == []
    assert not skipped.elsewhere  # for this build only
    assert 'id="given"' in str(given.content)
    assert given.title == "Given"
