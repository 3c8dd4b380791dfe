"""Write synthetic postmortems for scale tests and the browse benchmark (deterministic)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SERVICES = [f"service-{n:02d}" for n in range(40)]
TAGS = [f"tag-{n:03d}" for n in range(120)]
CATEGORIES = [
    "software-bug",
    "configuration-error",
    "capacity",
    "performance",
    "dependency-failure",
    "network",
    "dns",
    "database",
    "expired-credential",
]
TRIGGERS = ["code-deploy", "config-change", "traffic-surge", "data-change", "unknown"]
SEVERITIES = ["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4"]
OWNERS = ["Platform", "SRE", "Payments", "Data", "Web", "Mobile", "Identity"]
ACTION_STATUSES = ["open", "open", "in-progress", "done", "done", "proposed", "wont-do"]
WORDS = [
    "cache",
    "pool",
    "queue",
    "index",
    "lock",
    "timeout",
    "retry",
    "shard",
    "replica",
    "quota",
    "certificate",
    "route",
]


def synthetic_postmortem(index: int, rng: random.Random, start: date) -> tuple[str, str]:
    """Return (file name, text) of synthetic postmortem number `index`."""
    day = start + timedelta(days=index * 3 // 5 + rng.randrange(3))
    started = datetime(
        day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=UTC
    )
    detected = started + timedelta(minutes=rng.randrange(1, 90))
    resolved = detected + timedelta(minutes=int(rng.expovariate(1 / 240)) + 5)
    word = rng.choice(WORDS)
    services = rng.sample(SERVICES, rng.randint(1, 3))
    tags = rng.sample(TAGS, rng.randint(1, 5))
    categories = rng.sample(CATEGORIES, rng.randint(1, 2))
    actions = []
    for number in range(rng.randint(0, 4)):
        due = day + timedelta(days=rng.randrange(10, 200))
        actions.append(
            f"  - title: Fix the {word} handling, step {number + 1}\n"
            f"    owner: {rng.choice(OWNERS)}\n"
            f"    status: {rng.choice(ACTION_STATUSES)}\n"
            f"    due: {due.isoformat()}\n"
            f"    type: prevent\n"
        )
    lessons = (
        "lessons:\n"
        f"  went_well: [The {word} alert fired within minutes]\n"
        f"  went_wrong: [Nobody owned the {word} runbook]\n"
        f"  got_lucky: [Traffic was low during incident {index}]\n"
        if index % 2 == 0
        else ""
    )
    name = f"{day.isoformat()}-synthetic-{index:05d}.md"
    text = (
        "---\n"
        f"title: Synthetic incident {index} in the {word} layer\n"
        f"date: {day.isoformat()}\n"
        "status: published\n"
        f"severity: {rng.choice(SEVERITIES)}\n"
        f"summary: Requests failed because the {word} layer misbehaved.\n"
        f"root_cause: The {word} layer of {services[0]} ran out of headroom. It failed.\n"
        f"services: [{', '.join(services)}]\n"
        f"started: {started.isoformat()}\n"
        f"detected: {detected.isoformat()}\n"
        f"resolved: {resolved.isoformat()}\n"
        f"root_cause_categories: [{', '.join(categories)}]\n"
        f"trigger: {rng.choice(TRIGGERS)}\n"
        f"tags: [{', '.join(tags)}]\n"
        + ("action_items:\n" + "".join(actions) if actions else "")
        + lessons
        + "---\n\n"
        f"## What happened\n\nThe {word} layer misbehaved.\n"
    )
    return name, text


def synthetic_files(count: int, seed: int = 7) -> dict[str, str]:
    """Return `count` synthetic postmortems as {file name: text}."""
    rng = random.Random(seed)
    start = date(2019, 1, 1)
    return dict(synthetic_postmortem(index, rng, start) for index in range(count))


def write_synthetic(folder: Path, count: int, seed: int = 7) -> None:
    """Write `count` synthetic postmortems into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in synthetic_files(count, seed).items():
        (folder / name).write_text(text, encoding="utf-8")
