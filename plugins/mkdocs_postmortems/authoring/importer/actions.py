"""Turn action-item lists and tables into `action_items` entries."""

from __future__ import annotations

import re
from datetime import date

from ...core.schema import MAX_LINE, MAX_TEXT
from ...core.vocabulary import DEFAULT_VOCABULARIES, match_term
from .context import Context
from .outline import (
    BULLET,
    CHECKBOX,
    EMPHASIS,
    HORIZONS,
    MAX_SCAN,
    MD_LINK,
    Section,
    clean_line,
    horizon_of,
    normalize_label,
    one_line,
)
from .tables import Table, tables_in

_ACTION_TYPES = {
    "mitigate": "mitigate",
    "mitigation": "mitigate",
    "prevent": "prevent",
    "prevention": "prevent",
    "detect": "detect",
    "detection": "detect",
    "process": "process",
}


_TICKET_ID = re.compile(r"^[A-Z][A-Z0-9]{1,14}-\d+$")
_META_GROUP = re.compile(r"\s*[(\[]([^()\[\]]+)[)\]]")
_META_PART = re.compile(
    r"^(owner|owned by|assignee|assigned to|dri|due|due date|by|deadline|eta|priority|type|"
    r"status|horizon)\s*[:=]?\s*(.+)$",
    re.IGNORECASE,
)
_META_FIELDS = {
    "owner": "owner",
    "owned by": "owner",
    "assignee": "owner",
    "assigned to": "owner",
    "dri": "owner",
    "due": "due",
    "due date": "due",
    "by": "due",
    "deadline": "due",
    "eta": "due",
    "priority": "priority",
    "type": "type",
    "status": "status",
    "horizon": "horizon",
}
_STATUS_WORDS = {
    "done": "done",
    "completed": "done",
    "complete": "done",
    "fixed": "done",
    "in progress": "in-progress",
    "in-progress": "in-progress",
    "wip": "in-progress",
    "todo": "open",
    "to do": "open",
    "open": "open",
    "proposed": "proposed",
    "won't do": "wont-do",
    "wont do": "wont-do",
    "wontfix": "wont-do",
}
_TRAILING_OWNER = re.compile(
    r"\s*(?:[-\u2013\u2014,;]\s*)?\b(?:owner|assignee|dri)\s*:\s*([^,;()\[\]]+?)\s*$"
    r"|\s+@([A-Za-z0-9][\w.-]*\w)\s*$",
    re.IGNORECASE,
)
_LEADING_TAG = re.compile(
    r"^(?:(P[0-3])|(mitigate|prevent|detect|process)|([A-Z][A-Z0-9]{1,14}-\d+))\s*[:\-\u2013\u2014]?\s+",
)
_ROW_STATUS = re.compile(r"\b(DONE|TODO|IN PROGRESS|WONTFIX|FIXED)\b")


def bullet_items(section: Section) -> list[tuple[str, list[str], Section]]:
    """Return (item text, nested detail lines, owning section) for every list item under it."""
    items: list[tuple[str, list[str], Section]] = []
    for node in section.walk():
        item_indent: int | None = None
        for entry in node.items:
            if not isinstance(entry, str) or not entry.strip():
                continue
            bullet = BULLET.match(entry)
            if bullet is None:
                if items and items[-1][2] is node and entry.startswith(" "):
                    items[-1][1].append(entry.strip())  # a wrapped line of the item above
                continue
            indent = len(bullet.group(1))
            if item_indent is None or indent <= item_indent:
                item_indent = indent
                items.append((bullet.group(2), [], node))
            elif items and items[-1][2] is node:
                items[-1][1].append(clean_line(entry))
    return items


def _action_sections(root: Section) -> list[Section]:
    found: list[Section] = []
    for section in root.walk():
        if section.key not in ("action_items", "remediation"):
            continue
        if any(section in s.walk() for s in found):
            continue  # nested under one already taken
        found.append(section)
    return found


