"""A one-line progress bar on stderr, with no dependency.

It redraws in place with ``\\r``, so it is only drawn on a terminal: a log
file or a pipe would collect every frame. Output on stdout (the table) is
never touched.
"""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``[#####-----]  3/13  gelu 1M`` on ``stream``; silent when disabled."""

    def __init__(self, total: int, enabled: bool = True, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(enabled and total > 0 and isatty is not None and isatty())
        self.total, self.width = total, width
        self._last = 0  # length of the last frame, to blank it out

    def update(self, done: float, label: str = "") -> None:
        """Draws the bar at ``done`` of ``total`` units (fractions allowed)."""
        if not self.enabled:
            return
        frac = min(max(done / self.total, 0.0), 1.0)
        filled = round(frac * self.width)
        count = f"{int(done):>{len(str(self.total))}}/{self.total}"
        frame = f"[{'#' * filled}{'-' * (self.width - filled)}] {count}  {label}"
        self.stream.write("\r" + frame.ljust(self._last))
        self.stream.flush()
        self._last = len(frame)

    def close(self) -> None:
        """Erases the bar, leaving the cursor at the start of a clean line."""
        if self.enabled and self._last:
            self.stream.write("\r" + " " * self._last + "\r")
            self.stream.flush()
            self._last = 0
