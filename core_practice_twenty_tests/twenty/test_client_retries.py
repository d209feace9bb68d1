"""Retry behaviour of the Twenty client.

These use httpx.MockTransport on purpose: the sandbox of this issue cannot yet produce 5xx faults,
dropped connections or 429 bursts (issue 3 adds seeded fault injection, and these move onto it).
"""

import time

import httpx
import pytest

from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient, TwentyConfigError


def client_with(handler, **kwargs) -> TwentyClient:
    kwargs.setdefault("requests_per_minute", 0)
    return TwentyClient("http://twenty.test", "key", transport=httpx.MockTransport(handler), **kwargs)


def ok_page() -> httpx.Response:
    return httpx.Response(200, json={"data": {"companies": []}, "totalCount": 0, "pageInfo": {}})


def test_retries_5xx_and_dropped_connections_then_succeeds() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(503, json={"statusCode": 503, "error": "ServiceUnavailable", "messages": ["x"]})
        if len(calls) == 2:
            raise httpx.ConnectError("reset by peer", request=request)
        return ok_page()

    client = client_with(handler, max_backoff_s=0.01)
    assert client.count("companies") == 0
    assert len(calls) == 3
    assert client.stats.retries == 2


def test_429_waits_for_retry_after() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "1"},
                                  json={"statusCode": 429, "error": "RATE_LIMITED", "messages": ["slow down"]})
        return ok_page()

    client = client_with(handler)
    client.count("companies")
    assert calls[1] - calls[0] >= 0.95
    assert client.stats.throttled == 1


def test_4xx_is_not_retried_and_keeps_twentys_message() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, json={"statusCode": 400, "error": "BadRequestException",
                                         "messages": ["Invalid value 'X' for field \"stage\""]})

    with pytest.raises(TwentyApiError) as error:
        client_with(handler).create_many("companies", [{"name": "A"}], upsert=True)
    assert len(calls) == 1
    assert error.value.status == 400
    assert "Invalid value" in error.value.message
    assert "Invalid value" not in str(error.value)  # str() is what lands in logs: no record values


def test_gives_up_after_max_attempts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, json={"statusCode": 502, "error": "BadGateway", "messages": []})

    client = client_with(handler, max_attempts=3, max_backoff_s=0.01)
    with pytest.raises(TwentyApiError):
        client.count("companies")
    assert client.stats.requests == 3


def test_missing_configuration_says_which_variable() -> None:
    with pytest.raises(TwentyConfigError, match="TWENTY_API_KEY"):
        TwentyClient("http://x", "")
    with pytest.raises(TwentyConfigError, match="TWENTY_API_URL"):
        TwentyClient("", "k")
