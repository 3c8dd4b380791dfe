"""Generate realistic synthetic postmortems for benchmarks: `python benchmarks/generate.py N DIR`.

Every file is valid against the schema (the runner checks that), and the same N and seed give
byte-identical files. Incidents are drawn from scenarios (a root-cause category with its
triggers, causes, factors and fixes) so root causes, services, tags and bodies vary the way a
real knowledge base does: many incidents share a cause, few share their wording.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SERVICES = [
    "api-gateway",
    "auth-service",
    "user-database",
    "payments",
    "checkout",
    "cart",
    "search-service",
    "recommendation-engine",
    "notification-service",
    "email-sender",
    "sms-gateway",
    "billing",
    "invoicing",
    "inventory",
    "order-service",
    "shipping-tracker",
    "cdn",
    "edge-proxy",
    "dns-resolver",
    "kafka-cluster",
    "redis-cache",
    "postgres-primary",
    "postgres-replica",
    "object-storage",
    "image-resizer",
    "feature-flags",
    "config-service",
    "scheduler",
    "batch-etl",
    "data-warehouse",
    "analytics-pipeline",
    "mobile-backend",
    "web-frontend",
    "admin-console",
    "identity-provider",
    "session-store",
    "rate-limiter",
    "audit-log",
    "metrics-pipeline",
    "logging-cluster",
    "kubernetes-control-plane",
    "service-mesh",
    "vpn",
    "ci-runners",
]

TEAMS = (
    "Platform",
    "Backend Engineering",
    "DevOps",
    "SRE",
    "Payments",
    "Data Engineering",
    "Mobile",
    "Web",
    "Security",
    "Networking",
    "Storage",
    "Identity",
    "Growth",
    "Customer Support",
)

PEOPLE = (
    "Ada Lovelace",
    "Grace Hopper",
    "Linus Park",
    "Mina Okafor",
    "Sven Eriksen",
    "Priya Raman",
    "Tomás Ortega",
    "Yuki Tanaka",
    "Amara Diallo",
    "Jonas Weber",
    "Fatima Zahra",
    "Chen Wei",
    "Olga Petrova",
    "Ravi Kumar",
    "Lea Moreau",
    "Noah Cohen",
)

REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1", "sa-east-1")


@dataclass(frozen=True)
class Scenario:
    """A kind of incident: its category, triggers, tags and the phrases that describe it."""

    category: str
    triggers: tuple[str, ...]
    tags: tuple[str, ...]
    causes: tuple[str, ...]
    symptoms: tuple[str, ...]
    factors: tuple[str, ...]
    fixes: tuple[str, ...]


SCENARIOS = (
    Scenario(
        "database",
        ("code-deploy", "data-change", "traffic-surge"),
        ("database", "slow-query", "missing-index", "locking", "replication"),
        (
            "a missing index on the {table} table turned the {service} lookup into a full scan",
            "a migration took an exclusive lock on {table} and blocked every write for minutes",
            "replication lag on the replica serving {service} grew past the read timeout",
            "a long-running analytics query exhausted the connection pool of {service}",
        ),
        (
            "p99 latency of {service} rose from 80 ms to {seconds} s",
            "requests to {service} timed out while waiting for a database connection",
            "the error rate of {service} climbed to {percent}%",
        ),
        (
            "no review of query plans for new code paths",
            "the connection pool had no per-client limit",
            "migrations ran during peak hours",
            "alerts watched averages instead of tail latency",
        ),
        (
            "added the missing index concurrently",
            "killed the blocking query and rescheduled the migration",
            "failed reads over to the primary until the replica caught up",
        ),
    ),
    Scenario(
        "configuration-error",
        ("config-change", "code-deploy"),
        ("config", "feature-flag", "rollout", "timeout"),
        (
            "a configuration push set the {service} timeout to zero",
            "a feature flag enabled an unfinished code path in {service} for every user",
            "a typo in the routing table sent {service} traffic to a decommissioned pool",
            "an environment variable for {service} pointed at the staging {table} store",
        ),
        (
            "every request to {service} failed immediately",
            "{percent}% of requests to {service} returned errors",
            "{service} served stale data to customers",
        ),
        (
            "the config change skipped the canary stage",
            "config validation only checked syntax, not values",
            "the flag had no owner and no expiry",
            "rollback of configuration was a manual procedure",
        ),
        (
            "reverted the configuration change",
            "disabled the feature flag",
            "restored the previous routing table",
        ),
    ),
    Scenario(
        "capacity",
        ("traffic-surge", "external-event", "time-based"),
        ("capacity", "autoscaling", "traffic", "queue-backlog"),
        (
            "traffic from a marketing campaign exceeded the provisioned capacity of {service}",
            "autoscaling of {service} hit the account instance quota",
            "a retry storm from clients multiplied load on {service} tenfold",
            "the message queue feeding {service} filled its disk",
        ),
        (
            "{service} shed load and returned 503 to {percent}% of requests",
            "queue backlog for {service} grew to {count} messages",
            "checkout latency exceeded {seconds} s",
        ),
        (
            "capacity planning did not include the campaign",
            "clients retried without backoff or jitter",
            "the instance quota was never raised after growth",
            "load tests used last year's traffic profile",
        ),
        (
            "raised the instance quota and scaled out",
            "enabled rate limiting at the edge",
            "drained the backlog with extra consumers",
        ),
    ),
    Scenario(
        "software-bug",
        ("code-deploy", "dependency-change"),
        ("regression", "deploy", "null-pointer", "memory-leak", "race-condition"),
        (
            "a release of {service} introduced a null dereference on accounts without {table}",
            "a memory leak in {service} caused repeated out-of-memory restarts",
            "a race condition in {service} double-charged some {table} records",
            "an upgraded client library changed the default serialization used by {service}",
        ),
        (
            "{service} pods restarted every few minutes",
            "{count} customers saw wrong totals",
            "{percent}% of requests to {service} failed with 500",
        ),
        (
            "the code path was not covered by integration tests",
            "the canary compared only error rates, not memory",
            "the dependency upgrade was bundled with unrelated changes",
            "the rollback took longer than the deploy",
        ),
        (
            "rolled back to the previous release",
            "shipped a hotfix guarding the empty case",
            "pinned the client library to the previous version",
        ),
    ),
    Scenario(
        "expired-credential",
        ("time-based",),
        ("certificate", "tls", "expiry", "secrets"),
        (
            "the TLS certificate of {service} expired at midnight UTC",
            "an API token used by {service} to reach the {table} vendor expired",
            "a signing key rotated without updating {service}",
        ),
        (
            "clients of {service} failed TLS handshakes",
            "all calls from {service} to the vendor returned 401",
            "{percent}% of logins failed",
        ),
        (
            "certificate renewal depended on one person's calendar",
            "expiry monitoring covered only public endpoints",
            "the token's expiry date was not recorded anywhere",
        ),
        (
            "issued and deployed a new certificate",
            "rotated the token and restarted {service}",
            "rolled the signing key forward everywhere",
        ),
    ),
    Scenario(
        "network",
        ("infrastructure-change", "maintenance", "hardware-failure"),
        ("network", "bgp", "load-balancer", "packet-loss", "latency"),
        (
            "a BGP announcement withdrew the prefixes of the {region} region",
            "a load balancer rule change dropped health checks for {service}",
            "a failing switch in {region} caused intermittent packet loss for {service}",
        ),
        (
            "{service} was unreachable from {region}",
            "packet loss between {service} and its database reached {percent}%",
            "cross-region latency rose to {seconds} s",
        ),
        (
            "the change window overlapped with peak traffic",
            "no automated rollback for network changes",
            "health checks did not detect partial packet loss",
        ),
        (
            "re-announced the prefixes",
            "restored the previous load balancer rules",
            "drained traffic away from the faulty switch",
        ),
    ),
    Scenario(
        "dependency-failure",
        ("dependency-change", "external-event"),
        ("vendor", "third-party", "upstream", "outage"),
        (
            "the payment provider used by {service} had a regional outage",
            "the email vendor throttled {service} after a plan change",
            "an upstream API changed its response format without notice",
        ),
        (
            "{service} could not complete {percent}% of transactions",
            "{count} notifications were delayed by hours",
            "{service} logged parsing errors for every response",
        ),
        (
            "no fallback provider was configured",
            "vendor status pages were not monitored",
            "the integration had no contract tests",
        ),
        (
            "switched traffic to the secondary provider",
            "raised the plan limit with the vendor",
            "deployed a tolerant parser for the new format",
        ),
    ),
    Scenario(
        "dns",
        ("config-change", "infrastructure-change"),
        ("dns", "ttl", "resolver"),
        (
            "a DNS record for {service} was deleted during a zone cleanup",
            "a low TTL combined with a resolver outage made {service} unresolvable",
            "a CNAME for {service} pointed at an expired hostname",
        ),
        (
            "clients could not resolve {service}",
            "{percent}% of lookups for {service} returned NXDOMAIN",
            "internal calls to {service} failed intermittently",
        ),
        (
            "zone changes were not reviewed",
            "no synthetic monitoring of DNS resolution",
            "resolvers had no stale-cache fallback",
        ),
        (
            "restored the DNS record from the zone backup",
            "raised the TTL and enabled serve-stale",
            "repointed the CNAME",
        ),
    ),
)

TABLES = ("user", "session", "order", "invoice", "payment", "account", "cart", "ledger")
SEVERITIES = ("SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4")
STATUSES = ("published", "published", "published", "in-review", "draft")
DETECTIONS = ("monitoring-alert", "monitoring-alert", "customer-report", "employee-report")
DETECTIONS += ("automated-test", "third-party-report")
ACTION_STATUSES = ("proposed", "open", "open", "in-progress", "done", "done", "wont-do")
ACTION_TYPES = ("mitigate", "prevent", "detect", "process")
HORIZONS = ("short-term", "mid-term", "long-term")
PRIORITIES = ("P0", "P1", "P2", "P3")

FILLER = (
    "The on-call engineer acknowledged the page and opened an incident channel.",
    "Dashboards showed the change clearly once the right panel was found.",
    "Several hypotheses were considered and ruled out one at a time.",
    "Customer support posted an update on the status page and answered tickets.",
    "The team confirmed the impact by sampling requests from the access logs.",
    "A second engineer joined to review each command before it was run.",
    "Communication with stakeholders happened every thirty minutes in the channel.",
    "The runbook covered part of the situation but not the failure mode we saw.",
    "We compared the behaviour against the previous week to rule out seasonality.",
    "Metrics from the load balancer and the application disagreed at first.",
    "The incident commander kept a running log of decisions and their reasons.",
    "After mitigation the team watched error rates for an hour before closing.",
    "Nobody was blamed; the review focused on how the system allowed the failure.",
    "The fix was tested in staging with a copy of the production configuration.",
    "Alerts fired in the right place but the message did not say what to check.",
    "Engineers from two other teams offered help and were briefed in the channel.",
)


def _slug(text: str) -> str:
    cleaned = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in cleaned.split("-") if part)[:48].rstrip("-")


def _quote(text: str) -> str:
    """Return `text` as a double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fill(rng: random.Random, template: str, service: str) -> str:
    return template.format(
        service=service,
        table=rng.choice(TABLES),
        region=rng.choice(REGIONS),
        seconds=rng.choice((2, 5, 8, 12, 30)),
        percent=rng.choice((3, 8, 15, 30, 45, 70, 100)),
        count=rng.choice((120, 1_500, 12_000, 250_000)),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _paragraph(rng: random.Random, sentences: list[str], extra: int) -> str:
    return " ".join(sentences + rng.sample(FILLER, extra))


@dataclass(frozen=True)
class Times:
    """When an incident happened and how its phases lasted (None: not recorded)."""

    day: date
    started: datetime
    detected: datetime | None
    mitigated: datetime
    resolved: datetime


def _even_times(rng: random.Random) -> Times:
    """Draw dates evenly over six years and durations from narrow uniform ranges."""
    day = date(2019, 1, 1) + timedelta(days=rng.randrange(6 * 365))
    started = datetime(
        day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), 0, 0, UTC
    )
    detected = started + timedelta(minutes=rng.choice((0, 1, 3, 5, 12, 30, 90)))
    mitigated = detected + timedelta(minutes=rng.randint(5, 400))
    resolved = mitigated + timedelta(minutes=rng.randint(10, 600))
    return Times(day, started, detected, mitigated, resolved)


