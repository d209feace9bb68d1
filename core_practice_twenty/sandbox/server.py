"""HTTP front of the sandbox: routing, auth, rate limiting, faults, envelopes; stdlib ``ThreadingHTTPServer``.

Routes mirror Twenty's REST controller (twenty-api.md §2;
packages/twenty-server/src/engine/api/rest/core/controllers/rest-api-core.controller.ts), the metadata
REST endpoints (§10) and the two file-upload mutations (§11, :mod:`files`). Auth mirrors
rest-api-core-authentication.integration-spec.ts; throttling mirrors the common query runner, which
charges one token per record operation whatever its batch size (:mod:`ratelimit`). Sandbox-only
controls live under ``/_sandbox/`` (faults, rate limits, reset) and need the same API key.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core_practice_twenty.sandbox import metadata
from core_practice_twenty.sandbox.config import FaultConfig, RateLimitConfig, SandboxConfig
from core_practice_twenty.sandbox.db import Database
from core_practice_twenty.sandbox.errors import (
    ApiError,
    bad_request,
    forbidden_missing_token,
    not_found,
    unauthenticated,
)
from core_practice_twenty.sandbox.faults import FaultInjector, proxy_error_page
from core_practice_twenty.sandbox.files import FileService, GraphqlError
from core_practice_twenty.sandbox.query import parse_depth, parse_limit
from core_practice_twenty.sandbox.ratelimit import RateLimiter, Refusal, render_429
from core_practice_twenty.sandbox.records import RecordEngine, _cap
from core_practice_twenty.sandbox.versions import NAMING_VERSION, TwentyVersion, version

log = logging.getLogger(__name__)

Response = tuple[int, dict[str, Any]]
UPLOAD_SLACK_BYTES = 1024 * 1024  # multipart framing around the file itself
JSON_BODY_MAX_BYTES = 64 * 1024 * 1024


RecordHandler = Callable[[Any, str | None, dict[str, str], Any], Response]
MetadataHandler = Callable[[str | None, dict[str, str], Any], Response]


def _record_route_shape(method: str, rest: list[str]) -> str | None:
    """Which record route a /rest path names: batch, collection, restore_many, one, restore_one (None: no route).
    `/rest/people/restore` is a restore only when PATCHed; otherwise "restore" is read as a record id."""
    if rest[:1] == ["batch"]:
        return "batch" if len(rest) == 2 else None
    if len(rest) == 1:
        return "collection"
    if len(rest) == 2:
        return "restore_many" if rest[1] == "restore" and method == "PATCH" else "one"
    if len(rest) == 3 and rest[2] == "restore":
        return "restore_one"
    return None


@dataclass
class Reply:
    """One HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers or {})


