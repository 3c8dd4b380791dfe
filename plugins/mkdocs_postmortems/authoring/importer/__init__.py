"""Turn a free-form postmortem into the format: extracted front matter over the original text.

`import_text` is pure (text in, `ImportResult` out). The package is split by job: `outline` reads
the document's shape (sections, `Label: value` facts, prose), `tables` reads Markdown tables,
`timeline` finds timed lines and the incident's times, `fields` the prose fields, `actions` the
follow-ups, `sources` the front matter a source already has (status pages, blogs, archives),
`assemble` puts one postmortem together and `review` reports what a person must check.
"""

from __future__ import annotations

from .assemble import ImportResult, import_text
from .context import ImportProblem
from .outline import Section, facts, normalize_label, outline, section_key

__all__ = [
    "ImportProblem",
    "ImportResult",
    "Section",
    "facts",
    "import_text",
    "normalize_label",
    "outline",
    "section_key",
]
