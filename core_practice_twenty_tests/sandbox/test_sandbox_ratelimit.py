"""Rate limiting as Twenty has it: defaults, one workspace-wide bucket pair, both generations' quirks."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig

HEADERS = {"Authorization": "Bearer test-key"}


def statuses(url: str, n: int, path: str = "/rest/companies?limit=1") -> list[int]:
    with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as c:
        return [c.get(path).status_code for _ in range(n)]


def test_defaults_are_twentys_self_hosted_defaults(tmp_path) -> None:
    config = SandboxConfig(db_path=tmp_path / "x.db", api_key="k")
    limits = config.rate_limit
    assert limits.enabled is True
    assert (limits.short_limit, limits.short_window_ms) == (100, 1000)
    assert (limits.long_limit, limits.long_window_ms) == (100, 60_000)


def test_with_defaults_a_burst_is_cut_off_after_about_100_requests(sandbox_factory) -> None:
    server = sandbox_factory(rate_limit=RateLimitConfig())
    seen = statuses(server.url, 130)
    first_refusal = seen.index(429)
    assert 100 <= first_refusal <= 110
    response = httpx.get(f"{server.url}/rest/companies", headers=HEADERS)
    assert response.status_code == 429
    assert response.json()["messages"] == ["Rate limit exceeded for apiKey: 100 requests per 60s."]
    assert int(response.headers["Retry-After"]) >= 1


def test_one_bucket_for_the_whole_workspace(sandbox_factory) -> None:
    server = sandbox_factory(rate_limit=RateLimitConfig(short_limit=20, short_window_ms=60_000, long_limit=1000))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: statuses(server.url, 10), range(4)))
    flat = [s for r in results for s in r]
    assert flat.count(200) == 20
    assert flat.count(429) == 20


def test_disabled_never_throttles(sandbox_factory) -> None:
    server = sandbox_factory(rate_limit=RateLimitConfig(enabled=False, short_limit=1))
    assert set(statuses(server.url, 30)) == {200}


def test_throttled_requests_are_not_applied(sandbox_factory, auth_headers) -> None:
    server = sandbox_factory(rate_limit=RateLimitConfig(short_limit=1, short_window_ms=60_000))
    first = httpx.post(f"{server.url}/rest/companies", json={"name": "A"}, headers=auth_headers)
    second = httpx.post(f"{server.url}/rest/companies", json={"name": "B"}, headers=auth_headers)
    assert (first.status_code, second.status_code) == (201, 429)
    httpx.post(f"{server.url}/_sandbox/rate-limit", json={"enabled": False}, headers=auth_headers)
    names = [
        c["name"] for c in httpx.get(f"{server.url}/rest/companies", headers=auth_headers).json()["data"]["companies"]
    ]
    assert names == ["A"]


def test_legacy_throttler_refills_nothing_for_requests_closer_than_window_over_limit(sandbox_factory, tmp_path) -> None:
    """Old ThrottlerService: floor(elapsed × limit / window) and lastRefillAt reset on every consume, so
    one request every ~30 ms against 10 per 1,000 ms (one per 100 ms) still runs dry after 10."""
    limits = RateLimitConfig(short_limit=10, short_window_ms=1000, long_limit=1000, long_window_ms=60_000)
    legacy = sandbox_factory(profile="legacy", db_path=tmp_path / "legacy.db", rate_limit=limits)
    current = sandbox_factory(profile="current", db_path=tmp_path / "current.db", rate_limit=limits)

    def paced(url: str) -> list[httpx.Response]:
        seen = []
        with httpx.Client(base_url=url, headers=HEADERS) as c:
            for _ in range(16):
                seen.append(c.get("/rest/notes?limit=1"))
                time.sleep(0.03)
        return seen

    legacy_responses, current_responses = paced(legacy.url), paced(current.url)
    legacy_run = [r.status_code for r in legacy_responses]
    current_run = [r.status_code for r in current_responses]
    assert legacy_run[:10] == [200] * 10 and 429 in legacy_run[10:]
    refused = legacy_responses[legacy_run.index(429)]
    assert refused.json()["messages"] == ["Limit reached (10 tokens per 1000 ms)"]
    assert "Retry-After" not in refused.headers
    # the continuous refill of the current limiter keeps up with the same pace for longer
    assert current_run.count(200) > legacy_run.count(200)


def test_limits_can_be_changed_at_runtime(client: httpx.Client, sandbox) -> None:
    assert client.get("/_sandbox/rate-limit").json()["rateLimit"]["enabled"] is False
    changed = client.post("/_sandbox/rate-limit", json={"short_limit": 2, "short_window_ms": 60_000})
    assert changed.json()["rateLimit"]["short_limit"] == 2
    assert statuses(sandbox.url, 3) == [200, 200, 429]
    assert client.get("/_sandbox/rate-limit").json()["throttled"] == 1
    assert client.post("/_sandbox/rate-limit", json={"short_limit": 0}).status_code == 400
