"""Stopping a run on SIGTERM or SIGINT the way a service manager expects: soon, saying where, resumable.

`systemctl stop`, `docker stop` and `kill` send SIGTERM, then SIGKILL after a grace period (10 s for Docker);
Ctrl-C sends SIGINT. Dagster's in-process execution turns both into an interrupt of the step that runs (and a
DuckDB query in flight stops with "Query interrupted"); the loader is idempotent, so an abandoned batch is sent
again by the next run. What Dagster's handlers do not tell is *which* signal came, and they do not promise a
deadline: `signal.set_wakeup_fd` reports every signal's number whatever Python handler is installed, and a
watcher thread ends the process when the run has not stopped within `GRACE_S`, or at once on a second signal.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType

GRACE_S = 8.0
"""How long the run may take to stop after the first signal before the process ends without it (Docker waits 10 s)."""
STOP_SIGNALS = {signal.SIGTERM.value: "SIGTERM", signal.SIGINT.value: "SIGINT"}


def exit_code(signum: int) -> int:
    """128 + the signal, as a shell reports a process the signal ended (143 for SIGTERM, 130 for SIGINT)."""
    return 128 + signum


class StopSignals:
    """While a run goes on: the stop signals that arrived, a deadline after the first, an immediate end on a second.

    `last_words(signum)` gives the line printed when the process must end before the run has stopped itself."""

    def __init__(self, last_words: Callable[[int], str], grace_s: float = GRACE_S) -> None:
        self.received: list[int] = []
        self._last_words = last_words
        self._grace_s = grace_s
        self._done = threading.Event()
        self._read_fd = self._write_fd = -1
        self._previous_fd = -1
        self._handlers: dict[int, object] = {}
        self._lock = threading.Lock()

    @property
    def signum(self) -> int | None:
        return self.received[0] if self.received else None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals reach the main thread only: nothing to watch from elsewhere
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        os.set_blocking(self._read_fd, False)
        for signum in STOP_SIGNALS:  # a Python handler must be set for the wakeup byte to be written
            self._handlers[signum] = signal.getsignal(signum)
            if self._handlers[signum] in (signal.SIG_DFL, signal.SIG_IGN, None):
                signal.signal(signum, signal.default_int_handler)
        self._previous_fd = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        threading.Thread(target=self._watch, name="cpt-stop-signals", daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._write_fd < 0:
            return
        signal.set_wakeup_fd(self._previous_fd)
        with self._lock:
            self._take()  # a signal the watcher has not read yet still counts (the run may stop on it at once)
            self._done.set()
        for signum, handler in self._handlers.items():
            if handler in (signal.SIG_DFL, signal.SIG_IGN, None):
                signal.signal(signum, handler or signal.SIG_DFL)
        os.close(self._write_fd)  # the watcher's read ends

    def _watch(self) -> None:
        try:
            self._watch_until_done()
        finally:
            os.close(self._read_fd)  # the run is over (or the process ends): nothing more to read

    def _watch_until_done(self) -> None:
        deadline: float | None = None
        while not self._done.is_set():
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            if timeout == 0.0:
                self._end(self.received[0])
            ready, _, _ = select.select([self._read_fd], [], [], timeout)
            if not ready:
                continue
            with self._lock:
                if self._done.is_set():
                    return
                before = len(self.received)
                if not self._take():
                    return  # closed: the run is over
                if len(self.received) > 1:
                    self._end(self.received[0])  # a second signal: stop at once
                if len(self.received) > before and deadline is None:
                    deadline = time.monotonic() + self._grace_s

    def _take(self) -> bool:
        """Read the signal numbers waiting in the pipe into `received`; False when the pipe is closed."""
        try:
            data = os.read(self._read_fd, 64)
        except BlockingIOError:
            return True
        except OSError:
            return False
        self.received += [signum for signum in data if signum in STOP_SIGNALS]
        return bool(data)

    def _end(self, signum: int) -> None:
        if self._done.is_set():
            return
        try:
            print(self._last_words(signum), file=sys.stderr, flush=True)
        finally:
            os._exit(exit_code(signum))
