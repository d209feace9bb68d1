"""The preflight learns what this Twenty offers, and finds a key that may read but not write."""

from __future__ import annotations

import httpx
import pytest

from core_practice_twenty.twenty.client import forget_learned
from core_practice_twenty.twenty.preflight import PreflightError, check_twenty


def test_the_preflight_says_what_this_twenty_offers(twenty_sandbox) -> None:
    forget_learned()
    facts = check_twenty(twenty_sandbox.url, twenty_sandbox.api_key)
    assert (facts.version_range, facts.upload_flow, facts.batch_cap) == ("2.40 or newer", "direct", 200)
    assert "upload flow direct, batch cap 200" in facts.header()
    with twenty_sandbox.client() as client:
        assert client.count("people") == 0  # learning wrote nothing


def test_a_key_that_may_not_write_records_is_named_before_any_work(twenty_sandbox) -> None:
    """A role without record write permission answers 403 to a record write; the sandbox has one key with every
    permission, so this one answer is played by a transport in front of the real sandbox (said so here)."""
    forget_learned()
    real = httpx.HTTPTransport()

    def read_only(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.startswith("/rest/batch/"):
            return httpx.Response(403, json={"statusCode": 403, "error": "FORBIDDEN", "messages": [
                "Entity performing the request does not have permission"]})
        return real.handle_request(request)

    with pytest.raises(PreflightError) as refused:
        check_twenty(twenty_sandbox.url, twenty_sandbox.api_key, transport=httpx.MockTransport(read_only))
    message = str(refused.value)
    assert "does not let it write records" in message and "Settings → Roles" in message
    assert twenty_sandbox.api_key not in message
