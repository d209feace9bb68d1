"""The transport under every Twenty call: auth, TLS, the per-workspace rate limiter, retries and request statistics."""

from __future__ import annotations

import hashlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from core_practice_twenty.settings import Settings
from core_practice_twenty.twenty.errors import TwentyApiError, TwentyConfigError, _graphql_error
from core_practice_twenty.twenty.facts import ServerFacts
from core_practice_twenty.twenty.ratelimit import RateLimiter, parse_retry_after, workspace_limiter
from core_practice_twenty.twenty.retry import RetryPolicy, is_transient

DEFAULT_BATCH_CAP = 60
"""The batch cap every Twenty version accepts, used until the server's own is learned (`learn`)."""


_TLS: list[ssl.SSLContext] = []


def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: httpx builds a new one (30-50 ms: the CA bundle is read) for
    every client otherwise, and a wave makes a client per step."""
    if not _TLS:
        _TLS.append(httpx.create_ssl_context())  # what httpx itself would build (certifi, SSL_CERT_FILE …)
    return _TLS[0]


@dataclass
class RequestStats:
    """What this client spent: HTTP requests sent, 429s received, retries, seconds held by the limiter, seconds
    waiting for Twenty's answers (what is left of a load's time is the client's own work)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_s: float = 0.0
    http_s: float = 0.0
    batch_cap_lowered: int = 0
    unpaced_requests: int = 0
    unanswered: int = 0
    """Attempts that failed after the request may have reached Twenty (a timeout, a dropped answer): a write
    sent again after one may find its records already written (the loader's `recovered`)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)


class Transport:
    """Auth, pacing and retries around one HTTP client per workspace: what records, files and metadata go through."""

    def __init__(self, base_url: str, api_key: str, *, requests_per_minute: float | None = None,
                 batch_cap: int | None = None, timeout_s: float = 30.0, max_attempts: int | None = None,
                 max_backoff_s: float | None = None, transport: httpx.BaseTransport | None = None,
                 burst: float | None = None, max_upload_bytes: int | None = None,
                 settings: Settings | None = None) -> None:
        """`requests_per_minute` is the workspace's plan (0 = unpaced) and `burst` how many may go at once
        (default: one minute's worth, like Twenty's bucket). `batch_cap` is a ceiling on the records per batch
        request over the cap learned from the server (`learn`). `max_upload_bytes` defaults to the upload flow's
        usual server limit. An argument left None takes its value from `settings` (settings.py; read from the
        environment when not given).
        """
        if not base_url:
            raise TwentyConfigError("Twenty's URL is empty: set TWENTY_API_URL (e.g. https://crm.example.com).")
        if not api_key:
            raise TwentyConfigError(
                "Twenty's API key is empty: set TWENTY_API_KEY (Settings → APIs & Webhooks in Twenty)."
            )
        settings = settings or Settings.from_env()
        if requests_per_minute is None:
            requests_per_minute = settings.requests_per_minute
        if batch_cap is None:
            batch_cap = settings.batch_cap
        if max_upload_bytes is None:
            max_upload_bytes = settings.max_upload_bytes
        self.base_url = base_url.rstrip("/")
        self.cap_ceiling = max(1, batch_cap) if batch_cap is not None else None  # a person's cap wins over Twenty's
        self.batch_cap = self.cap_ceiling or DEFAULT_BATCH_CAP
        self.retry = RetryPolicy.from_settings(settings, attempts=max_attempts, max_s=max_backoff_s)
        self.limiter: RateLimiter = workspace_limiter(self.base_url, api_key, requests_per_minute, burst)
        self._workspace_key = (self.base_url, hashlib.sha256(api_key.encode()).hexdigest())
        self.stats = RequestStats()
        self.max_upload_bytes = max_upload_bytes
        self._upload_flow: str | None = None
        self._file_field_id: str | None = None
        self._file_field_uid: str | None = None
        self.facts: ServerFacts | None = None
        # upload URLs carry their own token: this client never sends the API key; a file takes longer than a batch
        storage_timeout = max(timeout_s, 120.0) if isinstance(timeout_s, int | float) else timeout_s
        self._storage = httpx.Client(timeout=storage_timeout, transport=transport, verify=_tls_context())
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout_s,
            transport=transport,
            verify=_tls_context(),
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Self:
        """The workspace the settings name (TWENTY_API_URL, TWENTY_API_KEY), paced and capped as they say."""
        return cls(settings.twenty_api_url, settings.twenty_api_key, settings=settings, **kwargs)

    def close(self) -> None:
        self._http.close()
        self._storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.retry.wait_s(state, exc.retry_after_s if isinstance(exc, TwentyApiError) else None)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.add("retries")
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, httpx.TransportError) and not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            self.stats.add("unanswered")  # sent, perhaps applied, no answer: not a refused connection

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                form: dict[str, str] | None = None, upload: tuple[str, Path, str, str] | None = None,
                paced: bool = True) -> dict:
        """One API call with pacing and retries on 429, 5xx, timeouts and dropped connections.

        `form` + `upload` (part name, file path, filename, MIME type) send a multipart body instead
        of JSON; the file is re-opened for each attempt, so a retry sends it whole again. `paced=False`
        for calls Twenty does not charge to the API throttle (the /metadata upload mutations; the
        /rest/metadata API is never paced either): they do not wait for, or spend, the records' requests
        (`stats.unpaced_requests` counts them).
        """
        retrying = Retrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._send, method, path, params, json, form, upload, paced)
        except TwentyApiError as exc:
            exc.attempts = int(retrying.statistics.get("attempt_number", 1))
            raise

    def _send(self, method: str, path: str, params: dict | None, body: Any,
              form: dict[str, str] | None = None, upload: tuple[str, Path, str, str] | None = None,
              paced: bool = True) -> dict:
        if paced and not path.startswith("/rest/metadata"):
            # the metadata API is not a record query runner: Twenty charges it no throttle token
            # (common-base-query-runner.service.ts is the only place that does); a 429 would still be obeyed
            self.stats.add("waited_s", self.limiter.acquire())
            self.stats.add("requests")
        else:
            self.stats.add("unpaced_requests")
        sent = time.monotonic()
        try:
            if upload is not None:
                part, file_path, filename, mime_type = upload
                with file_path.open("rb") as fh:
                    response = self._http.request(method, path, params=params, data=form,
                                                  files={part: (filename, fh, mime_type)})
            else:
                response = self._http.request(method, path, params=params, json=body)
        finally:
            self.stats.add("http_s", time.monotonic() - sent)
        data: Any = None
        if response.status_code >= 400:
            try:
                data = response.json()
            except ValueError:
                data = {}
            if not isinstance(data, dict):
                data = {}
        self.limiter.observe(response.status_code, response.headers, data)
        if response.status_code >= 400:
            if response.status_code == 429:
                self.stats.add("throttled")
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if data.get("errors"):
                raise _graphql_error(data, response.status_code, retry_after)
            messages = data.get("messages") or ([data["message"]] if "message" in data else [response.text[:200]])
            raise TwentyApiError(response.status_code, str(data.get("error", response.reason_phrase)),
                                 [str(m) for m in messages], retry_after)
        result = response.json() if response.content else {}
        if isinstance(result, dict) and result.get("errors"):  # GraphQL answers errors with 200
            raise _graphql_error(result, None, None)
        return result

