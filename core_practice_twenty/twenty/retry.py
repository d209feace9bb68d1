"""The one retry policy: where a transient fault is retried, how often, and how long a run waits.

Transient faults (429, 5xx, timeouts, dropped connections) are retried in exactly one place: the Twenty
client, per request. A request is tried at most `attempts` times; between tries it waits what Twenty's
`Retry-After` asks, else an exponential backoff from `base_s` doubling up to `max_s`, with jitter. With
the defaults (8 attempts, 1 s doubling to 60 s) a request rides out about two minutes of Twenty being
down or restarting, then the step fails with the last error.

Nothing above the client retries the same fault again: load assets have no Dagster `RetryPolicy` (three
asset retries on top of six client attempts made a persistent fault cost 24 attempts per request, and
the run-level retries below would triple that). Dagster's run retries (`dagster.yaml`, written by `cpt`)
re-launch a run only when its process crashed (`retry_on_asset_or_op_failure: false`); a re-run resumes
from the id map. So a run makes at most `attempts` tries of any request, and a crashed run is re-launched
at most `RUN_RETRIES` times.

`TWENTY_RETRY_BASE_S` scales every backoff wait (tests set 0: the faults they inject are seeded, and
waiting proves nothing); `Retry-After` is honoured whatever it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from tenacity import RetryCallState, wait_exponential_jitter

from core_practice_twenty.settings import Settings

DEFAULT_ATTEMPTS = 8
DEFAULT_MAX_S = 60.0
RUN_RETRIES = 2
"""Re-launches of a run whose process crashed (Dagster's `run_retries.max_retries`)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_ATTEMPTS
    base_s: float = Settings().retry_base_s
    max_s: float = DEFAULT_MAX_S

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: float | int | None) -> RetryPolicy:
        """The first wait from the settings (TWENTY_RETRY_BASE_S); arguments given explicitly win."""
        values: dict[str, float | int] = {"base_s": settings.retry_base_s}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def wait_s(self, state: RetryCallState, retry_after_s: float | None) -> float:
        """Seconds before the next try: Twenty's Retry-After if it gave one, else exponential backoff."""
        if retry_after_s is not None:
            return min(retry_after_s, self.max_s)
        if self.base_s <= 0:
            return 0.0
        return wait_exponential_jitter(initial=self.base_s, max=self.max_s, jitter=self.base_s)(state)


def is_transient(exc: BaseException) -> bool:
    """Twenty throttling or unavailable (its error says so), a timeout, or a connection that dropped."""
    retryable = getattr(exc, "retryable", None)
    if retryable is not None:
        return bool(retryable)
    return isinstance(exc, httpx.TimeoutException | httpx.TransportError)
