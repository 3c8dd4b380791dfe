"""Put the extracted fields together into one postmortem: `import_text`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath

from ...core.schema import MAX_ITEMS, MAX_TEXT, TIME_FIELDS
from ...core.text import slugify
from ...core.vocabulary import DEFAULT_VOCABULARIES, Vocabularies, match_term
from ...core.yaml_dump import dump
from ...core.yaml_load import MAX_FRONT_MATTER_BYTES
from ..timetext import first_day
from .actions import actions_of
from .context import HIGH, LOW, MEDIUM, Context, Evidence, ImportProblem
from .fields import (
    DETECTION_TERMS,
    TRIGGER_TERMS,
    categories_of,
    contributing_of,
    impact_of,
    lessons_of,
    names_of,
    root_cause_of,
    services_of,
    severity_of,
    summary_of,
    title_of,
    vocab_guess,
    without_leading_h1,
)
from .outline import CONTROL, Section, facts, one_line, outline, prose
from .sources import Source, aware, read_source
from .timeline import (
    Entry,
    document_zone,
    incident_day,
    timeline_entries,
    times_of,
    without_links,
)

MAX_SOURCE_BYTES = 1536 * 1024  # leaves room for the front matter under the 2 MiB file limit


@dataclass
class ImportResult:
    """What the importer made of one source: front matter, body, and its report."""

    front_matter: dict[str, object]
    body: str
    stem: str
    guesses: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    review: list[str] = field(default_factory=list)  # fields a person must fill in or check
    kind: str = ""  # the layout of the source's own front matter, when it had one
    mapped: dict[str, str] = field(default_factory=dict)  # source front-matter key -> field

    def render(self) -> str:
        """Return the postmortem file text: YAML front matter, then the original text."""
        return f"---\n{dump(self.front_matter)}---\n\n{self.body}"


def _checked(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ImportProblem("the file is empty", "import a file that holds a postmortem")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        raise ImportProblem(
            f"the file is larger than {MAX_SOURCE_BYTES // 1024} KiB",
            "split it, or move attachments out; a postmortem file may be at most 2 MiB",
        )
    if "\x00" in text:
        raise ImportProblem("the file is binary, not text", "import Markdown or plain text")
    return text


def import_text(
    text: str,
    source: str = "",
    default_date: date | None = None,
    severity_map: Mapping[str, str] | None = None,
    vocabularies: Vocabularies | None = None,
) -> ImportResult:
    """Return the postmortem made from `text` (read from the file named `source`).

    Front matter the source already has is mapped (`sources`); the rest is read from the text.
    A fact neither gives is left out and listed in `review`, never filled with a placeholder.
    """
    text = _checked(text)
    mapped = read_source(text, severity_map)
    # The body keeps the source whole, less front matter that was mapped (its keys are all kept).
    original = mapped.body if mapped.kind else text
    # Leading blank lines go: the loader drops them after the front matter anyway.
    lines = original.split("\n")
    while len(lines) > 1 and not lines[0].strip():
        lines.pop(0)
    body = "\n".join(lines)
    body = body if body.endswith("\n") else body + "\n"
    # Control characters are kept in the body but never copied into front matter.
    plain = CONTROL.sub("", mapped.body if mapped.kind else text)
    ctx = Context(text=text)
    ctx.guesses.extend(mapped.notes)
    if mapped.problem:
        ctx.missing.append(f"front matter: {mapped.problem}")
    found = facts(plain)
    root = outline(plain)
    document_zone(plain, found, ctx)
    _incident_date(mapped, found, root, plain, source, default_date, ctx)
    title, from_heading = _title(mapped, root, found, source, ctx)
    leading = without_leading_h1(body) if from_heading else None
    if leading is not None:
        # The heading became `title`, which the page already shows; a second h1 would repeat it.
        body = leading
        ctx.guesses.append("title: the level-1 heading became the title and left the body")
    entries = timeline_entries(root, ctx)
    given = _given_times(mapped, ctx)
    times, approximate, assumed = times_of(found, entries, root, ctx, given)
    for name, (at, _) in given.items():
        if name not in times:  # out of order with the others: kept under extra, for review
            mapped.extra[mapped.keys[name]] = at.isoformat()
    if assumed:
        ctx.guesses.append(
            f"time zone: none stated for {', '.join(assumed)}; assumed UTC and listed them "
            "in 'approximate'"
        )
    impact, impact_text = impact_of(root, ctx)
    given_summary = mapped.fields.get("summary")
    root_cause = root_cause_of(
        root, ctx, title, given_summary if isinstance(given_summary, str) else ""
    )
    summary = _given_text(mapped, "summary", ctx) or summary_of(root, impact_text, root_cause, ctx)
    services = _given_names(mapped, "services", ctx) or services_of(found, [title, plain], ctx)
    severity = _given_text(mapped, "severity", ctx) or severity_of(found, plain, impact, ctx)
    ctx.guesses.append("status: draft (an imported postmortem needs a review before publishing)")
    for name, value in (
        ("severity", severity),
        ("summary", summary),
        ("root_cause", root_cause),
        ("services", services),
    ):
        if not value:
            ctx.needs(name, "the source does not state it; left empty, write it before publishing")

    day = times["started"].date() if "started" in times else ctx.day
    assert day is not None  # _incident_date raised otherwise
    front: dict[str, object] = {
        "title": title,
        "date": day,
        "status": "draft",
        "severity": severity,
        "summary": summary,
        "root_cause": root_cause,
        "services": services,
    }
    front.update({name: times[name] for name in TIME_FIELDS if name in times})
    if "latent_since" in times and "started" in times:
        front["latent_since"] = times["latent_since"]
    if not times:
        ctx.needs("started", "no time found; only the date is set")
    for name in TIME_FIELDS:
        if name not in times and times:
            ctx.missing.append(f"{name}: not found")
    front["approximate"] = approximate
    front["root_cause_categories"] = categories_of(root_cause, ctx)
    if not front["root_cause_categories"]:
        ctx.missing.append("root_cause_categories: none recognised in the root cause (optional)")
    trigger = root.find("trigger")
    if trigger is not None:
        front["trigger"] = vocab_guess("trigger", prose(trigger.lines()), TRIGGER_TERMS, ctx)
    else:
        ctx.missing.append("trigger: no 'Trigger' section (optional)")
    front["contributing_factors"] = contributing_of(root)
    detection = root.find("detection")
    detection_text = prose(detection.lines()) if detection else ""
    detected_events = [
        e.event for e in entries if "detected" in times and e.at == times["detected"]
    ]
    front["detection"] = vocab_guess(
        "detection", " ".join([detection_text, *detected_events]), DETECTION_TERMS, ctx
    )
    if front["detection"] is None:
        ctx.missing.append("detection: how the incident was noticed is not stated (optional)")
    front["impact"] = impact
    front["timeline"] = [_timeline_item(entry) for entry in entries]
    front["action_items"] = actions_of(root, ctx)
    lessons = lessons_of(root)
    front["lessons"] = lessons
    if not lessons:
        general = root.find("lessons")
        ctx.missing.append(
            "lessons: a 'Lessons learned' section is not split into went well / went wrong / "
            "got lucky; it stays in the body"
            if general is not None
            else "lessons: none found (sites often require them for SEV1 and SEV2; "
            "add a '## Lessons learned' section or fill 'lessons')"
        )
    if root.find("resolution", "root_cause_and_resolution", "remediation") is None:
        ctx.missing.append("resolution: no 'Resolution' section")
    front["links"] = mapped.fields.get("links", [])
    front["authors"] = _given_names(mapped, "authors", ctx) or names_of(found.get("authors", ""))
    tags = [*_given_names(mapped, "tags", ctx), *names_of(found.get("tags", ""))]
    front["tags"] = list(dict.fromkeys(tags))
    extra = dict(mapped.extra)
    if source:
        extra["imported_from"] = PurePath(source).name
    front["extra"] = extra
    _honour(front, vocabularies or DEFAULT_VOCABULARIES, ctx)
    slug = slugify(title) or "incident"
    front = {k: _fit(k, v, ctx) for k, v in front.items() if v not in (None, [], {}, "")}
    _shrink(front, ctx)
    return ImportResult(
        front_matter=front,
        body=body,
        stem=f"{day.isoformat()}-{slug}",
        guesses=ctx.guesses,
        missing=ctx.missing,
        evidence=ctx.evidence,
        review=ctx.review,
        kind=mapped.kind,
        mapped={key: name for key, name in mapped.used.items() if name in front},
    )


_VOCABULARY_FIELDS = {
    "severity": "severity",
    "trigger": "trigger",
    "detection": "detection",
    "root_cause_categories": "root_cause_category",
}


def _honour(front: dict[str, object], vocabularies: Vocabularies, ctx: Context) -> None:
    """Keep only values the site's vocabularies allow (in their spelling); list the rest."""
    for name, vocabulary in _VOCABULARY_FIELDS.items():
        terms = vocabularies.get(vocabulary, ())
        value = front.get(name)
        if isinstance(value, str) and value:
            canonical = match_term(value, terms)
            if canonical is None:
                front[name] = None
                extra = front.setdefault("extra", {})
                found = ctx.evidence.get(name)
                if isinstance(extra, dict) and found is not None and found.confidence == HIGH:
                    extra.setdefault(name, value)  # the source's own word, kept
                ctx.guesses.append(f"{name}: '{value}' is not in this site's vocabulary; left out")
                if name == "severity":
                    ctx.needs(name, f"'{value}' is not a severity of this site; choose one")
            else:
                front[name] = canonical
        elif isinstance(value, list):
            kept = [match_term(str(item), terms) for item in value]
            front[name] = [item for item in kept if item is not None]


