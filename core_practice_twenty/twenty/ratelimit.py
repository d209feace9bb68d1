"""Client-side rate limiting, one limiter per Twenty workspace in the process.

Twenty throttles per workspace, not per connection (§6 of the API reference: the buckets are keyed
`{workspaceId}` and shared by every API key of the workspace), so every TwentyClient talking to the
same workspace must draw from one budget: the Dagster steps of a run, the metadata sync and a
reconciliation all share it. The registry keys limiters by base URL plus a hash of the API key (the
key itself is never stored or printed).

The limiter is a token bucket shaped like Twenty's own (usage-limit `try-consume-token-buckets`
script): capacity = the plan's burst (default: one minute's worth, what Twenty's bucket holds),
continuous refill at the plan's rate. A client that starts no earlier than the server's bucket was
full therefore never overdraws it, whatever the network jitter: every request arrives after it was
sent, and the server has refilled at least as much as the client by then.

The server has the last word: a 429 empties the local bucket (the server's is empty) and holds every
client of the workspace until `Retry-After`; `X-RateLimit-Remaining: 0` holds until
`X-RateLimit-Reset`; a 429 body naming a smaller plan (`limit` per `periodCount` seconds) lowers the rate.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], None]

MAX_HOLD_S = 3600.0
"""Never believe a header asking for more than an hour's wait (a clock skew, a proxy's junk)."""


LEGACY_GAP_MARGIN_S = 0.005
"""How much later than one interval requests go once the legacy throttler is met: what a request's way to the
server's throttle may vary by (send jitter). Doubled at each further bare 429, up to a tenth of the interval, so
it settles at what this network needs: every millisecond of it is lost on every request (5 ms of 600 is 0.8 %)."""


class RateLimiter:
    """A thread-safe token bucket with server-imposed holds; `requests_per_minute <= 0` = unpaced.

    Holds (from `Retry-After` / `X-RateLimit-Reset`) apply even when unpaced: tests and benchmarks
    that turn pacing off still have to respect a server that says "not now".
    """

    def __init__(self, requests_per_minute: float, burst: float | None = None, *,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep, wall_clock: Clock = time.time) -> None:
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._hold_until = 0.0
        self.requests_per_minute = 0.0
        self.burst = 0.0
        self._tokens = 0.0
        self._reserve = 0.0
        self._updated = clock()
        self.waited_s = 0.0
        self._min_gap = 0.0
        self._legacy_margin_s = 0.0
        self._last_sent = float("-inf")
        self.kind_seen = "not met"
        """The throttle this workspace answered a 429 with: `usage-engine` (RATE_LIMITED, Retry-After,
        X-RateLimit-*) or `legacy` (ThrottlerService's bare "Limit reached"); "not met" before any 429."""
        self.configure(requests_per_minute, burst, refill=True)

    # -- configuration ---------------------------------------------------------------------------

    def configure(self, requests_per_minute: float, burst: float | None = None, *, refill: bool = False) -> None:
        """Set the plan. Tokens already spent stay spent unless `refill` (a new limiter)."""
        with self._lock:
            self._refill(self._clock())
            self.requests_per_minute = max(0.0, float(requests_per_minute))
            default_burst = self.requests_per_minute if self.requests_per_minute > 0 else 1.0
            self.burst = max(1.0, float(burst) if burst else default_burst)
            self._tokens = self.burst if refill else min(self._tokens, self.burst)
            # One token kept back (when the burst allows): while its bucket is full the server refills
            # nothing, so a request that spends a while in flight leaves the server up to
            # latency × rate tokens behind us. The reserve absorbs 1/rate seconds of latency and costs
            # one request of the burst, none of the steady rate.
            self._reserve = 1.0 if self.burst >= 2 else 0.0

    @property
    def unpaced(self) -> bool:
        return self.requests_per_minute <= 0

    @property
    def rate_per_s(self) -> float:
        return self.requests_per_minute / 60.0

    def available(self) -> float:
        """Tokens in the bucket now (diagnostics and benchmarks)."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens

    # -- taking a token --------------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        if self.requests_per_minute > 0:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now

    def acquire(self) -> float:
        """Block until one request may go; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                if now < self._hold_until:
                    wait = self._hold_until - now
                elif self.unpaced:
                    break
                elif self._tokens >= 1.0 + self._reserve and now - self._last_sent >= self._min_gap:
                    self._tokens -= 1.0
                    self._last_sent = now
                    break
                else:
                    wait = max((1.0 + self._reserve - self._tokens) / self.rate_per_s,
                               self._last_sent + self._min_gap - now, 0.001)
            self._sleep(wait)
            waited += wait
        if waited:
            with self._lock:
                self.waited_s += waited
        return waited

    # -- what the server says --------------------------------------------------------------------

    def hold(self, seconds: float) -> None:
        """Nobody sends for `seconds` (capped at an hour)."""
        seconds = min(max(0.0, seconds), MAX_HOLD_S)
        with self._lock:
            self._hold_until = max(self._hold_until, self._clock() + seconds)

    def observe(self, status: int, headers: Mapping[str, str], body: Mapping | None = None) -> None:
        """Adjust to a response: `X-RateLimit-*`, `Retry-After`, and on a 429 an empty bucket."""
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        retry_after = parse_retry_after(headers.get("Retry-After"), self._wall_clock())
        reset_in = _reset_in(headers.get("X-RateLimit-Reset"), self._wall_clock())
        if status == 429:
            usage = (retry_after is not None or remaining is not None
                     or (isinstance(body, Mapping) and body.get("error") == "RATE_LIMITED"))
            self.kind_seen = "usage-engine" if usage else "legacy"
            if not usage and not self.unpaced:
                # ThrottlerService refills floor(elapsed × rate) and restarts the clock on every request, so a
                # request even slightly early refills nothing: from now on, never closer than one interval and a
                # margin, widened each time the margin proved too small for this network's jitter
                with self._lock:
                    interval = 60.0 / self.requests_per_minute
                    self._legacy_margin_s = (LEGACY_GAP_MARGIN_S if not self._legacy_margin_s
                                             else min(interval / 10, self._legacy_margin_s * 2))
                    self._min_gap = interval + self._legacy_margin_s
            self._learn_plan(body)
            with self._lock:
                self._refill(self._clock())
                self._tokens = min(self._tokens, 0.0)  # the server's bucket is empty
            wait = retry_after if retry_after is not None else reset_in
            if wait is None:  # older servers say nothing: one refill interval, at least a second
                wait = max(1.0, 60.0 / self.requests_per_minute) if not self.unpaced else 1.0
            self.hold(wait)
            return
        if remaining is not None:
            with self._lock:
                self._refill(self._clock())
                self._tokens = min(self._tokens, remaining)
            if remaining <= 0:
                wait = reset_in if reset_in is not None else retry_after
                if wait is not None:
                    self.hold(wait)
        elif retry_after is not None and status == 503:
            self.hold(retry_after)

    def _learn_plan(self, body: Mapping | None) -> None:
        """A 429 body that names a smaller plan than ours (e.g. cloud Pro's 50/min) lowers our rate."""
        if not isinstance(body, Mapping):
            return
        limit, period = _number(body.get("limit")), _number(body.get("periodCount"))
        if not limit or not period or body.get("periodUnit", "second") != "second":
            return
        server_rpm = limit * 60.0 / period
        # unpaced (0) stays unpaced: tests and benchmarks chose that on purpose
        if not self.unpaced and server_rpm < self.requests_per_minute:
            self.configure(server_rpm, min(self.burst, limit))


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_retry_after(value: str | None, now_epoch: float | None = None) -> float | None:
    """`Retry-After` in seconds (a number or an HTTP date), never negative; None if absent or junk."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            now = time.time() if now_epoch is None else now_epoch
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            return None


def _reset_in(value: str | None, now_epoch: float) -> float | None:
    """`X-RateLimit-Reset` as seconds from now. Twenty sends epoch seconds
    (usage-limit/utils/build-rate-limit-response-headers.util.ts); other gateways send a delta."""
    number = _number(value)
    if number is None:
        return None
    if number > 1_000_000_000:  # an epoch timestamp
        return max(0.0, number - now_epoch)
    return max(0.0, number)


# -- one limiter per workspace ---------------------------------------------------------------------

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def workspace_key(base_url: str, api_key: str) -> str:
    """Base URL + a short SHA-256 of the API key: stable, shareable, and not the key."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    return f"{base_url.rstrip('/')}#{digest}"


def workspace_limiter(base_url: str, api_key: str, requests_per_minute: float,
                      burst: float | None = None) -> RateLimiter:
    """The process's limiter for this workspace; a new plan (rate or burst) reconfigures it for everyone."""
    key = workspace_key(base_url, api_key)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter(requests_per_minute, burst)
        elif limiter.requests_per_minute != max(0.0, requests_per_minute) or (burst and burst != limiter.burst):
            limiter.configure(requests_per_minute, burst)
        return limiter
