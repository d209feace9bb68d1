"""The one Twenty client every write goes through: auth, pacing, retries, paging, batches.

No Dagster here; the Dagster resource in defs/ only builds it from configuration. The API key comes
from the environment and is never logged; error summaries carry status and Twenty's error name only.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from core_practice_twenty.model.twenty import FLOW_BY_ID, FLOW_BY_UID, FLOW_DIRECT, FLOW_LEGACY, UPLOAD_LIMIT_BY_FLOW
from core_practice_twenty.settings import Settings
from core_practice_twenty.twenty import facts as server_facts
from core_practice_twenty.twenty.facts import ServerFacts
from core_practice_twenty.twenty.ratelimit import RateLimiter, parse_retry_after, workspace_limiter
from core_practice_twenty.twenty.retry import RetryPolicy, is_transient

DEFAULT_BATCH_CAP = 60
"""The batch cap every Twenty version accepts, used until the server's own is learned (`learn`)."""

UPLOAD_FLOW_CURRENT = FLOW_BY_ID  # the names older callers and tests use
UPLOAD_FLOW_LEGACY = FLOW_LEGACY


_UPLOAD_LIMIT_MESSAGE = re.compile(r"exceeds the (\d+) byte size limit")  # graphql-upload's maxFileSize wording

_GRAPHQL_CODE_STATUS = {"BAD_USER_INPUT": 400, "GRAPHQL_VALIDATION_FAILED": 400, "UNAUTHENTICATED": 401,
                        "FORBIDDEN": 403, "NOT_FOUND": 404, "PAYLOAD_TOO_LARGE": 413, "RATE_LIMITED": 429,
                        "INTERNAL_SERVER_ERROR": 500}

CURRENT_UPLOAD_MUTATION = (
    "mutation UploadFilesFieldFile($file: Upload!, $fieldMetadataId: String!) "
    "{ uploadFilesFieldFile(file: $file, fieldMetadataId: $fieldMetadataId) { id path size } }"
)
BY_UID_UPLOAD_MUTATION = (
    "mutation UploadFilesFieldFileByUniversalIdentifier($file: Upload!, $fieldMetadataUniversalIdentifier: String!) "
    "{ uploadFilesFieldFileByUniversalIdentifier(file: $file, fieldMetadataUniversalIdentifier: "
    "$fieldMetadataUniversalIdentifier) { id path size } }"
)
CREATE_UPLOAD_MUTATION = (
    "mutation CreateFileUpload($filename: String!, $size: Float!, $fieldMetadataId: String) "
    "{ createFileUpload(filename: $filename, size: $size, fileFolder: FilesField, fieldMetadataId: $fieldMetadataId) "
    "{ fileId uploadUrl contentType } }"
)
COMPLETE_UPLOAD_MUTATION = (
    "mutation CompleteFileUpload($fileId: String!) { completeFileUpload(fileId: $fileId) { id path size } }"
)
_DIRECT_LIMIT_MESSAGE = re.compile(r"\(max (\d+) bytes\)")  # createFileUpload's "Invalid file size … (max N bytes)"
LEGACY_UPLOAD_MUTATION = (
    "mutation UploadFile($file: Upload!, $fileFolder: FileFolder) "
    "{ uploadFile(file: $file, fileFolder: $fileFolder) }"
)
LEGACY_UPLOAD_MUTATION_WITH_TOKEN = (  # a later legacy release answers an object {path, token}
    "mutation UploadFile($file: Upload!, $fileFolder: FileFolder) "
    "{ uploadFile(file: $file, fileFolder: $fileFolder) { path } }"
)

PROBE_PAGE_SIZE = 100_000
"""A page size above any Twenty's QUERY_MAX_RECORDS (60, 200, 10 000), for `discover_batch_cap`."""