def _incident_date(
    mapped: Source,
    found: dict[str, str],
    root: Section,
    text: str,
    source: str,
    default_date: date | None,
    ctx: Context,
) -> None:
    """Set `ctx.day`: the front matter's start, a stated date, the text, the file name, then
    a post's publication day (marked for review); never a day the source does not write."""
    given = mapped.fields.get("started")
    if isinstance(given, date):
        ctx.day = given.date() if isinstance(given, datetime) else given
        key = mapped.keys.get("started", "date")
        ctx.note("date", f"front matter '{key}'", HIGH, line=mapped.lines.get("started"))
        return
    for name in ("date", "started"):
        day = first_day(without_links(found.get(name, "")))
        if day is not None:
            ctx.day = day
            ctx.note("date", f"labelled fact '{name}'", HIGH, found[name])
            return
    in_text = incident_day(text)
    if in_text is not None:
        ctx.day = in_text[0]
        ctx.note("date", f"first date in the text: {one_line(in_text[1], 70)}", MEDIUM, in_text[1])
        return
    # A timeline whose rows carry their own dates ("Date (2022)" over "Mar 7").
    dated = sorted(timeline_entries(root, ctx), key=lambda entry: entry.at)
    if dated:
        ctx.day = dated[0].at.date()
        ctx.note("date", f"first timeline line: {one_line(dated[0].event, 70)}", MEDIUM)
        return
    stem_day = re.match(r"(\d{4}-\d{2}-\d{2})", PurePath(source).name) if source else None
    if stem_day:
        try:
            ctx.day = date.fromisoformat(stem_day.group(1))
        except ValueError:
            ctx.day = None
        else:
            ctx.note("date", f"file name {PurePath(source).name}", MEDIUM, line=None)
            return
    if mapped.published is not None:
        ctx.day = mapped.published
        ctx.note("date", "publication date of the post (the text dates nothing)", LOW)
        ctx.needs("date", "the publication date of the post; check the day of the incident")
        return
    if default_date is not None:
        ctx.day = default_date
        ctx.note("date", "given with --date", HIGH)
        return
    raise ImportProblem(
        "no incident date in the text, its front matter or the file name",
        "pass --date YYYY-MM-DD, or name the file YYYY-MM-DD-title.md; the importer never "
        "guesses a year",
    )


