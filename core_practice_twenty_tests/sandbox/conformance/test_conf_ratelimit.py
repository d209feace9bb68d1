"""Rate limiting (§6; usage-limit-to-rest-api-exception-handler.util.spec.ts, throttler.service.ts).

Draining a real workspace's bucket would throttle everyone using it, so these need the sandbox's
``/_sandbox/rate-limit`` control."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest


@pytest.fixture
def limited(api, target) -> Iterator[Callable[..., None]]:
    """Set the sandbox's limits for one test; throttling is off again afterwards."""
    target.require_sandbox("sets the workspace's rate limits")

    def configure(**settings) -> None:
        assert api.post("/_sandbox/rate-limit", json=settings).status_code == 200

    yield configure
    configure(enabled=False)


def raw_get(target, path: str) -> httpx.Response:
    """A request that does not wait out 429s (the suite's client would)."""
    return httpx.get(f"{target.url}{path}", headers={"Authorization": f"Bearer {target.api_key}"}, timeout=10)


def test_429_body_and_headers(limited, target) -> None:
    limited(short_limit=3, short_window_ms=60_000, long_limit=1000, long_window_ms=60_000)
    statuses = [raw_get(target, "/rest/companies?limit=1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = raw_get(target, "/rest/companies?limit=1")
    body = response.json()
    if target.limiter is not None:  # the sandbox says which throttle it plays; a real Twenty shows it here
        assert (body.get("error") == "RATE_LIMITED") == (target.limiter == "usage-engine")
    if body.get("error") == "RATE_LIMITED":
        assert body["statusCode"] == 429 and body["error"] == "RATE_LIMITED"
        assert body["messages"] == ["Rate limit exceeded for apiKey: 3 requests per 60s."]
        assert body["limit"] == 3 and body["remaining"] == 0 and body["periodUnit"] == "second"
        assert body["periodCount"] == 60
        assert 1 <= body["retryAfterSeconds"] <= 20
        assert response.headers["Retry-After"] == str(body["retryAfterSeconds"])
        assert response.headers["X-RateLimit-Limit"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == "0"
    else:
        assert body == {
            "statusCode": 429,
            "error": "HttpException",
            "messages": ["Limit reached (3 tokens per 60000 ms)"],
        }
        assert "Retry-After" not in response.headers


def test_a_batch_costs_one_token_whatever_its_size(limited, api, target, uid) -> None:
    limited(short_limit=2, short_window_ms=60_000, long_limit=1000, long_window_ms=60_000)
    rows = [{"name": uid} for _ in range(target.batch_cap)]
    headers = {"Authorization": f"Bearer {target.api_key}"}
    first = httpx.post(f"{target.url}/rest/batch/companies", json=rows, headers=headers, timeout=30)
    second = httpx.post(f"{target.url}/rest/batch/companies", json=rows, headers=headers, timeout=30)
    third = httpx.post(f"{target.url}/rest/batch/companies", json=rows, headers=headers, timeout=30)
    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 429]


def test_the_short_window_refills(limited, target) -> None:
    # a window long enough that three requests fit in it on a loaded machine (400 ms did not, under load)
    limited(short_limit=2, short_window_ms=1500, long_limit=1000, long_window_ms=60_000)
    assert [raw_get(target, "/rest/notes?limit=1").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.55)
    assert raw_get(target, "/rest/notes?limit=1").status_code == 200


def test_metadata_calls_are_not_throttled(limited, target) -> None:
    limited(short_limit=1, short_window_ms=60_000, long_limit=1000, long_window_ms=60_000)
    assert raw_get(target, "/rest/notes?limit=1").status_code == 200
    assert raw_get(target, "/rest/notes?limit=1").status_code == 429
    assert raw_get(target, "/rest/metadata/objects?limit=1").status_code == 200
