"""`postmortems search` and `postmortems similar` on the seed and the search fixtures."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from mkdocs_postmortems.cli.commands.search import refresh, site_from_args
from mkdocs_postmortems.cli.main import build_parser, main
from mkdocs_postmortems.search.store import FORMAT

SEED = REPO / "postmortems" / "2024-03-08-auth-outage.md"
SEED_ID = "2024-03-08-auth-outage"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Return a site folder with mkdocs.yml, the seed and the search fixtures."""
    folder = tmp_path / "postmortems"
    folder.mkdir()
    for path in [SEED, *sorted((FIXTURES / "search").glob("*.md"))]:
        shutil.copy(path, folder / path.name)
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: T\nsite_url: https://kb.example.com/\n"
        "plugins:\n  - postmortems:\n      synonyms: [[replica, standby]]\n",
        encoding="utf-8",
    )
    return tmp_path


def run(site: Path, *argv: str) -> int:
    return main([*argv, "--config", str(site / "mkdocs.yml")])


def search_json(site: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:  # type: ignore[type-arg]
    assert run(site, "search", *argv, "--json") == 0
    data: list[dict] = json.loads(capsys.readouterr().out)  # type: ignore[type-arg]
    return data


def test_missing_index_puts_the_seed_first(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = search_json(site, capsys, "missing index")
    assert results[0]["id"] == SEED_ID
    assert "2023-11-02-orders-slow-query" in [r["id"] for r in results]


def test_json_shape(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = search_json(site, capsys, "missing index")[0]
    assert {"id", "title", "date", "severity", "root_cause", "score", "url"} <= set(first)
    assert first["title"].startswith("Authentication outage")
    assert first["date"] == "2024-03-08"
    assert first["severity"] == "SEV2"
    assert "missing index in the" in first["root_cause"]
    assert isinstance(first["score"], float)
    assert first["score"] > 0
    assert first["url"] == f"https://kb.example.com/postmortems/{SEED_ID}/"
    assert "**missing** **index**" in first["snippet"]


def test_did_you_mean(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(site, "search", "databse indx") == 0
    captured = capsys.readouterr()
    assert "Did you mean: database index" in captured.err
    assert captured.out.startswith("1. Authentication outage from a missing index")


def test_no_suggestion_for_known_words(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(site, "search", "certificate expired") == 0
    assert "Did you mean" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag:cert", {"2024-01-15-gateway-cert-expired", "2024-02-20-cdn-cert-renewal"}),
        ("service:cdn", {"2024-02-20-cdn-cert-renewal"}),
        ("category:dns", {"2024-02-20-cdn-cert-renewal", "2024-05-05-dns-old-host"}),
        ("severity:SEV1", {"2024-01-15-gateway-cert-expired"}),
        ("trigger:data-change", {"2024-04-10-k8s-oom"}),
        ("root_cause:lagging", {"2024-06-01-replica-failover"}),
        ('"decommissioned host"', {"2024-05-05-dns-old-host"}),
        ("tag:database AND service:user-database", {SEED_ID, "2024-06-01-replica-failover"}),
        ("renewl~", {"2024-01-15-gateway-cert-expired", "2024-02-20-cdn-cert-renewal"}),
    ],
)
def test_fielded_phrase_and_fuzzy_queries(
    site: Path, capsys: pytest.CaptureFixture[str], query: str, expected: set[str]
) -> None:
    assert {r["id"] for r in search_json(site, capsys, query)} == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("k8s", "2024-04-10-k8s-oom"),  # the text says kubernetes
        ("out of memory", "2024-04-10-k8s-oom"),
        ("oom", "2024-04-10-k8s-oom"),
        ("standby", "2024-06-01-replica-failover"),  # a synonym from mkdocs.yml
    ],
)
def test_synonyms(
    site: Path, capsys: pytest.CaptureFixture[str], query: str, expected: str
) -> None:
    assert search_json(site, capsys, query)[0]["id"] == expected


def test_date_range(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = {r["id"] for r in search_json(site, capsys, "database", "--since", "2024-01-01")}
    assert "2024-06-01-replica-failover" in ids
    assert "2023-11-02-orders-slow-query" not in ids
    ids = {r["id"] for r in search_json(site, capsys, "database", "--until", "2023-12-31")}
    assert ids == {"2023-11-02-orders-slow-query"}


def test_limit(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(search_json(site, capsys, "database", "--limit", "1")) == 1


def test_no_results_exit_1(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(site, "search", "xylophone") == 1
    assert "No postmortem matches 'xylophone'" in capsys.readouterr().err
    assert run(site, "search", "xylophone", "--json") == 1
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", '"missing index'], "unclosed quote"),
        (["search", "(database"], "unbalanced parentheses"),
        (["search", "colour:red"], "unknown field 'colour:'"),
        (["search", " "], "the query is empty"),
        (["search", "x", "--since", "2024-13-01"], "not a date"),
        (["search", "x", "--limit", "0"], "must be at least 1"),
        (["search", "x", "--since", "2024-02-01", "--until", "2024-01-01"], "--since is after"),
        (["similar", "2024-03-08-auth-outag"], "did you mean '2024-03-08-auth-outage'"),
    ],
)
def test_bad_usage_exit_2(
    site: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run(site, *argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_every_hit_says_why(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hits = search_json(site, capsys, "missing index")
    assert hits[0]["id"] == SEED_ID
    assert "root cause: missing, index" in hits[0]["why"]
    assert "tag: missing-index" in hits[0]["why"]
    assert all(hit["why"] for hit in hits)
    # Stop words match nothing, so they are never a reason.
    hits = search_json(site, capsys, "users could not sign in")
    assert not any(" could" in why or " not" in why for hit in hits for why in hit["why"])


def test_similar(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(site, "similar", SEED_ID, "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == "2023-11-02-orders-slow-query"
    assert rows[0]["title"] == "Order history timeouts from a slow query"
    assert rows[0]["date"] == "2023-11-02"
    assert "tag: missing-index" in rows[0]["shared"]
    assert rows[0]["shared"][0].startswith("same words: ")
    assert "index" in rows[0]["shared"][0]
    assert rows[0]["url"] == "https://kb.example.com/postmortems/2023-11-02-orders-slow-query/"
    assert run(site, "similar", "2024-01-15-gateway-cert-expired") == 0
    assert capsys.readouterr().out.startswith(
        "1. Images broken after CDN certificate renewal failed\n   2024-02-20  SEV2  (score "
    )


def test_similar_without_related_exit_1(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(site, "similar", "2024-04-10-k8s-oom") == 1
    assert "No incident shares enough" in capsys.readouterr().err


def test_index_lives_in_cache_dir_and_follows_edits(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    search_json(site, capsys, "missing index")
    assert (site / ".cache" / "postmortems" / f"search-v{FORMAT}" / "CURRENT").is_file()
    (site / "postmortems" / "2024-04-10-k8s-oom.md").unlink()
    assert run(site, "search", "kubernetes") == 1


def test_whole_command_in_a_subprocess(site: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs_postmortems", "search", "missing index", "--json"],
        cwd=site,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["id"] == SEED_ID
    assert done.stderr == ""  # nothing to say when the index was simply built, not on a TTY


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal(site: Path) -> None:
    template = (site / "postmortems" / "2024-06-01-replica-failover.md").read_text()
    for number in range(60):
        (site / "postmortems" / f"bulk-{number:03d}.md").write_text(template)
    args = build_parser().parse_args(["search", "x", "--config", str(site / "mkdocs.yml")])
    terminal = _Terminal()
    refresh(site_from_args(args), terminal)
    shown = terminal.getvalue()
    assert "\rreading postmortems for the search index: 67/67" in shown
    assert "\rindexing postmortems for the search index: 67/67" in shown
    assert "search index: 67 postmortems indexed, 0 reused, 0 removed" in shown
    quiet = io.StringIO()  # not a terminal: nothing to say
    refresh(site_from_args(args), quiet)
    assert quiet.getvalue() == ""


def test_every_word_first_then_some(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "certificate" alone matches two incidents; with "lagging" (another incident) none
    # matches both, so the incidents matching some of the words are shown, and said so.
    assert {r["id"] for r in search_json(site, capsys, "certificate")} == {
        "2024-01-15-gateway-cert-expired",
        "2024-02-20-cdn-cert-renewal",
    }
    assert run(site, "search", "certificate lagging", "--json") == 0
    captured = capsys.readouterr()
    assert "No incident matches every word" in captured.err
    assert {r["id"] for r in json.loads(captured.out)} == {
        "2024-01-15-gateway-cert-expired",
        "2024-02-20-cdn-cert-renewal",
        "2024-06-01-replica-failover",
    }


def test_correction_wins_over_partial_results(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(site, "search", "missing indx", "--json") == 0
    captured = capsys.readouterr()
    assert "Did you mean: missing index" in captured.err
    assert "showing results for 'missing index'" in captured.err
    assert json.loads(captured.out)[0]["id"] == SEED_ID
