"""Seeded fault injection: the failures a migration meets on the night, on demand and reproducibly.

The sandbox is otherwise perfectly reliable, which would let retry, idempotency and resume logic go
untested. Faults model what sits between a client and Twenty (a proxy answering 502/503, a dropped
connection, a response lost after the server committed) and Twenty itself (500, bursts of 429). Every
decision comes from one ``random.Random(seed)`` under a lock, so a given seed and request order always
fail the same requests.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from core_practice_twenty.sandbox.config import FaultConfig


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: ``action`` in ok/error/reset/lost_response/429, plus added latency."""

    action: str
    latency_s: float = 0.0
    status: int = 0


OK = FaultDecision("ok")


class FaultInjector:
    """Draws a decision per API request; reconfigurable at runtime (``/_sandbox/faults``)."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the settings, reseed the generator and clear the counters."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._script = list(config.script)
            self._burst_left = 0
            self.stats = {"requests": 0, "errors": 0, "resets": 0, "lost_responses": 0, "throttled": 0}

    def decide(self, path: str) -> FaultDecision:
        """The fate of one request to ``path`` (never called for /healthz or /_sandbox)."""
        config = self.config
        if not config.active:
            return OK
        if config.path_prefixes is not None and not any(path.startswith(p) for p in config.path_prefixes):
            return OK
        with self._lock:
            self.stats["requests"] += 1
            rng = self._rng
            latency = config.latency_ms + (rng.uniform(0, config.latency_jitter_ms) if config.latency_jitter_ms else 0)
            action, status = self._draw(rng)
            key = {"error": "errors", "reset": "resets", "lost_response": "lost_responses", "429": "throttled"}
            if action in key:
                self.stats[key[action]] += 1
            return FaultDecision(action, latency / 1000.0, status)

    def _draw(self, rng: random.Random) -> tuple[str, int]:
        config = self.config
        if self._script:
            step = self._script.pop(0)
            if step in ("500", "502", "503"):
                return "error", int(step)
            return step, 0
        if self._burst_left > 0:
            self._burst_left -= 1
            return "429", 0
        # one draw per rule, always in the same order, so the sequence depends on the seed only
        draws = [rng.random() for _ in range(4)]
        status = rng.choice(config.error_statuses)
        if draws[0] < config.reset_rate:
            return "reset", 0
        if draws[1] < config.lost_response_rate:
            return "lost_response", 0
        if draws[2] < config.error_rate:
            return "error", int(status)
        if draws[3] < config.burst_429_rate:
            self._burst_left = config.burst_429_length - 1
            return "429", 0
        return "ok", 0

    def snapshot(self) -> dict[str, Any]:
        """Current settings and counters (``GET /_sandbox/faults``)."""
        with self._lock:
            return {"faults": self.config.to_dict(), "stats": dict(self.stats), "scriptLeft": list(self._script)}


def proxy_error_page(status: int) -> bytes:
    """What a reverse proxy in front of Twenty sends for 502/503/504: HTML, not Twenty's JSON."""
    reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}[status]
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()
