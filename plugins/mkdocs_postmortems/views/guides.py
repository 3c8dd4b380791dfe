"""Write the site's pages for authors, generated from the schema so they cannot drift.

"Writing a postmortem" is the reference of every field (type, required, allowed values,
example); "Add a postmortem" is the five-minute path from nothing to a pull request.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..authoring.lint import CORE_RULES, RULES, LintConfig
from ..core.schema import FIELDS, MAX_LINE, MAX_TEXT, Field, Kind
from ..core.vocabulary import Vocabularies
from ..core.yaml_dump import inline
from .layout import GeneratedPage, front_matter
from .markup import md_text

REFERENCE_URI = "writing-a-postmortem.md"
ADD_URI = "add-a-postmortem.md"

_KIND_NAMES = {
    Kind.TEXT: "text",
    Kind.LINE: "one line of text",
    Kind.DATE: "date (YYYY-MM-DD)",
    Kind.DATETIME: "date and time with a time zone",
    Kind.URL: "link (http, https, mailto or relative)",
    Kind.NUMBER: "number",
    Kind.INTEGER: "whole number",
    Kind.BOOLEAN: "true or false",
    Kind.ID: "postmortem id",
    Kind.MAPPING: "mapping",
    Kind.ANY: "any mapping",
}

_PLURALS = {Kind.TEXT: "texts", Kind.LINE: "lines of text", Kind.ID: "postmortem ids"}


@dataclass(frozen=True)
class Step:
    """One step of the five-minute path: what to do and the commands that do it."""

    text: str
    commands: tuple[str, ...] = ()


FIVE_MINUTES: tuple[Step, ...] = (
    Step(
        "Install the tools once, from a clone of the repository.",
        ("python3 -m venv .venv && . .venv/bin/activate", "pip install -e ."),
    ),
    Step(
        "Create the file. It is named from the date and the title, and every field is "
        "explained in a comment.",
        (
            'postmortems new "Checkout errors after a config push" --severity SEV3 '
            "--service checkout",
        ),
    ),
    Step(
        "Open the new file and replace every TODO: the summary, the root cause, the "
        "services. Add the times you know (with a time zone) and the action items. For SEV1 "
        "and SEV2, write the Timeline and Lessons learned sections."
    ),
    Step(
        "Check it. Every problem is listed with its line, field and fix; repeat until it passes.",
        ("postmortems lint",),
    ),
    Step("Preview the site at http://127.0.0.1:8000/.", ("mkdocs serve",)),
    Step(
        "Commit the file on a branch and open a pull request. The pull-request check lints "
        "the files you changed, builds the site strictly and runs the tests.",
        (
            "git switch -c postmortem/checkout-errors",
            "git add postmortems/ && git commit -m 'Add the checkout errors postmortem'",
        ),
    ),
)


def type_name(spec: Field) -> str:
    """Return the human name of a field's type."""
    if spec.kind is Kind.LIST:
        assert spec.item is not None
        if spec.item is Kind.VOCAB:
            return f"list of {_vocab_link(spec)}"
        if spec.item is Kind.MAPPING:
            return "list of mappings"
        return f"list of {_PLURALS.get(spec.item, _KIND_NAMES[spec.item])}"
    if spec.kind is Kind.VOCAB:
        return f"one {_vocab_link(spec)}"
    return _KIND_NAMES[spec.kind]


def _vocab_link(spec: Field) -> str:
    assert spec.vocabulary is not None
    name = spec.vocabulary.replace("_", " ")
    return f"[{name}](#{name.replace(' ', '-')})"


def _limits(spec: Field) -> str:
    if spec.kind is Kind.LINE:
        return f" At most {spec.max_length or MAX_LINE} characters."
    if spec.kind is Kind.TEXT:
        return f" At most {MAX_TEXT} characters."
    if spec.minimum is not None and spec.maximum is not None:
        return f" From {spec.minimum:g} to {spec.maximum:g}."
    if spec.minimum is not None:
        return f" At least {spec.minimum:g}."
    return ""


def _rows(fields: tuple[Field, ...], prefix: str) -> list[str]:
    rows: list[str] = []
    for spec in fields:
        name = f"{prefix}{spec.name}"
        example = f"`{inline(spec.example)}`" if spec.example is not None else ""
        rows.append(
            f"| `{name}` | {type_name(spec)} | {'yes' if spec.required else ''} "
            f"| {spec.doc}{_limits(spec)} | {example.replace('|', '&#124;')} |"
        )
        if spec.fields:
            inner = f"{name}[]." if spec.kind is Kind.LIST else f"{name}."
            rows += _rows(spec.fields, inner)
    return rows


