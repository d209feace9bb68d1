"""Seeded fault injection: what a flaky proxy, network or overloaded Twenty does to the pipeline."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest

from core_practice_twenty.sandbox import FaultConfig
from core_practice_twenty.twenty.client import TwentyClient

API_KEY = "test-key"  # the key of every sandbox started by conftest.py
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def set_faults(client: httpx.Client, **settings) -> dict:
    response = client.post("/_sandbox/faults", json=settings)
    assert response.status_code == 200, response.text
    return response.json()


def outcomes(url: str, n: int, path: str = "/rest/companies?limit=1") -> list[int | str]:
    """Status of each of ``n`` requests, or ``"reset"`` when the connection was dropped."""
    seen: list[int | str] = []
    for _ in range(n):
        try:
            seen.append(httpx.get(f"{url}{path}", headers=HEADERS, timeout=10).status_code)
        except httpx.TransportError:
            seen.append("reset")
    return seen


def test_scripted_faults_in_order(client: httpx.Client, sandbox) -> None:
    set_faults(client, script=["502", "503", "500", "429", "ok"])
    bad_gateway = httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS)
    assert bad_gateway.status_code == 502
    assert bad_gateway.headers["Content-Type"].startswith("text/html")  # a proxy page, not Twenty's JSON
    assert httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS).status_code == 503
    internal = httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS)
    assert internal.json() == {
        "statusCode": 500,
        "error": "InternalServerErrorException",
        "messages": ["Internal server error"],
    }
    throttled = httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.json()["error"] == "RATE_LIMITED"
    assert httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS).status_code == 200


def test_failed_requests_are_not_applied(client: httpx.Client, sandbox) -> None:
    set_faults(client, script=["503", "reset", "500"])
    for _ in range(3):
        with contextlib.suppress(httpx.TransportError):
            httpx.post(f"{sandbox.url}/rest/companies", json={"name": "A"}, headers=HEADERS)
    assert client.get("/rest/companies").json()["totalCount"] == 0


def test_a_lost_response_was_still_applied(client: httpx.Client, sandbox) -> None:
    """The client sees a reset, yet the record exists: a blind retry of a plain create duplicates or
    collides; an upsert retry is safe."""
    set_faults(client, script=["lost_response"])
    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{sandbox.url}/rest/batch/people",
            params={"upsert": "true"},
            json=[{"emails": {"primaryEmail": "ana@example.org"}, "city": "Perth"}],
            headers=HEADERS,
        )
    assert client.get("/rest/people").json()["totalCount"] == 1
    retry = client.post(
        "/rest/batch/people", params={"upsert": "true"}, json=[{"emails": {"primaryEmail": "ana@example.org"}}]
    )
    assert retry.status_code == 201
    assert client.get("/rest/people").json()["totalCount"] == 1


def test_same_seed_same_failures(sandbox_factory, tmp_path) -> None:
    config = FaultConfig(seed=42, error_rate=0.3, reset_rate=0.1)
    runs = []
    for name in ("a", "b", "c"):
        seed = 7 if name == "c" else 42
        server = sandbox_factory(
            db_path=tmp_path / f"{name}.db", faults=FaultConfig(**{**config.to_dict(), "seed": seed})
        )
        runs.append(outcomes(server.url, 60))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    failures = sum(1 for o in runs[0] if o != 200)
    assert 10 <= failures <= 40  # ~40% of 60
    assert {o for o in runs[0] if o != 200} <= {500, 502, 503, "reset"}


def test_latency_is_added(sandbox_factory) -> None:
    server = sandbox_factory(faults=FaultConfig(latency_ms=150))
    started = time.perf_counter()
    assert outcomes(server.url, 3) == [200, 200, 200]
    assert time.perf_counter() - started >= 0.45


def test_429_bursts(client: httpx.Client, sandbox) -> None:
    set_faults(client, seed=3, burst_429_rate=1.0, burst_429_length=3, burst_429_retry_after_s=2)
    responses = [httpx.get(f"{sandbox.url}/rest/companies", headers=HEADERS) for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 429]
    assert {r.headers["Retry-After"] for r in responses} == {"2"}


def test_faults_can_target_paths_and_be_switched_off_mid_run(client: httpx.Client, sandbox) -> None:
    set_faults(client, error_rate=1.0, error_statuses=[503], path_prefixes=["/rest/batch/"])
    assert client.get("/rest/companies").status_code == 200
    assert client.post("/rest/batch/companies", json=[{"name": "A"}]).status_code == 503
    assert httpx.get(f"{sandbox.url}/healthz").status_code == 200  # never faulted
    snapshot = client.get("/_sandbox/faults").json()
    assert snapshot["stats"]["errors"] == 1
    set_faults(client)  # all off
    assert client.post("/rest/batch/companies", json=[{"name": "A"}]).status_code == 201


def test_bad_fault_settings_are_400(client: httpx.Client) -> None:
    for bad in ({"error_rate": 2}, {"nope": 1}, {"script": ["explode"]}, {"error_statuses": [404]}):
        response = client.post("/_sandbox/faults", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"] == "BadRequestException"


def test_the_project_client_rides_out_faults(client: httpx.Client, sandbox) -> None:
    """The pipeline's own client (retries on 5xx, resets and 429 with Retry-After) gets every page."""
    client.post("/rest/batch/companies", json=[{"name": f"C{i}"} for i in range(30)])
    set_faults(client, seed=5, error_rate=0.2, reset_rate=0.1, burst_429_rate=0.05, burst_429_length=2)
    with TwentyClient(sandbox.url, API_KEY, requests_per_minute=0, max_backoff_s=0.05, max_attempts=10) as twenty:
        names = [c["name"] for c in twenty.find_many("companies", page_size=5)]
    assert sorted(names) == sorted(f"C{i}" for i in range(30))
    assert twenty.stats.retries > 0
