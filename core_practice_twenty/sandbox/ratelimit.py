"""Twenty's API rate limiting: one workspace-wide pair of token buckets, one token per request.

Two generations are modelled because a client must survive both:

* ``current`` — the usage-limit system (packages/twenty-server/src/engine/core-modules/usage-limit/):
  continuous fractional refill, burst = limit, both buckets checked before either is charged
  (``constants/try-consume-token-buckets-script.constant.ts``); a refusal names the bucket and carries
  ``retryAfterMs = ceil((cost − available) × window / limit)`` (``services/usage-limit-speed.service.ts``),
  rendered as a 429 with ``Retry-After`` / ``X-RateLimit-*`` headers
  (``utils/usage-limit-to-rest-api-exception-handler.util.ts``, ``utils/build-rate-limit-response-headers.util.ts``,
  ``utils/get-retry-after-seconds.util.ts``).
* ``legacy`` — the older ``ThrottlerService`` (``core-modules/throttler/throttler.service.ts``): refill
  ``floor(elapsed × limit / window)`` and ``lastRefillAt`` reset to *now* on every consume, so a client
  faster than one request per window/limit refills nothing; short bucket charged before the long one is
  checked (``common-base-query-runner.service.ts`` ``throttleQueryExecution``); the 429 has no headers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from core_practice_twenty.sandbox.config import RateLimitConfig


@dataclass
class Refusal:
    """Why a request was throttled: which bucket, and when a retry can succeed."""

    limit: int
    window_ms: int
    retry_after_ms: int


def _js_number(value: float) -> str:
    """How JavaScript prints ``windowMs / 1000`` inside Twenty's message (``60``, ``1``, ``1.5``)."""
    return str(int(value)) if float(value).is_integer() else repr(value)


class RateLimiter:
    """The workspace's buckets; thread-safe; reconfigurable at runtime (``/_sandbox/rate-limit``)."""

    def __init__(self, config: RateLimitConfig, kind: str, clock: Any = time.monotonic) -> None:
        """`kind`: `legacy` (ThrottlerService) or `usage-engine` (sandbox/versions.py LIMITERS)."""
        self._lock = threading.Lock()
        self._clock = clock
        self.kind = kind
        self.throttled = 0
        self.configure(config)

    def configure(self, config: RateLimitConfig) -> None:
        """Replace the limits and refill both buckets (as a restarted Twenty with new env values would)."""
        with self._lock:
            self.config = config
            now = self._clock() * 1000.0
            self._buckets = [
                [float(config.short_limit), now, config.short_limit, config.short_window_ms],
                [float(config.long_limit), now, config.long_limit, config.long_window_ms],
            ]

    def try_consume(self) -> Refusal | None:
        """Charge one token; ``None`` when admitted, else the refusal."""
        if not self.config.enabled:
            return None
        with self._lock:
            now = self._clock() * 1000.0
            refusal = self._consume_legacy(now) if self.kind == "legacy" else self._consume_current(now)
            if refusal is not None:
                self.throttled += 1
            return refusal

    def _consume_current(self, now: float) -> Refusal | None:
        available = []
        for tokens, last, limit, window in self._buckets:
            refilled = min(float(limit), tokens + max(0.0, now - last) * limit / window)
            if refilled < 1:
                return Refusal(limit, window, math.ceil((1 - refilled) * window / limit))
            available.append(refilled)
        for bucket, refilled in zip(self._buckets, available, strict=True):
            bucket[0] = refilled - 1
            bucket[1] = now
        return None

    def _consume_legacy(self, now: float) -> Refusal | None:
        for bucket in self._buckets:
            tokens, last, limit, window = bucket
            refill = math.floor(max(0.0, now - last) * limit / window)
            available = min(float(limit), tokens + refill)
            if available < 1:
                # the old throttler gives no retry hint; this value only feeds the sandbox's stats
                return Refusal(limit, window, math.ceil(window / limit))
            bucket[0] = available - 1
            bucket[1] = now
        return None


def current_429(refusal: Refusal) -> tuple[dict[str, Any], dict[str, str]]:
    """Body and headers of the usage-limit 429 (usage-limit-to-rest-api-exception-handler.util.spec.ts)."""
    retry_after_s = max(1, math.ceil(refusal.retry_after_ms / 1000))
    body = {
        "statusCode": 429,
        "error": "RATE_LIMITED",
        "messages": [
            f"Rate limit exceeded for apiKey: {refusal.limit} requests per {_js_number(refusal.window_ms / 1000)}s."
        ],
        "limitKind": "speed",
        "exhaustedKind": "limit",
        "scope": {"spenderType": "apiKey", "spenderId": None, "operationType": "API_REQUEST"},
        "limit": refusal.limit,
        "remaining": 0,
        "periodCount": math.ceil(refusal.window_ms / 1000),
        "periodUnit": "second",
        "retryAfterSeconds": retry_after_s,
    }
    headers = {
        "Retry-After": str(retry_after_s),
        "X-RateLimit-Limit": str(refusal.limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(math.ceil(time.time()) + retry_after_s),
    }
    return body, headers


def legacy_429(refusal: Refusal) -> tuple[dict[str, Any], dict[str, str]]:
    """The throttler's 429: an ``HttpException`` with its message and no headers
    (throttler.service.ts, throttler-to-rest-api-exception-handler.util.ts, http-exception-handler.service.ts)."""
    body = {
        "statusCode": 429,
        "error": "HttpException",
        "messages": [f"Limit reached ({refusal.limit} tokens per {refusal.window_ms} ms)"],
    }
    return body, {}


def render_429(kind: str, refusal: Refusal) -> tuple[dict[str, Any], dict[str, str]]:
    """The 429 body and headers the workspace's limiter (`legacy` | `usage-engine`) sends."""
    return legacy_429(refusal) if kind == "legacy" else current_429(refusal)
