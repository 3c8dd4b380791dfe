"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ...core.catalog import Catalog, Settings, load_catalog
from ...core.vocabulary import merge_vocabularies


def add_source_option(parser: argparse.ArgumentParser) -> None:
    """Add `--config` (mkdocs.yml) and `--source` (the postmortems folder) to `parser`."""
    parser.add_argument(
        "--config",
        "-f",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml, for the plugin options (default: %(default)s)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the postmortems folder (default: the plugin's 'source' option, else ./postmortems)",
    )


def plugin_options(config: Path) -> dict[str, object]:
    """Return the `postmortems` plugin options from the mkdocs.yml at `config` ({} if none)."""
    if not config.is_file():
        return {}
    # mkdocs.yml may use !ENV and other tags MkDocs understands; we only need plain options.
    try:
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return {}
    plugins = data.get("plugins", []) if isinstance(data, dict) else []
    for entry in plugins if isinstance(plugins, list) else [plugins]:
        if isinstance(entry, dict) and "postmortems" in entry:
            options = entry["postmortems"]
            return options if isinstance(options, dict) else {}
    return {}


class _TolerantLoader(yaml.SafeLoader):
    """A SafeLoader that reads unknown tags (such as !ENV or !!python/name) as None."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def load_from_args(args: argparse.Namespace) -> tuple[Catalog, Path]:
    """Return the catalog of the folder the arguments point at, and that folder."""
    options = plugin_options(args.config)
    overrides = options.get("vocabularies")
    vocabularies, _errors = merge_vocabularies(overrides if isinstance(overrides, dict) else {})
    if args.source is not None:
        root = args.source
    else:
        root = args.config.parent / str(options.get("source", "postmortems"))
    return load_catalog(root, Settings(vocabularies)), root


def site_option(config: Path, key: str, default: object) -> object:
    """Return the top-level option `key` of the mkdocs.yml at `config`, or `default`."""
    try:
        data = yaml.load(config.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (OSError, yaml.YAMLError):
        return default
    value = data.get(key) if isinstance(data, dict) else None
    return default if value is None else value
