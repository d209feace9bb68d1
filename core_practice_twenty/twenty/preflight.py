"""Before any work: is Twenty there, does it take the key, may the key write records, and what does this Twenty
offer (twenty/facts.py)? One paragraph a person can act on, in seconds.

A run that lands and validates for a minute and then ends in `httpx.ConnectError` or `Twenty API 401` wastes
the night and says nothing useful; this asks first, with short timeouts and a few quick tries.
"""

from __future__ import annotations

import httpx

from core_practice_twenty.settings import Settings
from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient, TwentyConfigError
from core_practice_twenty.twenty.facts import ServerFacts

PREFLIGHT_TIMEOUT = httpx.Timeout(8.0, connect=2.5)
PREFLIGHT_ATTEMPTS = 3
"""A proxy's one-off 502 or a dropped connection is tried again, within seconds (0.5 s apart at most): a
closed port or a wrong key answers at once, a black-holed address costs 3 × 2.5 s."""


class PreflightError(Exception):
    """Twenty cannot be used as configured; the message names the URL or the variable and what to do."""


def check_twenty(url: str, api_key: str, *, settings: Settings | None = None,
                 timeout: httpx.Timeout = PREFLIGHT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> ServerFacts:
    """Reach Twenty, read its object metadata with the key, and learn what it offers — the batch-cap probe is
    a record write Twenty refuses before writing, so a key that may not write records is found here too."""
    try:
        client = TwentyClient(url, api_key, requests_per_minute=0, max_attempts=PREFLIGHT_ATTEMPTS,
                              max_backoff_s=0.5, timeout_s=timeout,  # type: ignore[arg-type]  # httpx takes both
                              transport=transport, settings=settings)
    except TwentyConfigError as exc:
        raise PreflightError(str(exc)) from None
    try:
        with client:
            client.list_objects()
            try:
                return client.learn()
            except TwentyApiError as exc:
                if exc.status == 403:
                    raise PreflightError(
                        f"Twenty at {url} accepts the API key but does not let it write records (HTTP 403 to a "
                        f"record write). The migration creates and updates records and fields: give the key's role "
                        f"the permission to create, update and delete records of every object and to change the "
                        f"data model (Settings → Roles, or a key with the Admin role), then run the same command "
                        f"again. Nothing was written."
                    ) from None
                raise
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise PreflightError(
            f"Twenty is not reachable at {url} ({type(exc).__name__}). Check TWENTY_API_URL (scheme, host and "
            f"port of your Twenty) and that Twenty is running, then run the same command again. Nothing was "
            f"read or written."
        ) from None
    except TwentyApiError as exc:
        if exc.status in (401, 403):
            raise PreflightError(
                f"Twenty at {url} refused the API key (HTTP {exc.status}). Check TWENTY_API_KEY: create a key in "
                f"Twenty under Settings → APIs & Webhooks, export it as TWENTY_API_KEY (never in a file), then "
                f"run the same command again. Nothing was read or written."
            ) from None
        if exc.status == 404:
            raise PreflightError(
                f"{url} answered 404 to Twenty's metadata API: it does not look like a Twenty server. Check "
                f"TWENTY_API_URL (the address you open Twenty at, without /rest), then run again."
            ) from None
        raise PreflightError(
            f"Twenty at {url} answered HTTP {exc.status} ({exc.error}) to a first read. Check that Twenty is "
            f"healthy (its logs), then run the same command again. Nothing was written."
        ) from None
