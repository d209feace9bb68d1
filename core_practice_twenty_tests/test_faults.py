"""A wave's loads while the local Twenty misbehaves: they still end exact, with no duplicates.

The fault matrix runs at the loader level (`load_object` per Twenty object in lineage order, exactly what
each load asset calls) on a wave landed, validated, mapped and given its schema once per session through
Dagster; each test loads a fresh copy of that warehouse into a fresh copy of that Twenty. One test runs
the whole wave through `cpt migrate` with every fault at once on every endpoint (schema, reads, uploads).

Each test turns on one kind of failure with the sandbox's control API (`POST /_sandbox/faults`, seeded,
so a failure reproduces): a proxy answering 5xx, connections reset before Twenty saw the request,
responses lost after Twenty applied the write, bursts of 429 with `Retry-After`. What a person would
check afterwards is what the tests check: for every Twenty object Twenty's count equals the id map equals
what was staged (the sample export loads with no rejects), with no source key twice, and every staged
record's last outcome in the audit log is a write or a skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pytest
from running import RunningSandbox, confirm_field_map

from core_practice_twenty.cli import migrate
from core_practice_twenty.launcher import ensure_dagster_home, migration_job, register_wave, run_wave
from core_practice_twenty.lifecycle.objects import lineage_sorted
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.warehouse import Warehouse, close_connections
from core_practice_twenty.twenty.load_wave import load_object
from core_practice_twenty.twenty.loader import LoadReport, migration_key_fields

WAVE = "full"


def set_faults(sandbox, **faults: object) -> dict:
    """Configure the sandbox's fault injection, as `POST /_sandbox/faults` with the API key."""
    response = httpx.post(f"{sandbox.url}/_sandbox/faults", json=faults,
                          headers={"Authorization": f"Bearer {sandbox.api_key}"}, timeout=10)
    response.raise_for_status()
    return response.json()


def fault_stats(sandbox) -> dict[str, int]:
    response = httpx.get(f"{sandbox.url}/_sandbox/faults", headers={"Authorization": f"Bearer {sandbox.api_key}"},
                         timeout=10)
    response.raise_for_status()
    return response.json()["stats"]


def _sandbox(db_path: Path, api_key: str) -> SandboxServer:
    return SandboxServer(SandboxConfig(db_path=db_path, api_key=api_key, port=0,
                                       rate_limit=RateLimitConfig.disabled()))


@dataclass(frozen=True)
class StagedWave:
    """Files of a wave that is staged and has its schema in Twenty, with nothing loaded yet."""

    warehouse: Path
    twenty_db: Path
    api_key: str
    export: Path


@pytest.fixture(scope="session")
def staged_wave(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagedWave]:
    """The sample export through every asset but the loads, once per session (real Dagster, DuckDB, HTTP)."""
    root = tmp_path_factory.mktemp("staged-wave")
    api_key = secrets.token_urlsafe(16)
    server = _sandbox(root / "twenty.sqlite", api_key)
    server.start()
    try:
        with pytest.MonkeyPatch.context() as env:
            for name, value in {"DAGSTER_HOME": root / "dagster_home", "CPT_WAREHOUSE": root / "warehouse.duckdb",
                                "TWENTY_API_URL": server.url, "TWENTY_API_KEY": api_key,
                                "TWENTY_REQUESTS_PER_MINUTE": 0, "CPT_FIELD_MAP": root / "mapping" / "field-map.yaml",
                                "CPT_REPORTS": root / "reports", "CPT_SAMPLE_GATE": "off"}.items():
                env.setenv(name, str(value))
            export = generate_export(root / "exports" / "snap-001", practices=8, seed=7)
            confirm_field_map(export)
            ensure_dagster_home()
            loads = {dg.AssetKey(f"twenty_{plural}") for plural in TARGET_OBJECTS}
            with dg.DagsterInstance.get() as instance:
                register_wave(instance, Warehouse(root / "warehouse.duckdb"), WAVE, export)
                selection = [key for key in migration_job().asset_layer.executable_asset_keys if key not in loads]
                result = run_wave(instance, WAVE, asset_selection=selection)
            assert result.success, result.reason()
    finally:
        server.stop()
        close_connections()  # the warehouse file is copied whole: no connection of this process may hold it
    yield StagedWave(root / "warehouse.duckdb", root / "twenty.sqlite", api_key, export)


