"""A whole wave through Dagster while the local Twenty misbehaves: it still ends exact, with no duplicates.

Each test turns on one kind of failure with the sandbox's control API (`POST /_sandbox/faults`, seeded,
so a failure reproduces) and runs `cpt migrate` for the full wave, exactly as an engineer would on the
night: a proxy answering 5xx, connections reset before Twenty saw the request, responses lost after
Twenty applied the write, bursts of 429 with `Retry-After`, and all of them together. What a person
would check afterwards is what the tests check: the command says all is well (exit 0), and for every
Twenty object Twenty's count equals the id map equals what was staged (the sample export loads with no
rejects), with no source key twice.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import httpx
import pytest

from core_practice_twenty.cli import migrate
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.loader import migration_key_fields


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


def load_metadata(wave: str = "full") -> dict[str, dict]:
    """The latest materialization metadata of every `twenty_<object>` load asset, as the UI shows it."""
    found: dict[str, dict] = {}
    with dg.DagsterInstance.get() as instance:
        for plural in TARGET_OBJECTS:
            event = instance.get_latest_materialization_event(dg.AssetKey(f"twenty_{plural}"))
            assert event is not None, f"twenty_{plural} was never materialized"
            materialization = event.asset_materialization
            assert materialization.partition == wave
            found[plural] = {k: v.value for k, v in materialization.metadata.items()}
    return found


def assert_exact_and_no_duplicates(sandbox) -> dict[str, dict]:
    """Per object: Twenty's count == id map == staged, nothing rejected or held back, no source key twice."""
    metadata = load_metadata()
    with sandbox.client() as client, Warehouse(Path(os.environ["CPT_WAREHOUSE"])).connect() as conn:
        for plural, target in TARGET_OBJECTS.items():
            staged = conn.execute(f"select count(*) from stg_twenty_{plural} where wave = 'full'").fetchone()[0]
            mapped = conn.execute("select count(*) from id_map where object = ?", [plural]).fetchone()[0]
            assert staged > 0, plural
            assert client.count(plural) == mapped == staged, plural
            assert (metadata[plural]["rejected"], metadata[plural]["held_back"]) == (0, 0), plural
            key_fields = migration_key_fields(target)  # people: cpPatientId and cpProviderId
            if key_fields:
                keys = [(f, r[f]) for r in client.find_many(plural) for f in key_fields if r.get(f)]
                assert len(keys) == len(set(keys)) == staged, plural
            # every staged record's last outcome in the audit log is a write or a skip, none lost
            last = dict(conn.execute(
                f"""select action, count(*) from (
                        select s.source_key, arg_max(a.action, a.seq) as action from stg_twenty_{plural} s
                        join audit_log a on a.object = ? and a.source_key = s.source_key and a.wave = s.wave
                        where s.wave = 'full' group by s.source_key) group by action""", [plural]).fetchall())
            assert sum(last.values()) == staged and set(last) <= {"create", "update", "skip"}, (plural, last)
    return metadata


@pytest.fixture
def faulty_wave(pipeline_env, sample_export, confirm_map):
    """A confirmed map for the sample export; the test sets the faults, then runs the wave."""
    confirm_map(sample_export)
    yield pipeline_env
    set_faults(pipeline_env)  # off again, whatever happened


def extra_write_requests(metadata: dict[str, dict]) -> int:
    """Requests the loads sent beyond one per batch: retries (attachments left out: they upload files too).

    A first load of an empty workspace sends exactly one request per batch when nothing fails, so
    anything above that is a batch sent again.
    """
    return sum(m["requests"] - m["batches"] for plural, m in metadata.items() if plural != "attachments")


def test_5xx_from_twenty_and_its_proxy_are_retried_and_the_wave_ends_exact(faulty_wave, sample_export) -> None:
    set_faults(faulty_wave, seed=11, error_rate=0.04, error_statuses=[500, 502, 503], path_prefixes=["/rest/"])
    assert migrate(sample_export, "full") == 0
    assert fault_stats(faulty_wave)["errors"] > 0  # the faults really happened
    metadata = assert_exact_and_no_duplicates(faulty_wave)
    assert extra_write_requests(metadata) > 0  # some batches were refused and sent again


def test_connection_resets_are_retried_and_the_wave_ends_exact(faulty_wave, sample_export) -> None:
    set_faults(faulty_wave, seed=12, reset_rate=0.05, path_prefixes=["/rest/"])
    assert migrate(sample_export, "full") == 0
    assert fault_stats(faulty_wave)["resets"] > 0
    metadata = assert_exact_and_no_duplicates(faulty_wave)
    assert extra_write_requests(metadata) > 0


def test_lost_responses_after_twenty_applied_the_batch_leave_no_duplicates(faulty_wave, sample_export) -> None:
    # Only batch writes: every lost answer is a batch Twenty applied and the client could not know it.
    set_faults(faulty_wave, seed=13, lost_response_rate=0.06, path_prefixes=["/rest/batch/"])
    assert migrate(sample_export, "full") == 0
    lost = fault_stats(faulty_wave)["lost_responses"]
    assert lost > 0
    metadata = assert_exact_and_no_duplicates(faulty_wave)
    assert 0 < extra_write_requests(metadata) <= lost  # each lost answer cost one more request, no more
    # the batch sent again found its records already in Twenty (upsert by source key or stable id)
    assert sum(m["recovered_after_interruption"] for m in metadata.values()) > 0
    assert all(m["created"] == m["staged"] for m in metadata.values())  # still the migration's own creations


def test_429_bursts_are_waited_out_and_counted(faulty_wave, sample_export) -> None:
    set_faults(faulty_wave, seed=14, burst_429_rate=0.02, burst_429_length=3, burst_429_retry_after_s=1,
               path_prefixes=["/rest/batch/"])
    assert migrate(sample_export, "full") == 0
    throttled = fault_stats(faulty_wave)["throttled"]
    assert throttled > 0
    metadata = assert_exact_and_no_duplicates(faulty_wave)
    assert sum(m["throttled_429"] for m in metadata.values()) == throttled  # every 429 shows in the UI
    assert extra_write_requests(metadata) == throttled  # a refused request is not applied: sent once more


def test_every_fault_at_once_on_every_endpoint_including_schema_and_uploads(faulty_wave, sample_export) -> None:
    # No path restriction: the schema step (/rest/metadata), uploads (/metadata) and reads are hit too.
    set_faults(faulty_wave, seed=15, error_rate=0.01, reset_rate=0.01, lost_response_rate=0.02,
               burst_429_rate=0.005, burst_429_length=2, burst_429_retry_after_s=1)
    assert migrate(sample_export, "full") == 0
    stats = fault_stats(faulty_wave)
    assert min(stats["errors"], stats["resets"], stats["lost_responses"], stats["throttled"]) > 0, stats
    assert_exact_and_no_duplicates(faulty_wave)