REALISTIC_FIRST = date(2011, 1, 1)
REALISTIC_DAYS = 15 * 365
OUTLIER_HOURS = (1_180, 640, 410, 260)  # week-long and month-long incidents, as in real archives


def _realistic_times(rng: random.Random, index: int) -> Times:
    """Draw dates over 15 years (more incidents in recent years, some empty quarters) and
    heavy-tailed durations: log-normal phases, a few incidents lasting weeks, some never
    recording when they were detected."""
    # rng.random() ** 0.5 leans towards recent years, as a growing company writes more.
    offset = int(REALISTIC_DAYS * rng.random() ** 0.5)
    day = REALISTIC_FIRST + timedelta(days=offset)
    if day.year == 2013 and day.month <= 6:  # a gap: nobody wrote postmortems that half year
        day = day.replace(month=day.month + 6)
    started = datetime(
        day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), 0, 0, UTC
    )
    detect = timedelta(minutes=min(rng.lognormvariate(1.6, 1.4), 60 * 24 * 3))
    mitigate = timedelta(minutes=rng.lognormvariate(3.8, 1.0))
    resolve = timedelta(minutes=rng.lognormvariate(4.5, 1.2))
    if index % 97 == 13:  # about one in a hundred is an outlier lasting weeks
        resolve += timedelta(hours=OUTLIER_HOURS[(index // 97) % len(OUTLIER_HOURS)])
    detected = started + detect
    mitigated = detected + mitigate
    resolved = mitigated + resolve
    return Times(
        day,
        started,
        None if rng.random() < 0.08 else detected,
        mitigated,
        resolved,
    )


# Titles as people write them: some long single words that a narrow column would split.
LONG_TITLES = (
    "Authentication outage after the CrowdStrike sensor update on Windows hosts",
    "Internationalization regression broke checkout for right-to-left locales",
    "Misconfigured autoscaling policy exhausted the Kubernetes control plane",
    "Certificate-transparency monitoring missed an unexpectedly expired intermediate",
)


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def postmortem(
    index: int, rng: random.Random, ids: list[str], *, realistic: bool = False
) -> tuple[str, str]:
    """Return the file name and text of synthetic postmortem number `index`.

    `realistic` spreads dates over 15 years and durations over a heavy tail with outliers,
    leaves some times unrecorded, and writes some bodies the way imported write-ups are
    (repeating the summary, timeline, root cause and task list the card shows).
    """
    scenario = rng.choice(SCENARIOS)
    services = rng.sample(SERVICES, rng.randint(1, 4))
    main = services[0]
    cause = _fill(rng, rng.choice(scenario.causes), main)
    symptom = _fill(rng, rng.choice(scenario.symptoms), main)
    fix = _fill(rng, rng.choice(scenario.fixes), main)
    factors = rng.sample(scenario.factors, rng.randint(1, len(scenario.factors)))
    times = _realistic_times(rng, index) if realistic else _even_times(rng)
    day, started, detected = times.day, times.started, times.detected
    mitigated, resolved = times.mitigated, times.resolved
    severity = rng.choice(SEVERITIES)
    title = f"{_sentence(symptom)} ({scenario.category.replace('-', ' ')})"[:180]
    if realistic and index % 11 == 5:
        title = LONG_TITLES[(index // 11) % len(LONG_TITLES)]
    if realistic and index % 13 == 7:
        cause += " after an operator ran `rm -rf` on the wrong `data/` folder"
    ident = f"{day.isoformat()}-{_slug(main + ' ' + scenario.category)}-{index:05d}"
    tags = sorted(set(rng.sample(scenario.tags, rng.randint(1, min(3, len(scenario.tags))))))
    teams = rng.sample(TEAMS, rng.randint(1, 3))
    authors = rng.sample(PEOPLE, rng.randint(1, 3))
    seen = detected or started
    timeline = [
        (started, f"Impact starts: {symptom}."),
        (seen, f"Detected: {rng.choice(FILLER)}"),
        (seen + (mitigated - seen) / 3, f"Investigation: {rng.choice(FILLER)}"),
        (mitigated, f"Mitigated: {fix}."),
        (resolved, "Resolved: metrics back to normal and the incident closed."),
    ]
    actions = []
    for _ in range(rng.randint(1, 7)):
        status = rng.choice(ACTION_STATUSES)
        due = day + timedelta(days=rng.randint(7, 180))
        if realistic and status == "open" and rng.random() < 0.3:
            status = "in-progress"
        actions.append(
            [
                "title: "
                + _quote(
                    _sentence(rng.choice(scenario.fixes).format(service=main))
                    + f" for {rng.choice(services)}"
                ),
                f"owner: {_quote(rng.choice(teams + authors))}",
                f"status: {status}",
                f"due: {due.isoformat()}",
                f"type: {rng.choice(ACTION_TYPES)}",
                f"horizon: {rng.choice(HORIZONS)}",
                f"priority: {rng.choice(PRIORITIES)}",
                f"ticket: https://tracker.example.com/OPS-{rng.randint(100, 99_999)}",
            ]
        )
    related = rng.sample(ids[-200:], rng.randint(0, min(2, len(ids))) if ids else 0)
    lines = [
        "---",
        f"title: {_quote(title)}",
        f"date: {day.isoformat()}",
        f"status: {rng.choice(STATUSES)}",
        f"severity: {severity}",
        f"summary: {_quote(f'{symptom[0].upper()}{symptom[1:]}. {_sentence(fix)}.')}",
        f"root_cause: {_quote(cause[0].upper() + cause[1:] + '.')}",
        f"services: [{', '.join(services)}]",
        f"started: {_stamp(started)}",
        *([f"detected: {_stamp(detected)}"] if detected is not None else []),
        f"mitigated: {_stamp(mitigated)}",
        f"resolved: {_stamp(resolved)}",
        f"root_cause_categories: [{scenario.category}]",
        f"trigger: {rng.choice(scenario.triggers)}",
        f"detection: {rng.choice(DETECTIONS)}",
        "contributing_factors:",
        *(f"  - {_quote(factor)}" for factor in factors),
        f"tags: [{', '.join(tags)}]",
        f"teams: [{', '.join(_quote(t) for t in teams)}]",
        "impact:",
        f"  description: {_quote(_sentence(symptom) + '.')}",
        f"  users_affected_percent: {rng.choice((1, 5, 12, 30, 60, 100))}",
        f"  regions: [{', '.join(rng.sample(REGIONS, rng.randint(1, 3)))}]",
        f"  customer_facing: {rng.choice(('true', 'false'))}",
        "timeline:",
    ]
    for moment, event in timeline:
        lines += [
            f"  - at: {_stamp(moment)}",
            f"    event: {_quote(event)}",
        ]
    lines.append("action_items:")
    for fields in actions:
        lines.append(f"  - {fields[0]}")
        lines += [f"    {field}" for field in fields[1:]]
    lines += [
        "lessons:",
        "  went_well:",
        f"    - {_quote(rng.choice(FILLER))}",
        "  went_wrong:",
        *(f"    - {_quote(_sentence(factor) + '.')}" for factor in factors[:2]),
        "  got_lucky:",
        f"    - {_quote('The incident started outside peak hours.')}",
    ]
    if related:
        lines.append(f"related: [{', '.join(related)}]")
    lines += [
        "links:",
        f"  - url: https://chat.example.com/incidents/{index}",
        "    title: Incident channel",
        "    type: chat",
        f"authors: [{', '.join(_quote(a) for a in authors)}]",
        "---",
        "",
    ]
    if realistic and index % 4 == 1:
        body = _imported_body(timeline, cause, fix, [fields[0][8:] for fields in actions])
    else:
        body = _body(rng, scenario, main, cause, symptom, fix)
    return f"{ident}.md", "\n".join(lines) + body


def _imported_body(
    timeline: list[tuple[datetime, str]], cause: str, fix: str, actions: list[str]
) -> str:
    """Return a body in the shape imported write-ups keep: every card fact written again."""
    lines = ["**Issue Summary:**", ""]
    lines += [f"- Start: {timeline[0][0]:%B %d, %Y, %H:%M} (UTC)", f"- {timeline[0][1]}", ""]
    lines += ["**Timeline:**", ""]
    lines += [f"- {moment:%H:%M}: {event}" for moment, event in timeline]
    lines += ["", "**Root Cause and Resolution:**", "", f"- Root cause: {_sentence(cause)}."]
    lines += [f"- Resolution: we {fix}.", "", "## Lessons learned", ""]
    lines += ["Detection worked; the runbook did not cover this failure mode.", ""]
    lines += ["**Tasks:**", ""]
    lines += [f"- [ ] {title.strip(chr(34))}" for title in actions]
    return "\n".join(lines) + "\n"


def _body(
    rng: random.Random, scenario: Scenario, service: str, cause: str, symptom: str, fix: str
) -> str:
    """Return a Markdown body of 600 to 1,200 words with the usual postmortem sections."""
    target = rng.randint(580, 1_070)
    sections = [
        ("Summary", [f"In short, {symptom}.", f"The root cause: {cause}.", f"We {fix}."]),
        ("Background", [f"{service} is owned by the platform group and serves many clients."]),
        ("Detection", [f"The first signal was that {symptom}."]),
        ("Investigation", [f"We suspected {rng.choice(scenario.factors)} at first."]),
        ("Root cause", [f"Ultimately {cause}.", f"Contributing: {rng.choice(scenario.factors)}."]),
        ("Resolution", [f"We {fix}.", "Then we verified the fix against production traffic."]),
        ("What we will change", [f"We will address that {rng.choice(scenario.factors)}."]),
    ]
    parts: list[str] = []
    words = 0
    while words < target:
        for heading, sentences in sections:
            if words >= target:
                break
            paragraph = _paragraph(rng, sentences, rng.randint(3, 6))
            block = f"## {heading}\n\n{paragraph}\n\n" if heading else f"{paragraph}\n\n"
            parts.append(block)
            words += len(paragraph.split())
        sections = [("", s) for _, s in sections]  # later rounds add paragraphs, not headings
    parts.append("| Metric | Before | During |\n| --- | --- | --- |\n")
    parts.append(f"| error rate | 0.1% | {rng.randint(2, 90)}% |\n| p99 latency | 80 ms | ")
    parts.append(f"{rng.randint(1, 30)} s |\n")
    return "".join(parts)


def generate(n: int, seed: int, out: Path, *, realistic: bool = False) -> list[Path]:
    """Write `n` postmortems generated from `seed` into `out`; return their paths.

    `realistic` draws the spreads of real archives (see `postmortem`).
    """
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    ids: list[str] = []
    paths = []
    for index in range(n):
        name, text = postmortem(index, rng, ids, realistic=realistic)
        path = out / name
        path.write_text(text, encoding="utf-8")
        ids.append(name.removesuffix(".md"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and generate the files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, help="how many postmortems")
    parser.add_argument("out", type=Path, help="folder to write them into (created)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="15 years of history, heavy-tailed durations with outliers, imported-style bodies",
    )
    args = parser.parse_args(argv)
    paths = generate(args.n, args.seed, args.out, realistic=args.realistic)
    print(f"wrote {len(paths)} postmortems to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