_CAP_MESSAGE = re.compile(
    r"Maximum number of records to \w+ is (\d+)"  # create/upsert many (common-create-many-query-runner)
    r"|Cannot \w+ more than (\d+) records at once"  # update/delete/destroy/restore many by filter
)


def server_batch_cap(exc: BaseException) -> int | None:
    """The cap a 400 "too many records" names, else None."""
    if not isinstance(exc, TwentyApiError) or exc.status != 400:
        return None
    for message in exc.messages:
        found = _CAP_MESSAGE.search(message)
        if found:
            return int(found.group(1) or found.group(2))
    return None


class TwentyConfigError(Exception):
    """Twenty's URL or API key is missing from the environment."""


class TwentyApiError(Exception):
    """Twenty answered with an error status. `messages` may quote record values: keep them out of logs."""

    def __init__(self, status: int, error: str, messages: list[str], retry_after_s: float | None = None) -> None:
        self.status = status
        self.error = error
        self.messages = messages
        self.retry_after_s = retry_after_s
        self.attempts = 1  # set by TwentyClient.request: >1 means an earlier attempt may have been applied
        super().__init__(f"Twenty API {status} {error}")

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def message(self) -> str:
        return "; ".join(self.messages)


class FileTooLargeError(Exception):
    """A file is larger than the server accepts for upload; nothing was sent. Carries sizes, not names."""

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes
        super().__init__(f"file of {size_bytes} bytes exceeds the server's upload limit of {limit_bytes} bytes")


def _graphql_error(body: dict, status: int | None, retry_after: float | None) -> TwentyApiError:
    """A GraphQL `{"errors": [...]}` answer as a TwentyApiError, status from the first error's code."""
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    code = str(((errors[0].get("extensions") or {}).get("code")) if errors else "GRAPHQL_ERROR")
    messages = [str(e.get("message", "")) for e in errors]
    return TwentyApiError(status or _GRAPHQL_CODE_STATUS.get(code, 400), code, messages, retry_after)


def _upload_limit_from(exc: TwentyApiError) -> int | None:
    if exc.status != 413 and exc.error != "PAYLOAD_TOO_LARGE":
        return None
    for message in exc.messages:
        found = _UPLOAD_LIMIT_MESSAGE.search(message)
        if found:
            return int(found.group(1))
    return None


def _is_not_found(exc: TwentyApiError) -> bool:
    """404, or the 400 "Record not found" some older servers answered for an unknown id (§4)."""
    return exc.status == 404 or (exc.status == 400 and any("Record not found" in m for m in exc.messages))


def _only_value(body: dict) -> Any:
    """The one value under `data` (`person`, `updatePerson`, `deletePeople`, …: names vary by object)."""
    data = body.get("data") or {}
    if len(data) != 1:
        raise TwentyApiError(200, "UnexpectedResponse", [f"expected one key under data, got {len(data)}"])
    return next(iter(data.values()))


