"""Fixtures that run a real sandbox on loopback: tests speak HTTP to it like the pipeline does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer

API_KEY = "test-key"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow_sandbox: sandbox tests that take seconds (processes, timing)")


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes on ``tmp_path/twenty.db`` (same file each call, so a restart keeps state).

    Rate limiting is off unless a test passes ``rate_limit=``: Twenty's 100 requests/minute would
    otherwise throttle tests that are about something else."""
    started: list[SandboxServer] = []

    def start(**overrides: object) -> SandboxServer:
        overrides.setdefault("rate_limit", RateLimitConfig.disabled())
        if "twenty_version" not in overrides:  # the behaviour every generation shares is tested on 2.38
            overrides.setdefault("profile", "current")
        overrides.setdefault("db_path", tmp_path / "twenty.db")
        config = SandboxConfig(api_key=API_KEY, **overrides)  # type: ignore[arg-type]
        server = SandboxServer(config).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """A running sandbox with the default config (batch cap 60)."""
    return sandbox_factory()


@pytest.fixture
def auth_headers() -> dict[str, str]:
    """The bearer header every sandbox in these tests accepts."""
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An authenticated client for :func:`sandbox`."""
    with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10) as c:
        yield c


@pytest.fixture
def connect() -> Iterator[Callable[[SandboxServer], httpx.Client]]:
    """Authenticated clients for servers started through :func:`sandbox_factory`; closed at teardown."""
    clients: list[httpx.Client] = []

    def make(server: SandboxServer) -> httpx.Client:
        c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def _object_id(c: httpx.Client, plural: str) -> str:
    objects = c.get("/rest/metadata/objects").json()["data"]["objects"]
    return next(o["id"] for o in objects if o["namePlural"] == plural)


@pytest.fixture
def add_field() -> Callable[..., httpx.Response]:
    """``add_field(client, "companies", name=..., type=..., label=...)`` → the metadata response."""

    def add(c: httpx.Client, plural: str, **body: object) -> httpx.Response:
        body.setdefault("label", str(body.get("name", "Field")))
        return c.post("/rest/metadata/fields", json={"objectMetadataId": _object_id(c, plural), **body})

    return add