@dataclass
class Loadable:
    sandbox: RunningSandbox
    warehouse: Warehouse
    export: Path

    def load(self) -> dict[str, LoadReport]:
        """Every object in lineage order, as the load assets do, resolving references from the id map."""
        with self.sandbox.client() as client:
            return {plural: load_object(self.warehouse, client, TARGET_OBJECTS[plural], WAVE, "faults-run",
                                        export_dir=self.export)
                    for plural in lineage_sorted(TARGET_OBJECTS)}


@pytest.fixture
def loadable(staged_wave: StagedWave, tmp_path: Path) -> Iterator[Loadable]:
    """A fresh copy of the staged wave and of its Twenty, served on loopback."""
    for source in [staged_wave.warehouse, *staged_wave.twenty_db.parent.glob(staged_wave.twenty_db.name + "*")]:
        shutil.copy2(source, tmp_path / source.name)
    server = _sandbox(tmp_path / staged_wave.twenty_db.name, staged_wave.api_key)
    server.start()
    sandbox = RunningSandbox(server, staged_wave.api_key)
    try:
        yield Loadable(sandbox, Warehouse(tmp_path / staged_wave.warehouse.name), staged_wave.export)
    finally:
        server.stop()


def assert_exact_and_no_duplicates(sandbox: RunningSandbox, warehouse: Warehouse,
                                   reports: dict[str, LoadReport]) -> None:
    """Per object: Twenty's count == id map == staged, nothing rejected or held back, no source key twice."""
    with sandbox.client() as client, warehouse.connect() as conn:
        for plural, target in TARGET_OBJECTS.items():
            staged = conn.execute(f"select count(*) from stg_twenty_{plural} where wave = ?", [WAVE]).fetchone()[0]
            mapped = conn.execute("select count(*) from id_map where object = ?", [plural]).fetchone()[0]
            assert staged > 0, plural
            assert client.count(plural) == mapped == staged, plural
            assert (reports[plural].rejected, reports[plural].held_back) == (0, 0), plural
            key_fields = migration_key_fields(target)  # people: cpPatientId and cpProviderId
            if key_fields:
                keys = [(f, r[f]) for r in client.find_many(plural) for f in key_fields if r.get(f)]
                assert len(keys) == len(set(keys)) == staged, plural
            # every staged record's last outcome in the audit log is a write or a skip, none lost
            last = dict(conn.execute(
                f"""select action, count(*) from (
                        select s.source_key, arg_max(a.action, a.seq) as action from stg_twenty_{plural} s
                        join audit_log a on a.object = ? and a.source_key = s.source_key and a.wave = s.wave
                        where s.wave = ? group by s.source_key) group by action""", [plural, WAVE]).fetchall())
            assert sum(last.values()) == staged and set(last) <= {"create", "update", "skip"}, (plural, last)


def extra_write_requests(reports: dict[str, LoadReport]) -> int:
    """Requests the loads sent beyond one per batch: retries (attachments left out: they upload files too).

    A first load of an empty workspace sends exactly one request per batch when nothing fails, so
    anything above that is a batch sent again.
    """
    return sum(r.requests - r.batches for plural, r in reports.items() if plural != "attachments")


# whole waves: scheduled first (conftest); `--dist loadscope` keeps this file on one worker, which builds the
# session's staged wave once
pytestmark = pytest.mark.e2e(seconds=120)


def test_without_faults_each_batch_is_one_request(loadable) -> None:
    reports = loadable.load()
    assert_exact_and_no_duplicates(loadable.sandbox, loadable.warehouse, reports)
    assert extra_write_requests(reports) == 0
    assert all(r.created == r.staged for r in reports.values())