def actions_of(root: Section, ctx: Context) -> list[dict[str, object]]:
    actions: list[dict[str, object]] = []
    for section in _action_sections(root):
        for table in tables_in(section.lines()):
            actions.extend(_table_actions(table))
        for text, details, owner_section in bullet_items(section):
            item = _action(text, details)
            if item is None:
                continue
            horizon = next(
                (h for s in _path_to(section, owner_section) if (h := horizon_of(s.label))), None
            )
            if horizon and "horizon" not in item:
                item["horizon"] = horizon
            kind = next(
                (
                    _ACTION_TYPES[n]
                    for s in _path_to(section, owner_section)
                    if (n := normalize_label(s.label)) in _ACTION_TYPES
                ),
                None,
            )
            if kind and "type" not in item:
                item["type"] = kind
            actions.append(item)
    if not actions:
        ctx.missing.append("action_items: no action items found")
    else:
        without = [a for a in actions if "owner" not in a]
        if without:
            ctx.missing.append(f"action_items: {len(without)} of {len(actions)} have no owner")
        # Nobody has agreed to an item without an owner yet: it stays proposed until someone does.
        unagreed = [a for a in without if "status" not in a]
        for item in unagreed:
            item["status"] = "proposed"
        if unagreed:
            ctx.guesses.append(
                f"action_items: {len(unagreed)} without an owner or status set to 'proposed' "
                "(give each an owner, then set status: open)"
            )
    return actions


def _path_to(top: Section, target: Section) -> list[Section]:
    """Return the sections from `top` down to `target`, nearest first."""

    def search(node: Section, trail: list[Section]) -> list[Section] | None:
        if node is target:
            return [*trail, node]
        for item in node.items:
            if isinstance(item, Section):
                found = search(item, [*trail, node])
                if found:
                    return found
        return None

    return list(reversed(search(top, []) or []))


_ACTION_COLUMNS = (
    ("title", r"^(?:action(?: item)?s?|items?|tasks?|description|what|remediation|title|fix)$"),
    ("type", r"^(?:type|kind|category)$"),
    ("owner", r"^(?:owners?|assignee|assigned to|who|responsible|dri)$"),
    ("ticket", r"^(?:bug|bugs|ticket|tickets|issue|issues|jira|link|tracking|tracker)$"),
    ("priority", r"^(?:priority|prio|pri)$"),
    ("status", r"^(?:status|state|done)$"),
    ("due", r"^(?:due|due date|deadline|eta|target|target date)$"),
    ("horizon", r"^(?:horizon|when|term|timeframe)$"),
)


def _table_actions(table: Table) -> list[dict[str, object]]:
    columns: dict[str, int] = {}
    for name, pattern in _ACTION_COLUMNS:
        index = table.column(pattern, skip=columns.values())
        if index is not None:
            columns[name] = index
    if "title" not in columns:
        return []
    items = []
    for row in table.rows:
        cells = {name: row[i] if i < len(row) else "" for name, i in columns.items()}
        if "status" not in cells:
            for name, value in cells.items():
                word = _ROW_STATUS.search(value)
                if word:
                    cells[name] = _ROW_STATUS.sub("", value).strip()
                    cells["status"] = word.group(1)
                    break
        item = _action(cells.pop("title"), [])
        if item is None:
            continue
        for name, value in cells.items():
            _set_action_field(item, name, EMPHASIS.sub("", value).strip())
        items.append(item)
    return items


