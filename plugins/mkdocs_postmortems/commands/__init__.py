"""The sub-commands of the `postmortems` command line, one module each."""

from __future__ import annotations

from types import ModuleType

from . import check, search, similar

# Each module has `register(subparsers)`; the order here is the order in `--help`.
COMMANDS: tuple[ModuleType, ...] = (check, search, similar)
