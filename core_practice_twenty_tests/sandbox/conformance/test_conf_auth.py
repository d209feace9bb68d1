"""Auth (rest-api-core-authentication.integration-spec.ts) and the suite's own safety switch."""

from __future__ import annotations

import pytest
from conformance_target import choose_target


def test_missing_token_is_403_forbidden(anonymous) -> None:
    response = anonymous.post("/rest/people", json={})
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN_EXCEPTION"
    assert response.json()["messages"][0] == "Missing authentication token"


def test_invalid_token_is_401_unauthenticated(anonymous) -> None:
    response = anonymous.post("/rest/people", json={}, headers={"Authorization": "Bearer not-a-real-key"})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "UNAUTHENTICATED"
    assert body["messages"][0] in ("Token invalid.", "No payload")


def test_metadata_needs_a_token_too(anonymous) -> None:
    assert anonymous.get("/rest/metadata/objects").status_code in (401, 403)


def test_shell_credentials_alone_never_select_a_real_twenty() -> None:
    """A production URL/key in the shell must not turn `make test` into writes against production."""
    production = {"TWENTY_API_URL": "https://crm.practice.example", "TWENTY_API_KEY": "live-key"}
    assert choose_target(production).is_real is False
    assert choose_target({**production, "CPT_CONFORMANCE_REAL": "yes"}).is_real is False
    chosen = choose_target({**production, "CPT_CONFORMANCE_REAL": "1"})
    assert chosen.is_real and chosen.url == "https://crm.practice.example"
    with pytest.raises(pytest.UsageError):
        choose_target({"CPT_CONFORMANCE_REAL": "1"})
