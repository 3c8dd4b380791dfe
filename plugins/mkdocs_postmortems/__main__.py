"""Run the `postmortems` command line: `python -m mkdocs_postmortems`."""

from __future__ import annotations

import sys

from .cli.main import main

sys.exit(main())
