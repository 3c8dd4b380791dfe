"""Write the Follow-ups page: every action item, counted the way a manager reads them.

One status vocabulary everywhere (the `action_status` terms: proposed, open, in-progress, done,
wont-do). "Not done" is the one word for the first three together, never "open", which is a
status of its own. For each owner, team and service the page gives the completion rate (done
out of every item not dropped as "won't do"), what is not done, what is past its due date, and
the median age of what is not done. An action item has no creation date of its own, so its age
is counted from its incident's date. Items older than an agreed age are flagged: the ages are
an option (`follow_up_ages`, weeks per priority). The items themselves are listed per owner in
collapsed blocks, closed items last, so the page opens on the summary.

The lists are rendered by a template (`postmortems/follow-ups.html`) from `follow_up_data`,
because links to incident pages are known only once MkDocs has placed them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from ..analysis.stats import median
from ..core.catalog import Catalog, Settings
from ..core.model import ActionItem, Postmortem
from .layout import GeneratedPage, front_matter
from .markup import css_class, md_text, render_inline

FOLLOW_UPS_URI = "follow-ups.md"
FOLLOW_UPS_TEMPLATE = "postmortems/follow-ups.html"
NOT_DONE = "not done"
UNASSIGNED = "unassigned"
ANY_PRIORITY = "*"
DEFAULT_AGES: dict[str, list[int]] = {"P0": [4, 8], "P1": [4, 8]}
SUMMARY_ROWS = 25  # rows of each "by owner / team / service" table; the rest are counted

Pair = tuple[Postmortem, ActionItem]
UrlFor = Callable[[Postmortem], str]


@dataclass(frozen=True)
class AgeFlags:
    """Weeks after which an item that is not done is flagged, per priority (`*`: any other)."""

    weeks: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def limits(self, item: ActionItem) -> tuple[int, ...]:
        """Return the ages in weeks that flag `item`, smallest first (empty: never flagged)."""
        if item.priority is not None and item.priority in self.weeks:
            return self.weeks[item.priority]
        return self.weeks.get(ANY_PRIORITY, ())

    def level(self, item: ActionItem, age_days: int) -> int:
        """Return how many of `item`'s age limits it has passed (0: not flagged)."""
        return sum(1 for weeks in self.limits(item) if age_days >= 7 * weeks)

    def describe(self) -> str:
        """Return the flags in words, for the page."""
        if not self.weeks:
            return "No age is flagged (set the plugin's `follow_up_ages` option to flag some)."
        parts = []
        for priority, weeks in sorted(self.weeks.items(), key=lambda p: p[0] == ANY_PRIORITY):
            who = "Any other item" if priority == ANY_PRIORITY else f"{md_text(priority)} items"
            parts.append(f"{who}: {' and '.join(f'{w} weeks' for w in weeks)}")
        return "Items not done are flagged after " + "; ".join(parts) + "."


def parse_ages(raw: object) -> tuple[AgeFlags, list[str]]:
    """Return the age flags of option `follow_up_ages`, and what is wrong with it."""
    if raw is None:
        raw = DEFAULT_AGES
    if not isinstance(raw, dict):
        return AgeFlags(), ["follow_up_ages must map priorities to weeks, e.g. {P0: [4, 8]}"]
    weeks: dict[str, tuple[int, ...]] = {}
    errors = []
    for priority, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values
        ):
            errors.append(
                f"follow_up_ages: '{priority}' must be a number of weeks or a list of them "
                f"(e.g. [4, 8]), not {value!r}"
            )
            continue
        weeks[str(priority)] = tuple(sorted(set(values)))
    return AgeFlags(weeks), errors


@dataclass(frozen=True)
class Tally:
    """The follow-ups of one owner, team or service."""

    name: str
    total: int
    done: int
    dropped: int  # won't do
    not_done: int
    past_due: int
    flagged: int
    median_age_days: float | None

    @property
    def completion(self) -> float | None:
        """Return done / (all items not dropped), or None when every item was dropped."""
        counted = self.total - self.dropped
        return self.done / counted if counted else None


def _age(pm: Postmortem, today: date) -> int:
    return max((today - pm.date).days, 0)


def _is_done(item: ActionItem) -> bool:
    return item.status == "done"


def tally(name: str, pairs: Sequence[Pair], settings: Settings, ages: AgeFlags) -> Tally:
    """Return the counts of `pairs` (one owner's, team's or service's items)."""
    today = settings.today
    done = dropped = past_due = flagged = 0
    open_ages: list[int] = []  # of the items not done, in order
    for pm, item in pairs:  # one pass: the follow-ups page tallies every item several times
        if item.is_open:
            age = _age(pm, today)
            open_ages.append(age)
            past_due += item.is_overdue(today)
            flagged += ages.level(item, age) > 0
        elif _is_done(item):
            done += 1
        else:
            dropped += 1
    return Tally(
        name, len(pairs), done, dropped, len(open_ages), past_due, flagged, median(open_ages)
    )


def _groups(pairs: Iterable[Pair], keys: Callable[[Pair], Iterable[str]]) -> dict[str, list[Pair]]:
    groups: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        for key in dict.fromkeys(keys(pair)):
            groups[key].append(pair)
    return groups


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


def _weeks(days: float | None) -> str:
    if days is None:
        return "-"
    return f"{days:.0f} days" if days < 14 else f"{days / 7:.0f} weeks"


