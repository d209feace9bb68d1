"""The cutover lifecycle end to end: sample → diff → acceptance → full → delta → rollback → again.

Real Dagster runs on a persistent instance, a DuckDB file and the local Twenty over HTTP, through the
same `cpt` entry points a migration engineer uses.
"""

from __future__ import annotations

import csv
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from core_practice_twenty.cli import main, migrate
from core_practice_twenty.defs.lifecycle.sensors import delta_pickup
from core_practice_twenty.defs.resources import SettingsResource
from core_practice_twenty.lifecycle.acceptance import current_acceptance
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.reconciliation import source_accounting
from core_practice_twenty.store.warehouse import Warehouse

pytestmark = pytest.mark.e2e(seconds=200)  # whole waves through Dagster: scheduled first (conftest)



def _warehouse() -> Warehouse:
    return Warehouse(Path(os.environ["CPT_WAREHOUSE"]))


def _twenty_counts(sandbox) -> dict[str, int]:
    with sandbox.client() as client:  # custom objects exist only once the schema step ran
        present = {o["namePlural"] for o in client.list_objects()}
        return {plural: client.count(plural) if plural in present else 0 for plural in TARGET_OBJECTS}


def _staged(wave: str) -> dict[str, int]:
    with _warehouse().connect() as conn:
        return {p: conn.execute(f"select count(*) from stg_twenty_{p} where wave = ?", [wave]).fetchone()[0]
                for p in TARGET_OBJECTS}


def _metadata(asset: str, wave: str) -> dict:
    with dg.DagsterInstance.get() as instance:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[wave]), limit=1).records
        assert records, f"{asset} was never materialized for {wave}"
        return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


@pytest.fixture
def gated(pipeline_env, monkeypatch):
    monkeypatch.setenv("CPT_SAMPLE_GATE", "on")
    return pipeline_env


def test_sample_then_acceptance_then_full_then_rollback_back_to_baseline(gated, sample_export, confirm_map,
                                                                          capsys) -> None:
    sample_full_rollback_again(gated, sample_export, confirm_map, capsys)


def sample_full_rollback_again(gated, sample_export, confirm_map, capsys) -> None:
    """The lifecycle against whichever Twenty `gated` plays (test_lifecycle_oldest.py: the oldest one)."""
    confirm_map(sample_export)
    empty = _twenty_counts(gated)

    # the full wave refuses to load before a sample was accepted, and writes nothing
    assert migrate(sample_export, "full") == 3
    assert "sample_selection:sample_accepted" in capsys.readouterr().err
    assert _twenty_counts(gated) == empty
    assert main(["sample", "accept", "--by", "Dr Test"]) == 3  # nothing to accept yet

    # the sample: a few hundred source records covering every object, loaded and diffed field by field
    assert migrate(sample_export, "sample") == 0
    selection = _metadata("sample_selection", "sample")
    assert 100 <= selection["records"] <= 500 and selection["did_not_fit"] == 0
    sample = _staged("sample")
    # the sample's accounting is counted: its patients carried are the people it loaded, not the export's
    accounting = source_accounting(_warehouse(), "sample")
    assert accounting["patients"]["carried"] + accounting["providers"]["carried"] == sample["people"]
    assert 0 < accounting["patients"]["carried"] < accounting["patients"]["read"] // 2
    assert all(c["read"] == c["rejected"] + c["held_back"] + c["carried"] + c["not_in_twenty"]
               for c in accounting.values())
    assert all(sample[p] > 0 for p in ("companies", "people", "tasks", "taskTargets", "invoices", "attachments"))
    diff = _metadata("wave_diff", "sample")
    assert diff["unexpected_differences"] == 0
    report = Path(diff["report"])
    assert report.is_file() and "No unexpected differences." in report.read_text()
    with Path(diff["report_csv"]).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["object"] for r in rows} >= {"companies", "people", "tasks"}
    assert sum(_twenty_counts(gated).values()) == sum(sample.values())  # only the sample is in Twenty

    assert main(["sample", "accept", "--by", "Dr Test"]) == 0
    assert current_acceptance(_warehouse()).accepted_by == "Dr Test"

    # the full wave: the sample's records are not created again (a few are updated: review reasons that
    # depend on relatives outside the sample), the rest are created
    assert migrate(sample_export, "full") == 0
    full = _staged("full")
    assert _twenty_counts(gated) == full
    people = _metadata("twenty_people", "full")
    assert people["created"] == full["people"] - sample["people"]
    assert people["unchanged"] + people["updated"] == sample["people"] and people["unchanged"] > people["updated"]
    assert _metadata("wave_diff", "full")["unexpected_differences"] == 0

    # rollback of everything: preview, then the job; Twenty is back to its baseline
    capsys.readouterr()
    assert main(["rollback", "--all", "--preview"]) == 0
    preview = capsys.readouterr().out
    assert "wave full" in preview and "wave sample" in preview and "destroy" in preview
    assert _twenty_counts(gated) == full  # a preview changes nothing
    assert main(["rollback", "--all", "--yes"]) == 0
    assert "back to the baseline" in capsys.readouterr().out
    assert _twenty_counts(gated) == empty
    with gated.client() as client:
        assert client.count("people", filter="deletedAt[is]:NOT_NULL") == 0  # destroyed, not soft-deleted
    with dg.DagsterInstance.get() as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(job_name="rollback_migration"))
        assert run.status == dg.DagsterRunStatus.SUCCESS

    # the same migration runs again cleanly (no soft-deleted leftovers blocking emails or domains)
    assert migrate(sample_export, "full") == 0
    again = _metadata("twenty_people", "full")
    assert (again["created"], again["rejected"]) == (full["people"], 0)
    assert _twenty_counts(gated) == full


