"""Progress of a build on stderr: a bar on a terminal once a build has run for about a second,
plain lines elsewhere (CI logs), nothing with `--quiet`."""

from __future__ import annotations

import sys
import time
from typing import TextIO

LABELS = {"posts": "posts", "pages": "pages"}
BAR_WIDTH = 30


class ProgressReporter:
    def __init__(self, stream: TextIO = sys.stderr, *, terminal: bool | None = None) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal
        self.started = time.monotonic()
        self.delay = 1.0  # short builds print no progress at all
        self._drawn_at = 0.0
        self._bar_shown = False
        self._last_line: dict[str, float] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or total == 0:
            return
        if self.terminal:
            if done < total and now - self._drawn_at < 0.1:
                return
            self._drawn_at = now
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{LABELS.get(phase, phase):>5} [{bar}] {done}/{total}\x1b[K")
            self._bar_shown = True
        elif done == total or now - self._last_line.get(phase, self.started) >= 5.0:
            # A line when a phase ends, and one every 5 s during a long one.
            self._last_line[phase] = now
            self.stream.write(f"{LABELS.get(phase, phase)}: {done}/{total}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the bar so the summary starts on a clean line."""
        if self._bar_shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._bar_shown = False