def _title(
    mapped: Source, root: Section, found: dict[str, str], source: str, ctx: Context
) -> tuple[str, bool]:
    given = mapped.fields.get("title")
    if isinstance(given, str) and given.strip(" -"):
        ctx.note(
            "title", f"front matter '{mapped.keys['title']}'", HIGH, line=mapped.lines.get("title")
        )
        return one_line(given, 200), False
    title, from_heading = title_of(root, found, source, ctx)
    ctx.note("title", "first heading or line", MEDIUM, title)
    return title, from_heading


def _given_times(mapped: Source, ctx: Context) -> dict[str, tuple[datetime, bool]]:
    """Return the times the front matter states, with whether their zone was assumed."""
    given: dict[str, tuple[datetime, bool]] = {}
    for name in ("started", "resolved"):
        value = mapped.fields.get(name)
        if not isinstance(value, datetime):
            continue
        if (value.hour, value.minute, value.second) in ((0, 0, 0), (23, 59, 59)):
            # Archives write a day as midnight (or the end of it): that is a day, not a time.
            ctx.guesses.append(f"{name}: '{mapped.keys[name]}' gives a day, not a time")
            mapped.extra[mapped.keys[name]] = value.isoformat()
            continue
        at, assumed = aware(value)
        given[name] = (at, assumed)
        ctx.note(
            name, f"front matter '{mapped.keys.get(name, name)}'", HIGH, line=mapped.lines.get(name)
        )
    return given