def _quoted_list(values: list[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


def _with_deleted_filter(filter: str | None, *, with_deleted: bool, only_deleted: bool) -> str | None:
    if only_deleted:
        extra = "deletedAt[is]:NOT_NULL"
    elif with_deleted:
        extra = "or(deletedAt[is]:NULL,deletedAt[is]:NOT_NULL)"
    else:
        return filter
    return f"{filter},{extra}" if filter else extra


_TLS: list[ssl.SSLContext] = []


def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: httpx builds a new one (30-50 ms: the CA bundle is read) for
    every client otherwise, and a wave makes a client per step."""
    if not _TLS:
        _TLS.append(httpx.create_ssl_context())  # what httpx itself would build (certifi, SSL_CERT_FILE …)
    return _TLS[0]


_LEARNED: dict[tuple[str, str], ServerFacts] = {}
"""What each workspace (URL, key hash) offers, learned once per process (`TwentyClient.learn`)."""


def forget_learned() -> None:
    """Ask every workspace again (a test that replaces the server behind a URL)."""
    _LEARNED.clear()


@dataclass
class RequestStats:
    """What this client spent: HTTP requests sent, 429s received, retries, seconds held by the limiter."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_s: float = 0.0
    batch_cap_lowered: int = 0
    unpaced_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)



class TwentyClient:
    """A Twenty workspace over REST, as an API key sees it."""

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
    def from_settings(cls, settings: Settings, **kwargs: Any) -> TwentyClient:
        """The workspace the settings name (TWENTY_API_URL, TWENTY_API_KEY), paced and capped as they say."""
        return cls(settings.twenty_api_url, settings.twenty_api_key, settings=settings, **kwargs)

    def close(self) -> None:
        self._http.close()
        self._storage.close()

    def __enter__(self) -> TwentyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.retry.wait_s(state, exc.retry_after_s if isinstance(exc, TwentyApiError) else None)

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.add("retries")

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
        if upload is not None:
            part, file_path, filename, mime_type = upload
            with file_path.open("rb") as fh:
                response = self._http.request(method, path, params=params, data=form,
                                              files={part: (filename, fh, mime_type)})
        else:
            response = self._http.request(method, path, params=params, json=body)
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

    # -- records ---------------------------------------------------------------------------------

    def find_many(self, plural: str, *, filter: str | None = None, order_by: str | None = None,
                  page_size: int | None = None, with_deleted: bool = False,
                  only_deleted: bool = False) -> Iterator[dict]:
        """Every record matching `filter`, following `pageInfo.endCursor` until the last page.

        Twenty hides soft-deleted rows unless the filter itself mentions `deletedAt`, so
        `only_deleted` adds `deletedAt[is]:NOT_NULL` and `with_deleted` adds a `deletedAt` condition
        that is always true (live and soft-deleted rows both come back). Rollback and reconciliation
        need those rows: a soft-deleted record still holds its unique values.
        """
        params: dict[str, Any] = {"limit": page_size or self.batch_cap}
        combined = _with_deleted_filter(filter, with_deleted=with_deleted, only_deleted=only_deleted)
        if combined:
            params["filter"] = combined
        if order_by:
            params["order_by"] = order_by
        while True:
            body = self.request("GET", f"/rest/{plural}", params=params)
            yield from body["data"][plural]
            page = body.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            params["starting_after"] = page["endCursor"]

    def find_one(self, plural: str, record_id: str) -> dict | None:
        """The record with this id, or None when Twenty answers "Record not found".

        Newer servers answer 404; some older ones 400 with the same message. Soft-deleted records
        are not found (as in Twenty); list them with `find_many(..., only_deleted=True)`.
        """
        try:
            body = self.request("GET", f"/rest/{plural}/{record_id}")
        except TwentyApiError as exc:
            if _is_not_found(exc):
                return None
            raise
        return _only_value(body)

    def update_one(self, plural: str, record_id: str, data: dict) -> dict:
        """Partial update (PATCH): fields not in `data` keep their values. Returns the record."""
        return _only_value(self.request("PATCH", f"/rest/{plural}/{record_id}", json=data))

    def destroy_one(self, plural: str, record_id: str) -> bool:
        """Hard-delete one record (soft-deleted or not); False if it was already gone.

        DELETE without `soft_delete=true` destroys in Twenty. A retried DELETE whose first answer
        was lost finds nothing and returns False although this client destroyed it: either way the
        record is gone.
        """
        try:
            self.request("DELETE", f"/rest/{plural}/{record_id}")
        except TwentyApiError as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    def destroy_many(self, plural: str, ids: list[str]) -> int:
        """Hard-delete records by id, `batch_cap` ids per request; returns how many Twenty destroyed.

        Twenty refuses (and destroys nothing) when a filter matches more than its cap, hence the
        chunks. Ids already gone are not counted.
        """
        destroyed = 0
        start = 0
        while start < len(ids):
            chunk = ids[start:start + self.batch_cap]
            try:
                body = self.request("DELETE", f"/rest/{plural}", params={"filter": f"id[in]:{_quoted_list(chunk)}"})
            except TwentyApiError as exc:
                if self._lower_cap_from(exc, len(chunk)):
                    continue  # nothing was destroyed: Twenty checks the count first
                raise
            destroyed += len(_only_value(body) or [])
            start += len(chunk)
        return destroyed

    def restore_one(self, plural: str, record_id: str) -> dict:
        """Bring back a soft-deleted record with all its fields (PATCH /{plural}/{id}/restore)."""
        return _only_value(self.request("PATCH", f"/rest/{plural}/{record_id}/restore"))

    def count(self, plural: str, *, filter: str | None = None) -> int:
        """Twenty's totalCount for a filter (one request)."""
        params: dict[str, Any] = {"limit": 1}
        if filter:
            params["filter"] = filter
        return int(self.request("GET", f"/rest/{plural}", params=params)["totalCount"])

    def create_many(self, plural: str, records: list[dict], *, upsert: bool = False) -> list[dict]:
        """Create (or upsert) `records`: one result per input record, in input order.

        Sent `batch_cap` records per request. When Twenty refuses a batch as above its cap
        (`Maximum number of records to upsert is N.`, common-create-many-query-runner.service.ts;
        nothing of that batch is written), `batch_cap` drops to N and the same records are re-split,
        so callers never see it. Batches are atomic one by one, not together: if a later batch fails,
        the earlier ones are in Twenty; with `upsert=True` sending everything again is harmless.
        """
        results: list[dict] = []
        params = {"upsert": "true"} if upsert else None
        start = 0
        while start < len(records):
            chunk = records[start:start + self.batch_cap]
            try:
                body = self.request("POST", f"/rest/batch/{plural}", params=params, json=chunk)
            except TwentyApiError as exc:
                if self._lower_cap_from(exc, len(chunk)):
                    continue
                raise
            results.extend(_only_value(body))
            start += len(chunk)
        return results

    def _lower_cap_from(self, exc: TwentyApiError, sent: int) -> bool:
        """If `exc` is Twenty's "batch above my cap" 400, adopt its cap and say so."""
        cap = server_batch_cap(exc)
        if cap is None or cap >= sent or cap < 1:
            return False
        self.batch_cap = cap
        self.stats.add("batch_cap_lowered")
        return True

    def discover_batch_cap(self, plural: str, *, adopt: bool = True) -> int | None:
        """The server's cap read from one list request, if the object holds more records than it.

        Twenty silently clamps `limit` to its `QUERY_MAX_RECORDS` (the same constant as the batch
        cap; parse-limit-rest-request.util.ts), so asking for far more than any cap and getting a
        full, shorter page with `hasNextPage` reveals it. Read-only; None when the object has too
        few records to tell. With `adopt`, `batch_cap` becomes that value (up or down).
        """
        body = self.request("GET", f"/rest/{plural}", params={"limit": PROBE_PAGE_SIZE})
        page = body["data"][plural]
        if not (body.get("pageInfo") or {}).get("hasNextPage") or not page or len(page) >= PROBE_PAGE_SIZE:
            return None
        if adopt:
            self.batch_cap = len(page)
        return len(page)

    # -- what this server can do --------------------------------------------------------------

    def learn(self) -> ServerFacts:
        """Ask this Twenty what it offers (twenty/facts.py): upload flow, batch cap; adopt both. Once per client.

        The batch cap becomes the server's (a TWENTY_BATCH_CAP or `batch_cap` given to the client is a
        ceiling that still wins). Nothing is written; at most two requests draw on the throttle."""
        if self.facts is not None:
            return self.facts
        cached = _LEARNED.get(self._workspace_key)
        if cached is not None:  # one process asks once per workspace: every step's client adopts the answer
            self.facts = ServerFacts(**{**cached.__dict__, "limiter": self.limiter.kind_seen})
            self._upload_flow = cached.upload_flow
            if cached.batch_cap is not None:
                self.batch_cap = min(cached.batch_cap, self.cap_ceiling) if self.cap_ceiling else cached.batch_cap
            return self.facts
        flow = self.upload_flow()
        cap, source = self._probe_batch_cap()
        if cap is not None:
            self.batch_cap = min(cap, self.cap_ceiling) if self.cap_ceiling else cap
            if self.cap_ceiling and self.cap_ceiling < cap:
                source += f"; TWENTY_BATCH_CAP {self.cap_ceiling} used"
        task_target = next((o for o in self._objects() if o.get("nameSingular") == "taskTarget"), {})
        morph = any(f.get("name") == "targetPerson" for f in task_target.get("fields") or [])
        self.facts = ServerFacts(flow, cap, source, self.limiter.kind_seen, self._file_field_id,
                                 self._file_field_uid, morph)
        _LEARNED[self._workspace_key] = self.facts
        return self.facts

    def _probe_batch_cap(self) -> tuple[int | None, str]:
        for size in server_facts.CAP_PROBES:
            try:
                self.request("POST", "/rest/batch/people", json=server_facts.cap_probe_body(size))
            except TwentyApiError as exc:
                if exc.status in (401, 403):
                    raise  # the key may not write records: nothing the migration does would work
                cap = server_batch_cap(exc)
                if cap is not None:
                    return cap, "learned from Twenty"
                if exc.status == 400 and any("duplicate" in m.lower() for m in exc.messages):
                    continue  # above this size: try the next
                return None, f"not learned (Twenty answered {exc.status}); {self.batch_cap} used"
            else:  # a server that wrote a batch of one id: it cannot happen on any Twenty we know
                return None, "not learned (the probe was accepted); " + str(self.batch_cap) + " used"
        return server_facts.CAP_PROBES[-1] - 1, "learned from Twenty (at least)"

    # -- files -----------------------------------------------------------------------------------

    def _objects(self) -> list[dict]:
        if getattr(self, "_objects_cache", None) is None:
            self._objects_cache = self.list_objects()
        return self._objects_cache

    def upload_flow(self) -> str:
        """How this server takes a file (twenty/facts.py): `direct`, `by-id`, `by-uid` or `legacy`.

        `legacy` when the attachment object has no FILES field `file` (before Files v2, PR #17707);
        otherwise the best mutation /metadata's GraphQL validation does not call missing. Asked once."""
        if self._upload_flow is None:
            if not self._find_file_field():
                self._upload_flow = FLOW_LEGACY
            else:
                try:
                    self.request("POST", "/metadata", json={"query": server_facts.PROBE_QUERY}, paced=False)
                    errors: list[str] = []
                except TwentyApiError as exc:
                    errors = exc.messages
                self._upload_flow = server_facts.flow_from_probe(errors) or FLOW_BY_ID
        return self._upload_flow

    def _find_file_field(self) -> bool:
        """The attachment's FILES field `file` (Files v2): its id and universal identifier; False if none."""
        attachment = next((o for o in self._objects() if o.get("nameSingular") == "attachment"), {})
        field = next((f for f in attachment.get("fields") or []
                      if f.get("name") == "file" and f.get("type") == "FILES"), None)
        if field is None:
            return False
        self._file_field_id, self._file_field_uid = field["id"], field.get("universalIdentifier")
        return True

    def upload_limit(self) -> int:
        """Largest file (bytes) this client will send: configured, learned from a 413, or the flow's default."""
        return self.max_upload_bytes or UPLOAD_LIMIT_BY_FLOW[self.upload_flow()]

    def upload_file(self, path: Path, *, filename: str, mime_type: str,
                    field_metadata_id: str | None = None) -> dict:
        """Upload one file the way this server does; returns the attachment fields that reference it.

        `{"file": [{"fileId", "label"}]}` on Files v2 servers (the file stays temporary until a record
        references it), `{"fullPath": path}` on older ones. The direct flow (createFileUpload, PUT of the
        bytes to the URL it gives — presigned storage or Twenty's own /file-upload, with no API key —
        then completeFileUpload) and the /metadata mutations are not charged to the API throttle, so they
        are not paced. A file over the limit raises FileTooLargeError before anything is sent. A retried
        upload whose answer was lost leaves an unreferenced temporary file behind, never a second attachment.
        """
        flow = self.upload_flow()
        if field_metadata_id and flow == FLOW_LEGACY:
            flow = FLOW_BY_ID
        size = path.stat().st_size
        limit = self.max_upload_bytes or UPLOAD_LIMIT_BY_FLOW[flow]
        if size > limit:
            raise FileTooLargeError(size, limit)
        if flow != FLOW_LEGACY and not field_metadata_id and self._file_field_id is None:
            self._find_file_field()
        field_id = field_metadata_id or self._file_field_id
        if flow == FLOW_DIRECT:
            return {"file": [{"fileId": self._upload_direct(path, filename, size, field_id), "label": filename}]}
        if flow in (FLOW_BY_ID, FLOW_BY_UID):
            by_uid = flow == FLOW_BY_UID and not field_metadata_id
            query = BY_UID_UPLOAD_MUTATION if by_uid else CURRENT_UPLOAD_MUTATION
            variables = ({"file": None, "fieldMetadataUniversalIdentifier": self._file_field_uid} if by_uid
                         else {"file": None, "fieldMetadataId": field_id})
            data = self._upload_graphql("/metadata", query, variables, path, filename, mime_type, paced=False)
            return {"file": [{"fileId": next(iter(data.values()))["id"], "label": filename}]}
        variables = {"file": None, "fileFolder": "Attachment"}
        try:
            data = self._upload_graphql("/graphql", LEGACY_UPLOAD_MUTATION, variables, path, filename, mime_type)
        except TwentyApiError as exc:
            if "selection of subfields" not in exc.message:
                raise
            data = self._upload_graphql("/graphql", LEGACY_UPLOAD_MUTATION_WITH_TOKEN, variables, path, filename,
                                        mime_type)
        stored = data["uploadFile"]
        return {"fullPath": stored["path"] if isinstance(stored, dict) else stored}

    def _upload_direct(self, path: Path, filename: str, size: int, field_id: str | None) -> str:
        """createFileUpload → PUT → completeFileUpload (file-upload.resolver.ts, file-upload.controller.ts)."""
        try:
            variables = {"filename": filename, "size": size, "fieldMetadataId": field_id}
            answer = self.request("POST", "/metadata", paced=False,
                                  json={"query": CREATE_UPLOAD_MUTATION, "variables": variables})
            slot = answer["data"]["createFileUpload"]
        except TwentyApiError as exc:
            found = next((m for m in map(_DIRECT_LIMIT_MESSAGE.search, exc.messages) if m), None)
            if found is not None:
                self.max_upload_bytes = int(found.group(1))
                raise FileTooLargeError(size, self.max_upload_bytes) from None
            raise
        retrying = Retrying(retry=retry_if_exception(is_transient), stop=stop_after_attempt(self.retry.attempts),
                            wait=self._wait, before_sleep=self._before_sleep, reraise=True)
        retrying(self._put_bytes, slot["uploadUrl"], path, slot.get("contentType") or "application/octet-stream")
        try:
            done = self.request("POST", "/metadata", paced=False, json={
                "query": COMPLETE_UPLOAD_MUTATION, "variables": {"fileId": slot["fileId"]}})
        except TwentyApiError as exc:
            if exc.attempts > 1 and exc.status == 400:
                # the first attempt completed it and its answer was lost; the completed file keeps the id (if it
                # did not, Twenty refuses the attachment that names it: a reject with its reason, nothing lost)
                return slot["fileId"]
            raise
        return done["data"]["completeFileUpload"]["id"]

    def _put_bytes(self, url: str, path: Path, content_type: str) -> None:
        """The bytes to an upload URL: its token is the credential, so the API key is never sent there.
        A PUT the server already took (its answer lost) is refused as already uploaded: that is success."""
        self.stats.add("unpaced_requests")
        with path.open("rb") as fh:
            response = self._storage.put(url, content=fh.read(), headers={"Content-Type": content_type})
        if response.status_code < 300:
            return
        try:
            data = response.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        messages = data.get("messages") or ([data["message"]] if "message" in data else [response.text[:200]])
        if response.status_code == 400 and any("already been uploaded" in str(m) for m in messages):
            return
        raise TwentyApiError(response.status_code, str(data.get("error", response.reason_phrase)),
                             [str(m) for m in messages], parse_retry_after(response.headers.get("Retry-After")))

    def _upload_graphql(self, endpoint: str, query: str, variables: dict, path: Path, filename: str,
                        mime_type: str, *, paced: bool = True) -> dict:
        """The graphql-multipart-request layout Twenty's own tests send: operations, map, then part 0."""
        form = {"operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps({"0": ["variables.file"]})}
        try:
            body = self.request("POST", endpoint, form=form, upload=("0", path, filename, mime_type), paced=paced)
        except TwentyApiError as exc:
            limit = _upload_limit_from(exc)
            if limit is not None:
                self.max_upload_bytes = limit
                raise FileTooLargeError(path.stat().st_size, limit) from None
            raise
        return body["data"]

    # -- metadata --------------------------------------------------------------------------------

    def list_objects(self) -> list[dict]:
        """Every object of the workspace with its fields (both metadata envelopes Twenty uses)."""
        objects: list[dict] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            body = self.request("GET", "/rest/metadata/objects", params=params)
            data = body.get("data")
            page = data["objects"] if isinstance(data, dict) else data
            objects.extend(page)
            info = body.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return objects
            params["starting_after"] = info["endCursor"]

    def create_object(self, object_input: dict) -> dict:
        """Create a custom object; a retry refused because the first attempt already created it returns it.

        Metadata creates are not idempotent: when the answer to a create is lost (connection reset after
        Twenty committed), the retry gets `The name "x" is not available`. The object then exists, made
        by this very call, so it is returned instead of failing the schema step.
        """
        try:
            body = self.request("POST", "/rest/metadata/objects", json=object_input)
        except TwentyApiError as exc:
            if exc.status == 400 and exc.attempts > 1:
                found = next((o for o in self.list_objects()
                              if o.get("nameSingular") == object_input.get("nameSingular")), None)
                if found is not None:
                    return found
            raise
        data = body.get("data", body)
        return data.get("createOneObject", data) if isinstance(data, dict) else data

    def update_field(self, field_id: str, changes: dict) -> dict:
        body = self.request("PATCH", f"/rest/metadata/fields/{field_id}", json=changes)
        data = body.get("data", body)
        return data.get("updateOneField", data) if isinstance(data, dict) else data

    def create_field(self, field_input: dict) -> dict:
        """Create a field; like `create_object`, a retry refused because its lost first attempt created the
        field (`Name "x" is not available`) returns the field Twenty now holds."""
        try:
            body = self.request("POST", "/rest/metadata/fields", json=field_input)
        except TwentyApiError as exc:
            if exc.status == 400 and exc.attempts > 1:
                holder = next((o for o in self.list_objects() if o.get("id") == field_input.get("objectMetadataId")),
                              {})
                found = next((f for f in holder.get("fields") or [] if f.get("name") == field_input.get("name")),
                             None)
                if found is not None:
                    return found
            raise
        data = body.get("data", body)
        return data.get("createOneField", data) if isinstance(data, dict) else data
