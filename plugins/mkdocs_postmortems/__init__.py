"""A postmortem knowledge base for MkDocs: validated incidents, cross-incident views, search."""

from __future__ import annotations

__version__ = "0.1.0"
