"""The hostile postmortems folder: every attack and malformation we defend against, in one site.

Each case says what must happen to it: a precise problem (message and line) or a safe page.
Script payloads carry MARKER so a test can tell our page's own script from an injected one.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

MARKER = "pmxss"
PAYLOADS = (
    f"<script>alert('{MARKER}')</script>",
    f"<img src=x onerror=\"alert('{MARKER}')\">",
    f"\"><svg onload=alert('{MARKER}')>",
    f"'><img src=x onerror=alert('{MARKER}')><a x='",
    f"[click](javascript:alert('{MARKER}')) <b onmouseover=alert('{MARKER}')>b</b>",
)
BODY = f"""
# Body heading <img src=x onerror="alert('{MARKER}')">

<script>alert('{MARKER}')</script>

<img src="x" onerror="alert('{MARKER}')">

<details open ontoggle="alert('{MARKER}')"><summary>details</summary>text</details>

<input autofocus onfocus="alert('{MARKER}')">

<svg><animate onbegin="alert('{MARKER}')" attributeName="x" dur="1s"/></svg>

<iframe srcdoc="<script>alert('{MARKER}')</script>"></iframe>

<object data="javascript:alert('{MARKER}')"></object>

<a href="javascript:alert('{MARKER}')">a javascript link</a>

[a markdown javascript link](javascript:alert('{MARKER}'))

