"""The MkDocs adapter: the only code that imports MkDocs, with its templates and assets."""

from __future__ import annotations

from .adapter import PostmortemsPlugin

__all__ = ["PostmortemsPlugin"]
