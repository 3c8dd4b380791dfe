"""The sub-commands of the `postmortems` command line, one module each."""

from __future__ import annotations

from types import ModuleType

from . import import_, lint, new, schema, search, similar

# Each module has `register(subparsers)`; the order here is the order in `--help`.
COMMANDS: tuple[ModuleType, ...] = (search, similar, new, lint, import_, schema)
