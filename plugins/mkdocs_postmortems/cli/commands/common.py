"""Options and helpers shared by the sub-commands."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from ...core.catalog import Catalog, Settings, load_catalog
from ...core.options import Options, check
from ...core.urls import page_url
from ...plugin.config import read_options


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


def iso_date(text: str) -> date:
    """Return the date written as YYYY-MM-DD, for `type=` of an argparse option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def site_options(args: argparse.Namespace) -> Options:
    """Return the site's options, read from `--config` as a build reads them.

    Raises `OptionsError` (the command line exits 2 with its message) when they are unusable.
    """
    return read_options(args.config)


def source_folder(args: argparse.Namespace, options: Options) -> Path:
    """Return the postmortems folder: `--source`, else the site's `source` option."""
    return args.source if args.source is not None else options.root


def load_from_args(args: argparse.Namespace) -> tuple[Catalog, Path]:
    """Return the catalog of the folder the arguments point at, and that folder."""
    options = site_options(args)
    root = source_folder(args, options)
    return load_catalog(root, Settings(check(options))), root


def incident_url(options: Options, path: str, *, absolute: bool = True) -> str:
    """Return the URL of the page of the postmortem at `path` (relative to the source folder).

    It follows MkDocs' rules, as the build's `File` objects do; with `absolute`, it starts
    with the site's `site_url` when one is set.
    """
    url = page_url(f"{options.prefix}/{path}", directory_urls=options.use_directory_urls)
    if absolute and options.site_url:
        return options.site_url.rstrip("/") + "/" + url
    return url
