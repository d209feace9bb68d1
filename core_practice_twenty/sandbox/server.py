"""HTTP front of the sandbox: routing, auth, JSON envelopes; stdlib ``ThreadingHTTPServer``.

Routes mirror Twenty's REST controller (twenty-api.md §2;
packages/twenty-server/src/engine/api/rest/core/controllers/rest-api-core.controller.ts) and the
metadata REST endpoints (§10). Auth mirrors rest-api-core-authentication.integration-spec.ts.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from core_practice_twenty.sandbox import metadata
from core_practice_twenty.sandbox.config import SandboxConfig
from core_practice_twenty.sandbox.db import Database
from core_practice_twenty.sandbox.errors import (
    ApiError,
    bad_request,
    forbidden_missing_token,
    not_found,
    unauthenticated,
)
from core_practice_twenty.sandbox.records import RecordEngine, _cap

log = logging.getLogger(__name__)

Response = tuple[int, dict[str, Any]]


class SandboxApp:
    """Request dispatch, independent of the socket layer (so it is easy to reason about)."""

    def __init__(self, config: SandboxConfig, db: Database) -> None:
        self.config = config
        self.db = db
        self.engine = RecordEngine(db, config.batch_cap, config.default_page_size)
        self._token = config.api_key.encode()

    # -- auth -----------------------------------------------------------------------------------
    def _authenticate(self, header: str | None) -> None:
        if not header or not header.strip():
            raise forbidden_missing_token()
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise forbidden_missing_token() if not token.strip() else unauthenticated()
        if not hmac.compare_digest(token.strip().encode(), self._token):
            raise unauthenticated()

    # -- dispatch -------------------------------------------------------------------------------
    def dispatch(self, method: str, target: str, authorization: str | None, body: bytes) -> Response:
        url = urlsplit(target)
        segments = [unquote(s) for s in url.path.split("/") if s]
        if method == "GET" and segments == ["healthz"]:
            return 200, {"status": "ok"}
        if not segments or segments[0] != "rest":
            raise not_found(f"Cannot {method} {url.path}")
        self._authenticate(authorization)
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        payload = self._parse_body(body) if method in ("POST", "PATCH", "PUT") else None
        if method == "PUT":
            method = "PATCH"  # undocumented legacy alias (§2)
        if self.db.closed:
            raise ApiError(503, "ServiceUnavailableException", "Sandbox is shutting down")
        rest = segments[1:]
        if rest[:1] == ["metadata"]:
            return self._metadata(method, rest[1:], params, payload)
        if rest[:1] == ["batch"] and len(rest) == 2:
            if method != "POST":
                raise not_found(f"Cannot {method} {url.path}")
            obj = metadata.resolve_object(self.db, rest[1])
            records = self.engine.create_many(obj, payload, upsert=params.get("upsert") == "true")
            return 201, {"data": {f"create{_cap(obj.plural)}": records}}
        if not rest or len(rest) > 3:
            raise not_found(f"Cannot {method} {url.path}")
        obj = metadata.resolve_object(self.db, rest[0])
        if len(rest) == 1:
            return self._collection(method, obj, params, payload, url.path)
        if rest[1] == "restore" and len(rest) == 2 and method == "PATCH":
            return 200, self.engine.restore_many(obj, params)
        record_id = rest[1]
        if len(rest) == 3:
            if rest[2] == "restore" and method == "PATCH":
                return 200, self.engine.restore_one(obj, record_id)
            raise not_found(f"Cannot {method} {url.path}")
        if method == "GET":
            return 200, self.engine.find_one(obj, record_id, params)
        if method == "PATCH":
            return 200, self.engine.update_one(obj, record_id, payload)
        if method == "DELETE":
            return 200, self.engine.delete_one(obj, record_id, soft=params.get("soft_delete") == "true")
        raise not_found(f"Cannot {method} {url.path}")

    def _collection(self, method: str, obj: Any, params: dict[str, str], payload: Any, path: str) -> Response:
        if method == "GET":
            return 200, self.engine.find_many(obj, params)
        if method == "POST":
            if not isinstance(payload, dict):
                raise bad_request("Body must be an object")
            records = self.engine.create_many(obj, [payload], upsert=params.get("upsert") == "true")
            return 201, {"data": {f"create{_cap(obj.singular)}": records[0]}}
        if method == "PATCH":
            return 200, self.engine.update_many(obj, params, payload)
        if method == "DELETE":
            return 200, self.engine.delete_many(obj, params, soft=params.get("soft_delete") == "true")
        raise not_found(f"Cannot {method} {path}")

    def _metadata(self, method: str, rest: list[str], params: dict[str, str], payload: Any) -> Response:
        if not rest or rest[0] not in ("objects", "fields") or len(rest) > 2:
            raise not_found(f"Cannot {method} /rest/metadata/{'/'.join(rest)}")
        kind = rest[0]
        item_id = rest[1] if len(rest) == 2 else None
        db = self.db
        with db.lock:
            if item_id is None:
                if method == "GET":
                    return 200, (metadata.list_objects if kind == "objects" else metadata.list_fields)(db, params)
                if method == "POST":
                    if kind == "objects":
                        return 201, metadata.create_object(db, payload)
                    return 201, metadata.create_field(db, payload)
            else:
                if method == "GET":
                    return 200, (metadata.get_object if kind == "objects" else metadata.get_field)(db, item_id)
                if method == "PATCH":
                    if kind == "objects":
                        return 200, metadata.update_object(db, item_id, payload)
                    return 200, metadata.update_field(db, item_id, payload, self.engine.rebuild_unique)
                if method == "DELETE":
                    if kind == "objects":
                        return 200, metadata.delete_object(db, item_id)
                    return 200, metadata.delete_field(db, item_id)
        raise not_found(f"Cannot {method} /rest/metadata/{'/'.join(rest)}")

    @staticmethod
    def _parse_body(body: bytes) -> Any:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Request body is not valid JSON") from None


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
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            status, payload = self.server.app.dispatch(method, self.path, self.headers.get("Authorization"), body)
        except ApiError as error:
            status, payload = error.status, error.body()
        except Exception:  # a sandbox bug must not kill the connection thread silently
            log.exception("sandbox request failed: %s %s", method, urlsplit(self.path).path)
            status = 500
            payload = {
                "statusCode": 500,
                "error": "InternalServerErrorException",
                "messages": ["Internal error"],
            }
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

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
            metadata.seed_if_empty(self.db, config.profile)
            self.db.reload_metadata()
            self.profile = self.db.get_meta("profile") or config.profile
            self.app = SandboxApp(config, self.db)
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
    log.info("Twenty sandbox listening on %s", server.url)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
