"""What a build imports: modules only some commands need stay out of every build's start-up,
and the commands that need them still work from a fresh interpreter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO

# Imported where used: the web server and file watcher of `mkdocs serve`, the fields of the
# Whoosh index (the CLI writes it), did-you-mean hints (files with mistakes), charts.
NOT_AT_START = ("mkdocs.livereload", "watchdog", "whoosh.fields", "difflib", "pygal")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _fresh(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, check=False, env=ENV, cwd=cwd
    )


def test_loading_the_plugin_leaves_out_what_only_some_paths_need() -> None:
    code = "import json, sys\nimport mkdocs_postmortems.plugin.adapter\n"
    code += "print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(_fresh("-c", code).stdout)
    assert "mkdocs_postmortems.plugin.adapter" in loaded
    early = [m for m in loaded if any(m == n or m.startswith(n + ".") for n in NOT_AT_START)]
    assert early == []


def test_commands_that_need_them_work_from_a_fresh_interpreter(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    shutil.copy(REPO / "postmortems" / "2024-03-08-auth-outage.md", folder)
    (tmp_path / "mkdocs.yml").write_text("site_name: T\nplugins:\n  - postmortems\n", "utf-8")
    # Search builds the Whoosh index (its schema's fields) on first use.
    found = _fresh("-m", "mkdocs_postmortems", "search", "missing index", "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["id"] == "2024-03-08-auth-outage"
    # Lint hints at the closest allowed value of a misspelt one.
    shutil.copy(FIXTURES / "lint" / "schema" / "2024-01-01-schema.md", folder)
    linted = _fresh("-m", "mkdocs_postmortems", "lint", cwd=tmp_path)
    assert linted.returncode == 1
    assert "'SEV22' is not an allowed severity (did you mean 'SEV2'?)" in linted.stdout