class SandboxApp:
    """Request dispatch, independent of the socket layer (so it is easy to reason about)."""

    def __init__(self, config: SandboxConfig, db: Database, played: TwentyVersion) -> None:
        self.config = config
        self.db = db
        self.played = played
        self.profile = played.naming
        self.batch_cap = config.cap_for(played)
        self.engine = RecordEngine(db, self.batch_cap, config.default_page_size)
        self.limiter = RateLimiter(config.rate_limit, config.rate_limiter)
        self.faults = FaultInjector(config.faults)
        self.files = FileService(db, config.api_key, played, config.upload_limit_for(played))
        self._token = config.api_key.encode()

    # -- classification -------------------------------------------------------------------------
    @staticmethod
    def kind(path: str) -> str:
        """``health`` / ``control`` / ``api`` (faults apply) / ``files`` / ``other``."""
        if path == "/healthz":
            return "health"
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            return "control"
        if path.startswith("/rest/") or path == "/rest" or path in ("/graphql", "/metadata"):
            return "api"
        if path.startswith("/files-field/") or path.startswith("/files/"):
            return "files"
        if path.startswith("/file-upload/"):
            return "upload"
        return "other"

    def max_body(self, path: str) -> int:
        """Largest body read before answering 413 (uploads are bounded by the upload limit)."""
        if path in ("/graphql", "/metadata") or path.startswith("/file-upload/"):
            return self.files.max_bytes + UPLOAD_SLACK_BYTES
        return JSON_BODY_MAX_BYTES

    # -- auth -----------------------------------------------------------------------------------
    def _authenticate(self, header: str | None) -> None:
        if not header or not header.strip():
            raise forbidden_missing_token()
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise forbidden_missing_token() if not token.strip() else unauthenticated()
        if not hmac.compare_digest(token.strip().encode(), self._token):
            raise unauthenticated()

    def _throttle(self) -> None:
        refusal = self.limiter.try_consume()
        if refusal is not None:
            body, headers = render_429(self.limiter.kind, refusal)
            raise ApiError.from_body(body, headers)

    def throttled_reply(self, retry_after_s: int) -> Reply:
        """A 429 as the workspace's Twenty generation words it (used by the 429-burst fault)."""
        limit = self.limiter.config
        refusal = Refusal(limit.long_limit, limit.long_window_ms, retry_after_s * 1000)
        body, headers = render_429(self.limiter.kind, refusal)
        if headers:
            headers["Retry-After"] = str(retry_after_s)
        return Reply.json(429, body, headers)

    # -- entry point ----------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any, body: bytes, base_url: str) -> Reply:
        """Answer one request; errors become Twenty's error bodies."""
        try:
            return self._route(method, target, headers, body, base_url)
        except ApiError as error:
            return Reply.json(error.status, error.body(), error.headers)
        except GraphqlError as error:
            return Reply.json(error.status, error.body())

    def _route(self, method: str, target: str, headers: Any, body: bytes, base_url: str) -> Reply:
        url = urlsplit(target)
        kind = self.kind(url.path)
        if kind == "health" and method == "GET":
            return Reply.json(200, {"status": "ok"})
        if kind == "control" and self.config.control:
            self._authenticate(headers.get("Authorization"))
            return self._control(method, url.path, body)
        if kind == "files" and method == "GET":
            return self._download(url.path, parse_qs(url.query).get("token", [None])[0], headers)
        if kind == "upload" and method == "PUT" and self.played.direct_upload:
            # the presigned-less upload URL: its own token, no API key, no throttle (file-upload.controller.ts)
            self.files.receive(url.path.removeprefix("/file-upload/"), parse_qs(url.query).get("token", [None])[0],
                               body)
            return Reply(204, b"", "")
        if url.path in ("/graphql", "/metadata"):
            return self._graphql(method, url.path, headers, body, base_url)
        status, payload = self.dispatch(method, target, headers.get("Authorization"), body)
        return Reply.json(status, payload)

    # -- REST -----------------------------------------------------------------------------------
    def dispatch(self, method: str, target: str, authorization: str | None, body: bytes) -> Response:
        """REST routes: auth, throttle, then the record engine or the metadata endpoints."""
        url = urlsplit(target)
        segments = [unquote(s) for s in url.path.split("/") if s]
        if method == "GET" and segments == ["healthz"]:
            return 200, {"status": "ok"}
        if not segments or segments[0] != "rest":
            raise not_found(f"Cannot {method} {url.path}")
        self._authenticate(authorization)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if method == "PUT":
            method = "PATCH"  # undocumented legacy alias (§2)
        if self.db.closed:
            raise ApiError(503, "ServiceUnavailableException", "Sandbox is shutting down")
        rest = segments[1:]
        if rest[:1] == ["metadata"]:
            payload = self._parse_body(body) if method in ("POST", "PATCH") else None
            return self._metadata(method, rest[1:], params, payload)
        # Record operations run through Twenty's common query runner, which charges the workspace
        # bucket one token per operation (common-base-query-runner.service.ts). The REST handler parses
        # the request's arguments first (rest-api-find-many.handler.ts: parseRequestArgs, then execute),
        # so a malformed `limit` or `depth` is refused without a token.
        if method == "GET":
            parse_limit(params.get("limit"), self.config.default_page_size, self.batch_cap)
        parse_depth(params.get("depth"))
        self._throttle()
        payload = self._parse_body(body) if method in ("POST", "PATCH") else None
        shape = _record_route_shape(method, rest)
        handler = self.record_routes.get((method, shape)) if shape else None
        if handler is None:
            raise not_found(f"Cannot {method} {url.path}")
        obj = metadata.resolve_object(self.db, rest[1] if shape == "batch" else rest[0])
        record_id = rest[1] if shape in ("one", "restore_one") else None
        return handler(obj, record_id, params, payload)

    # The routes of /rest/<object>…, by (method, shape of the path): Twenty's REST controllers
    # (rest-api-core.controller.ts, rest-api-batch.controller.ts) as one table.
    @property
    def record_routes(self) -> dict[tuple[str, str], RecordHandler]:
        engine = self.engine
        return {
            ("POST", "batch"): self._create_batch,
            ("GET", "collection"): lambda obj, _id, params, _payload: (200, engine.find_many(obj, params)),
            ("POST", "collection"): self._create_one,
            ("PATCH", "collection"): lambda obj, _id, params, payload: (200, engine.update_many(obj, params, payload)),
            ("DELETE", "collection"): lambda obj, _id, params, _payload: (
                200, engine.delete_many(obj, params, soft=params.get("soft_delete") == "true")),
            ("PATCH", "restore_many"): lambda obj, _id, params, _payload: (200, engine.restore_many(obj, params)),
            ("GET", "one"): lambda obj, rid, params, _payload: (200, engine.find_one(obj, rid, params)),
            ("PATCH", "one"): lambda obj, rid, params, payload: (200, engine.update_one(obj, rid, payload, params)),
            ("DELETE", "one"): lambda obj, rid, params, _payload: (
                200, engine.delete_one(obj, rid, soft=params.get("soft_delete") == "true")),
            ("PATCH", "restore_one"): lambda obj, rid, _params, _payload: (200, engine.restore_one(obj, rid)),
        }

    def _create_batch(self, obj: Any, _id: str | None, params: dict[str, str], payload: Any) -> Response:
        records = self.engine.create_many(obj, payload, upsert=params.get("upsert") == "true",
                                          depth=parse_depth(params.get("depth")))
        return 201, {"data": {f"create{_cap(obj.plural)}": records}}

    def _create_one(self, obj: Any, _id: str | None, params: dict[str, str], payload: Any) -> Response:
        self.engine.check_writable(obj)
        if not isinstance(payload, dict):
            raise bad_request("Body must be an object")
        records = self.engine.create_many(obj, [payload], upsert=params.get("upsert") == "true",
                                          depth=parse_depth(params.get("depth")))
        return 201, {"data": {f"create{_cap(obj.singular)}": records[0]}}

    def _metadata(self, method: str, rest: list[str], params: dict[str, str], payload: Any) -> Response:
        if not rest or rest[0] not in ("objects", "fields") or len(rest) > 2:
            raise not_found(f"Cannot {method} /rest/metadata/{'/'.join(rest)}")
        kind = rest[0]
        item_id = rest[1] if len(rest) == 2 else None
        handler = self.metadata_routes.get((method, kind, item_id is not None))
        if handler is None:
            raise not_found(f"Cannot {method} /rest/metadata/{'/'.join(rest)}")
        if item_id is not None:
            metadata.check_metadata_id(item_id)
        with self.db.lock:
            return handler(item_id, params, payload)

    # /rest/metadata/objects|fields[/id], by (method, kind, with an id): the metadata REST controllers.
    @property
    def metadata_routes(self) -> dict[tuple[str, str, bool], MetadataHandler]:
        db, rebuild = self.db, self.engine.rebuild_unique
        return {
            ("GET", "objects", False): lambda _id, params, _p: (200, metadata.list_objects(db, params)),
            ("GET", "fields", False): lambda _id, params, _p: (200, metadata.list_fields(db, params)),
            ("POST", "objects", False): lambda _id, _params, payload: (201, metadata.create_object(db, payload)),
            ("POST", "fields", False): lambda _id, _params, payload: (201, metadata.create_field(db, payload)),
            ("GET", "objects", True): lambda item, _params, _p: (200, metadata.get_object(db, item)),
            ("GET", "fields", True): lambda item, _params, _p: (200, metadata.get_field(db, item)),
            ("PATCH", "objects", True): lambda item, _params, payload: (200, metadata.update_object(db, item, payload)),
            ("PATCH", "fields", True): lambda item, _params, payload: (
                200, metadata.update_field(db, item, payload, rebuild)),
            ("DELETE", "objects", True): lambda item, _params, _p: (200, metadata.delete_object(db, item)),
            ("DELETE", "fields", True): lambda item, _params, _p: (200, metadata.delete_field(db, item)),
        }

    @staticmethod
    def _parse_body(body: bytes) -> Any:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Request body is not valid JSON") from None

    # -- GraphQL uploads and downloads ----------------------------------------------------------
    def _graphql(self, method: str, path: str, headers: Any, body: bytes, base_url: str) -> Reply:
        if method != "POST":
            raise not_found(f"Cannot {method} {path}")
        try:
            self._authenticate(headers.get("Authorization"))
        except ApiError as error:
            raise GraphqlError(error.message, "UNAUTHENTICATED") from None
        content_type = headers.get("Content-Type") or ""
        if not content_type.lower().startswith("multipart/form-data"):
            return Reply.json(200, self.files.operation(path, body, base_url))
        return Reply.json(200, self.files.upload(path, content_type, body, base_url))

    def _download(self, path: str, token: str | None, headers: Any) -> Reply:
        if path.startswith("/files-field/"):
            key = path.removeprefix("/files-field/")
            found = self.files.download(file_id=key)
        else:
            key = unquote(path.removeprefix("/files/"))
            found = self.files.download(path=key)
        if not self.files.token_ok(key, token):
            self._authenticate(headers.get("Authorization"))
        if found is None:
            raise not_found("File not found")
        mime, data = found
        return Reply(200, data, mime)

    # -- sandbox-only controls ------------------------------------------------------------------
    def _control(self, method: str, path: str, body: bytes) -> Reply:
        """``/_sandbox/faults``, ``/_sandbox/rate-limit``, ``/_sandbox/reset``, ``/_sandbox/info``."""
        name = path.removeprefix("/_sandbox/")
        handler = self.control_routes.get((method, name))
        if handler is None:
            raise not_found(f"Cannot {method} {path}")
        try:
            return Reply.json(200, handler(self._parse_body(body) if method == "POST" else None))
        except (ValueError, TypeError) as exc:
            raise bad_request(str(exc)) from None

    @property
    def control_routes(self) -> dict[tuple[str, str], Callable[[Any], Any]]:
        def faults(payload: Any) -> Any:
            self.faults.configure(FaultConfig.from_dict(payload or {}))
            return self.faults.snapshot()

        def rate_limit(payload: Any) -> Any:
            self.limiter.configure(RateLimitConfig.from_dict(payload or {}))
            return self._rate_limit_snapshot()

        def reset(_payload: Any) -> Any:
            self.reset()
            return {"status": "reset"}

        return {
            ("GET", "faults"): lambda _payload: self.faults.snapshot(),
            ("POST", "faults"): faults,
            ("GET", "rate-limit"): lambda _payload: self._rate_limit_snapshot(),
            ("POST", "rate-limit"): rate_limit,
            ("POST", "reset"): reset,
            ("GET", "info"): lambda _payload: self.info(),
        }

    def _rate_limit_snapshot(self) -> dict[str, Any]:
        config = self.limiter.config
        return {
            "rateLimit": {k: getattr(config, k) for k in RateLimitConfig.__dataclass_fields__},
            "throttled": self.limiter.throttled,
        }

    def info(self) -> dict[str, Any]:
        """What this sandbox plays: profile, batch cap, page size, upload limit."""
        return {
            "profile": self.profile,
            "twentyVersion": self.played.version,
            "rateLimiter": self.limiter.kind,
            "uploadMutations": list(self.played.upload_mutations),
            "batchCap": self.batch_cap,
            "defaultPageSize": self.config.default_page_size,
            "maxUploadBytes": self.files.max_bytes,
        }

    def reset(self) -> None:
        """Back to a freshly seeded workspace: records, custom metadata and files gone, members re-seeded,
        rate-limit buckets full. Fault settings are kept (they are test conditions, not workspace state)."""
        with self.db.lock:
            self.db.wipe()
            metadata.seed_if_empty(self.db, self.played)
            self.db.reload_metadata()
            seed_members(self.engine, self.db, self.config.workspace_members)
        self.limiter.configure(self.limiter.config)


