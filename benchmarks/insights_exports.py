"""Time the Insights page (charts included) and the exports on synthetic catalogs.

Run: python benchmarks/insights_exports.py [N ...]   (default: 1000 10000)

Each builder is timed directly on an in-memory catalog (no MkDocs build), best of a few runs.
The first N is the baseline: the ratio column says how the cost grows with N (a linear build
shows the ratio of the sizes).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from mkdocs_postmortems.core.catalog import Catalog, Settings, build_catalog
from mkdocs_postmortems.core.model import ActionItem, Postmortem
from mkdocs_postmortems.core.vocabulary import DEFAULT_VOCABULARIES
from mkdocs_postmortems.views.exports import (
    ExportContext,
    atom_feed,
    csv_export,
    json_export,
)
from mkdocs_postmortems.views.insights import insights_page
from mkdocs_postmortems.views.layout import Layout

CATEGORIES = [t.value for t in DEFAULT_VOCABULARIES["root_cause_category"]]
DETECTION = [t.value for t in DEFAULT_VOCABULARIES["detection"]]
SEVERITIES = ["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4"]


def synthetic_catalog(count: int, seed: int = 7) -> Catalog:
    """Return `count` postmortems over five years, with times, categories and follow-ups."""
    rng = random.Random(seed)
    services = [f"service-{i:02d}" for i in range(60)]
    first = date(2020, 1, 1)
    records: list[Postmortem] = []
    for n in range(count):
        day = first + timedelta(days=rng.randrange(5 * 365))
        started = datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)
        detect = timedelta(minutes=rng.lognormvariate(2.5, 1.2))
        resolve = detect + timedelta(minutes=rng.lognormvariate(4.5, 1.3))
        records.append(
            Postmortem(
                id=f"{day.isoformat()}-incident-{n}",
                path=f"{day.isoformat()}-incident-{n}.md",
                title=f"Incident {n} in {rng.choice(services)}",
                date=day,
                status="published",
                severity=rng.choice(SEVERITIES),
                summary="Something broke and was fixed. " * 3,
                root_cause="A cause that someone will search for later. " * 2,
                services=tuple(rng.sample(services, rng.randint(1, 3))),
                body="",
                started=started,
                detected=started + detect,
                mitigated=started + resolve * 0.8,
                resolved=started + resolve,
                root_cause_categories=tuple(rng.sample(CATEGORIES, rng.randint(1, 2))),
                detection=rng.choice(DETECTION),
                tags=("synthetic", f"tag-{rng.randrange(40)}"),
                action_items=tuple(
                    ActionItem(
                        f"Follow-up {k}",
                        owner="team",
                        status=rng.choice(["open", "done", "in-progress"]),
                        due=day + timedelta(days=30),
                    )
                    for k in range(rng.randint(0, 4))
                ),
            )
        )
    return build_catalog(list(records), Settings(today=date(2025, 6, 1)))  # type: ignore[arg-type]


def best(function: Callable[[], object], repeat: int) -> float:
    """Return the fastest of `repeat` runs of `function`, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main(sizes: list[int]) -> None:
    """Print the cost of each builder at each size, and the ratio to the first size."""
    baseline: dict[str, float] = {}
    print(f"{'N':>7}  {'builder':<28} {'seconds':>8}  {'ratio':>6}  output")
    for size in sizes:
        catalog = synthetic_catalog(size)
        context = ExportContext("Bench", lambda pm: f"postmortems/{pm.id}/", "https://x.test/")
        repeat = 3
        insights = insights_page(catalog, Layout())
        outputs = {
            "insights page + 6 charts": len(insights.page.markdown)
            + sum(len(svg) for svg in insights.files.values()),
            "postmortems.json": len(json_export(catalog, context)),
            "postmortems.csv": len(csv_export(catalog, context)),
            "feed.xml (50 entries)": len(atom_feed(catalog, context)),
        }
        builders: dict[str, Callable[[], object]] = {
            "insights page + 6 charts": partial(insights_page, catalog, Layout()),
            "postmortems.json": partial(json_export, catalog, context),
            "postmortems.csv": partial(csv_export, catalog, context),
            "feed.xml (50 entries)": partial(atom_feed, catalog, context),
        }
        for name, builder in builders.items():
            seconds = best(builder, repeat)
            baseline.setdefault(name, seconds)
            ratio = seconds / baseline[name]
            size_kb = outputs[name] / 1024
            print(f"{size:>7}  {name:<28} {seconds:>8.3f}  {ratio:>6.1f}  {size_kb:,.0f} KB")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000])
