"""Per-workspace rate limiting of the Twenty client, mostly against the sandbox's real throttle.

The sandbox plays Twenty's buckets (one token per record request, `Retry-After` and `X-RateLimit-*` on
the current profile's 429, a bare 429 on the legacy one). Its throttle is switched on per test through
`/_sandbox/rate-limit` with small windows, so a test needs tens of requests, not hundreds.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.twenty.client import TwentyClient
from core_practice_twenty.twenty.ratelimit import LEGACY_GAP_MARGIN_S, RateLimiter, workspace_key


def set_server_limit(sandbox, limit: int, window_ms: int) -> None:
    """Both of the sandbox's buckets at `limit` per `window_ms` (refilled)."""
    body = {"enabled": True, "short_limit": limit, "short_window_ms": window_ms,
            "long_limit": limit, "long_window_ms": window_ms}
    control = httpx.post(f"{sandbox.url}/_sandbox/rate-limit", json=body,
                         headers={"Authorization": f"Bearer {sandbox.api_key}"})
    control.raise_for_status()


def server_throttled(sandbox) -> int:
    control = httpx.get(f"{sandbox.url}/_sandbox/rate-limit", headers={"Authorization": f"Bearer {sandbox.api_key}"})
    return control.json()["throttled"]


def test_clients_of_one_workspace_share_one_limiter_keyed_without_the_key(twenty_sandbox) -> None:
    a = twenty_sandbox.client(requests_per_minute=120)
    b = twenty_sandbox.client(requests_per_minute=120)
    other = TwentyClient(twenty_sandbox.url, "another-key", requests_per_minute=120)
    assert a.limiter is b.limiter
    assert other.limiter is not a.limiter
    key = workspace_key(twenty_sandbox.url, twenty_sandbox.api_key)
    assert key.startswith(twenty_sandbox.url) and twenty_sandbox.api_key not in key


