"""Check postmortems beyond the schema: the rules `postmortems lint` and the plugin share.

Each rule is a small function from one postmortem (and the lint context) to the problems it
finds, registered under a stable name in `RULES`. The schema, chronology, id, duplicate-id and
related-id checks already run while loading (`core/validate.py`, `core/catalog.py`), and each
problem they make carries its rule name from where it is made (`Problem.rule`).
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..core.cache import BuildCache, Mapper, fingerprint, serial_map
from ..core.catalog import Catalog
from ..core.model import PLACEHOLDER, Postmortem
from ..core.problems import Level, Problem
from ..core.text import shorten

DEFAULT_REQUIRED_SECTIONS: dict[str, tuple[str, ...]] = {
    "SEV1": ("Timeline", "Lessons", "Action items"),
    "SEV2": ("Timeline", "Lessons"),
}
DEFAULT_BLAMELESS_WORDS: tuple[str, ...] = (
    "blame",
    "careless",
    "stupid",
    "should have known",
    "human error",
    "negligent",
    "incompetent",
    "sloppy",
    "idiot",
    "lazy",
)

# A required section is also satisfied by the front-matter field holding the same facts.
_EQUIVALENT_FIELDS: dict[str, Callable[[Postmortem], object]] = {
    "timeline": lambda pm: pm.timeline,
    "lessons": lambda pm: pm.lessons,
    "lessons learned": lambda pm: pm.lessons,
    "action items": lambda pm: pm.action_items,
    "root cause": lambda pm: pm.root_cause,
    "impact": lambda pm: pm.impact,
    "contributing factors": lambda pm: pm.contributing_factors,
    "summary": lambda pm: pm.summary,
}

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT_H1 = re.compile(r"^\s{0,3}=+\s*$")
_INLINE_LINK = re.compile(r"(!?)\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+[\"'(][^)]*)?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
_HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(href|src)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
_HEADING_NOISE = re.compile(r"[^a-z0-9 ]+")


@dataclass(frozen=True)
class LintConfig:
    """What a site configures about linting: required sections and discouraged words."""

    required_sections: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_REQUIRED_SECTIONS)
    )
    blameless_words: tuple[str, ...] = DEFAULT_BLAMELESS_WORDS

    @classmethod
    def from_options(
        cls, options: Mapping[str, object], severities: Sequence[str]
    ) -> tuple[LintConfig, list[str]]:
        """Return the config from the plugin options, and any configuration errors."""
        errors: list[str] = []
        sections: dict[str, tuple[str, ...]] = dict(DEFAULT_REQUIRED_SECTIONS)
        raw = options.get("required_sections")
        if raw is not None:
            sections = {}
            if not isinstance(raw, Mapping):
                errors.append("required_sections: expected a mapping of severity to headings")
                raw = {}
            for severity, names in raw.items():
                if str(severity) not in severities:
                    errors.append(
                        f"required_sections: '{severity}' is not a severity "
                        f"(allowed: {', '.join(severities)})"
                    )
                elif not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    errors.append(f"required_sections.{severity}: expected a list of headings")
                else:
                    sections[str(severity)] = tuple(names)
        words = options.get("blameless_words")
        if words is None:
            words = list(DEFAULT_BLAMELESS_WORDS)
        elif not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            errors.append("blameless_words: expected a list of words or phrases")
            words = list(DEFAULT_BLAMELESS_WORDS)
        return cls(sections, tuple(words)), errors


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the postmortem itself."""

    catalog: Catalog
    config: LintConfig
    root: Path | None = None  # the postmortems folder on disk, for link checks
    docs_dir: Path | None = None  # the site's docs folder, for links that leave `root`
    prefix: str = "postmortems"  # the site folder incident pages are published under


@dataclass(frozen=True, order=True)
class Finding:
    """A problem together with the name of the rule that found it."""

    problem: Problem
    rule: str


Check = Callable[[Postmortem, Context], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    """A lint rule: a stable name, what it checks, and the check."""

    name: str
    summary: str
    check: Check
    reads_files: bool = False  # its findings depend on other files, not only on the postmortem


@dataclass(frozen=True)
class _Line:
    number: int  # file line
    text: str  # with code spans blanked out
    in_code: bool


def _body_lines(pm: Postmortem) -> tuple[_Line, ...]:
    """Return the body's lines with code spans and HTML comments blanked (columns kept)."""
    return _lines_of(pm.body, pm.body_line)


# Four rules read the lines of the same body one after the other: split it once.
@functools.lru_cache(maxsize=8)
def _lines_of(body: str, body_line: int) -> tuple[_Line, ...]:
    lines: list[_Line] = []
    fence: str | None = None
    in_comment = False
    for offset, text in enumerate(body.splitlines()):
        # Most lines hold no fence, comment or code span: the checks below skip them cheaply.
        match = _FENCE.match(text) if "`" in text or "~" in text else None
        if not in_comment and match and (fence is None or match.group(1)[0] == fence[0]):
            lines.append(_Line(body_line + offset, text, True))
            fence = None if fence is not None else match.group(1)
            continue
        if fence is not None:
            lines.append(_Line(body_line + offset, text, True))
            continue
        blanked = text
        if in_comment or "<!--" in text:
            blanked, in_comment = _blank_comments(text, in_comment)
        if "`" in blanked:
            blanked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), blanked)
        lines.append(_Line(body_line + offset, blanked, False))
    return tuple(lines)


