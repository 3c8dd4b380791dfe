"""Build the template data of an incident page: every value escaped before a template sees it.

The incident card's strings are escaped HTML (tests/test_card.py walks a hostile card to check
each) that the templates show as they are: a `| e` per value was a third of the time a
thousand cards took to draw. They are plain `str`, not `Markup`, because the build cache keeps
every card (`escaped_text`); a template must not filter them. The problems (shown by a template
shared with unreadable files) and the page of an unreadable file stay `Markup`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from markupsafe import Markup

from ..core.catalog import Catalog, Settings
from ..core.loader import Rejected
from ..core.model import ActionItem, Postmortem
from ..core.problems import Problem
from ..core.text import format_duration
from ..core.validate import is_safe_url
from .markup import css_class, escaped, escaped_text, inline_html, markdown_html

UrlFor = Callable[[str], str | None]
FacetUrl = Callable[[str, str], str | None]
"""The URL of the page of a facet value (kind key, name), relative to the card's page."""
Chips = list[tuple[str, str | None]]
"""Escaped names with the escaped URLs of their facet pages (None: no page)."""
_UTC = ("", "+00:00")  # what isoformat ends with when the offset is none or zero
_APPROXIMATE = " (approximate)"


def format_time(moment: datetime | None) -> str:
    """Return `moment` as `2024-03-08 10:30 UTC` (or with its own offset)."""
    if moment is None:
        return "-"
    # strftime's %:z exists only from Python 3.12 (3.11 prints it literally); isoformat ends
    # with the same +HH:MM, and nothing (naive) or +00:00 (UTC) after the minutes.
    iso = moment.isoformat(" ", "minutes")
    zone = "UTC" if iso[16:] in _UTC else "UTC" + iso[-6:]
    if moment.year < 1000:  # strftime does not pad the year to four digits, isoformat does
        return f"{moment:%Y-%m-%d %H:%M} {zone}"
    return f"{iso[:16]} {zone}"  # a third of strftime's time: a card has about nine of them


class Fact(NamedTuple):
    """A labelled value on the card (a tuple: a card has about fifteen, cheap to make and to
    pickle)."""

    label: str
    value: str
    note: str = ""


def _fact(label: str, value: str, note: str = "") -> Fact:
    """Return a fact with `label` and `value` escaped."""
    return Fact(escaped_text(label), escaped_text(value), note)


def _e(value: object) -> Markup:
    return escaped("" if value is None else str(value))


def _link(url: str | None) -> str | None:
    return escaped_text(url) if url and is_safe_url(url) else None


def _problems(problems: tuple[Problem, ...]) -> list[dict[str, Markup]]:
    return [
        {
            "level": _e(p.level),
            "location": _e(p.location()),
            "field": _e(p.field),
            "message": _e(p.message),
            "hint": _e(p.hint),
        }
        for p in problems
    ]


def _action(item: ActionItem, settings: Settings) -> dict[str, Any]:
    return {
        "title": inline_html(item.title),
        "owner": escaped_text(item.owner or "unassigned"),
        "status": escaped_text(item.status),
        "status_class": css_class(item.status),
        "due": escaped_text(item.due.isoformat() if item.due else "-"),
        "overdue": item.is_overdue(settings.today),
        "type": escaped_text(item.type or "-"),
        "horizon": escaped_text(item.horizon or "-"),
        "priority": escaped_text(item.priority or ""),
        "ticket": _link(item.ticket),
        "notes": inline_html(item.notes) if item.notes else "",
    }


def _by_status(items: tuple[ActionItem, ...], settings: Settings) -> list[dict[str, str]]:
    """Return (status, count) of `items` in the vocabulary's order, the same words as the rows."""
    order = [term.value for term in settings.terms("action_status")]
    counts = Counter(item.status for item in items)
    ordered = [s for s in order if counts[s]] + sorted(set(counts) - set(order))
    return [
        {
            "status": escaped_text(s),
            "count": escaped_text(str(counts[s])),
            "class": escaped_text(css_class(s)),
        }
        for s in ordered
    ]


def _durations(pm: Postmortem) -> list[Fact]:
    facts = []
    for label, delta, fields in (
        ("Latent for", pm.latent_for, ("started",)),
        ("Time to detect", pm.time_to_detect, ("started", "detected")),
        ("Time to mitigate", pm.time_to_mitigate, ("started", "mitigated")),
        ("Time to resolve", pm.time_to_resolve, ("started", "resolved")),
        ("Impact window", pm.impact_duration, ("started", "mitigated")),
    ):
        if delta is not None:
            note = _APPROXIMATE if any(pm.is_approximate(f) for f in fields) else ""
            facts.append(_fact(label, format_duration(delta), note))
    return facts


