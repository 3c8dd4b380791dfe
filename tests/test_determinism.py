"""Two builds of the same input produce byte-identical sites.

Each build runs in its own interpreter with a different PYTHONHASHSEED, so anything that
depends on set or dict-of-set order, object ids or the clock shows up as a difference.
SOURCE_DATE_EPOCH fixes the dates MkDocs writes (sitemap.xml and its gzip header).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, site_differences

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

EPOCH = "1717200000"


def _build(config: Path, site: Path, hash_seed: str) -> None:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": EPOCH,
        "PYTHONHASHSEED": hash_seed,
        "NO_MKDOCS_2_WARNING": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )


def _assert_identical(config: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _build(config, first, "1")
    _build(config, second, "2")
    assert (first / "index.html").exists()
    assert site_differences(first, second) == []
    shutil.rmtree(first)
    shutil.rmtree(second)


@pytest.mark.slow
def test_repository_site_is_reproducible(tmp_path: Path) -> None:
    _assert_identical(REPO / "mkdocs.yml", tmp_path)


@pytest.mark.slow
def test_generated_knowledge_base_is_reproducible(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    generate(40, 7, root / "postmortems")
    (root / "docs").mkdir()
    config = {
        "site_name": "Determinism",
        "theme": {"name": "material", "font": False},
        "plugins": ["search", {"postmortems": {}}],
        "markdown_extensions": ["admonition", "attr_list", "tables", {"toc": {"permalink": True}}],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    _assert_identical(root / "mkdocs.yml", tmp_path)


def test_differences_are_detected(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for site in (first, second):
        (site / "x").mkdir(parents=True)
        (site / "x" / "same.html").write_text("same", encoding="utf-8")
    (first / "x" / "page.html").write_text("one", encoding="utf-8")
    (second / "x" / "page.html").write_text("two", encoding="utf-8")
    (second / "extra.xml").write_text("", encoding="utf-8")
    assert site_differences(first, second) == ["extra.xml", "x/page.html"]
