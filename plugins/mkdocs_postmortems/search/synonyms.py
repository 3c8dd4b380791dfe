"""Domain synonyms for search: one table, one expansion rule, used by the CLI and the browser.

A synonym group is a list of equivalent words or phrases ("oom", "out of memory"). A query is
expanded by finding, left to right, the longest run of plain words that equals a group member
(case-insensitive) and searching for any member of its group instead. The browser script
applies the same rule to the same table (shipped in the search data), so both find the same
incidents for the same query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("db", "database"),
    ("k8s", "kubernetes"),
    ("cert", "certificate", "tls", "ssl"),
    ("dns", "name resolution", "domain name system"),
    ("oom", "out of memory", "oomkilled"),
    ("lb", "load balancer"),
    ("config", "configuration"),
    ("auth", "authentication"),
    ("deploy", "deployment", "rollout"),
    ("cpu", "processor"),
    ("latency", "slow response"),
    ("ddos", "denial of service"),
    ("pg", "postgres", "postgresql"),
    ("cdn", "content delivery network"),
    ("timeout", "timed out"),
)

Table = dict[str, tuple[str, ...]]  # member -> every member of its group, in group order


def normalise(phrase: str) -> str:
    """Return `phrase` lowercased with single spaces, the form table keys are stored in."""
    return " ".join(phrase.lower().split())


def build_table(
    extra: Iterable[Sequence[str]] = (), *, defaults: bool = True
) -> tuple[Table, list[str]]:
    """Return the synonym table of the defaults plus `extra` groups, and configuration errors.

    Groups that share a member are merged, so adding `[db, datastore]` extends the default
    `db`/`database` group instead of creating a second, conflicting one.
    """
    errors: list[str] = []
    groups: list[list[str]] = [list(g) for g in DEFAULT_SYNONYMS] if defaults else []
    for index, group in enumerate(extra):
        if isinstance(group, str) or not isinstance(group, Sequence):
            errors.append(f"synonyms[{index}] must be a list of words, e.g. [db, database]")
            continue
        words = [normalise(str(word)) for word in group if str(word).strip()]
        if len(words) < 2:
            errors.append(f"synonyms[{index}] needs at least two words or phrases")
            continue
        groups.append(words)
    merged: list[list[str]] = []
    for group in groups:
        members = [normalise(word) for word in group]
        overlapping = [m for m in merged if set(m) & set(members)]
        for other in overlapping:
            merged.remove(other)
            members = other + [word for word in members if word not in other]
        merged.append(list(dict.fromkeys(members)))
    table: Table = {}
    for group in merged:
        for member in group:
            table[member] = tuple(group)
    return table, errors


_TOKEN = re.compile(
    r'(?P<phrase>"[^"]*"?)'  # a quoted phrase, kept as written
    r"|(?P<field>[A-Za-z_]+:(?:\"[^\"]*\"?|\S+))"  # field:value, kept as written
    r"|(?P<word>[^\s()\"]+)"  # a plain word (or operator)
    r"|(?P<other>[()]|\s+)"
)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _plain(word: str) -> bool:
    return word not in _OPERATORS and not word.endswith(("~", "*")) and "~" not in word


def expand_query(query: str, table: Table) -> str:
    """Return `query` with each synonym replaced by `(member OR member ...)`, in Whoosh syntax."""
    if not table:
        return query
    longest = max(len(key.split()) for key in table)
    tokens = [(m.lastgroup or "other", m.group()) for m in _TOKEN.finditer(query)]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word" and _plain(text):
            # Collect the run of plain words starting here (spaces between them are skipped).
            run: list[tuple[int, str]] = []
            j = i
            while j < len(tokens) and len(run) < longest:
                k, t = tokens[j]
                if k == "word" and _plain(t):
                    run.append((j, t))
                elif not (k == "other" and t.isspace()):
                    break
                j += 1
            for size in range(len(run), 0, -1):
                key = normalise(" ".join(t for _, t in run[:size]))
                if key in table:
                    members = " OR ".join(
                        f'"{member}"' if " " in member else member for member in table[key]
                    )
                    out.append(f"({members})")
                    i = run[size - 1][0] + 1
                    break
            else:
                out.append(text)
                i += 1
            continue
        out.append(text)
        i += 1
    return "".join(out)


def synonym_groups(table: Table) -> list[list[str]]:
    """Return the distinct groups of `table`, for shipping to the browser."""
    seen: dict[tuple[str, ...], None] = {}
    for group in table.values():
        seen.setdefault(group, None)
    return [list(group) for group in seen]
