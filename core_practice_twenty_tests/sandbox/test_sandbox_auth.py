"""Auth behaves like Twenty (rest-api-core-authentication.integration-spec.ts)."""

from __future__ import annotations

import httpx

from core_practice_twenty.sandbox import SandboxServer


def test_healthz_needs_no_token(sandbox: SandboxServer) -> None:
    response = httpx.get(f"{sandbox.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_missing_token_is_403(sandbox: SandboxServer) -> None:
    response = httpx.get(f"{sandbox.url}/rest/companies")
    assert response.status_code == 403
    assert response.json() == {
        "statusCode": 403,
        "error": "FORBIDDEN_EXCEPTION",
        "messages": ["Missing authentication token"],
    }


def test_wrong_token_is_401(sandbox: SandboxServer) -> None:
    response = httpx.post(
        f"{sandbox.url}/rest/batch/companies",
        json=[{"name": "A"}],
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "error": "UNAUTHENTICATED", "messages": ["Token invalid."]}


def test_metadata_routes_need_a_token_too(sandbox: SandboxServer) -> None:
    assert httpx.get(f"{sandbox.url}/rest/metadata/objects").status_code == 403


def test_unknown_route_is_404_with_twenty_error_shape(client: httpx.Client) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == {"statusCode", "error", "messages"}
