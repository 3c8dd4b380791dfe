"""`postmortems schema`: print the JSON Schema of the front matter."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ...core.json_schema import json_schema
from ...core.options import check
from ...plugin.config import read_options

EXAMPLES = """examples:
  postmortems schema > postmortem.schema.json
  postmortems schema --config path/to/mkdocs.yml   # with the site's vocabularies

Editors validate front matter with it, e.g. in VS Code with the YAML extension add to a
postmortem's first lines:  # yaml-language-server: $schema=postmortem.schema.json
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `schema` sub-command."""
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the front matter",
        description="Print the JSON Schema (draft 2020-12) of the postmortem front matter, "
        "with the site's vocabularies from mkdocs.yml applied.",
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "--config",
        "-f",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml, for its vocabularies (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema; return 2 when the site's vocabularies are misconfigured."""
    vocabularies = check(read_options(args.config))
    print(json.dumps(json_schema(vocabularies), indent=2, ensure_ascii=False))
    return 0