def test_5xx_from_twenty_and_its_proxy_are_retried_and_the_wave_ends_exact(loadable) -> None:
    set_faults(loadable.sandbox, seed=11, error_rate=0.04, error_statuses=[500, 502, 503], path_prefixes=["/rest/"])
    reports = loadable.load()
    assert fault_stats(loadable.sandbox)["errors"] > 0  # the faults really happened
    assert_exact_and_no_duplicates(loadable.sandbox, loadable.warehouse, reports)
    assert extra_write_requests(reports) > 0  # some batches were refused and sent again


def test_connection_resets_are_retried_and_the_wave_ends_exact(loadable) -> None:
    set_faults(loadable.sandbox, seed=12, reset_rate=0.05, path_prefixes=["/rest/"])
    reports = loadable.load()
    assert fault_stats(loadable.sandbox)["resets"] > 0
    assert_exact_and_no_duplicates(loadable.sandbox, loadable.warehouse, reports)
    assert extra_write_requests(reports) > 0


def test_lost_responses_after_twenty_applied_the_batch_leave_no_duplicates(loadable) -> None:
    # Only batch writes: every lost answer is a batch Twenty applied and the client could not know it.
    set_faults(loadable.sandbox, seed=13, lost_response_rate=0.06, path_prefixes=["/rest/batch/"])
    reports = loadable.load()
    lost = fault_stats(loadable.sandbox)["lost_responses"]
    assert lost > 0
    assert_exact_and_no_duplicates(loadable.sandbox, loadable.warehouse, reports)
    assert 0 < extra_write_requests(reports) <= lost  # each lost answer cost one more request, no more
    # the batch sent again found its records already in Twenty (upsert by source key or stable id)
    assert sum(r.recovered for r in reports.values()) > 0
    assert all(r.created == r.staged for r in reports.values())  # still the migration's own creations


def test_429_bursts_are_waited_out_and_counted(loadable) -> None:
    set_faults(loadable.sandbox, seed=14, burst_429_rate=0.01, burst_429_length=2, burst_429_retry_after_s=1,
               path_prefixes=["/rest/batch/"])
    reports = loadable.load()
    throttled = fault_stats(loadable.sandbox)["throttled"]
    assert throttled > 0
    assert_exact_and_no_duplicates(loadable.sandbox, loadable.warehouse, reports)
    assert sum(r.throttled for r in reports.values()) == throttled  # every 429 shows in the load's figures
    assert extra_write_requests(reports) == throttled  # a refused request is not applied: sent once more


def test_every_fault_at_once_on_every_endpoint_through_cpt_migrate(pipeline_env, sample_export,
                                                                   confirm_map) -> None:
    # No path restriction: the schema step (/rest/metadata), uploads (/metadata) and reads are hit too.
    confirm_map(sample_export)
    set_faults(pipeline_env, seed=15, error_rate=0.01, reset_rate=0.01, lost_response_rate=0.02,
               burst_429_rate=0.005, burst_429_length=2, burst_429_retry_after_s=1)
    assert migrate(sample_export, WAVE) == 0
    stats = fault_stats(pipeline_env)
    assert min(stats["errors"], stats["resets"], stats["lost_responses"], stats["throttled"]) > 0, stats
    with dg.DagsterInstance.get() as instance:  # the UI shows each load's figures for the wave
        reports = {}
        for plural in TARGET_OBJECTS:
            event = instance.get_latest_materialization_event(dg.AssetKey(f"twenty_{plural}"))
            assert event is not None and event.asset_materialization.partition == WAVE, plural
            meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
            reports[plural] = LoadReport(plural, staged=meta["staged"], created=meta["created"],
                                         rejected=meta["rejected"], held_back=meta["held_back"])
    assert_exact_and_no_duplicates(pipeline_env, Warehouse(Path(os.environ["CPT_WAREHOUSE"])), reports)
