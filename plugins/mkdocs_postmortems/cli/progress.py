"""Show progress of long runs on stderr, only when a person is watching a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

MIN_ITEMS = 200  # below this a run is quick enough that a counter would only flicker


class Progress:
    """A one-line `label n/total` counter redrawn in place; silent unless stderr is a TTY."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total >= MIN_ITEMS and _is_tty(self.stream)
        self._shown = 0
        self._step = max(1, total // 100)

    def advance(self, done: int) -> None:
        """Redraw the counter after `done` items (at most about a hundred redraws a run)."""
        if self.enabled and (done - self._shown >= self._step or done == self.total):
            self._shown = done
            self.stream.write(f"\r{self.label} {done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        """Erase the counter so the next output starts on a clean line."""
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
