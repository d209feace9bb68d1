"""The one retry policy: how long a request waits between tries, and how many tries it gets."""

from __future__ import annotations

import httpx
import pytest
from tenacity import RetryCallState

from core_practice_twenty.settings import Settings
from core_practice_twenty.twenty.client import TwentyApiError
from core_practice_twenty.twenty.retry import DEFAULT_ATTEMPTS, RetryPolicy, is_transient


def _state(attempt: int) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return state


def test_backoff_doubles_from_one_second_to_a_minute_and_rides_out_a_restart(monkeypatch) -> None:
    monkeypatch.delenv("TWENTY_RETRY_BASE_S", raising=False)
    policy = RetryPolicy.from_settings(Settings.from_env())
    waits = [policy.wait_s(_state(n), None) for n in range(1, policy.attempts)]
    assert all(min(2 ** (n - 1), 60) <= w <= min(2 ** (n - 1) + 1, 60) for n, w in enumerate(waits, start=1)), waits
    assert 90 <= sum(waits) <= 200  # about two minutes of Twenty down before the step gives up
    assert policy.attempts == DEFAULT_ATTEMPTS


def test_retry_after_is_obeyed_even_when_backoff_is_off(monkeypatch) -> None:
    monkeypatch.setenv("TWENTY_RETRY_BASE_S", "0")
    policy = RetryPolicy.from_settings(Settings.from_env())
    assert policy.wait_s(_state(3), None) == 0
    assert policy.wait_s(_state(1), 7.0) == 7.0
    assert policy.wait_s(_state(1), 3600.0) == policy.max_s  # a Retry-After beyond a minute is capped


@pytest.mark.parametrize(("error", "transient"), [
    (TwentyApiError(429, "TooManyRequests", []), True),
    (TwentyApiError(503, "ServiceUnavailable", []), True),
    (TwentyApiError(400, "BadRequest", []), False),
    (TwentyApiError(401, "Unauthorized", []), False),
    (httpx.ConnectError("refused"), True),
    (httpx.ReadTimeout("slow"), True),
    (ValueError("a bug"), False),
])
def test_only_faults_twenty_or_the_network_may_not_repeat_are_retried(error, transient) -> None:
    assert is_transient(error) is transient