def test_plan_comes_from_the_environment(twenty_sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWENTY_REQUESTS_PER_MINUTE", "50")
    monkeypatch.setenv("TWENTY_BATCH_CAP", "25")
    client = TwentyClient(twenty_sandbox.url, twenty_sandbox.api_key)
    assert client.limiter.requests_per_minute == 50
    assert client.limiter.burst == 50  # one minute's worth, like Twenty's bucket
    assert client.batch_cap == 25
    monkeypatch.delenv("TWENTY_REQUESTS_PER_MINUTE")
    monkeypatch.delenv("TWENTY_BATCH_CAP")
    client = TwentyClient(twenty_sandbox.url, twenty_sandbox.api_key)
    assert (client.limiter.requests_per_minute, client.batch_cap) == (100, 60)


def test_paced_clients_sharing_a_workspace_are_never_refused(twenty_sandbox) -> None:
    """Two clients in two threads, 36 requests against a 10-per-second workspace: no 429 at all."""
    set_server_limit(twenty_sandbox, 10, 1000)
    clients = [twenty_sandbox.client(requests_per_minute=600, burst=10) for _ in range(2)]
    counts: list[int] = []

    def work(client: TwentyClient) -> None:
        for _ in range(18):
            counts.append(client.count("companies"))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [0] * 36
    assert server_throttled(twenty_sandbox) == 0
    assert sum(c.stats.throttled for c in clients) == 0
    assert sum(c.stats.requests for c in clients) == 36


def test_an_unpaced_client_obeys_retry_after_and_loses_nothing(twenty_sandbox) -> None:
    """Pacing off: the server refuses, the client waits as told and every request still succeeds."""
    set_server_limit(twenty_sandbox, 5, 1000)
    client = twenty_sandbox.client(requests_per_minute=0, max_attempts=10)
    for i in range(12):
        client.create_many("companies", [{"name": f"Throttled {i}"}])
    assert client.count("companies") == 12
    assert client.stats.throttled > 0
    assert client.stats.retries == client.stats.throttled
    assert client.stats.requests == 13 + client.stats.throttled


def test_a_429_body_naming_a_smaller_plan_lowers_the_rate(twenty_sandbox) -> None:
    """The workspace is on 300/min while we were told 6000: the first 429 teaches the client."""
    set_server_limit(twenty_sandbox, 5, 1000)
    client = twenty_sandbox.client(requests_per_minute=6000, burst=5)
    for _ in range(8):
        client.count("companies")
    assert client.limiter.requests_per_minute == 300


def test_legacy_servers_429_without_headers_is_survived(tmp_path) -> None:
    """Older Twenty (ThrottlerService): a bare 429, no Retry-After; the client backs off and carries on."""
    config = SandboxConfig(db_path=tmp_path / "legacy.sqlite", api_key="k", port=0, profile="legacy",
                           rate_limit=RateLimitConfig(short_limit=4, short_window_ms=1000,
                                                      long_limit=4, long_window_ms=1000))
    with SandboxServer(config) as server:
        client = TwentyClient(server.url, "k", requests_per_minute=0, max_attempts=10, max_backoff_s=1.0)
        for _ in range(8):
            assert client.count("companies") == 0
        assert client.stats.throttled > 0


def test_once_the_legacy_throttler_is_met_requests_are_spaced_so_it_refills(tmp_path) -> None:
    """ThrottlerService (the self-hosted default) refills floor(elapsed × rate) and restarts its clock on every
    request: a client at exactly the plan's average, a little early now and then, drains it. After the first
    bare 429 the client never sends closer than one interval, and the throttle stops refusing."""
    limits = RateLimitConfig(short_limit=100, short_window_ms=1000, long_limit=5, long_window_ms=1000)
    config = SandboxConfig(db_path=tmp_path / "legacy.sqlite", api_key="k", port=0, twenty_version="2.47",
                           rate_limiter="legacy", rate_limit=limits)
    with SandboxServer(config) as server:
        client = TwentyClient(server.url, "k", requests_per_minute=300, burst=3, max_attempts=20)
        seen = []
        for _ in range(45):
            client.count("companies")
            seen.append(client.stats.throttled)
        assert client.limiter.kind_seen == "legacy"
        first = next(i for i, n in enumerate(seen) if n)  # the 429 that showed which throttle this is
        assert seen[-1] == seen[first] <= 2, seen  # and none after it
        assert client.stats.requests == 45 + client.stats.throttled


class FakeClock:
    """Time that only moves when the limiter sleeps: the test sees how long it *would* wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.epoch = 1_700_000_000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.epoch + self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_allows_the_burst_then_averages_the_plan() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, burst=5, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.time)
    start = clock.now
    for _ in range(4):
        limiter.acquire()
    assert clock.slept == []  # the burst goes at once (less one token kept back for latency)
    for _ in range(60):
        limiter.acquire()
    assert round(clock.now - start) == 60  # then one per second, the plan's 60/min


def test_remaining_zero_holds_until_reset() -> None:
    """Twenty sends X-RateLimit-* only with its 429; a gateway may send them on every answer."""
    clock = FakeClock()
    limiter = RateLimiter(6000, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.time)
    limiter.acquire()
    reset_at = clock.time() + 7
    limiter.observe(200, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
                          "X-RateLimit-Reset": str(int(reset_at))})
    limiter.acquire()
    assert round(sum(clock.slept)) == 7


def test_retry_after_holds_everyone_even_when_unpaced() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.time)
    limiter.observe(429, {"Retry-After": "3"}, {"statusCode": 429})
    limiter.acquire()
    assert clock.slept == [3.0]
    limiter.acquire()
    assert clock.slept == [3.0]


def test_a_bare_429_spaces_every_later_request_by_a_full_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, burst=10, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.time)
    limiter.observe(429, {}, {"statusCode": 429, "error": "HttpException", "messages": ["Limit reached"]})
    times = []
    for _ in range(12):
        limiter.acquire()
        times.append(clock.now)
    assert limiter.kind_seen == "legacy"
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.6 + LEGACY_GAP_MARGIN_S - 1e-9 and max(gaps) < 0.6 * 1.01  # a jitter's margin, no more

    limiter.observe(429, {}, {"statusCode": 429, "error": "HttpException", "messages": ["Limit reached"]})
    limiter.observe(429, {}, {"statusCode": 429, "error": "HttpException", "messages": ["Limit reached"]})
    times = []
    for _ in range(3):
        limiter.acquire()
        times.append(clock.now)
    # the margin proved too small twice: four times as wide, never over a tenth of the interval
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.6 + 4 * LEGACY_GAP_MARGIN_S - 1e-9