def _tally_table(heading: str, noun: str, tallies: list[Tally]) -> str:
    ordered = sorted(tallies, key=lambda t: (-t.not_done, -t.past_due, t.name.casefold(), t.name))
    lines = [
        f"## {heading}\n\n",
        f"| {noun} | Items | Done | Completion | Not done | Past due | Flagged for age "
        "| Median age not done |\n",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    ]
    lines += [
        f"| {md_text(t.name)} | {t.total} | {t.done} | {_percent(t.completion)} | {t.not_done} "
        f"| {t.past_due} | {t.flagged} | {_weeks(t.median_age_days)} |\n"
        for t in ordered[:SUMMARY_ROWS]
    ]
    if len(ordered) > SUMMARY_ROWS:
        rest = len(ordered) - SUMMARY_ROWS
        lines.append(f"\nThe {SUMMARY_ROWS} with most items not done; {rest} more have fewer.\n")
    return "".join(lines) + "\n"


def follow_ups_page(
    catalog: Catalog, ages: AgeFlags | None = None, src_uri: str = FOLLOW_UPS_URI
) -> GeneratedPage:
    """Return the Follow-ups page: counts by status, tallies by owner, team and service."""
    ages = ages if ages is not None else parse_ages(None)[0]
    settings = catalog.settings
    pairs = [(pm, item) for pm in catalog for item in pm.action_items]
    statuses = [t.value for t in settings.terms("action_status")]
    counts = Counter(item.status for _, item in pairs)
    everything = tally("all", pairs, settings, ages)
    body = [
        "# Follow-ups\n\n",
        f"Every action item across incidents as of the build date "
        f"**{settings.today.isoformat()}**: {len(pairs)} in all, **{everything.not_done} "
        f"{NOT_DONE}** (proposed, open or in progress), {everything.past_due} of them past "
        f"their due date and {everything.flagged} flagged for their age. Completion rate "
        f"**{_percent(everything.completion)}**: items done out of all items except those "
        "decided against (won't do).\n\n",
        "| Status | Items |\n| --- | ---: |\n",
        *(f"| {status_badge(s)} | {counts.get(s, 0)} |\n" for s in statuses),
        *(f"| {status_badge(s)} | {n} |\n" for s, n in sorted(counts.items()) if s not in statuses),
        "\n",
        f"Age is counted from the incident's date. {ages.describe()} "
        "Past due and flagged items lead each owner's list below.\n\n",
    ]
    if pairs:
        for heading, noun, keys in (
            ("By owner", "Owner", lambda p: [p[1].owner or UNASSIGNED]),
            ("By team", "Team", lambda p: p[0].teams or [UNASSIGNED]),
            ("By service", "Service", lambda p: p[0].services or [UNASSIGNED]),
        ):
            groups = _groups(pairs, keys)
            tallies = [tally(name, group, settings, ages) for name, group in groups.items()]
            body.append(_tally_table(heading, noun, tallies))
    markdown = front_matter(
        "Follow-ups", hide=["navigation"], searchable=False, template=FOLLOW_UPS_TEMPLATE
    )
    return GeneratedPage(
        src_uri,
        markdown + "".join(body),
        data=lambda url_for: follow_up_data(catalog, ages, url_for),
    )


def status_badge(status: str) -> Markup:
    """Return the badge of an action item status, as the incident card shows it."""
    return Markup(
        f'<span class="pm-badge pm-action-status pm-action-status--{css_class(status)}">'
        f"{escape(status)}</span>"
    )


def _row(
    pm: Postmortem, item: ActionItem, settings: Settings, ages: AgeFlags, url_for: UrlFor
) -> dict[str, Any]:
    today = settings.today
    age = _age(pm, today)
    level = ages.level(item, age) if item.is_open else 0
    limits = ages.limits(item)
    return {
        "title": render_inline(item.title),
        "url": escape(url_for(pm)),
        "incident": escape(pm.title),
        "status": escape(item.status),
        "status_class": escape(css_class(item.status)),
        "priority": escape(item.priority or "-"),
        "due": escape(item.due.isoformat() if item.due else "-"),
        "overdue": item.is_overdue(today),
        "age": escape(_weeks(age)),
        "flag": level,
        "flag_text": escape(f"older than {limits[level - 1]} weeks" if level else ""),
        "owner": escape(item.owner or UNASSIGNED),
    }


def follow_up_data(catalog: Catalog, ages: AgeFlags, url_for: UrlFor) -> dict[str, Any]:
    """Return the template data of the item lists: not done per owner, then closed per owner."""
    settings = catalog.settings
    today = settings.today
    statuses = [t.value for t in settings.terms("action_status")]
    rank = {name: index for index, name in enumerate(statuses)}
    pairs = [(pm, item) for pm in catalog for item in pm.action_items]

    def order(pair: Pair) -> tuple[Any, ...]:
        pm, item = pair
        return (
            not item.is_overdue(today),
            -ages.level(item, _age(pm, today)),
            rank.get(item.status, len(rank)),
            item.due or date.max,
            pm.date,
        )

    def groups(wanted: Callable[[ActionItem], bool]) -> list[dict[str, Any]]:
        by_owner = _groups((p for p in pairs if wanted(p[1])), lambda p: [p[1].owner or UNASSIGNED])
        result = []
        for owner in sorted(by_owner, key=lambda o: (-len(by_owner[o]), o.casefold(), o)):
            rows = sorted(by_owner[owner], key=order)
            counts = tally(owner, rows, settings, ages)
            result.append(
                {
                    "owner": escape(owner),
                    "count": len(rows),
                    "past_due": counts.past_due,
                    "flagged": counts.flagged,
                    "rows": [_row(pm, item, settings, ages, url_for) for pm, item in rows],
                }
            )
        return result

    not_done = groups(lambda item: item.is_open)
    closed = groups(lambda item: not item.is_open)
    return {
        "not_done": not_done,
        "not_done_count": sum(g["count"] for g in not_done),
        "closed": closed,
        "closed_count": sum(g["count"] for g in closed),
        "build_date": escape(today.isoformat()),
    }
