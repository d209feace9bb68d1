"""Shared fixtures: a real local Twenty on loopback, a real DuckDB file, a real Dagster home."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from running import RunningSandbox, confirm_field_map

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.sandbox.versions import NEWEST
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.warehouse import Warehouse

# No backoff between retries (twenty/retry.py): the faults tests inject are seeded and waiting proves
# nothing; Retry-After is still obeyed. test_retry.py checks the real schedule.
os.environ.setdefault("TWENTY_RETRY_BASE_S", "0")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole-wave tests (`e2e`) first, the longest file first (`e2e(seconds=…)`: its tests' rough total on this
    machine): with one worker per file (`--dist loadscope`) the workers start on the longest work and finish
    together."""
    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("e2e")
        return float(mark.kwargs.get("seconds", 1)) if mark else 0.0

    items.sort(key=lambda item: -seconds(item))


@pytest.fixture
def twenty_version() -> str:
    """The Twenty version the sandbox plays: the newest, unless a test parametrizes this fixture."""
    return NEWEST


@pytest.fixture
def twenty_sandbox(tmp_path: Path, twenty_version: str) -> Iterator[RunningSandbox]:
    """A fresh sandbox workspace in a temporary SQLite file, served on an ephemeral port."""
    api_key = secrets.token_urlsafe(16)
    # Throttling off: these tests are about the pipeline, and their clients do not pace themselves
    # (requests_per_minute=0); the sandbox's own tests cover Twenty's rate limits.
    # The newest Twenty; its usage-engine limiter where a test switches throttling on (the 429s then
    # teach the client the plan; the legacy throttler has its own tests in sandbox/ and twenty/).
    config = SandboxConfig(db_path=tmp_path / "twenty.sqlite", api_key=api_key, port=0, twenty_version=twenty_version,
                           rate_limiter="usage-engine", rate_limit=RateLimitConfig.disabled())
    server = SandboxServer(config)
    server.start()
    try:
        yield RunningSandbox(server, api_key)
    finally:
        server.stop()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def sample_export(tmp_path: Path) -> Path:
    return generate_export(tmp_path / "exports" / "snap-001", practices=8, seed=7)


@pytest.fixture
def pipeline_env(tmp_path: Path, twenty_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    """Environment of a real pipeline run: Dagster home, warehouse and Twenty all under tmp_path.

    Runs execute in this process (in-process executor); `cpt` commands a test starts inherit this environment.
    """
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("CPT_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("TWENTY_API_URL", twenty_sandbox.url)
    monkeypatch.setenv("TWENTY_API_KEY", twenty_sandbox.api_key)
    monkeypatch.setenv("TWENTY_REQUESTS_PER_MINUTE", "0")
    monkeypatch.setenv("CPT_FIELD_MAP", str(tmp_path / "mapping" / "field-map.yaml"))
    monkeypatch.setenv("CPT_REPORTS", str(tmp_path / "reports"))
    # Waves load without an accepted sample here; test_lifecycle.py turns the gate on and goes through it.
    monkeypatch.setenv("CPT_SAMPLE_GATE", "off")
    return twenty_sandbox


@pytest.fixture
def confirm_map():
    """`confirm_map(export)`: propose and confirm the field map for an export (as cpt map propose/confirm)."""
    return confirm_field_map