def _set_action_field(item: dict[str, object], name: str, value: str) -> None:
    if not value or value in ("-", "\u2014", "n/a", "N/A"):
        return
    notes: list[str] = [str(item["notes"])] if "notes" in item else []
    if name == "ticket":
        link = MD_LINK.search(value)
        url = link.group(2) if link else value
        if re.match(r"https?://", url):
            item["ticket"] = url
            if link and not _TICKET_ID.match(link.group(1)):
                notes.append(f"Ticket: {link.group(1)}")
        else:
            notes.append(f"Ticket: {value}")
    elif name in ("type", "priority", "horizon", "status"):
        vocabulary = {
            "type": "action_type",
            "priority": "priority",
            "horizon": "horizon",
            "status": "action_status",
        }[name]
        lowered = value.lower()
        wanted = _STATUS_WORDS.get(
            lowered, _ACTION_TYPES.get(lowered, HORIZONS.get(lowered, value))
        )
        term = match_term(wanted, DEFAULT_VOCABULARIES[vocabulary])
        if term:
            item[name] = term
        else:
            notes.append(f"{name.capitalize()}: {value}")
    elif name == "due":
        if _real_date(value):
            item["due"] = value
        else:
            notes.append(f"Due: {value}")
    else:
        item[name] = one_line(MD_LINK.sub(r"\1", value), 100).lstrip("@")
    if notes:
        item["notes"] = "\n".join(notes)


def _real_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _metadata(text: str) -> list[tuple[str, str]] | None:
    """Return the fields of `(owner: x, due 2024-04-01, P1)`, or None when it is plain prose."""
    found: list[tuple[str, str]] = []
    for raw in re.split(r"[,;]", text):
        part = raw.strip()
        lowered = part.lower()
        meta = _META_PART.match(part)
        if meta:
            found.append((_META_FIELDS[meta.group(1).lower()], meta.group(2).strip()))
        elif re.fullmatch(r"P[0-3]", part):
            found.append(("priority", part))
        elif lowered in _ACTION_TYPES:
            found.append(("type", lowered))
        elif lowered in _STATUS_WORDS:
            found.append(("status", lowered))
        elif horizon_of(part):
            found.append(("horizon", part))
        elif re.fullmatch(r"@[A-Za-z0-9][\w.-]*", part):
            found.append(("owner", part))
        else:
            return None
    return found or None


def _action(text: str, details: list[str]) -> dict[str, object] | None:
    item: dict[str, object] = {}
    line = text.strip()
    if len(line) > MAX_SCAN:
        # Too long to be one item with metadata: keep it whole, as the title and notes.
        return {"title": one_line(line), "notes": line[:MAX_TEXT]}
    box = CHECKBOX.match(line)
    if box:
        item["status"] = "done" if box.group(1).lower() == "x" else "open"
        line = line[box.end() :]
    line = EMPHASIS.sub("", line)
    for link in list(MD_LINK.finditer(line)):
        if "ticket" not in item and re.match(r"https?://", link.group(2)):
            item["ticket"] = link.group(2)
            if _TICKET_ID.match(link.group(1)):
                line = line.replace(link.group(0), "")
                continue
        line = line.replace(link.group(0), link.group(1))
    for group in list(_META_GROUP.finditer(line)):
        found = _metadata(group.group(1))
        if found is not None:
            for name, value in found:
                _set_action_field(item, name, value)
            line = line.replace(group.group(0), " ", 1)
    trailing = _TRAILING_OWNER.search(line)
    if trailing:
        _set_action_field(item, "owner", next(g for g in trailing.groups() if g))
        line = line[: trailing.start()]
    leading = _LEADING_TAG.match(line.strip())
    while leading:
        priority, kind, ticket = leading.groups()
        if ticket:
            _set_action_field(item, "ticket", ticket)
        else:
            _set_action_field(item, "priority" if priority else "type", priority or kind)
        line = line.strip()[leading.end() :]
        leading = _LEADING_TAG.match(line)
    if "\u2705" in line:
        item["status"] = "done"
        line = line.replace("\u2705", " ")
    title = " ".join(line.split()).strip(" -\u2013\u2014:;,").rstrip(".")
    if not title or horizon_of(title):
        return None
    if len(title) > MAX_LINE:
        details = [title, *details]
        title = one_line(title)
    item = {"title": title, **item}
    if details:
        previous = [str(item["notes"])] if "notes" in item else []
        item["notes"] = "\n".join([*previous, *details])
    return item