[a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<math><mtext><table><mglyph><style><img src=x onerror="alert('{MARKER}')">

<meta http-equiv="refresh" content="0;url=javascript:alert('{MARKER}')">

A paragraph with attributes.
{{: onclick="alert('{MARKER}')" }}

## Entities &lt;script&gt;alert('{MARKER}')&lt;/script&gt; in a heading (and the TOC)

## Inline <b onmouseover="alert('{MARKER}')">html</b> <script>alert('{MARKER}')</script> here

## A safe heading that keeps its id

| safe | table |
| :--- | ---: |
| a | b |
"""

VALID = """\
title: {title}
date: 2024-05-02
status: published
severity: SEV2
summary: Checkout failed for 20 minutes after a bad config push.
root_cause: A config push set the payment timeout to zero.
services: [checkout]
started: 2024-05-02T09:00:00Z
resolved: 2024-05-02T09:20:00Z
"""


def _q(value: str) -> str:
    """Return `value` as a YAML double-quoted string (JSON strings are valid YAML)."""
    return json.dumps(value)


def every_field(payload: str) -> str:
    """Return front matter with `payload` in every string field of the format."""
    p = _q(payload)
    return f"""\
title: {p}
date: 2024-05-02
status: published
severity: SEV2
summary: {p}
root_cause: {p}
services: [{p}, checkout]
root_cause_categories: [database]
contributing_factors: [{p}]
tags: [{p}]
teams: [{p}]
authors: [{p}]
impact:
  description: {p}
  figures:
    - {{label: {p}, value: {p}}}
  regions: [{p}]
timeline:
  - at: 2024-05-02T09:00:00Z
    event: {p}
action_items:
  - title: {p}
    owner: {p}
    notes: {p}
    ticket: https://tracker.example.com/OPS-1
lessons:
  went_well: [{p}]
  went_wrong: [{p}]
  got_lucky: [{p}]
links:
  - url: https://example.com/report
    title: {p}
extra:
  note: {p}
"""


def fm(front: str, body: str = "Body.\n") -> str:
    """Return the text of a file with front matter `front` and `body`."""
    return f"---\n{front}---\n\n{body}"


@dataclass(frozen=True)
class Case:
    """One hostile file: its name, content and the problem it must produce (None: a page)."""

    name: str
    content: str | bytes
    problem: str | None = None
    line: int | None = None
    field: str | None = None


def _alias_bomb() -> str:
    lines = ["a: &a [" + ", ".join(['"lol"'] * 10) + "]"]
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]")
    return fm("\n".join(lines) + "\ntitle: Bomb\n")


def _deep_mapping(levels: int) -> str:
    lines = [f"{'  ' * i}k{i}:" for i in range(levels)]
    return fm("\n".join(lines) + " x\ntitle: Deep\n")


CASES: tuple[Case, ...] = (
    Case("alias-bomb.md", _alias_bomb(), "YAML aliases (*name) are not allowed", 3),
    Case(
        "huge-front-matter.md",
        "---\ntitle: " + "A" * (10 * 1024 * 1024) + "\n---\n",
        "at most 2048 KiB is allowed",
    ),
    Case(
        "large-front-matter.md",
        "---\ntitle: x\nsummary: " + "word " * 60_000 + "\n---\n",
        "front matter is larger than 256 KiB",
        1,
    ),
    Case(
        "deep-flow-nesting.md",
        fm("a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        "nested more than 20 levels",
        2,
    ),
    Case("deep-block-nesting.md", _deep_mapping(60), "nested more than 20 levels"),
    Case("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "is binary"),
    Case(
        "latin-1.md",
        fm(VALID.format(title="Caf\u00e9 outage")).encode("latin-1"),
        "not valid UTF-8 (byte 0xe9)",
        2,
    ),
    Case("empty.md", b"", "file is empty"),
    Case("blank.md", "\n \n\t\n", "file is empty"),
    Case("front-matter-only.md", f"---\n{VALID.format(title='Only front matter')}---\n"),
    Case("unclosed.md", "---\ntitle: Never closed\nstatus: draft\n", "front matter is not closed"),
    Case("no-front-matter.md", "# Just Markdown\n\nNo fields.\n", "file has no front matter", 1),
    Case(
        "duplicate-keys.md",
        fm(VALID.format(title="First") + "title: Second\n"),
        "key 'title' is given twice",
        11,
        "title",
    ),
    Case("tabs.md", fm("title: Tabs\nservices:\n\t- checkout\n"), "tabs", 4),
    *(
        Case(f"payload-{index}.md", fm(every_field(payload), BODY))
        for index, payload in enumerate(PAYLOADS)
    ),
    Case(
        "javascript-links.md",
        fm(
            VALID.format(title="Links")
            + f"""links:
  - url: "javascript:alert('{MARKER}')"
  - url: "data:text/html,<script>alert('{MARKER}')</script>"
  - url: " JaVaScRiPt:alert('{MARKER}')"
  - url: "java\\tscript:alert('{MARKER}')"
  - url: "vbscript:msgbox('{MARKER}')"
  - url: "https://example.com/fine"
action_items:
  - title: Ticket with a script
    ticket: "javascript:alert('{MARKER}')"
  - title: Ticket with data
    ticket: "data:text/html,<script>alert('{MARKER}')</script>"
"""
        ),
        "is not an allowed link",
        12,
        "links[0].url",
    ),
    Case(
        "path-traversal-fields.md",
        fm(
            VALID.format(title="Traversal")
            + """id: ../../../etc/passwd
related: ["../../etc/passwd", "..", "a/../../b"]
links:
  - url: ../../../../../etc/passwd
    title: a relative link that cannot leave the site
  - url: file:///etc/passwd
"""
        ),
        "is not a valid postmortem id",
        11,
        "id",
    ),
    Case("a..b.md", fm(VALID.format(title="Dots")), "cannot be a postmortem id"),
    Case("x..\\..\\evil.md", fm(VALID.format(title="Backslashes")), "cannot be a postmortem id"),
    Case("%2e%2e%2fescape.md", fm(VALID.format(title="Encoded")), "cannot be a postmortem id"),
    Case(
        "ten-thousand-tags.md",
        fm(
            VALID.format(title="Tags")
            + "tags: ["
            + ", ".join(f"t{i}" for i in range(10_000))
            + "]\n"
        ),
        "has 10000 items; at most 500 are allowed",
        11,
        "tags",
    ),
    Case(
        "ten-thousand-services.md",
        fm(
            VALID.format(title="Services").replace(
                "services: [checkout]",
                "services:\n" + "".join(f"  - s{i}\n" for i in range(10_000)),
            )
        ),
        "has 10000 items; at most 500 are allowed",
        8,
        "services",
    ),
    Case(
        "long-title.md",
        fm(VALID.format(title="T" * 100_000)),
        "is 100000 characters long; at most 200",
        2,
        "title",
    ),
    Case("long-body-line.md", fm(VALID.format(title="Long line"), "word " * 300_000 + "\n")),
)

VALID_FILES = {
    "2024-05-02-fine.md": fm(VALID.format(title="A perfectly fine postmortem")),
    "sub/2024-05-03-also-fine.md": fm(VALID.format(title="Another fine postmortem")),
    "diagram.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>\n",
}

# Links created on disk: name -> (target relative to the site root, expected problem).
LINKS = {
    "outside-file.md": ("outside/secret.md", "is a link to a file outside the postmortems folder"),
    "outside-asset.png": ("outside/secret.txt", "is a link to a file outside"),
    "linked-folder": ("outside", "is a link to a folder"),
    "broken-link.md": ("outside/missing.md", "is a broken link"),
}
SECRET = "TOP-SECRET-OUTSIDE-CONTENT"

# Files that are not plain text files: name -> expected problem.
SPECIAL = {
    "pipe.md": "is not a regular file",
    "pipe.png": "is not a regular file",
    "sparse-3-gib.md": "file is 3145728 KiB; at most 2048 KiB is allowed",
}


def write_special(source: Path) -> None:
    """Create a named pipe (reading it would block forever) and a sparse 3 GiB file."""
    os.mkfifo(source / "pipe.md")
    os.mkfifo(source / "pipe.png")
    with (source / "sparse-3-gib.md").open("wb") as stream:
        stream.write(b"---\ntitle: ")
        stream.truncate(3 * 1024**3)


def write_hostile(root: Path) -> Path:
    """Write the hostile site (postmortems, links, mkdocs.yml) under `root`; return mkdocs.yml."""
    source = root / "postmortems"
    for name, content in [*((c.name, c.content) for c in CASES), *VALID_FILES.items()]:
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    outside = root / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.md").write_text(fm(VALID.format(title=SECRET)), encoding="utf-8")
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    for name, (target, _problem) in LINKS.items():
        (source / name).symlink_to(root / target)
    write_special(source)
    (root / "docs").mkdir(exist_ok=True)
    config = {
        "site_name": "Hostile postmortems",
        "site_dir": "site",
        "theme": {"name": "material", "font": False},
        "plugins": ["search", {"postmortems": {"build_date": "2024-06-01"}}],
        "markdown_extensions": [
            "attr_list",
            "md_in_html",
            "admonition",
            {"toc": {"permalink": True}},
        ],
    }
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root / "mkdocs.yml"


@dataclass(frozen=True)
class HostileBuild:
    """The hostile site after a real `mkdocs build` in a child process."""

    root: Path
    site: Path
    returncode: int
    log: str
    seconds: float
    peak_mib: float


BUILD_TIMEOUT = 180  # seconds; the build takes a few on an idle machine
MEMORY_LIMIT = 3 * 1024**3  # address space of the build process


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def build_hostile(root: Path) -> HostileBuild:
    """Build the hostile site under `root` with a time and memory limit."""
    import time

    config = write_hostile(root)
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(config)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        preexec_fn=_limit_memory,  # the child is a fresh interpreter
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return HostileBuild(
        root,
        root / "site",
        proc.returncode,
        proc.stdout + proc.stderr,
        time.perf_counter() - start,
        peak / 1024,
    )


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    """Build the hostile site once per test session."""
    return build_hostile(tmp_path_factory.mktemp("hostile"))
