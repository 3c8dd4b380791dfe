"""Measure search: index build (cold, warm), query latency, related incidents, browser bytes.

Usage: python benchmarks/search_bench.py [--sizes 1000 10000] [--seed 7] [--browser]

Writes synthetic postmortems (a private generator, so this file does not depend on the
hardening benchmarks) into a temporary folder and prints one block per size. With --browser,
also builds a 1,000-postmortem site, swaps in the search data of each size and measures in
headless Chromium how long the page takes to be searchable and to answer a query.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "plugins"))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from mkdocs_postmortems.analysis.related import compute_related  # noqa: E402
from mkdocs_postmortems.analysis.stats import percentile  # noqa: E402
from mkdocs_postmortems.core.catalog import Settings, load_catalog  # noqa: E402
from mkdocs_postmortems.search.documents import features  # noqa: E402
from mkdocs_postmortems.search.store import SearchIndex  # noqa: E402
from mkdocs_postmortems.search.synonyms import build_table  # noqa: E402
from mkdocs_postmortems.views.layout import Layout  # noqa: E402
from mkdocs_postmortems.views.search_page import ASSETS, search_data  # noqa: E402

SERVICES = [
    f"{name}-{kind}"
    for name in (
        *("auth", "billing", "checkout", "search", "profile", "orders", "catalog", "cart"),
        *("payments", "inventory", "shipping", "notifications", "gateway", "reports", "media"),
    )
    for kind in ("service", "api", "worker")
]
COMPONENTS = [
    "user table",
    "orders table",
    "session cache",
    "connection pool",
    "message queue",
    "load balancer",
    "TLS certificate",
    "DNS record",
    "feature flag",
    "rate limiter",
    "kubernetes node pool",
    "replica set",
    "CDN configuration",
    "cron job",
    "search cluster",
    "payment provider",
    "object storage bucket",
    "service mesh sidecar",
    "retry policy",
    "thread pool",
    "disk volume",
    "schema migration",
    "background worker",
    "API gateway",
]
FAILURES = [
    ("was missing an index, so lookups scanned the whole table", "database", "missing-index"),
    ("was exhausted by slow queries holding connections", "capacity", "connection-pool"),
    ("expired without an alert because renewal failed silently", "expired-credential", "cert"),
    ("pointed at a decommissioned host after a migration", "dns", "dns"),
    ("was set to zero by a config push", "configuration-error", "config"),
    ("ran out of memory under a traffic spike and was OOM killed", "capacity", "oom"),
    ("retried without backoff and amplified the load", "software-bug", "retry-storm"),
    ("lost quorum after a network partition between zones", "network", "partition"),
    ("filled up with logs and stopped accepting writes", "hardware-failure", "disk-full"),
    ("deadlocked when two migrations ran at once", "database", "deadlock"),
    ("returned stale data after a cache invalidation bug", "data-corruption", "stale-cache"),
    ("was overwhelmed by a bot attack without rate limits", "security", "ddos"),
    ("leaked file descriptors until requests failed", "performance", "resource-leak"),
    ("timed out calling an upstream vendor that was degraded", "dependency-failure", "vendor"),
    ("was changed by hand without review", "process-gap", "manual-change"),
]
TRIGGERS = ["code-deploy", "config-change", "infrastructure-change", "data-change"]
TRIGGERS += ["traffic-surge", "dependency-change", "time-based", "maintenance"]
_PROSE = (
    "the team investigated alerts dashboards latency errors rollback deploy traffic customers "
    "impact queue database cache service requests timeout retries capacity monitoring runbook "
    "escalation mitigation region replica metrics logs tracing incident review follow-up"
)
WORDS = _PROSE.split()


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


def generate(folder: Path, count: int, seed: int) -> None:
    """Write `count` valid synthetic postmortems into `folder` (same seed, same files)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = date(2019, 1, 1)
    for number in range(count):
        day = start + timedelta(days=rng.randrange(2000))
        component = rng.choice(COMPONENTS)
        failure, category, tag = rng.choice(FAILURES)
        service = rng.choice(SERVICES)
        services = sorted({service, rng.choice(SERVICES)})
        tags = sorted({tag, rng.choice(FAILURES)[2], rng.choice(["customer-facing", "internal"])})
        categories = sorted({category, rng.choice(FAILURES)[1]})
        cause = (
            f"The {component} used by {service} {failure}. "
            f"{rng.choice(['Alerts fired late', 'Nobody owned it', 'A test gap hid it'])} and "
            f"{rng.choice(['recovery needed a manual failover', 'the rollback was slow'])}."
        )
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(600, 1200)))
        text = (
            "---\n"
            f"title: {service} outage {number}, {component} {tag.replace('-', ' ')}\n"
            f"date: {day.isoformat()}\n"
            "status: published\n"
            f"severity: SEV{rng.randint(1, 4)}\n"
            f"summary: {service} was degraded for {rng.randint(5, 300)} minutes.\n"
            f"root_cause: {cause}\n"
            f"services: {_yaml_list(services)}\n"
            f"root_cause_categories: {_yaml_list(categories)}\n"
            f"trigger: {rng.choice(TRIGGERS)}\n"
            f"tags: {_yaml_list(tags)}\n"
            "contributing_factors:\n"
            f"  - no alert on the {component}\n"
            "action_items:\n"
            f"  - title: Add monitoring for the {component}\n"
            "    owner: sre\n"
            "---\n\n"
            f"## What happened\n\n{body}\n"
        )
        (folder / f"{day.isoformat()}-incident-{number:05d}.md").write_text(text, encoding="utf-8")


