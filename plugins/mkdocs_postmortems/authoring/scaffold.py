"""Write the text of a new postmortem from the schema: every field explained in a comment.

The template is generated from `schema.FIELDS` and the site's vocabularies, so it always shows
the format the validator checks. Values the author must still supply are `TODO` placeholders,
which `postmortems lint` reports until they are replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core.model import PLACEHOLDER
from ..core.schema import FIELDS, Field, Kind
from ..core.text import slugify
from ..core.vocabulary import Vocabularies
from ..core.yaml_dump import inline, quote
from .lint import LintConfig

BODY_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "What happened",
        "The story in a few paragraphs: what users saw, how we found out, what we tried.",
    ),
    (
        "Timeline",
        "Key moments with times and time zones, oldest first (a list or a table). "
        "You may instead fill `timeline:` in the front matter.",
    ),
    (
        "Root cause",
        "Why it happened: the technical cause and the conditions that allowed it. "
        "The one-paragraph version goes in `root_cause:` above.",
    ),
    ("Resolution", "What stopped the impact and what closed the incident."),
    (
        "Lessons learned",
        "What went well, what went wrong, where we got lucky. "
        "You may instead fill `lessons:` in the front matter.",
    ),
)


@dataclass(frozen=True)
class Draft:
    """What the author told `postmortems new`."""

    title: str
    day: date
    severity: str | None = None
    services: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    slug: str | None = None


def file_stem(draft: Draft) -> str:
    """Return the file name without `.md`: `YYYY-MM-DD-slug`."""
    return f"{draft.day.isoformat()}-{draft.slug or slugify(draft.title) or 'incident'}"


def _describe(spec: Field, vocabularies: Vocabularies, indent: str) -> list[str]:
    required = " (required)" if spec.required else ""
    lines = [f"# {indent}{spec.name}{required}: {spec.doc}"]
    vocabulary = spec.vocabulary
    if vocabulary:
        terms = vocabularies.get(vocabulary, ())
        many = "Each one of:" if spec.kind is Kind.LIST else "One of:"
        lines.append(f"# {indent}  {many}")
        lines += [
            f"# {indent}    {term.value}" + (f": {term.description}" if term.description else "")
            for term in terms
        ]
    return lines


def _example_block(spec: Field) -> list[str]:
    """Return a commented-out example of a mapping or list-of-mappings field."""
    shown = [sub for sub in spec.fields if sub.example is not None]
    if spec.kind is Kind.MAPPING:
        return [f"# {spec.name}:"] + [f"#   {sub.name}: {inline(sub.example)}" for sub in shown]
    lines = [f"# {spec.name}:"]
    for index, sub in enumerate(shown):
        lead = "  - " if index == 0 else "    "
        lines.append(f"# {lead}{sub.name}: {inline(sub.example)}")
    return lines


def _active_value(spec: Field, draft: Draft, stem: str) -> str | None:
    """Return the YAML value of a field the template fills in, or None to comment it out."""
    todo = f"{PLACEHOLDER}: {spec.doc}"
    if spec.name == "id":
        return stem
    if spec.name == "title":
        return quote(draft.title)
    if spec.name == "date":
        return draft.day.isoformat()
    if spec.name == "status":
        return "draft"
    if spec.name == "severity":
        return draft.severity or PLACEHOLDER
    if spec.name == "services":
        return inline(draft.services or (PLACEHOLDER,))
    if spec.name == "teams" and draft.teams:
        return inline(draft.teams)
    if spec.name == "authors" and draft.authors:
        return inline(draft.authors)
    if spec.required and spec.kind in (Kind.TEXT, Kind.LINE):
        return quote(todo)
    return None


def front_matter(draft: Draft, vocabularies: Vocabularies) -> str:
    """Return the commented front matter (without the `---` lines) for `draft`."""
    stem = file_stem(draft)
    lines = [
        "# The facts of the incident. Every field is explained in the comment above it.",
        f"# Replace each {PLACEHOLDER}; `postmortems lint` lists those left. Optional fields",
        "# are commented out: delete the leading '# ' of a field (and its example) to use it.",
        "# Times are ISO 8601 with a time zone (Z for UTC); durations are computed from them.",
    ]
    for spec in FIELDS:
        lines.append("")
        lines += _describe(spec, vocabularies, "")
        for sub in spec.fields:
            lines += _describe(sub, vocabularies, "  ")
        value = _active_value(spec, draft, stem)
        if value is not None:
            lines.append(f"{spec.name}: {value}")
        elif spec.fields:
            lines += _example_block(spec)
        elif spec.example is not None:
            lines.append(f"# {spec.name}: {inline(spec.example)}")
        else:
            lines.append(f"# {spec.name}:")
    return "\n".join(lines) + "\n"


def body(draft: Draft, config: LintConfig) -> str:
    """Return the Markdown body: one section per heading, each with a guiding comment."""
    sections = list(BODY_SECTIONS)
    titles = {title.lower() for title, _ in sections}
    for requirement in config.required_sections.get(draft.severity or "", ()):
        name = requirement.split("|")[0].strip()
        if name and not any(name.lower() in title for title in titles):
            sections.append((name, f"Required for {draft.severity} postmortems on this site."))
            titles.add(name.lower())
    parts = [
        "<!--\n"
        "The story of the incident, in Markdown. The page already shows the title and a card of\n"
        "the facts above, so do not start with a '# Title' heading. Write blamelessly: describe\n"
        "what the system and the process allowed, not who is at fault. Put images next to this\n"
        "file and link them relatively: ![Error rate](2024-03-08-error-rate.png)\n"
        "-->\n"
    ]
    for title, guidance in sections:
        parts.append(f"\n## {title}\n\n<!-- {guidance} -->\n")
    return "".join(parts)


def render(draft: Draft, vocabularies: Vocabularies, config: LintConfig) -> str:
    """Return the whole text of a new postmortem file."""
    return f"---\n{front_matter(draft, vocabularies)}---\n\n{body(draft, config)}"