def _times(pm: Postmortem) -> list[Fact]:
    facts = []
    if pm.latent_since is not None:
        facts.append(_fact("Latent since", format_time(pm.latent_since)))
    for name in ("started", "detected", "mitigated", "resolved"):
        moment: datetime | None = getattr(pm, name)
        if moment is not None:
            note = _APPROXIMATE if pm.is_approximate(name) else ""
            facts.append(_fact(name.capitalize(), format_time(moment), note))
    return facts


def _no_page(kind: str, name: str) -> None:
    return None


def _chips(kind: str, names: tuple[str, ...], facet_url: FacetUrl) -> Chips:
    chips: Chips = []
    for name in names:
        url = facet_url(kind, name)
        chips.append((escaped_text(name), None if url is None else escaped_text(url)))
    return chips


def incident_card(
    pm: Postmortem, catalog: Catalog, url_for: UrlFor, facet_url: FacetUrl = _no_page
) -> dict[str, Any]:
    """Return the template data of `pm`'s incident card; `url_for` maps an id to a page URL,
    `facet_url` a facet value to its page's."""
    settings = catalog.settings
    impact = pm.impact
    figures: list[Fact] = []
    if impact is not None:
        if impact.users_affected_percent is not None:
            figures.append(_fact("Users affected", f"{impact.users_affected_percent:g}%"))
        if impact.users_affected is not None:
            figures.append(_fact("Users affected (count)", f"{impact.users_affected:,}"))
        if impact.requests_failed_percent is not None:
            figures.append(_fact("Requests failed", f"{impact.requests_failed_percent:g}%"))
        figures.extend(
            _fact(label, "" if value is None else str(value)) for label, value in impact.figures
        )
        if impact.regions:
            figures.append(_fact("Regions", ", ".join(impact.regions)))
        if impact.data_loss is not None:
            figures.append(_fact("Data lost", "yes" if impact.data_loss else "no"))
        if impact.customer_facing is not None:
            figures.append(_fact("Customer facing", "yes" if impact.customer_facing else "no"))
    related = []
    for other_id in pm.related:
        url, other = url_for(other_id), catalog.get(other_id)
        if url is not None and other is not None:
            related.append(
                {
                    "id": escaped_text(other_id),
                    "url": escaped_text(url),
                    "title": escaped_text(other.title),
                }
            )
    open_items = [item for item in pm.action_items if item.is_open]
    overdue = [item for item in open_items if item.is_overdue(settings.today)]
    return {
        "id": escaped_text(pm.id),
        "title": escaped_text(pm.title),
        "severity": escaped_text(pm.severity or "unknown"),
        "severity_class": css_class(pm.severity or "unknown"),
        "status": escaped_text(pm.status),
        "status_class": css_class(pm.status),
        "date": escaped_text(pm.date.isoformat()),
        "summary": markdown_html(pm.summary) if pm.summary else "",
        "root_cause": markdown_html(pm.root_cause) if pm.root_cause else "",
        "times": _times(pm),
        "durations": _durations(pm),
        "impact": markdown_html(impact.description) if impact else "",
        "impact_figures": figures,
        "services": _chips("service", pm.services, facet_url),
        "tags": _chips("tag", pm.tags, facet_url),
        "teams": [escaped_text(t) for t in pm.teams],
        "authors": [escaped_text(a) for a in pm.authors],
        "categories": _chips("category", pm.root_cause_categories, facet_url),
        "trigger": _chips("trigger", (pm.trigger,), facet_url) if pm.trigger else [],
        "detection": escaped_text(pm.detection) if pm.detection else None,
        "contributing_factors": [
            (inline_html(f), None if (url := facet_url("factor", f)) is None else escaped_text(url))
            for f in pm.contributing_factors
        ],
        "timeline": [
            {
                "at": escaped_text(format_time(entry.at)),
                "event": inline_html(entry.event),
                "approximate": entry.approximate,
            }
            for entry in pm.timeline
        ],
        "action_items": [_action(item, settings) for item in pm.action_items],
        "action_counts": {
            "total": len(pm.action_items),
            "open": len(open_items),  # not done: proposed, open or in progress
            "overdue": len(overdue),
            "by_status": _by_status(pm.action_items, settings),
        },
        "lessons": {
            "went_well": [inline_html(x) for x in pm.lessons.went_well],
            "went_wrong": [inline_html(x) for x in pm.lessons.went_wrong],
            "got_lucky": [inline_html(x) for x in pm.lessons.got_lucky],
        },
        "has_lessons": bool(pm.lessons),
        "links": [
            {
                "url": url,
                "title": escaped_text(link.title or link.url),
                "type": escaped_text(link.type or ""),
            }
            for link in pm.links
            if (url := _link(link.url)) is not None
        ],
        "related": related,
        "build_date": escaped_text(settings.today.isoformat()),
        "problems": _problems(pm.problems),
    }


def rejected_card(rejected: Rejected) -> dict[str, Any]:
    """Return the template data of the page shown for a file that could not be read."""
    return {
        "id": _e(rejected.id),
        "path": _e(rejected.path),
        "problems": _problems(rejected.problems),
        "source": _e(rejected.text),
    }
