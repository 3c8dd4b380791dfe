"""Measure the knowledge base at scale and print every figure next to its budget.

    python benchmarks/run.py --quick            # N = 100 and 1,000
    python benchmarks/run.py                    # N = 1,000 and 10,000
    python benchmarks/run.py --n 1000 --n 5000  # any sizes

Each build runs in its own process (a cold interpreter, like CI), so peak memory is that
build's own. The baseline is the same files built by Material alone, out of the nav. Figures
the code cannot produce yet (a phase or command that does not exist) print as "n/a"; nothing
here asserts: budgets are reported (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import functools
import http.server
import importlib
import inspect
import io
import itertools
import json
import os
import pkgutil
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PLUGINS = REPO / "plugins"
PACKAGE = "mkdocs_postmortems"
EPOCH = "1717200000"  # 2024-06-01: every build sees the same date
QUERIES = (
    "connection pool",
    "certificate expired",
    "missing index",
    "dns record deleted",
    "feature flag",
    "retry storm",
    "replication lag",
    "tag:database",
    "root_cause:timeout",
    "vendor outage",
    "memory leak",
    "bgp",
)
# Modules whose functions and methods are not phases: they are called per value, and
# wrapping them would cost more than they do (the last part of the module name).
NOT_PHASES = {
    "markup",
    "model",
    "problems",
    "schema",
    "vocabulary",
    "yaml_load",
    "yaml_dump",
    "text",
    "gfm",
}
# Packages that are not phases: the adapter (its hooks are timed separately) and the CLI.
NOT_PHASE_PACKAGES = {"plugin", "cli", "__main__"}
# Helpers called once per value (about a hundred times per postmortem) inside a phase.
NOT_PHASE_FUNCTIONS = {"label", "is_safe_url", "page_id", "slug", "format_time", "shorten"}
HOOKS = [
    "on_startup",
    "on_config",
    "on_pre_build",
    "on_files",
    "on_nav",
    "on_env",
    "on_page_markdown",
    "on_page_content",
    "on_page_context",
    "on_post_page",
    "on_post_build",
    "on_build_error",
    "on_shutdown",
    "on_pre_page",
    "on_page_read_source",
    "on_post_template",
    "on_pre_template",
    "on_template_context",
]

BUDGETS = {
    "overhead_cold": 0.15,
    "overhead_warm": 0.05,
    "linear_ratio": 11.0,
    "search_p50_ms": 20.0,
    "search_cold_s": 1.0,
    "related_s": 10.0,
    "serve_reload_s": 1.5,  # "about a second" from saving a postmortem to the page served
    "peak_gib_10k": 1.5,
}
SERVE_EDITS = 2  # edits per serve session; the report shows the median

Results = dict[str, Any]


def env() -> dict[str, str]:
    """Return the environment every subprocess runs with: this checkout first, fixed date."""
    result = dict(os.environ)
    result["PYTHONPATH"] = os.pathsep.join(
        [str(PLUGINS), str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    result["SOURCE_DATE_EPOCH"] = EPOCH
    result["NO_MKDOCS_2_WARNING"] = "1"
    return result


# --- inside a build process ------------------------------------------------------------------


class PhaseTimer:
    """Add up wall time per phase, counting only the outermost call of each phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._depth: dict[str, int] = {}

    def wrap(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """Return `function` timed under `phase`."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = self._depth.get(phase, 0)
            self._depth[phase] = depth + 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self._depth[phase] = depth
                if depth == 0:
                    elapsed = time.perf_counter() - start
                    self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed
                    self.calls[phase] = self.calls.get(phase, 0) + 1

        timed.__wrapped_phase__ = phase  # type: ignore[attr-defined]
        return timed


def instrument(timer: PhaseTimer) -> list[str]:
    """Time every plugin hook and every public function of the core modules that exist now."""
    package = importlib.import_module(PACKAGE)
    modules = {}
    for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        short = info.name.removeprefix(f"{PACKAGE}.")
        if short.split(".")[0] in NOT_PHASE_PACKAGES or short.split(".")[-1] in NOT_PHASES:
            continue
        if info.ispkg:
            continue
        with contextlib.suppress(Exception):
            modules[short] = importlib.import_module(info.name)
    plugin_module = importlib.import_module(f"{PACKAGE}.plugin.adapter")
    replaced: dict[int, Callable[..., Any]] = {}
    for short, module in sorted(modules.items()):
        phase = short.split(".")[-1]
        for name, value in list(vars(module).items()):
            if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
                continue
            if name in NOT_PHASE_FUNCTIONS:
                continue
            if inspect.isfunction(value):
                replaced[id(value)] = timer.wrap(phase, value)
            elif inspect.isclass(value) and phase not in ("loader", "validate", "catalog"):
                for attr, member in list(vars(value).items()):
                    if not attr.startswith("_") and inspect.isfunction(member):
                        setattr(value, attr, timer.wrap(phase, member))
    # `from .x import f` copies the reference: replace it in every module of the package.
    for module in [*modules.values(), plugin_module, *_command_modules()]:
        for name, value in list(vars(module).items()):
            if id(value) in replaced:
                setattr(module, name, replaced[id(value)])
    plugin_class = plugin_module.PostmortemsPlugin
    for name, method in list(vars(plugin_class).items()):
        if name in HOOKS:
            setattr(plugin_class, name, timer.wrap(f"hook:{name}", method))
        elif name.startswith("_") and not name.startswith("__") and inspect.isfunction(method):
            # The plugin's own steps (writing pages, exports...) show as plugin.<name>.
            setattr(plugin_class, name, timer.wrap(f"plugin.{name.lstrip('_')}", method))
    return sorted(modules)


def _command_modules() -> list[Any]:
    found = []
    with contextlib.suppress(Exception):
        commands = importlib.import_module(f"{PACKAGE}.cli.commands")
        for info in pkgutil.iter_modules(commands.__path__, f"{commands.__name__}."):
            with contextlib.suppress(Exception):
                found.append(importlib.import_module(info.name))
    return found


def build_once(config_file: Path, result_file: Path, instrumented: bool) -> None:
    """Build the site of `config_file` in this process and write the measurements as JSON."""
    import logging

    timer = PhaseTimer()
    modules = instrument(timer) if instrumented else []
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    warnings: list[str] = []

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    logging.getLogger("mkdocs").addHandler(Counter())
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    start = time.perf_counter()
    config = load_config(str(config_file))
    build(config)
    elapsed = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, once reaped
    result = {
        "seconds": elapsed,
        "cpu_s": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
        "peak_mib": own.ru_maxrss / 1024,
        "worker_peak_mib": workers.ru_maxrss / 1024,
        "phases": timer.seconds,
        "calls": timer.calls,
        "modules": modules,
        "warnings": len(warnings),
        "first_warnings": warnings[:5],
    }
    result_file.write_text(json.dumps(result), encoding="utf-8")


# --- the runner --------------------------------------------------------------------------------


def run_build(config_file: Path, instrumented: bool = False) -> Results:
    """Build `config_file` in a fresh interpreter and return its measurements."""
    out = config_file.parent / "result.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--build-one", str(config_file)]
    if instrumented:
        command.append("--instrumented")
    proc = subprocess.run(
        command, cwd=config_file.parent, env=env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"build failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: Results = json.loads(out.read_text(encoding="utf-8"))
    return result


def write_sites(work: Path, n: int, seed: int) -> tuple[Path, Path, Path]:
    """Generate `n` postmortems and the two sites built from them; return the configs."""
    from generate import generate

    root = work / f"n{n}"
    source = root / "postmortems"
    marker = root / "generated.json"
    wanted = {"n": n, "seed": seed, "generator": _digest(HERE / "generate.py")}
    if not marker.exists() or json.loads(marker.read_text(encoding="utf-8")) != wanted:
        shutil.rmtree(root, ignore_errors=True)
        generate(n, seed, source)
        marker.write_text(json.dumps(wanted), encoding="utf-8")
    plugin_site = root / "plugin"
    baseline_site = root / "baseline"
    for site in (plugin_site, baseline_site):
        shutil.rmtree(site, ignore_errors=True)
        (site / "docs").mkdir(parents=True)
    shutil.copytree(source, plugin_site / "postmortems")
    shutil.copytree(source, baseline_site / "docs" / "postmortems")
    (baseline_site / "docs" / "index.md").write_text("# Postmortems\n", encoding="utf-8")
    common = {
        "site_name": "Benchmark",
        "theme": {"name": "material", "font": False},
        "site_dir": "site",
    }
    plugin_config = {
        **common,
        "plugins": ["search", {"postmortems": {"build_date": "2024-06-01"}}],
    }
    baseline_config = {**common, "plugins": ["search"], "not_in_nav": "/postmortems/\n"}
    _write_yaml(plugin_site / "mkdocs.yml", plugin_config)
    _write_yaml(baseline_site / "mkdocs.yml", baseline_config)
    return source, plugin_site / "mkdocs.yml", baseline_site / "mkdocs.yml"


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def touch_one(folder: Path) -> None:
    """Change the summary of one postmortem in `folder`, as an author's edit would."""
    first = sorted(folder.glob("*.md"))[len(list(folder.glob("*.md"))) // 2]
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace('summary: "', 'summary: "Edited. ', 1), encoding="utf-8")


def site_size(site: Path) -> tuple[int, int]:
    """Return the bytes and the number of files under `site`."""
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def cli_commands() -> set[str]:
    """Return the sub-commands the `postmortems` command has in this checkout."""
    sys.path.insert(0, str(PLUGINS))
    cli = importlib.import_module(f"{PACKAGE}.cli.main")
    parser = cli.build_parser()
    for action in parser._actions:
        if action.dest == "command":
            return set(action.choices or ())
    return set()


def percentile(values: list[float], fraction: float) -> float:
    """Return the `fraction` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    """Run the block with `path` as the working folder."""
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def measure_search(site_root: Path) -> Results:
    """Time `postmortems search` in process (after one warm-up) and as a whole command."""
    cli = importlib.import_module(f"{PACKAGE}.cli")
    times: list[float] = []
    codes: list[int] = []
    with chdir(site_root):
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            cli.main(["search", QUERIES[0]])  # warm-up: opens the index once
            for query in QUERIES * 3:
                start = time.perf_counter()
                codes.append(cli.main(["search", query]))
                times.append(time.perf_counter() - start)
    whole: list[float] = []
    for query in QUERIES[:6]:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", PACKAGE, "search", query],
            cwd=site_root,
            env=env(),
            capture_output=True,
            text=True,
            check=False,
        )
        whole.append(time.perf_counter() - start)
        codes.append(proc.returncode)
    return {
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": percentile(times, 0.95) * 1000,
        "cmd_first_s": whole[0],
        "cmd_p50_s": statistics.median(whole),
        "cmd_p95_s": percentile(whole, 0.95),
        "exit_codes": sorted(set(codes)),
    }


def measure_lint(site_root: Path, n: int, commands: set[str]) -> Results:
    """Time `postmortems lint` (or `check` before lint exists) over the whole folder."""
    name = "lint" if "lint" in commands else "check"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", PACKAGE, name],
        cwd=site_root,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    return {
        "command": name,
        "seconds": elapsed,
        "files_per_s": n / elapsed,
        "exit": proc.returncode,
    }


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def measure_browser_bytes(site: Path) -> Results:
    """Return the bytes Chromium fetches from opening the site to the first search results."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    results: Results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                for label, url, ready in _search_pages(site, base):
                    results[label] = _fetch_until(browser, url, ready)
            finally:
                browser.close()
    finally:
        server.shutdown()
    return results


def _search_pages(site: Path, base: str) -> list[tuple[str, str, Callable[[Any], None]]]:
    pages: list[tuple[str, str, Callable[[Any], None]]] = []
    # A search page of our own (a generated page under a folder named like search).
    for candidate in sorted(site.glob("*search*/index.html")):
        folder = candidate.parent.name
        url = f"{base}{folder}/?q=database"

        def ours(page: Any) -> None:
            page.wait_for_load_state("networkidle", timeout=60_000)

        pages.append((f"our search page /{folder}/", url, ours))
    if (site / "search" / "search_index.json").exists():

        def material(page: Any) -> None:
            page.wait_for_selector(".md-search-result__item", timeout=60_000)

        pages.append(("Material header search", f"{base}?q=database", material))
    return pages


def _fetch_until(browser: Any, url: str, ready: Callable[[Any], None]) -> Results:
    fetched: dict[str, int] = {}
    context = browser.new_context()
    page = context.new_page()

    def on_response(response: Any) -> None:
        with contextlib.suppress(Exception):
            fetched[response.url] = len(response.body())

    page.on("response", on_response)
    start = time.perf_counter()
    try:
        page.goto(url)
        ready(page)
        status = "ok"
    except Exception as error:
        status = f"no results: {type(error).__name__}"
    elapsed = time.perf_counter() - start
    context.close()
    return {
        "bytes": sum(fetched.values()),
        "requests": len(fetched),
        "seconds": elapsed,
        "status": status,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _page_text(url: str) -> str | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def _wait_for_text(url: str, needle: str, seconds: float, server: Any) -> float:
    """Poll `url` until it holds `needle`; return when it did (perf_counter)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        text = _page_text(url)
        if text is not None and needle in text:
            return time.perf_counter()
        if server.poll() is not None:
            raise RuntimeError(f"mkdocs serve stopped (exit {server.returncode})")
        time.sleep(0.05)
    raise RuntimeError(f"{needle!r} did not appear at {url} within {seconds:.0f} s")


def edit_for_serve(path: Path, token: str) -> None:
    """Change a postmortem's summary and body, as an author previewing a change would."""
    text = path.read_text(encoding="utf-8")
    text = text.replace('summary: "', f'summary: "Edited {token}. ', 1)
    path.write_text(f"{text.rstrip()}\n\nServe edit {token}.\n", encoding="utf-8")


def measure_serve(config_file: Path, folder: Path, n: int, dirty: bool) -> Results:
    """Time save → updated page under `mkdocs serve` (`--dirty` when `dirty`), twice."""
    target = sorted(folder.glob("*.md"))[n // 3]
    url_path = f"/postmortems/{target.stem}/"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    if dirty:
        command.append("--dirty")
    log_file = config_file.parent / f"serve{'-dirty' if dirty else ''}.log"
    original = target.read_bytes()
    reloads: list[float] = []
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=config_file.parent, env=env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            start = time.perf_counter()
            # The first build is a whole build: allow for the slowest machine.
            _wait_for_text(base + url_path, "</html>", 120 + n * 0.1, server)
            first = time.perf_counter() - start
            for number in range(SERVE_EDITS):
                time.sleep(1.5)  # let the watcher settle after the previous build
                token = f"{'dirty' if dirty else 'live'}{number}x{time.time_ns() % 10**6}"
                saved = time.perf_counter()
                edit_for_serve(target, token)
                shown = _wait_for_text(
                    base + url_path, f"Serve edit {token}.", 120 + n * 0.1, server
                )
                reloads.append(shown - saved)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            target.write_bytes(original)
    return {"first_build_s": first, "reloads_s": reloads, "reload_s": statistics.median(reloads)}


SERVE_MODES = {"all": (False, True), "dirty": (True,), "none": ()}


def run_size(
    work: Path,
    n: int,
    seed: int,
    browser: bool,
    serve: str = "all",
    repeat: int = 1,
    phases: bool = True,
) -> Results:
    """Measure everything at one size."""
    results: Results = {"n": n}
    print(f"\n== N = {n:,}: generating", flush=True)
    source, plugin_cfg, baseline_cfg = write_sites(work, n, seed)

    def step(name: str, action: Callable[[], Any]) -> Any:
        print(f"   {name} ...", end=" ", flush=True)
        start = time.perf_counter()
        try:
            value = action()
        except Exception as error:  # a figure that cannot be measured must not stop the rest
            print(f"failed: {error}".splitlines()[0][:200], flush=True)
            results.setdefault("errors", {})[name] = str(error)[-2000:]
            return None
        detail = ""
        if isinstance(value, dict) and "peak_mib" in value:
            detail = f" (build {value['seconds']:.1f} s, peak {value['peak_mib']:.0f} MiB)"
        elif isinstance(value, dict) and "reloads_s" in value:
            detail = f" (save -> page {', '.join(f'{t:.2f}' for t in value['reloads_s'])} s)"
        print(f"{time.perf_counter() - start:.1f} s{detail}", flush=True)
        return value

    results["validity"] = step("check generated files", lambda: _validity(source))
    plugin_cache = plugin_cfg.parent / ".cache"

    def cold_pair() -> tuple[Results, Results]:
        for site in (baseline_cfg.parent, plugin_cfg.parent):
            shutil.rmtree(site / "site", ignore_errors=True)
        shutil.rmtree(plugin_cache, ignore_errors=True)
        return run_build(baseline_cfg), run_build(plugin_cfg)

    def warm_pair() -> tuple[Results, Results]:
        touch_one(plugin_cfg.parent / "postmortems")
        touch_one(baseline_cfg.parent / "docs" / "postmortems")
        return run_build(baseline_cfg), run_build(plugin_cfg)

    # Baseline and plugin alternate, and each figure is the median of `repeat` builds, so a
    # burst of load on a shared machine moves both or only one of several.
    for kind, pair in (("cold", cold_pair), ("warm", warm_pair)):
        runs = [
            step(f"{kind} builds, baseline then plugin ({i + 1}/{repeat})", pair)
            for i in range(repeat)
        ]
        runs = [run for run in runs if run is not None]
        if runs:
            results[f"baseline_{kind}"] = _median_run([base for base, _ in runs])
            results[f"plugin_{kind}"] = _median_run([ours for _, ours in runs])
    size = site_size(plugin_cfg.parent / "site")
    results["site_bytes"], results["site_files"] = size
    results["baseline_site_bytes"] = site_size(baseline_cfg.parent / "site")[0]
    if phases:
        # Timing every phase slows the build down: it is a build of its own, after the others.
        shutil.rmtree(plugin_cache, ignore_errors=True)
        results["phases"] = step(
            "plugin build, cold, timing phases", lambda: run_build(plugin_cfg, instrumented=True)
        )
    for dirty in SERVE_MODES[serve]:
        mode, flag = ("serve_dirty", " --dirty") if dirty else ("serve", "")
        baseline_docs = baseline_cfg.parent / "docs" / "postmortems"
        results[f"baseline_{mode}"] = step(
            f"baseline: mkdocs serve{flag}, save -> page",
            functools.partial(measure_serve, baseline_cfg, baseline_docs, n, dirty),
        )
        results[f"plugin_{mode}"] = step(
            f"plugin: mkdocs serve{flag}, save -> page",
            functools.partial(
                measure_serve, plugin_cfg, plugin_cfg.parent / "postmortems", n, dirty
            ),
        )
    commands = step("list CLI commands", cli_commands) or set()
    results["commands"] = sorted(commands)
    if "search" in commands:
        results["search"] = step("search", lambda: measure_search(plugin_cfg.parent))
    results["lint"] = step("lint", lambda: measure_lint(plugin_cfg.parent, n, commands))
    if browser and Path("/usr/bin/chromium").exists():
        results["browser"] = step(
            "browser bytes to first results",
            lambda: measure_browser_bytes(plugin_cfg.parent / "site"),
        )
    return results


def _median_run(runs: list[Results]) -> Results:
    """Return the run of median wall time, with the medians of its CPU and memory figures."""
    chosen = dict(sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2])
    for key in ("cpu_s", "peak_mib", "worker_peak_mib"):
        chosen[key] = statistics.median(run[key] for run in runs)
    chosen["all_seconds"] = [run["seconds"] for run in runs]
    return chosen


def _validity(source: Path) -> Results:
    sys.path.insert(0, str(PLUGINS))
    catalog_module = importlib.import_module(f"{PACKAGE}.core.catalog")
    catalog = catalog_module.load_catalog(source, catalog_module.Settings())
    return {
        "records": len(catalog),
        "rejected": len(catalog.rejected),
        "errors": len(catalog.errors),
    }


# --- the report --------------------------------------------------------------------------------


def _verdict(value: float | None, budget: float) -> str:
    if value is None:
        return "n/a"
    return "ok" if value <= budget else "OVER"


Row = tuple[str, str, str, str]
CORE_PHASES = ("loader", "validate", "catalog", "layout", "charts", "related", "exports")


def _budget_row(label: str, value: str, number: float, budget: str, unit: str) -> Row:
    limit = BUDGETS[budget]
    shown = f"<= {limit:.0%}" if unit == "%" else f"<= {limit:g} {unit}"
    return (label, value, shown, _verdict(number, limit))


def _plugin_own(result: Results) -> float:
    return float(sum(v for k, v in result["phases"].items() if k.startswith("hook:")))


def _build_rows(r: Results) -> list[Row]:
    rows: list[Row] = []
    base, cold = r.get("baseline_cold"), r.get("plugin_cold")
    base_w, warm = r.get("baseline_warm"), r.get("plugin_warm")
    if base:
        rows.append(("baseline build (Material only)", _wall_cpu(base), "", ""))
        rows.append(("  peak memory", f"{base['peak_mib']:.0f} MiB", "", ""))
    if cold:
        rows.append(("build with plugin, cold", _wall_cpu(cold), "", ""))
        memory = f"{cold['peak_mib']:.0f} MiB (worker processes {cold['worker_peak_mib']:.0f} MiB)"
        rows.append(("  peak memory", memory, "", ""))
        rows.append(("  warnings logged", f"{cold['warnings']}", "", ""))
    if base and cold:
        over = cold["seconds"] / base["seconds"] - 1
        rows.append(
            _budget_row("plugin overhead, cold", f"{over:+.1%}", over, "overhead_cold", "%")
        )
        cpu = cold["cpu_s"] / base["cpu_s"] - 1
        rows.append(("  in CPU time (all processes)", f"{cpu:+.1%}", "", ""))
    if base_w and warm:
        over = warm["seconds"] / base_w["seconds"] - 1
        both = f"{_wall_cpu(base_w)} / {_wall_cpu(warm)}"
        rows.append(("after one edit: baseline / plugin", both, "", ""))
        rows.append(
            _budget_row("plugin overhead, warm", f"{over:+.1%}", over, "overhead_warm", "%")
        )
        cpu = warm["cpu_s"] / base_w["cpu_s"] - 1
        rows.append(("  in CPU time (all processes)", f"{cpu:+.1%}", "", ""))
        if cold:
            rows.append(
                ("warm / cold build (plugin)", f"{warm['seconds'] / cold['seconds']:.2f}", "", "")
            )
    rows += _serve_rows(r)
    if (phased := r.get("phases")) and base:
        own = _plugin_own(phased)
        share = f"{own:.2f} s ({own / base['seconds']:.1%} of the baseline)"
        rows.append(("plugin's own time in hooks, cold (timed build)", share, "", ""))
    if cold and r["n"] >= 10_000:
        gib = max(cold["peak_mib"], cold["worker_peak_mib"]) / 1024
        rows.append(
            _budget_row("peak memory, cold build", f"{gib:.2f} GiB", gib, "peak_gib_10k", "GiB")
        )
    if r.get("site_bytes") is not None:
        size = f"{r['site_bytes'] / 2**20:.1f} MiB in {r['site_files']:,} files"
        rows.append(("site size", size, "", ""))
        rows.append(("  baseline site size", f"{r['baseline_site_bytes'] / 2**20:.1f} MiB", "", ""))
    return rows


def _wall_cpu(run: Results) -> str:
    spread = ""
    if len(run.get("all_seconds", [])) > 1:
        spread = " [" + ", ".join(f"{t:.1f}" for t in run["all_seconds"]) + "]"
    return f"{run['seconds']:.1f} s{spread}, CPU {run['cpu_s']:.1f} s"


def _serve_rows(r: Results) -> list[Row]:
    rows: list[Row] = []
    for mode, label in (("serve", "mkdocs serve"), ("serve_dirty", "mkdocs serve --dirty")):
        base, ours = r.get(f"baseline_{mode}"), r.get(f"plugin_{mode}")
        if not ours:
            continue
        times = ", ".join(f"{t:.2f}" for t in ours["reloads_s"])
        first = f"first build {ours['first_build_s']:.1f} s"
        value = f"{ours['reload_s']:.2f} s ({times}; {first})"
        rows.append(
            _budget_row(
                f"{label}: save -> page, plugin", value, ours["reload_s"], "serve_reload_s", "s"
            )
        )
        if base:
            rows.append(("  baseline (Material only)", f"{base['reload_s']:.2f} s", "", ""))
            ratio = ours["reload_s"] / base["reload_s"]
            rows.append(("  plugin / baseline", f"{ratio:.2f}", "", ""))
    return rows


def _phase_rows(cold: Results) -> list[Row]:
    rows: list[Row] = [("plugin time by phase (inclusive; nested phases overlap)", "", "", "")]
    related_limit = BUDGETS["related_s"]
    for phase, seconds in sorted(cold["phases"].items(), key=lambda kv: -kv[1]):
        calls = f"{seconds:.2f} s ({cold['calls'].get(phase, 0):,} calls)"
        if "related" in phase:
            rows.append((f"  {phase}", calls, f"< {related_limit:g} s", _verdict(seconds, 10)))
        else:
            rows.append((f"  {phase}", calls, "", ""))
    missing = [p for p in CORE_PHASES if not any(k.split(".")[0] == p for k in cold["phases"])]
    if missing:
        rows.append(("  phases not in this checkout", ", ".join(missing), "", "n/a"))
    if not any("related" in k for k in cold["phases"]):
        rows.append(("  related incidents", "n/a", f"< {related_limit:g} s", "n/a"))
    return rows


def _tool_rows(r: Results) -> list[Row]:
    rows: list[Row] = []
    s = r.get("search")
    if s:
        value = f"{s['p50_ms']:.1f} ms (p95 {s['p95_ms']:.1f} ms)"
        rows.append(
            _budget_row("search in process, p50", value, s["p50_ms"], "search_p50_ms", "ms")
        )
        value = f"{s['cmd_first_s']:.2f} s (p50 {s['cmd_p50_s']:.2f}, p95 {s['cmd_p95_s']:.2f})"
        first = s["cmd_first_s"]
        rows.append(_budget_row("postmortems search, first", value, first, "search_cold_s", "s"))
        rows.append(("  search exit codes", str(s["exit_codes"]), "", ""))
    else:
        rows.append(("search (no 'search' command yet)", "n/a", "p50 <= 20 ms", "n/a"))
    lint = r.get("lint")
    if lint:
        value = f"{lint['files_per_s']:,.0f} files/s ({lint['seconds']:.1f} s, exit {lint['exit']})"
        rows.append((f"{lint['command']} throughput", value, "", ""))
    for label, b in (r.get("browser") or {}).items():
        value = f"{b['bytes'] / 1024:,.0f} KiB, {b['requests']} requests, {b['seconds']:.1f} s"
        rows.append((f"bytes to first results: {label}", f"{value} ({b['status']})", "", ""))
    for name, error in (r.get("errors") or {}).items():
        last = error.strip().splitlines()[-1][:90] if error.strip() else ""
        rows.append((f"could not measure: {name}", last, "", ""))
    return rows


def report(all_results: list[Results]) -> None:
    """Print each figure with its budget, then the growth from one size to the next."""
    for r in all_results:
        print(f"\n### N = {r['n']:,}")
        v = r.get("validity") or {}
        rows: list[Row] = [
            ("generated files", f"{v.get('records')} valid, {v.get('errors')} errors", "", "")
        ]
        rows += _build_rows(r)
        if r.get("phases"):
            rows += _phase_rows(r["phases"])
        rows += _tool_rows(r)
        width = max(len(row[0]) for row in rows)
        print(f"{'figure':<{width}}  {'value':<50}  {'budget':<14}  verdict")
        for label, value, budget, verdict in rows:
            print(f"{label:<{width}}  {value:<50}  {budget:<14}  {verdict}".rstrip())
    by_n = {r["n"]: r for r in all_results}
    for small, large in itertools.pairwise(sorted(by_n)):
        a, b = by_n[small].get("plugin_cold"), by_n[large].get("plugin_cold")
        base_a, base_b = by_n[small].get("baseline_cold"), by_n[large].get("baseline_cold")
        if not (a and b):
            continue
        ratio = b["seconds"] / a["seconds"]
        # The budget is 11 for ten times the files: linear plus 10%.
        budget = BUDGETS["linear_ratio"] * (large / small) / 10
        baseline = (
            f", baseline {base_b['seconds'] / base_a['seconds']:.1f}" if base_a and base_b else ""
        )
        print(
            f"\nbuild time {large:,} / {small:,}: {ratio:.1f}{baseline} "
            f"(budget <= {budget:.1f}: {_verdict(ratio, budget)})"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="a size to measure (repeatable)")
    parser.add_argument("--quick", action="store_true", help="N = 100 and 1,000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/postmortems-bench"))
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figure")
    parser.add_argument(
        "--serve",
        choices=sorted(SERVE_MODES),
        default="all",
        help="which mkdocs serve figures to measure: plain and --dirty (all), --dirty, none",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="builds per figure, the median is shown (default 1)"
    )
    parser.add_argument(
        "--no-phases", action="store_true", help="skip the build that times every phase"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--build-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--instrumented", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_one:
        build_once(args.build_one, args.build_one.parent / "result.json", args.instrumented)
        return 0
    sys.path.insert(0, str(PLUGINS))
    sys.path.insert(0, str(HERE))
    os.environ.update(
        {
            k: v
            for k, v in env().items()
            if k in ("SOURCE_DATE_EPOCH", "NO_MKDOCS_2_WARNING", "PYTHONPATH")
        }
    )
    # Installed from a wheel, the plugin comes with its bytecode, as Material does; where the
    # environment forbids writing it (PYTHONDONTWRITEBYTECODE), every build would compile the
    # checkout's source again: 0.15-0.3 s of CPU a build, counted against the plugin.
    compileall.compile_dir(PLUGINS / PACKAGE, quiet=1)
    sizes = args.n or ([100, 1000] if args.quick else [1000, 10000])
    print(
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}: "
        "figures from a shared machine are noisy"
    )
    all_results = [
        run_size(
            args.workdir,
            n,
            args.seed,
            not args.no_browser,
            args.serve,
            max(args.repeat, 1),
            not args.no_phases,
        )
        for n in sizes
    ]
    report(all_results)
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