def example_front_matter() -> str:
    """Return a complete example front matter built from the examples in the schema."""
    lines: list[str] = []
    for spec in FIELDS:
        shown = [sub for sub in spec.fields if sub.example is not None]
        if spec.fields and spec.kind is Kind.MAPPING:
            lines.append(f"{spec.name}:")
            lines += [f"  {sub.name}: {inline(sub.example)}" for sub in shown]
        elif spec.fields:
            lines.append(f"{spec.name}:")
            for index, sub in enumerate(shown):
                lead = "  - " if index == 0 else "    "
                lines.append(f"{lead}{sub.name}: {inline(sub.example)}")
        elif spec.example is not None:
            lines.append(f"{spec.name}: {inline(spec.example)}")
    return "\n".join(lines) + "\n"


def _vocabularies_used() -> list[str]:
    names: list[str] = []
    for spec in FIELDS:
        for each in (spec, *spec.fields):
            if each.vocabulary and each.vocabulary not in names:
                names.append(each.vocabulary)
    return names


def reference_page(
    vocabularies: Vocabularies, config: LintConfig, src_uri: str = REFERENCE_URI
) -> GeneratedPage:
    """Return the "Writing a postmortem" page: every field, value and check of the format."""
    parts = [
        front_matter("Writing a postmortem"),
        "# Writing a postmortem\n\n",
        "A postmortem is one Markdown file in the `postmortems/` folder, named "
        "`YYYY-MM-DD-short-title.md`. The YAML front matter between the two `---` lines holds "
        "the facts; the Markdown below it tells the story. "
        f"[Add a postmortem]({ADD_URI}) shows the quickest way to write one. This page is "
        "generated from the same schema the build validates with, and `postmortems schema` "
        "prints it as a JSON Schema for editors.\n\n",
        "## Fields\n\n",
        "Either `date` or `started` is required. Unknown keys are errors (a typo must not "
        "vanish silently); put anything else under `extra:`. A field left empty counts as "
        "absent. A list field also takes a single value.\n\n",
        "| Field | Type | Required | What it holds | Example |\n",
        "| --- | --- | --- | --- | --- |\n",
        "\n".join(_rows(FIELDS, "")) + "\n\n",
        "## Allowed values\n\n",
        "Values are matched without regard to case, spaces or underscores (`Won't Do` is "
        "`wont-do`). This site's lists:\n\n",
    ]
    for name in _vocabularies_used():
        parts.append(f"### {name.replace('_', ' ')}\n\n| Value | Meaning |\n| --- | --- |\n")
        for term in vocabularies.get(name, ()):
            # Not in a code span: character references would show there as typed.
            parts.append(f"| **{md_text(term.value)}** | {md_text(term.description)} |\n")
        parts.append("\n")
    parts += [
        "## Example\n\n",
        "Every field filled in (times in UTC; durations are computed from them):\n\n",
        # Indented code blocks render on every site; fenced ones need an extension.
        _indent("---\n" + example_front_matter() + "---\n", "    ") + "\n",
        "## Body\n\n",
        "Write the story in Markdown below the front matter. The page already shows the title "
        "and a card of the facts, so do not start with a `# Title` heading. Put images next to "
        "the file and link them relatively.\n\n",
    ]
    if config.required_sections:
        parts.append(
            "Sections this site requires (a heading with content, or the front-matter "
            "field of the same name):\n\n"
        )
        for severity, names in config.required_sections.items():
            listed = ", ".join(md_text(name) for name in names) or "none"
            parts.append(f"- {md_text(severity)}: {listed}\n")
        parts.append("\n")
    parts += ["## Checks\n\n", "`postmortems lint` and the build run these checks:\n\n"]
    parts += [f"- `{name}`: {summary}\n" for name, summary in CORE_RULES.items()]
    parts += [f"- `{rule.name}`: {rule.summary}\n" for rule in RULES]
    if config.blameless_words:
        words = ", ".join(f"“{md_text(word)}”" for word in config.blameless_words)
        parts.append(f"\nWords that assign blame and are flagged: {words}.\n")
    return GeneratedPage(src_uri, "".join(parts))


def add_page(src_uri: str = ADD_URI) -> GeneratedPage:
    """Return the "Add a postmortem" page: the five-minute path to a pull request."""
    parts = [
        front_matter("Add a postmortem"),
        "# Add a postmortem in five minutes\n\n",
        "A postmortem is added by a pull request with one Markdown file. "
        f"[Writing a postmortem]({REFERENCE_URI}) explains every field.\n\n",
    ]
    for number, step in enumerate(FIVE_MINUTES, 1):
        parts.append(f"{number}. {step.text}\n")
        if step.commands:
            commands = "".join(f"{command}\n" for command in step.commands)
            parts.append("\n" + _indent(commands, " " * 8) + "\n")
    parts.append(
        "\nOn every postmortem page, the edit button opens the file in the repository, so a "
        "fix to an existing postmortem is a pull request too.\n"
    )
    return GeneratedPage(src_uri, "".join(parts))


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" for line in text.splitlines())