def seed_members(engine: RecordEngine, db: Database, members: list[dict[str, Any]]) -> None:
    """Create or refresh the configured workspace members (matched by e-mail), like invited users."""
    if not members:
        return
    obj = db.objects_by_singular["workspaceMember"]
    rows = []
    with db.lock:
        for member in members:
            email = member["email"].strip().lower()
            existing = db.conn.execute(
                f"SELECT id FROM records WHERE object_id = '{obj.id}' AND json_extract(data, '$.userEmail') = ?",
                (email,),
            ).fetchone()
            row: dict[str, Any] = {
                "userEmail": email,
                "name": {"firstName": member.get("firstName", ""), "lastName": member.get("lastName", "")},
            }
            for key in ("id", "locale", "timeZone", "colorScheme", "userId"):
                if member.get(key) is not None:
                    row[key] = member[key]
            if existing is not None:
                row["id"] = existing[0]
            elif "userId" not in row:
                row["userId"] = metadata.new_id()
            rows.append(row)
        for start in range(0, len(rows), engine.batch_cap):
            engine.create_many(obj, rows[start : start + engine.batch_cap], upsert=True, internal=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, which batch speed needs
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the 40 ms ACK stall
    server: _HTTPServer

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        app = self.server.app
        path = urlsplit(self.path).path
        kind = app.kind(path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > app.max_body(path):
            # answer without reading the body, then drop the connection (its bytes are still coming)
            self.close_connection = True
            error = ApiError(413, "PayloadTooLargeException", "request entity too large")
            self._send(Reply.json(413, error.body()))
            return
        body = self.rfile.read(length) if length > 0 else b""
        decision = app.faults.decide(path) if kind == "api" else None
        if decision is not None:
            if decision.latency_s:
                time.sleep(decision.latency_s)
            if decision.action == "reset":
                self._reset_connection()
                return
            if decision.action == "error":
                self._send(self._fault_reply(decision.status))
                return
            if decision.action == "429":
                self._send(app.throttled_reply(app.faults.config.burst_429_retry_after_s))
                return
        try:
            reply = app.handle(method, self.path, self.headers, body, self._base_url())
        except Exception as exc:  # a sandbox bug must not kill the connection thread silently
            # type and code location only: an exception's message can quote a record's values
            log.error("sandbox request failed: %s %s: %s\n%s", method, path, type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)))
            reply = Reply.json(
                500, {"statusCode": 500, "error": "InternalServerErrorException", "messages": ["Internal error"]}
            )
        if decision is not None and decision.action == "lost_response":
            self._reset_connection()  # the write is committed; the client never hears about it
            return
        self._send(reply)

    @staticmethod
    def _fault_reply(status: int) -> Reply:
        if status == 500:
            body = {"statusCode": 500, "error": "InternalServerErrorException", "messages": ["Internal server error"]}
            return Reply.json(500, body)
        return Reply(status, proxy_error_page(status), "text/html")

    def _base_url(self) -> str:
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        return f"http://{host}"

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.status == 204:  # no body, so neither Content-Type nor Content-Length (RFC 9110 §8.6)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0: the client sees a TCP reset, not an HTTP answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            self.connection.close()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Method, path and status only: the query string carries filter values (emails, names)."""
        log.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("sandbox http: %s", format)  # the arguments can hold the raw request line: not logged


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client-side disconnects (resets, timeouts) are normal under fault injection: log quietly."""
        error = sys.exc_info()[0]  # the type only: a traceback's message can quote what the client sent
        log.debug("a connection ended with an error: %s", error.__name__ if error else "unknown")

    def close_connections(self) -> None:
        """Drop idle keep-alive connections so no handler thread outlives the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """A local Twenty on loopback. Binds in the constructor (``port=0`` → ephemeral port)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.db = Database(config.db_path)
        try:
            # an existing file keeps the version it was created with
            stored = self.db.get_meta("twenty_version") or NAMING_VERSION.get(self.db.get_meta("profile") or "")
            self.played = version(stored or config.twenty_version)
            self.profile = self.played.naming
            metadata.seed_if_empty(self.db, self.played)
            self.app = SandboxApp(config, self.db, self.played)
            seed_members(self.app.engine, self.db, config.workspace_members)
            self._httpd = _HTTPServer((config.host, config.port), self.app)
        except BaseException:
            self.db.close()
            raise
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def port(self) -> int:
        """The bound TCP port (useful when the config asked for port 0)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (clients append ``/rest/...``)."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        """Serve in a background daemon thread; returns self for chaining."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="twenty-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop connections and close SQLite. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd.close_connections()
        self.db.close()

    def serve_forever(self) -> None:
        """Serve on the calling thread until :meth:`stop` is called from elsewhere."""
        self._httpd.serve_forever(poll_interval=0.05)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(config: SandboxConfig) -> None:
    """Blocking entry point for ``cpt sandbox``: serves until SIGTERM or Ctrl-C, then stops cleanly."""
    server = SandboxServer(config)
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    log.info(
        "Twenty sandbox listening on %s (Twenty %s, %s rate limiter, batch cap %s)", server.url,
        server.played.version, server.app.limiter.kind, server.app.batch_cap
    )
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
