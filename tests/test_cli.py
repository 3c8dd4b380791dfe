"""The command line: help with examples on every command, progress only on a terminal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from conftest import VALID_FRONT_MATTER, postmortem
from mkdocs_postmortems.cli.commands import COMMANDS
from mkdocs_postmortems.cli.main import main
from mkdocs_postmortems.cli.progress import MIN_ITEMS, Progress


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def command_name(module: object) -> str:
    """Return the command a module registers (`import_` registers `import`)."""
    return str(getattr(module, "__name__", "")).rsplit(".", 1)[1].rstrip("_")


@pytest.mark.parametrize("command", [command_name(module) for module in COMMANDS])
def test_every_command_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: postmortems {command}")
    assert "\nexamples:\n  postmortems " + command in out


def test_no_command_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    for module in COMMANDS:
        assert command_name(module) in err
    assert "check" not in err.split("COMMAND")[-1].split()  # folded into lint


def test_progress_draws_only_on_a_terminal_for_long_runs() -> None:
    terminal = Terminal()
    progress = Progress("loading", MIN_ITEMS, terminal)
    for done in range(1, MIN_ITEMS + 1):
        progress.advance(done)
    progress.close()
    text = terminal.getvalue()
    assert f"\rloading {MIN_ITEMS}/{MIN_ITEMS}" in text
    assert text.count("\r") <= 102  # about a hundred redraws, not one per item
    assert text.endswith("\r\x1b[K")
    for stream, total in ((io.StringIO(), MIN_ITEMS), (Terminal(), MIN_ITEMS - 1)):
        quiet = Progress("loading", total, stream)
        for done in range(1, total + 1):
            quiet.advance(done)
        quiet.close()
        assert stream.getvalue() == ""


def test_lint_shows_progress_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    for index in range(MIN_ITEMS):
        text = postmortem(VALID_FRONT_MATTER.replace("SEV2", "SEV3"))
        (folder / f"2024-05-02-incident-{index:03d}.md").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    terminal = Terminal()
    with monkeypatch.context() as patch:
        patch.setattr("sys.stderr", terminal)
        assert main(["lint"]) == 0
    assert f"\rloading postmortems {MIN_ITEMS}/{MIN_ITEMS}" in terminal.getvalue()
    assert terminal.getvalue().endswith(f"{MIN_ITEMS} files checked: 0 errors, 0 warnings\n")
    assert main(["lint"]) == 0
    assert "loading" not in capsys.readouterr().err  # captured stderr is not a terminal
