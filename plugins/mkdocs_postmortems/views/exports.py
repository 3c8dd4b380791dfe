"""Build the data exports of the site: JSON of every record, a CSV and an Atom feed.

Each builder returns text; the plugin writes it into the site. Output depends only on the
catalog and the build date (never the wall clock), so two builds of the same sources give the
same bytes. The JSON shape is described once, in RECORD_FIELDS, which also writes the
"Data exports" page, so the documentation cannot drift from the data.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from ..core.catalog import Catalog
from ..core.model import ActionItem, Postmortem
from ..core.text import format_duration
from .layout import GeneratedPage, front_matter
from .markup import md_link

SCHEMA_VERSION = 1
JSON_URI = "postmortems.json"
CSV_URI = "postmortems.csv"
FEED_URI = "feed.xml"
EXPORTS_URI = "exports.md"
FEED_ENTRIES = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
LIST_SEPARATOR = "; "
# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID_NAMESPACE = uuid.UUID("6f1c5a52-55a4-4a0c-9a55-2f6f0b1b1d3e")  # ours; never change it


@dataclass(frozen=True)
class ExportContext:
    """What the exports need besides the catalog: site identity and page addresses."""

    site_name: str
    url_of: Callable[[Postmortem], str]  # the page of a postmortem, relative to the site root
    site_url: str | None = None  # absolute site address; permalinks are null without it

    def permalink(self, pm: Postmortem) -> str | None:
        """Return the absolute address of the page of `pm`, when the site address is known."""
        if not self.site_url:
            return None
        return self.site_url.rstrip("/") + "/" + self.url_of(pm)


# --- JSON ------------------------------------------------------------------------------------

# (key, type, meaning) of each field of a record in postmortems.json, in output order.
RECORD_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "string", "The postmortem id (its file name without `.md`)."),
    ("path", "string", "The file, relative to the postmortems folder."),
    ("url", "string", "The incident page, relative to the site root."),
    ("permalink", "string or null", "The absolute address of the page (needs `site_url`)."),
    ("title", "string", "The title."),
    ("date", "date", "The day the incident started (YYYY-MM-DD)."),
    ("status", "string", "Where the write-up stands (draft, in-review, published)."),
    ("severity", "string", "How bad it was (the severity vocabulary)."),
    ("summary", "string", "What happened, the impact and the fix."),
    ("root_cause", "string", "What was wrong, in prose."),
    ("services", "list of strings", "The services that failed or were affected."),
    ("latent_since", "datetime or null", "When the cause was introduced, if it lay dormant."),
    ("started", "datetime or null", "When impact began (ISO 8601 with offset)."),
    ("detected", "datetime or null", "When the incident was noticed."),
    ("mitigated", "datetime or null", "When impact ended or the fix was deployed."),
    ("resolved", "datetime or null", "When the incident was closed."),
    ("approximate", "list of strings", "The time fields that are estimates."),
    ("root_cause_categories", "list of strings", "The kinds of root cause."),
    ("trigger", "string or null", "What set it off."),
    ("contributing_factors", "list of strings", "Conditions that made it possible or worse."),
    ("detection", "string or null", "How it was noticed."),
    ("tags", "list of strings", "Free keywords."),
    ("teams", "list of strings", "Teams that responded."),
    (
        "impact",
        "object or null",
        "`description`, `users_affected_percent`, `users_affected`, `requests_failed_percent`, "
        "`regions`, `figures` (list of `{label, value}`), `data_loss`, `customer_facing`.",
    ),
    ("timeline", "list of objects", "Key moments: `at`, `event`, `approximate`."),
    (
        "action_items",
        "list of objects",
        "Follow-ups: `title`, `owner`, `status`, `due`, `type`, `horizon`, `priority`, "
        "`ticket`, `notes`, and computed `open` and `overdue` (on the build date).",
    ),
    ("lessons", "object", "`went_well`, `went_wrong`, `got_lucky`: lists of strings."),
    ("related", "list of strings", "Ids of related postmortems."),
    ("links", "list of objects", "Reports, tickets, dashboards: `url`, `title`, `type`."),
    ("authors", "list of strings", "Who wrote the postmortem."),
    ("extra", "object", "Custom fields, as written under `extra:`."),
    (
        "durations",
        "object",
        "Computed: `latent_for`, `time_to_detect`, `time_to_mitigate`, `time_to_resolve` and "
        "`impact_duration`, each `{seconds, human}` or null when a time is missing.",
    ),
    ("action_items_total", "integer", "Computed: number of action items."),
    ("action_items_open", "integer", "Computed: action items not done or dropped."),
    ("action_items_overdue", "integer", "Computed: open action items past due on the build date."),
    ("has_errors", "boolean", "Computed: whether the file has validation errors."),
)


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _duration(delta: timedelta | None) -> dict[str, object] | None:
    if delta is None:
        return None
    seconds = delta.total_seconds()
    return {
        "seconds": int(seconds) if seconds.is_integer() else seconds,
        "human": format_duration(delta),
    }


def _action(item: ActionItem, today: date) -> dict[str, object]:
    return {
        "title": item.title,
        "owner": item.owner,
        "status": item.status,
        "due": _iso(item.due),
        "type": item.type,
        "horizon": item.horizon,
        "priority": item.priority,
        "ticket": item.ticket,
        "notes": item.notes,
        "open": item.is_open,
        "overdue": item.is_overdue(today),
    }


def record(pm: Postmortem, context: ExportContext, today: date) -> dict[str, object]:
    """Return the JSON-ready record of `pm`, fields in RECORD_FIELDS order."""
    impact = pm.impact
    values: dict[str, object] = {
        "id": pm.id,
        "path": pm.path,
        "url": context.url_of(pm),
        "permalink": context.permalink(pm),
        "title": pm.title,
        "date": pm.date.isoformat(),
        "status": pm.status,
        "severity": pm.severity,
        "summary": pm.summary,
        "root_cause": pm.root_cause,
        "services": list(pm.services),
        "latent_since": _iso(pm.latent_since),
        "started": _iso(pm.started),
        "detected": _iso(pm.detected),
        "mitigated": _iso(pm.mitigated),
        "resolved": _iso(pm.resolved),
        "approximate": list(pm.approximate),
        "root_cause_categories": list(pm.root_cause_categories),
        "trigger": pm.trigger,
        "contributing_factors": list(pm.contributing_factors),
        "detection": pm.detection,
        "tags": list(pm.tags),
        "teams": list(pm.teams),
        "impact": None
        if impact is None
        else {
            "description": impact.description,
            "users_affected_percent": impact.users_affected_percent,
            "users_affected": impact.users_affected,
            "requests_failed_percent": impact.requests_failed_percent,
            "regions": list(impact.regions),
            "figures": [{"label": label, "value": value} for label, value in impact.figures],
            "data_loss": impact.data_loss,
            "customer_facing": impact.customer_facing,
        },
        "timeline": [
            {"at": _iso(entry.at), "event": entry.event, "approximate": entry.approximate}
            for entry in pm.timeline
        ],
        "action_items": [_action(item, today) for item in pm.action_items],
        "lessons": {
            "went_well": list(pm.lessons.went_well),
            "went_wrong": list(pm.lessons.went_wrong),
            "got_lucky": list(pm.lessons.got_lucky),
        },
        "related": list(pm.related),
        "links": [{"url": ln.url, "title": ln.title, "type": ln.type} for ln in pm.links],
        "authors": list(pm.authors),
        "extra": pm.extra,
        "durations": {
            "latent_for": _duration(pm.latent_for),
            "time_to_detect": _duration(pm.time_to_detect),
            "time_to_mitigate": _duration(pm.time_to_mitigate),
            "time_to_resolve": _duration(pm.time_to_resolve),
            "impact_duration": _duration(pm.impact_duration),
        },
        "action_items_total": len(pm.action_items),
        "action_items_open": len(pm.open_action_items),
        "action_items_overdue": sum(1 for item in pm.action_items if item.is_overdue(today)),
        "has_errors": pm.has_errors,
    }
    return values


def _jsonable(value: object) -> object:
    # `extra:` is free-form; anything JSON has no type for is written as text.
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# (kind, postmortem, make) -> the text `make` returns for that postmortem, maybe kept from a
# previous build: each row depends only on the postmortem, the context and the build date.
Rows = Callable[[str, Postmortem, Callable[[], str]], str]


def _made(kind: str, pm: Postmortem, make: Callable[[], str]) -> str:
    return make()


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


def json_export(catalog: Catalog, context: ExportContext, rows: Rows = _made) -> str:
    """Return postmortems.json: every record, newest first, with totals and a schema version.

    Each record is written on its own (`rows` may keep them), then joined into the document.
    """
    today = catalog.settings.today
    records = [rows("json", pm, partial(_record_json, pm, context, today)) for pm in catalog]
    document = {
        "schema_version": SCHEMA_VERSION,
        "generator": "mkdocs-postmortems",
        "build_date": today.isoformat(),
        "site_name": context.site_name,
        "site_url": context.site_url,
        "totals": {
            "postmortems": len(records),
            "action_items": sum(len(pm.action_items) for pm in catalog),
            "action_items_open": sum(len(pm.open_action_items) for pm in catalog),
            "action_items_overdue": sum(
                1 for pm in catalog for item in pm.action_items if item.is_overdue(today)
            ),
        },
    }
    # The records are the document's last member: the same text as one dump of everything.
    head = _json(document)[:-1]
    return f'{head},"postmortems":[{",".join(records)}]}}\n'


def _record_json(pm: Postmortem, context: ExportContext, today: date) -> str:
    return _json(record(pm, context, today))


# --- CSV -------------------------------------------------------------------------------------


def _seconds(delta: timedelta | None) -> str:
    return "" if delta is None else f"{delta.total_seconds():g}"


def _joined(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(values)


# (column, value) in output order; the order is part of the format: only ever append.
CSV_COLUMNS: tuple[tuple[str, Callable[[Postmortem, ExportContext, date], str]], ...] = (
    ("id", lambda pm, c, t: pm.id),
    ("date", lambda pm, c, t: pm.date.isoformat()),
    ("title", lambda pm, c, t: pm.title),
    ("status", lambda pm, c, t: pm.status),
    ("severity", lambda pm, c, t: pm.severity),
    ("services", lambda pm, c, t: _joined(pm.services)),
    ("root_cause_categories", lambda pm, c, t: _joined(pm.root_cause_categories)),
    ("trigger", lambda pm, c, t: pm.trigger or ""),
    ("detection", lambda pm, c, t: pm.detection or ""),
    ("tags", lambda pm, c, t: _joined(pm.tags)),
    ("teams", lambda pm, c, t: _joined(pm.teams)),
    ("started", lambda pm, c, t: _iso(pm.started) or ""),
    ("detected", lambda pm, c, t: _iso(pm.detected) or ""),
    ("mitigated", lambda pm, c, t: _iso(pm.mitigated) or ""),
    ("resolved", lambda pm, c, t: _iso(pm.resolved) or ""),
    ("time_to_detect_seconds", lambda pm, c, t: _seconds(pm.time_to_detect)),
    ("time_to_mitigate_seconds", lambda pm, c, t: _seconds(pm.time_to_mitigate)),
    ("time_to_resolve_seconds", lambda pm, c, t: _seconds(pm.time_to_resolve)),
    ("impact_duration_seconds", lambda pm, c, t: _seconds(pm.impact_duration)),
    ("time_to_resolve", lambda pm, c, t: format_duration(pm.time_to_resolve)),
    ("action_items", lambda pm, c, t: str(len(pm.action_items))),
    ("action_items_open", lambda pm, c, t: str(len(pm.open_action_items))),
    (
        "action_items_overdue",
        lambda pm, c, t: str(sum(1 for i in pm.action_items if i.is_overdue(t))),
    ),
    ("summary", lambda pm, c, t: pm.summary),
    ("root_cause", lambda pm, c, t: pm.root_cause),
    ("url", lambda pm, c, t: c.permalink(pm) or c.url_of(pm)),
)


def csv_cell(value: str) -> str:
    """Return `value` safe to open in a spreadsheet: a would-be formula gets a leading `'`."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_export(catalog: Catalog, context: ExportContext, rows: Rows = _made) -> str:
    """Return postmortems.csv: a header, then one row per incident, newest first."""
    today = catalog.settings.today
    header = _csv_line([name for name, _ in CSV_COLUMNS])
    lines = [rows("csv", pm, partial(_csv_row, pm, context, today)) for pm in catalog]
    return header + "".join(lines)