def _given_text(mapped: Source, name: str, ctx: Context) -> str:
    value = mapped.fields.get(name)
    if not isinstance(value, str) or not value.strip():
        return ""
    ctx.note(
        name, f"front matter '{mapped.keys.get(name, name)}'", HIGH, line=mapped.lines.get(name)
    )
    return value


def _given_names(mapped: Source, name: str, ctx: Context) -> list[str]:
    value = mapped.fields.get(name)
    if not isinstance(value, list) or not value:
        return []
    ctx.note(
        name, f"front matter '{mapped.keys.get(name, name)}'", HIGH, line=mapped.lines.get(name)
    )
    return [str(item) for item in value]


def _fit(where: str, value: object, ctx: Context) -> object:
    """Return `value` cut to the format's limits (text length, list size), reporting any cut."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        ctx.guesses.append(f"{where}: cut to {MAX_TEXT} characters; the whole text is in the body")
        return one_line(value, MAX_TEXT)
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            ctx.guesses.append(
                f"{where}: kept the first {MAX_ITEMS} of {len(value)}; the rest are in the body"
            )
        return [_fit(f"{where}[{i}]", item, ctx) for i, item in enumerate(value[:MAX_ITEMS])]
    if isinstance(value, dict):
        return {key: _fit(f"{where}.{key}", item, ctx) for key, item in value.items()}
    return value


def _shrink(front: dict[str, object], ctx: Context) -> None:
    """Drop what the body already holds until the front matter fits the loader's size limit."""
    steps = ("timeline", "notes", "lessons", "contributing_factors", "action_items")
    for step in steps:
        if len(dump(front).encode("utf-8")) <= MAX_FRONT_MATTER_BYTES - 1024:
            return
        if step == "notes":
            items = front.get("action_items")
            for item in items if isinstance(items, list) else []:
                item.pop("notes", None)
        else:
            front.pop(step, None)
        ctx.guesses.append(f"{step}: left out to keep the front matter small; see the body")
    if len(dump(front).encode("utf-8")) > MAX_FRONT_MATTER_BYTES - 1024:
        for name in ("summary", "root_cause"):
            front[name] = one_line(str(front[name]), 2000)
        impact = front.get("impact")
        if isinstance(impact, dict):
            impact["description"] = one_line(str(impact["description"]), 2000)
        ctx.guesses.append("summary, root_cause, impact: shortened to fit; see the body")


def _timeline_item(entry: Entry) -> dict[str, object]:
    item: dict[str, object] = {"at": entry.at, "event": entry.event}
    if entry.approximate:
        item["approximate"] = True
    return item