def _blank_comments(text: str, in_comment: bool) -> tuple[str, bool]:
    out: list[str] = []
    index = 0
    while index < len(text):
        if in_comment:
            end = text.find("-->", index)
            stop = len(text) if end < 0 else end + 3
            out.append(" " * (stop - index))
            index, in_comment = stop, end < 0
        else:
            start = text.find("<!--", index)
            if start < 0:
                out.append(text[index:])
                break
            out.append(text[index:start] + "    ")
            index, in_comment = start + 4, True
    return "".join(out), in_comment


def _problem(
    pm: Postmortem,
    line: int | None,
    field_: str,
    message: str,
    hint: str,
    level: Level = Level.ERROR,
    column: int | None = None,
) -> Problem:
    return Problem(pm.path, line, field_, message, hint, level, column)


def check_placeholders(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Report front-matter values still holding the `TODO` placeholder of the template."""
    values: list[tuple[str, object]] = [
        ("title", pm.title),
        ("summary", pm.summary),
        ("root_cause", pm.root_cause),
        *((f"services[{i}]", s) for i, s in enumerate(pm.services)),
        *((f"action_items[{i}].title", a.title) for i, a in enumerate(pm.action_items)),
        *((f"action_items[{i}].owner", a.owner) for i, a in enumerate(pm.action_items)),
    ]
    if pm.impact is not None:
        values.append(("impact.description", pm.impact.description))
    for name, value in values:
        if isinstance(value, str) and value.strip().startswith(PLACEHOLDER):
            yield _problem(
                pm,
                pm.lines.get(name),
                name,
                f"still holds the template placeholder '{shorten(value, 30)}'",
                "replace it with the real value; the comment above the field explains it",
            )


def check_action_items(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Report agreed open action items without an owner (error) or a due date (warning).

    In a draft (an imported one, say) a missing owner is a reminder, as missing sections are.
    """
    owner_level = Level.WARNING if pm.status == "draft" else Level.ERROR
    for index, item in enumerate(pm.action_items):
        if not item.is_open or item.status == "proposed":
            continue
        where = f"action_items[{index}]"
        line = pm.lines.get(where)
        if not item.owner:
            yield _problem(
                pm,
                line,
                f"{where}.owner",
                f"open action item '{shorten(item.title)}' has no owner",
                "add owner: a person or team accountable for it",
                owner_level,
            )
        if item.due is None:
            yield _problem(
                pm,
                line,
                f"{where}.due",
                f"open action item '{shorten(item.title)}' has no due date",
                "add due: YYYY-MM-DD, or status: proposed until it is agreed",
                Level.WARNING,
            )


def _normalize_heading(text: str) -> str:
    cleaned = _HEADING_NOISE.sub(" ", text.lower())
    return " ".join(cleaned.split())


def _sections(pm: Postmortem) -> list[tuple[str, int, bool]]:
    """Return every heading of the body: normalized text, file line, whether it has content."""
    lines = _body_lines(pm)
    headings: list[tuple[int, int, str]] = []  # index in lines, level, text
    for index, line in enumerate(lines):
        match = None if line.in_code else _HEADING.match(line.text)
        if match:
            headings.append((index, len(match.group(1)), match.group(2) or ""))
    found: list[tuple[str, int, bool]] = []
    for position, (index, level, text) in enumerate(headings):
        end = len(lines)
        for later_index, later_level, _ in headings[position + 1 :]:
            if later_level <= level:
                end = later_index
                break
        content = "\n".join(line.text for line in lines[index + 1 : end])
        has_content = bool(content.strip())
        found.append((_normalize_heading(text), lines[index].number, has_content))
    return found


def check_required_sections(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Report sections the site requires for this severity that are missing or empty."""
    required = ctx.config.required_sections.get(pm.severity, ())
    if not required:
        return
    sections = _sections(pm)
    # A draft is still being written: missing sections are reminders until it is reviewed.
    level = Level.WARNING if pm.status == "draft" else Level.ERROR
    for requirement in required:
        names = [_normalize_heading(name) for name in requirement.split("|")]
        if any(name in _EQUIVALENT_FIELDS and _EQUIVALENT_FIELDS[name](pm) for name in names):
            continue
        matches = [
            (line, has_content)
            for heading, line, has_content in sections
            if any(re.search(rf"\b{re.escape(name)}\b", heading) for name in names if name)
        ]
        label = requirement.split("|")[0].strip()
        fields = [name.replace(" ", "_") for name in names if name in _EQUIVALENT_FIELDS]
        alternative = f" or fill '{fields[0]}' in the front matter" if fields else ""
        if not matches:
            yield _problem(
                pm,
                pm.body_line,
                "body",
                f"{pm.severity} postmortems need a '{label}' section",
                f"add a '## {label}' heading with its content{alternative}",
                level,
            )
        elif not any(has_content for _, has_content in matches):
            yield _problem(
                pm,
                matches[0][0],
                "body",
                f"section '{label}' is empty",
                f"write the section's content{alternative}",
                level,
                column=1,
            )


@functools.lru_cache(maxsize=8)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = [word.split() for word in sorted(words, key=len)[::-1]]
    parts = [part for part in parts if part]
    if not parts:
        return None
    # Simple inflections (blames, blamed) count; longer words (blameless) do not.
    alternatives = "|".join(r"\s+".join(re.escape(word) for word in part) for part in parts)
    # A match starts with the first letter of a word: the lookahead, a necessary condition
    # only, lets the engine skip other positions without trying every word (twice as fast).
    first = "".join(sorted({re.escape(part[0][0]) for part in parts}))
    return re.compile(rf"\b(?=[{first}])(?:{alternatives})(?:s|d|ed)?\b", re.IGNORECASE)


def _front_matter_texts(pm: Postmortem) -> Iterator[tuple[str, str]]:
    yield "summary", pm.summary
    yield "root_cause", pm.root_cause
    if pm.impact is not None:
        yield "impact.description", pm.impact.description
    for index, factor in enumerate(pm.contributing_factors):
        yield f"contributing_factors[{index}]", factor
    for index, entry in enumerate(pm.timeline):
        yield f"timeline[{index}].event", entry.event
    for name in ("went_well", "went_wrong", "got_lucky"):
        for index, text in enumerate(getattr(pm.lessons, name)):
            yield f"lessons.{name}[{index}]", text


def check_blameless_language(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Warn about words that assign blame to people, in the body and the prose fields."""
    pattern = _word_pattern(tuple(ctx.config.blameless_words))
    if pattern is None:
        return
    hint = "describe what the system and process allowed, not who is at fault"
    for name, text in _front_matter_texts(pm):
        for match in pattern.finditer(text):
            yield _problem(
                pm,
                pm.lines.get(name),
                name,
                f"'{match.group(0)}' assigns blame",
                hint,
                Level.WARNING,
            )
    for line in _body_lines(pm):
        if line.in_code:
            continue
        for match in pattern.finditer(line.text):
            yield _problem(
                pm,
                line.number,
                "body",
                f"'{match.group(0)}' assigns blame",
                hint,
                Level.WARNING,
                match.start() + 1,
            )


def _link_targets(pm: Postmortem) -> Iterator[tuple[int, int, str, str]]:
    """Yield (line, column, kind, target) for every link and image in the body."""
    if "](" not in pm.body and "]:" not in pm.body and "<" not in pm.body:
        return  # no link syntax at all, so no need to split the body into lines
    for line in _body_lines(pm):
        if line.in_code:
            continue
        for match in _INLINE_LINK.finditer(line.text):
            kind = "image" if match.group(1) else "link"
            yield line.number, match.start() + 1, kind, match.group(2).strip("<>")
        reference = _REFERENCE.match(line.text)
        if reference:
            yield line.number, reference.start(1) + 1, "link", reference.group(1).strip("<>")
        for match in _HTML_LINK.finditer(line.text):
            kind = "image" if match.group(1).lower() == "src" else "link"
            yield line.number, match.start() + 1, kind, match.group(2)


def _target_exists(pm: Postmortem, ctx: Context, target: str) -> bool:
    assert ctx.root is not None
    folder = posixpath.dirname(pm.path)
    relative = posixpath.normpath(posixpath.join(folder, target))
    if not relative.startswith("../") and relative != "..":
        return (ctx.root / relative).exists()
    if ctx.docs_dir is None:
        return False
    # A link out of the postmortems folder is resolved by MkDocs from the page's site path.
    in_site = posixpath.normpath(posixpath.join(ctx.prefix, folder, target))
    return not in_site.startswith("../") and (ctx.docs_dir / in_site).exists()


def check_links(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Report relative links and images in the body whose target file does not exist.

    In a draft (an imported archive links to files by their old names) it is a reminder.
    """
    if ctx.root is None:
        return
    level = Level.WARNING if pm.status == "draft" else Level.ERROR
    for line, column, kind, target in _link_targets(pm):
        try:
            parts = urlsplit(target)
        except ValueError:
            continue
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        path = unquote(parts.path)
        if _target_exists(pm, ctx, path):
            continue
        yield _problem(
            pm,
            line,
            "body",
            f"{kind} target '{shorten(target)}' does not exist",
            f"fix the path; it is relative to {posixpath.dirname(pm.path) or 'the postmortems'}"
            + ("/" if posixpath.dirname(pm.path) else " folder"),
            level,
            column=column,
        )


def check_body_title(pm: Postmortem, ctx: Context) -> Iterator[Problem]:
    """Warn when the body starts with a level-1 heading: the page already shows the title."""
    lines = [line for line in _body_lines(pm) if line.text.strip()]
    if not lines or lines[0].in_code:
        return
    first = lines[0]
    heading = _HEADING.match(first.text)
    setext = len(lines) > 1 and lines[1].number == first.number + 1
    if (heading and len(heading.group(1)) == 1) or (setext and _SETEXT_H1.match(lines[1].text)):
        yield _problem(
            pm,
            first.number,
            "body",
            "the body starts with a level-1 heading; the page already shows the title",
            "remove the heading, or make it '## ...' if it names a section",
            Level.WARNING,
            1,
        )


RULES: tuple[Rule, ...] = (
    Rule("placeholder", "front matter still holds a TODO from the template", check_placeholders),
    Rule("action-item", "open action items have an owner and a due date", check_action_items),
    Rule(
        "required-sections",
        "sections required for the severity are present and not empty",
        check_required_sections,
    ),
    Rule("blameless-language", "no words that assign blame to people", check_blameless_language),
    Rule(
        "broken-link",
        "relative links and images point at existing files",
        check_links,
        reads_files=True,
    ),
    Rule("body-title", "the body does not repeat the title as a level-1 heading", check_body_title),
)

CORE_RULES: dict[str, str] = {
    "schema": "fields, types and vocabularies of the format (with did-you-mean)",
    "chronology": "started <= detected <= mitigated <= resolved; timeline in order",
    "id-matches-file": "the id equals the file name",
    "duplicate-id": "no two postmortems share an id",
    "related-exists": "related ids name existing postmortems",
}


def run_rules(
    catalog: Catalog,
    ctx: Context,
    cache: BuildCache | None = None,
    mapper: Mapper[Postmortem, list[Finding]] = serial_map,
) -> list[Finding]:
    """Return the findings of the lint rules (not the loading checks) for every postmortem.

    With a `cache`, the findings of the rules that read only the postmortem are reused for a
    file whose content, vocabularies and lint settings are unchanged; the others are computed
    through `mapper`.
    """
    settings = fingerprint(sorted(catalog.settings.vocabularies.items()), ctx.config)
    own = functools.partial(_file_findings, ctx=ctx)
    if cache is None:
        per_file = mapper(own, list(catalog))
    else:
        items = [(pm.path, pm.digest + settings, pm) for pm in catalog if pm.digest]
        kept = iter(cache.get_or_compute_all("lint", items, own, mapper))
        per_file = [next(kept) if pm.digest else own(pm) for pm in catalog]
    findings: list[Finding] = []
    reading = [rule for rule in RULES if rule.reads_files]
    for pm, found in zip(catalog, per_file, strict=True):
        findings += found
        findings += _findings(pm, ctx, reading)
    return sorted(findings, key=_order)


def _file_findings(pm: Postmortem, ctx: Context) -> list[Finding]:
    return _findings(pm, ctx, [rule for rule in RULES if not rule.reads_files])


def _findings(pm: Postmortem, ctx: Context, rules: Sequence[Rule]) -> list[Finding]:
    return [Finding(problem, rule.name) for rule in rules for problem in rule.check(pm, ctx)]


def lint_catalog(catalog: Catalog, ctx: Context) -> list[Finding]:
    """Return every finding: the loading checks' problems and the lint rules' problems."""
    findings = [Finding(problem, problem.rule) for problem in catalog.problems]
    findings += run_rules(catalog, ctx)
    return sorted(findings, key=_order)


def _order(finding: Finding) -> tuple[str, int, int, str, str]:
    problem = finding.problem
    return (problem.path, problem.line or 0, problem.column or 0, problem.field, problem.message)
