"""One options object for plugin and CLI, URLs (and relative ones) from MkDocs' rules, and the
`enabled` switch."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mkdocs.exceptions import Abort
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

from conftest import REPO, BuildSite, parse_html, postmortem
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.core.options import DEFAULTS, PLUGIN_OPTIONS
from mkdocs_postmortems.core.urls import RelativeTo, page_url
from mkdocs_postmortems.plugin.adapter import GC_THRESHOLD, PostmortemsPlugin
from mkdocs_postmortems.plugin.config import PostmortemsConfig, read_options

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
SEED_ID = "2024-03-08-auth-outage"


def _site(tmp_path: Path, yml: str) -> Path:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text(yml, encoding="utf-8")
    return tmp_path


def _search_urls(site: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    code = main(["search", "missing index", "--json", "--config", str(site / "mkdocs.yml")])
    out = capsys.readouterr().out
    assert code == 0, out
    return [hit["url"] for hit in json.loads(out)]


def test_python_name_tag_keeps_site_url_and_directory_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reproduced bug: this tag made the CLI drop site_url and use_directory_urls.
    site = _site(
        tmp_path,
        "site_name: T\nsite_url: https://kb.example.com/sre/\nuse_directory_urls: false\n"
        "theme:\n  name: material\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - postmortems:\n      url_prefix: incidents\n",
    )
    assert _search_urls(site, capsys)[0] == (f"https://kb.example.com/sre/incidents/{SEED_ID}.html")


def test_env_tags_and_inherit_are_read_as_mkdocs_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_PREFIX", "kb")
    (tmp_path / "base.yml").write_text(
        "site_url: https://base.example.com/\nplugins:\n  - postmortems:\n"
        "      url_prefix: !ENV PM_PREFIX\n      related: 3\n",
        encoding="utf-8",
    )
    (tmp_path / "mkdocs.yml").write_text("INHERIT: base.yml\nsite_name: T\n", encoding="utf-8")
    options = read_options(tmp_path / "mkdocs.yml")
    assert (options.url_prefix, options.related) == ("kb", 3)
    assert options.site_url == "https://base.example.com/"
    assert options.cache_dir == DEFAULTS.cache_dir


@pytest.mark.parametrize(
    "argv",
    [["search", "index"], ["lint"], ["new", "A title"], ["schema"], ["similar", SEED_ID]],
    ids=lambda argv: argv[0],
)
@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        ("vocabularies: {sevrity: [P1]}", "unknown vocabulary 'sevrity'"),
        ("recurrence_window: -3", "recurrence_window must be a number of days"),
        ("related: lots", "related"),
        ("workers: 2", "workers"),
    ],
)
def test_unusable_options_exit_2_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], plugin: str, expected: str
) -> None:
    site = _site(tmp_path, f"site_name: T\nplugins:\n  - postmortems:\n      {plugin}\n")
    assert main([*argv, "--config", str(site / "mkdocs.yml")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_the_plugin_config_declares_every_option_once() -> None:
    declared = {name for name, _option in PostmortemsConfig._schema}
    assert declared == {*PLUGIN_OPTIONS, "enabled"}
    defaults = {name: option.default for name, option in PostmortemsConfig._schema}
    for name in PLUGIN_OPTIONS:
        if defaults[name] is not None:
            assert defaults[name] == getattr(DEFAULTS, name), name


@pytest.mark.parametrize(
    "src_uri",
    [
        "postmortems/2024-01-01-x.md",
        "postmortems/index.md",
        "postmortems/README.md",
        "postmortems/team a/2024 é.md",
        "index.md",
        "search.md",
    ],
)
@pytest.mark.parametrize("directory_urls", [True, False])
def test_cli_urls_follow_mkdocs_rules(src_uri: str, directory_urls: bool) -> None:
    file = File(src_uri, "docs", "site", use_directory_urls=directory_urls)
    assert page_url(src_uri, directory_urls=directory_urls) == file.url


_SEGMENTS = st.sampled_from(["", ".", "..", "a", "b", "postmortems", "x.html", "index.html"])
_PATHS = st.builds(
    lambda lead, parts, trail: lead + "/".join(parts) + trail,
    st.sampled_from(["", "/", "//"]),
    st.lists(_SEGMENTS, max_size=5),
    st.sampled_from(["", "/"]),
)


@settings(max_examples=500, deadline=None)
@given(here=_PATHS, urls=st.lists(_PATHS, min_size=1, max_size=4))
@example(here="postmortems/a/", urls=["postmortems/b/", "browse/tags/x/", "postmortems/a/"])
@example(here="postmortems/a.html", urls=["postmortems/b.html", "index.html", ""])
def test_relative_urls_follow_mkdocs_rules(here: str, urls: list[str]) -> None:
    relative = RelativeTo(here)
    for url in urls:  # twice: the second answer comes from the memo
        assert relative(url) == relative(url) == get_relative_url(url, here), url


INDEX_FRONT_MATTER = """\
title: An incident whose file is called index
date: 2024-05-03
status: published
severity: SEV2
summary: The file name is index.md.
root_cause: A config push set the payment timeout to zero.
services: [checkout]
tags: [config]
"""


@pytest.mark.parametrize("directory_urls", [True, False])
def test_a_postmortem_named_index_is_linked_where_mkdocs_publishes_it(
    build_site: BuildSite, directory_urls: bool
) -> None:
    site = build_site(
        {"index.md": postmortem(INDEX_FRONT_MATTER), "2024-05-02-checkout.md": postmortem()},
        config={"use_directory_urls": directory_urls},
    )
    published = "postmortems/" if directory_urls else "postmortems/index.html"
    assert "An incident whose file is called index" in site.page(published)
    wrong = "postmortems/index/" if directory_urls else "postmortems/index/index.html"
    pages = [
        p
        for p in site.site_dir.rglob("*.html")
        if "An incident whose file is called index" in p.read_text(encoding="utf-8")
    ]
    assert len(pages) > 3  # the incident, the catalog, home, its tag and service pages
    for path in pages:
        here = path.relative_to(site.site_dir).parent
        for _tag, attrs in parse_html(path.read_text(encoding="utf-8")).tags:
            href = attrs.get("href") or ""
            if href.startswith(("http", "#", "mailto:", "data:")) or not href:
                continue
            target = (site.site_dir / here / href.split("#")[0].split("?")[0]).resolve()
            assert wrong.rstrip("/") not in target.as_posix(), (path, href)
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{path.relative_to(site.site_dir)} links to missing {href}"
    data = json.loads((site.site_dir / "assets/postmortems/search-data.json").read_text())
    urls = [row[0] for row in data["docs"]]
    assert published in urls


def test_enabled_false_builds_the_site_without_the_plugin(build_site: BuildSite) -> None:
    site = build_site(
        {"2024-05-02-checkout.md": postmortem()},
        docs={"index.md": "# Home\n"},
        plugin={"enabled": False},
    )
    assert site.error is None
    built = {p.relative_to(site.site_dir).as_posix() for p in site.site_dir.rglob("*.html")}
    assert "index.html" in built
    assert not [p for p in built if p.startswith(("postmortems/", "tags/", "services/"))]
    assert not (site.site_dir / "assets" / "postmortems").exists()
    assert site.messages == []


def test_a_build_leaves_the_garbage_collector_as_it_found_it(
    build_site: BuildSite, tmp_path: Path
) -> None:
    # The plugin raises the first-generation threshold for the build only (GC_THRESHOLD) and
    # freezes what on_files made; a MkDocs hook notes both while pages are converted.
    noted = tmp_path / "threshold.txt"
    hook = tmp_path / "note_threshold.py"
    hook.write_text(
        "import gc\nimport pathlib\n\n\ndef on_page_markdown(markdown, **kwargs):\n"
        f"    pathlib.Path({str(noted)!r}).write_text(\n"
        "        f'{gc.get_threshold()[0]} {gc.get_freeze_count() > 0} {gc.isenabled()}'\n    )\n",
        encoding="utf-8",
    )
    failing = tmp_path / "fail_after_files.py"
    failing.write_text("def on_nav(nav, **kwargs):\n    raise RuntimeError('hook failed')\n")
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    files = {"2024-05-02-checkout.md": postmortem()}
    assert build_site(files, config={"hooks": [str(hook)]}).error is None
    assert noted.read_text(encoding="utf-8") == f"{GC_THRESHOLD} True True"
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    # A build that fails (the docs folder holds a page the plugin generates; a hook fails
    # after on_files) restores both too.
    with pytest.raises(Abort):
        build_site(files, docs={"catalog.md": "# Mine\n"})
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    with pytest.raises(RuntimeError, match="hook failed"):
        build_site(files, config={"hooks": [str(failing)]})
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
    assert gc.isenabled()


def test_a_worker_started_from_on_files_collects() -> None:
    # on_files runs with the collector off; the worker it starts converts many pages and
    # must collect their cyclic garbage.
    plugin = PostmortemsPlugin()
    plugin.on_startup(command="build", dirty=False)
    gc.disable()
    try:
        plugin._become_worker()  # what the worker process runs first, after the fork
        assert gc.isenabled()
    finally:
        gc.enable()