QUERIES = [
    "missing index",
    "connection pool exhausted",
    "certificate expired",
    "oom",
    "db deadlock",
    "tag:dns",
    "root_cause:quorum",
    "severity:SEV1 category:capacity",
    '"config push"',
    "retry backoff",
    "k8s node",
    "databse indx",
    "rate limit bot",
    "stale cache",
    "disk full",
]


def measure(count: int, seed: int, work: Path) -> dict[str, float]:
    """Return the figures for `count` postmortems."""
    folder = work / f"pm-{count}"
    generate(folder, count, seed)
    settings = Settings()
    figures: dict[str, float] = {}
    started = time.perf_counter()
    catalog = load_catalog(folder, settings)
    figures["load catalog (s)"] = time.perf_counter() - started
    cache = work / f"cache-{count}"
    index = SearchIndex(cache)
    update = index.update(catalog.postmortems)
    figures["index build cold (s)"] = update.stats.seconds
    figures["  of which related (s)"] = update.stats.related_seconds
    update = index.update(catalog.postmortems)
    figures["index build warm, nothing changed (s)"] = update.stats.seconds
    changed = sorted(folder.iterdir())[count // 2]
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("outage", "incident", 1), encoding="utf-8"
    )
    catalog = load_catalog(folder, settings)
    update = index.update(catalog.postmortems)
    figures["index build warm, one file changed (s)"] = update.stats.seconds
    figures["  of which related (s) "] = update.stats.related_seconds
    started = time.perf_counter()
    refreshed = SearchIndex(cache).refresh(folder, settings.vocabularies)
    figures["CLI freshness check, nothing changed (s)"] = time.perf_counter() - started
    assert refreshed.stats.indexed == 0, refreshed.stats
    started = time.perf_counter()
    docs = [features(pm) for pm in catalog]
    figures["related features (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    related = compute_related(docs)
    figures["related lists, all postmortems (s)"] = time.perf_counter() - started
    figures["related: share with at least one (%)"] = (
        100 * sum(1 for items in related.values() if items) / count
    )
    table, _ = build_table()
    timings = []
    per_query: dict[str, list[float]] = {query: [] for query in QUERIES}
    with index.searcher() as searcher:
        started = time.perf_counter()
        searcher.search("warm up", synonyms=table)
        figures["first query after opening (ms)"] = (time.perf_counter() - started) * 1000
        for _round in range(5):
            for query in QUERIES:
                started = time.perf_counter()
                searcher.search(query, synonyms=table)
                timings.append((time.perf_counter() - started) * 1000)
                per_query[query].append(timings[-1])
    slowest = sorted(per_query, key=lambda q: -statistics.median(per_query[q]))[:4]
    print(
        f"N={count} slowest queries (median ms): "
        + ", ".join(f"{q!r} {statistics.median(per_query[q]):.0f}" for q in slowest)
    )
    figures["query p50 in process (ms)"] = percentile(timings, 0.5) or 0.0
    figures["query p95 in process (ms)"] = percentile(timings, 0.95) or 0.0
    command = []
    for query in ("missing index", "oom", "tag:dns severity:SEV1"):
        started = time.perf_counter()
        done = subprocess.run(
            [
                *(sys.executable, "-m", "mkdocs_postmortems", "search", query),
                *("--source", str(folder), "--cache-dir", str(cache)),
                *("--config", str(work / "none.yml")),
            ],
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "plugins")},
        )
        if done.returncode:
            print(f"search {query!r} exited {done.returncode}: {done.stderr}", file=sys.stderr)
        command.append(time.perf_counter() - started)
    figures["postmortems search, whole command, median (s)"] = statistics.median(command)
    data = search_data(catalog, Layout(), table, True).encode("utf-8")
    (work / f"search-data-{count}.json").write_bytes(data)
    packed = gzip.compress(data, 9, mtime=0)
    assets = REPO / "plugins/mkdocs_postmortems/plugin/assets"
    scripts = sum((assets / p).stat().st_size for p in ASSETS.values() if p.endswith(".js"))
    figures["browser: search data, plain JSON (KB)"] = len(data) / 1024
    figures["browser: search data as fetched, .json.gz (KB)"] = len(packed) / 1024
    figures["browser: .gz data + scripts, no HTTP compression (KB)"] = (
        len(packed) + scripts
    ) / 1024
    return figures


