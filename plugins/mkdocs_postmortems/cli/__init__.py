"""The `postmortems` command line: `main(argv) -> int` and one module per command."""

from __future__ import annotations

from .main import main

__all__ = ["main"]