def _changed_copy(export: Path, target: Path) -> tuple[str, str]:
    """A later snapshot: one patient's mobile changed, one patient gone. Returns (changed id, removed id)."""
    shutil.copytree(export, target)
    path = target / "patients.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    header_at = next(i for i, row in enumerate(lines) if "patient_id" in [c.strip().lower() for c in row])
    header = [c.strip().lower() for c in lines[header_at]]
    pid, mobile = header.index("patient_id"), next(i for i, c in enumerate(header) if "mobile" in c)
    data = [i for i in range(header_at + 1, len(lines)) if lines[i] and lines[i][mobile].strip()]
    changed, removed = data[0], data[-1]
    lines[changed][mobile] = "0412 345 678" if lines[changed][mobile].strip() != "0412 345 678" else "0413 000 111"
    removed_id = lines[removed][pid]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(row for i, row in enumerate(lines) if i != removed)
    return lines[changed][pid], removed_id


def test_delta_sensor_window_and_a_delta_wave_sends_only_changes(pipeline_env, sample_export, confirm_map,
                                                                  tmp_path, monkeypatch) -> None:
    confirm_map(sample_export)
    assert migrate(sample_export, "full") == 0
    drop = tmp_path / "drop"
    drop.mkdir()
    changed_id, removed_id = _changed_copy(sample_export, drop / "2026-11-26")
    stamp = (datetime.now(UTC) - timedelta(minutes=5)).timestamp()
    snapshot = drop / "2026-11-26"
    for path in [*snapshot.rglob("*"), snapshot]:
        os.utime(path, (stamp, stamp))  # a finished copy: nothing written in the last minute
    monkeypatch.setenv("CPT_DROP_DIR", str(drop))

    settings = {"settings": SettingsResource()}  # read when the sensor runs, as in a code server
    with dg.DagsterInstance.get() as instance:
        monkeypatch.setenv("CPT_CUTOVER_START", (datetime.now(UTC) + timedelta(hours=2)).isoformat())
        skipped = delta_pickup(dg.build_sensor_context(instance=instance, resources=settings))
        assert isinstance(skipped, dg.SkipReason) and "opens" in skipped.skip_message.lower()

        monkeypatch.setenv("CPT_CUTOVER_START", (datetime.now(UTC) - timedelta(hours=1)).isoformat())
        result = delta_pickup(dg.build_sensor_context(instance=instance, resources=settings))
        assert isinstance(result, dg.SensorResult), result
        assert [r.partition_key for r in result.run_requests] == ["delta-2026-11-26"]
        assert len(result.cursor) < 200  # a high-water mark, not a list of everything seen
        again = delta_pickup(dg.build_sensor_context(instance=instance, cursor=result.cursor, resources=settings))
        assert isinstance(again, dg.SkipReason)  # the same snapshot is not picked up twice

    assert migrate(drop / "2026-11-26", "delta-2026-11-26") == 0
    people = _metadata("twenty_people", "delta-2026-11-26")
    assert (people["created"], people["updated"]) == (0, 1)  # only the patient whose mobile changed
    assert people["unchanged"] == _staged("delta-2026-11-26")["people"] - 1
    with _warehouse().connect() as conn:
        (action, key) = conn.execute(
            "select action, source_key from audit_log where wave = 'delta-2026-11-26' and object = 'people' "
            "and action = 'update'").fetchone()
    assert key == changed_id
    gone = _metadata("source_changes", "delta-2026-11-26")
    assert gone["previous_wave"] == "full" and gone["gone_from_source"]["patients"] == 1
    report = Path(gone["report"]).read_text()
    assert f"patients,{removed_id}" in report
    with pipeline_env.client() as client:  # reported, never deleted
        assert client.count("people", filter=f'cpPatientId[eq]:"{removed_id}"') == 1