def browser(work: Path, sizes: list[int], seed: int) -> None:
    """Time the search page in Chromium with the search data of each size."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from playwright.sync_api import sync_playwright

    site_root = work / "site-src"
    generate(site_root / "postmortems", 50, seed)
    (site_root / "docs").mkdir(parents=True, exist_ok=True)
    (site_root / "mkdocs.yml").write_text(
        "site_name: Bench\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - postmortems:\n      build_date: '2024-06-01'\n",
        encoding="utf-8",
    )
    build(load_config(str(site_root / "mkdocs.yml"), site_dir=str(work / "site")))
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(work / "site"), **k
    )
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/search/"
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for count in sizes:
            data = (work / f"search-data-{count}.json").read_bytes()
            target = work / "site/assets/postmortems/search-data.json"
            target.write_bytes(data)
            target.with_name(target.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))
            page = chromium.new_page()
            received: list[Any] = []
            page.on("response", lambda response, sink=received: sink.append(response))
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("#pm-search[data-ready=true]", timeout=60000)
            ready = time.perf_counter() - started
            index_ms = page.get_attribute("#pm-search", "data-index-ms")
            fetched = sum(len(response.body()) for response in received)
            times = []
            for query in ("missing index", "connection pool", "oom", "certificate expired"):
                page.fill("#pm-search-q", query)
                times.append(float(page.get_attribute("#pm-search-results", "data-ms") or 0))
            print(
                f"N={count}: {fetched / 1024:.0f} KB fetched before the page was searchable "
                f"(page, theme, scripts, data; no HTTP compression), searchable after "
                f"{ready:.2f} s (MiniSearch indexing {index_ms} ms); query times "
                f"{', '.join(f'{t:.1f}' for t in times)} ms"
            )
            page.close()
        chromium.close()
    server.shutdown()


def material(work: Path, count: int, seed: int) -> None:
    """Build a site of `count` postmortems; report what root causes add to Material's index."""
    import json

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    root = work / "material-src"
    generate(root / "postmortems", count, seed)
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Bench\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - postmortems:\n      build_date: '2024-06-01'\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    build(load_config(str(root / "mkdocs.yml"), site_dir=str(work / "material-site")))
    seconds = time.perf_counter() - started
    index_path = work / "material-site/search/search_index.json"
    data = json.loads(index_path.read_text(encoding="utf-8"))
    blocks = [d for d in data["docs"] if d["location"].endswith("#pm-search-terms")]
    added = sum(len(json.dumps(d, ensure_ascii=False)) for d in blocks)
    total = index_path.stat().st_size
    print(
        f"Material search_index.json at N={count}: {total / 1024:.0f} KB, of which the "
        f"root-cause blocks {added / 1024:.0f} KB ({100 * added / total:.1f}%); "
        f"site built in {seconds:.1f} s"
    )


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--material", type=int, default=0, help="build a site of N postmortems")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        results = {count: measure(count, args.seed, work) for count in args.sizes}
        if not results:
            return
        names = list(next(iter(results.values())))
        print(f"{'figure':52}" + "".join(f"{'N=' + str(c):>12}" for c in args.sizes))
        for name in names:
            print(f"{name:52}" + "".join(f"{results[c][name]:12.3f}" for c in args.sizes))
        if len(args.sizes) == 2:
            small, large = args.sizes
            ratio = results[large]["index build cold (s)"] / results[small]["index build cold (s)"]
            print(f"index build cold, N={large} / N={small}: {ratio:.1f}x for {large // small}x")
        if args.browser:
            browser(work, args.sizes, args.seed)
        if args.material:
            material(work, args.material, args.seed)


if __name__ == "__main__":
    main()