def _csv_row(pm: Postmortem, context: ExportContext, today: date) -> str:
    return _csv_line([csv_cell(value(pm, context, today)) for _, value in CSV_COLUMNS])


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)  # RFC 4180
    return out.getvalue()


# --- Atom ------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:  # the format requires an offset; never read the local zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def entry_id(pm: Postmortem, context: ExportContext) -> str:
    """Return the permanent Atom id of `pm`: its permalink, or a name-based UUID URN."""
    return context.permalink(pm) or f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, pm.id)}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(
        parent, f"{{{ATOM_NS}}}{tag}", {k: _text(v) for k, v in attributes.items()}
    )
    if text is not None:
        element.text = _text(text)
    return element


def atom_feed(catalog: Catalog, context: ExportContext, limit: int = FEED_ENTRIES) -> str:
    """Return feed.xml: an Atom feed of the newest `limit` postmortems.

    The feed's `updated` is the build date, so the same sources on the same build date give
    the same bytes. Without `site_url` the links are relative to the feed, which sits at the
    site root.
    """
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    base = context.site_url.rstrip("/") + "/" if context.site_url else ""
    _sub(feed, "title", f"{context.site_name}: newest postmortems")
    _sub(feed, "subtitle", "The newest incident postmortems.")
    _sub(
        feed,
        "id",
        base + FEED_URI if base else f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, context.site_name)}",
    )
    _sub(feed, "updated", _midnight(catalog.settings.today))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=base + FEED_URI)
    _sub(feed, "link", rel="alternate", type="text/html", href=base or "./")
    author = _sub(feed, "author")
    _sub(author, "name", context.site_name)
    _sub(feed, "generator", "mkdocs-postmortems")
    for pm in list(catalog)[:limit]:
        entry = _sub(feed, "entry")
        _sub(entry, "title", pm.title)
        _sub(entry, "id", entry_id(pm, context))
        href = context.permalink(pm) or context.url_of(pm)
        _sub(entry, "link", rel="alternate", type="text/html", href=href)
        published = _utc(pm.started) if pm.started else _midnight(pm.date)
        closed = pm.resolved or pm.mitigated or pm.started
        _sub(entry, "published", published)
        _sub(entry, "updated", _utc(closed) if closed else published)
        for name in pm.authors:
            _sub(_sub(entry, "author"), "name", name)
        _sub(entry, "category", term=pm.severity, label=f"Severity {pm.severity}")
        for term in dict.fromkeys((*pm.root_cause_categories, *pm.tags)):
            _sub(entry, "category", term=term)
        _sub(entry, "summary", pm.summary, type="text")
    ET.indent(feed, space=" ")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


