"""Progress of a long step, told at least every few seconds: done / total, rate and time left.

A migration engineer watching a night's run (or its Dagster log) must see that a step that takes minutes is moving;
each line is a log event, so lines come at most once per interval, plus the first and the last. Counts only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

EVERY_S = 5.0


class Progress:
    """`advance(n)` after each piece of work; `log` gets a line when `every_s` has passed (and at the start and end)."""

    def __init__(self, what: str, total: int | None, log: Callable[[str], None], *, unit: str = "records",
                 every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic, quiet_if_quick: bool = False,
                 ) -> None:
        self.what, self.total, self.unit = what, total, unit
        self._log, self._every_s, self._clock = log, every_s, clock
        self.done = 0
        self._started = clock()
        self._last: float | None = None
        self._quiet = quiet_if_quick
        """A part of a step (one object's lookups, one plan's statements): told only once it has taken an interval,
        and its end only if it was told at all, so a small wave's log is not a line per part."""

    def advance(self, n: int = 1, detail: str = "") -> None:
        self.done += n
        now = self._clock()
        finished = self.total is not None and self.done >= self.total
        if self._quiet and self._last is None and now - self._started < self._every_s:
            return
        if self._last is not None and not finished and now - self._last < self._every_s:
            return
        self._last = now
        self._log(self.line(now, detail))

    def tick(self, detail: str = "") -> None:
        """Say how far it is if `every_s` passed since the last line, with nothing newly done (a long piece of work
        in flight): a step is never silent for longer than the interval."""
        now = self._clock()
        if self._quiet and self._last is None and now - self._started < self._every_s:
            return
        if self._last is None or now - self._last >= self._every_s:
            self._last = now
            self._log(self.line(now, detail))

    def restart(self) -> None:
        """Count again from 0 (the next statement of one step): the interval between lines still holds."""
        self.done = 0
        self._started = self._clock()

    def line(self, now: float | None = None, detail: str = "") -> str:
        elapsed = (self._clock() if now is None else now) - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        extra = f", {detail}" if detail else ""
        if self.total is None:  # a count not known ahead (rows of a workbook): what is done and how fast
            return f"{self.what}: {self.done:,} {self.unit}{extra}, {rate * 60:,.0f} {self.unit}/min"
        left = (self.total - self.done) / rate if rate else 0.0
        return (f"{self.what}: {self.done:,}/{self.total:,} {self.unit}{extra}, {rate * 60:,.0f} {self.unit}/min, "
                f"ETA {left:,.0f}s")
