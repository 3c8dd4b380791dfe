"""The package tree follows the architecture: layers import downwards only, and the two heavy
dependencies each stay inside one package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "plugins" / "mkdocs_postmortems"
# Lowest first: a package may import from its own layer's package and any package before it.
LAYERS = ("core", "analysis", "search", "authoring", "views", "plugin", "cli")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[str]:
    """Return the absolute dotted names `path` imports (relative imports resolved)."""
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = here[:-1]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
                if node.module is None:
                    names.extend(f"{module}.{alias.name}" for alias in node.names)
                    continue
                names.append(module)
            else:
                names.append(node.module or "")
    return names


def _layer(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def test_every_module_sits_in_a_role_package() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    assert loose == []
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        LAYERS
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_layers_import_downwards_only(path: Path) -> None:
    layer = _layer(path)
    if layer is None:
        return
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    upward = [
        name
        for name in _imports(path)
        if name.startswith("mkdocs_postmortems.")
        and name.split(".")[1] in LAYERS
        and name.split(".")[1] not in allowed
    ]
    assert upward == [], f"{layer} must not import {upward}"


@pytest.mark.parametrize(("dependency", "home"), [("whoosh", "search"), ("mkdocs", "plugin")])
def test_heavy_dependencies_stay_in_one_package(dependency: str, home: str) -> None:
    users = {
        _layer(path)
        for path in _modules()
        if any(name == dependency or name.startswith(f"{dependency}.") for name in _imports(path))
    }
    assert users == {home}


def test_the_layer_check_sees_a_violation() -> None:
    # The check must be able to fail: core/catalog.py importing views would be reported.
    fake = PACKAGE / "core" / "catalog.py"
    assert "mkdocs_postmortems.core.loader" in _imports(fake)
    assert _layer(fake) == "core"


def test_the_plugin_and_cli_import_where_fcntl_does_not_exist() -> None:
    # Windows has no fcntl; the search store locks through filelock instead.
    code = (
        "import sys; sys.modules['fcntl'] = None; "
        "import mkdocs_postmortems.plugin, mkdocs_postmortems.cli; print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
