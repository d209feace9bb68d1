"""Fixtures of the conformance suite; the target selection rules are in conformance_target.py."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_target import Target, TwentyClient, choose_target

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer

GENERATIONS = {"1.16": ("1.16", "legacy"), "2.38-usage-engine": ("2.38", "usage-engine"), "2.47": ("2.47", "legacy")}
"""Every version the sandbox plays (sandbox/versions.py), each limiter at least once."""


def _targets() -> list[str]:
    try:
        return ["real"] if choose_target(os.environ).is_real else list(GENERATIONS)
    except pytest.UsageError:
        return ["real"]  # the fixture reports the usage error


@pytest.fixture(scope="session", params=_targets())
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The server under test: the opted-in real Twenty, or one sandbox per Twenty generation."""
    if request.param == "real":
        choice = choose_target(os.environ)
        yield Target(choice.url or "", choice.api_key or "", None)
        return
    key = secrets.token_urlsafe(16)
    db = Path(tmp_path_factory.mktemp(f"conformance-{request.param}")) / "twenty.sqlite"
    played, limiter = GENERATIONS[request.param]
    config = SandboxConfig(db_path=db, api_key=key, twenty_version=played, rate_limiter=limiter,
                           rate_limit=RateLimitConfig.disabled())
    server = SandboxServer(config).start()
    try:
        yield Target(server.url, key, server)
    finally:
        server.stop()


@pytest.fixture
def api(target: Target) -> Iterator[TwentyClient]:
    """Authenticated client; everything it creates is destroyed when the test ends."""
    client = TwentyClient(target.url, target.api_key)
    try:
        yield client
    finally:
        client.cleanup()
        client.close()


@pytest.fixture
def anonymous(target: Target) -> Iterator[TwentyClient]:
    """Client without a token (auth tests)."""
    with TwentyClient(target.url, None) as client:
        yield client


@pytest.fixture
def uid() -> str:
    """A marker unique to this test, put in names/emails/domains so shared workspaces never collide."""
    return uuid.uuid4().hex[:12]