# --- documentation page ----------------------------------------------------------------------


def exports_page(src_uri: str = EXPORTS_URI) -> GeneratedPage:
    """Return the "Data exports" page: what each file holds and the shape of the JSON."""

    def link(uri: str) -> str:
        return md_link(uri, uri)

    parts = [
        front_matter("Data exports"),
        "# Data exports\n\n",
        "Every build publishes the knowledge base as data, for spreadsheets, dashboards and "
        "feed readers. Times are ISO 8601, durations are computed from the times, and "
        "*open* and *overdue* are measured on the build date.\n\n",
        f"- {link(JSON_URI)}: every postmortem with its computed fields.\n",
        f"- {link(CSV_URI)}: one row per incident (UTF-8, comma separated).\n",
        f"- {link(FEED_URI)}: an Atom feed of the newest {FEED_ENTRIES} postmortems.\n\n",
        f"## {JSON_URI}\n\n",
        f"An object with `schema_version` (now {SCHEMA_VERSION}; it changes only when a field "
        "is removed or changes meaning), `generator`, `build_date`, `site_name`, `site_url`, "
        "`totals` (`postmortems`, `action_items`, `action_items_open`, "
        "`action_items_overdue`) and `postmortems`: a list of records, newest first, each "
        "with these fields in this order. A field that was not written is null or an empty "
        "list; the page body is not included (follow `url`).\n\n",
        "| Field | Type | Meaning |\n| --- | --- | --- |\n",
    ]
    parts += [f"| `{key}` | {kind} | {meaning} |\n" for key, kind, meaning in RECORD_FIELDS]
    parts += [
        f"\n## {CSV_URI}\n\n",
        "A header row, then one row per incident, newest first, with the columns below in "
        "this order (new columns are only ever added at the end). Lists are joined with "
        f"`{LIST_SEPARATOR.strip()}` and a space. A cell that starts with `=`, `+`, `-` or "
        "`@` gets a leading `'` so that a spreadsheet shows it as text instead of running it "
        "as a formula.\n\n",
        ", ".join(f"`{name}`" for name, _ in CSV_COLUMNS) + "\n\n",
        f"## {FEED_URI}\n\n",
        f"An Atom feed of the newest {FEED_ENTRIES} postmortems: title, summary, severity, "
        "root-cause categories and tags as categories, published when the incident started "
        "and updated when it was resolved. Every page of the site links to it, so feed "
        "readers find it from any address.\n",
    ]
    return GeneratedPage(src_uri, "".join(parts))
