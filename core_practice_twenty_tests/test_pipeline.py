"""End to end through Dagster: a persistent instance, a DuckDB file and the local Twenty over HTTP."""

import csv
import os
from pathlib import Path

import dagster as dg
import pytest

from core_practice_twenty.cli import migrate
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.store.staging import audit_counts
from core_practice_twenty.store.warehouse import Warehouse

pytestmark = pytest.mark.e2e(seconds=150)  # whole waves through Dagster: scheduled first (conftest)



def company_count(sandbox) -> int:
    with sandbox.client() as client:
        return client.count("companies")  # the workspace starts empty: every company is the migration's


def latest_metadata(asset: str, wave: str) -> dict:
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None, f"{asset} was never materialized"
        materialization = event.asset_materialization
        assert materialization.partition == wave
        return {k: v.value for k, v in materialization.metadata.items()}


def staged_counts() -> dict[str, int]:
    with Warehouse(Path(os.environ["CPT_WAREHOUSE"])).connect() as conn:
        return {p: conn.execute(f"select count(*) from stg_twenty_{p} where wave = 'full'").fetchone()[0]
                for p in TARGET_OBJECTS}


def test_the_whole_export_travels_to_twenty_in_lineage_order_and_a_rerun_sends_nothing(
        pipeline_env, sample_export, capsys, confirm_map) -> None:
    confirm_map(sample_export)
    assert migrate(sample_export, "full") == 0
    out = capsys.readouterr().out
    assert "Reconciliation for wave 'full'" in out and "MISMATCH" not in out

    staged = staged_counts()
    practices = latest_metadata("raw_practices", "full")["dagster/row_count"]
    assert practices == 8
    assert staged["companies"] > practices  # every location, plus a parent company per group
    assert staged["people"] > 0 and staged["tasks"] > 0 and staged["invoices"] > 0 and staged["attachments"] > 0
    with pipeline_env.client() as client, Warehouse(Path(os.environ["CPT_WAREHOUSE"])).connect() as conn:
        for plural, target in TARGET_OBJECTS.items():
            loaded = latest_metadata(f"twenty_{plural}", "full")
            assert loaded["staged"] == staged[plural]
            assert (loaded["created"], loaded["rejected"], loaded["held_back"]) == (staged[plural], 0, 0), plural
            mapped = conn.execute("select count(*) from id_map where object = ?", [plural]).fetchone()[0]
            assert client.count(plural) == mapped == loaded["created"], plural  # the workspace started empty
            # every reference points at an object loaded earlier (or at the same object: parent companies)
            deps = conn.execute(f"select distinct split_part(unnest(depends_on::varchar[]), ':', 1) "
                                f"from stg_twenty_{plural}").fetchall()
            assert {d for (d,) in deps} <= {plural, *target.loads_after}, plural
        # a patient points at its practice's company: references were resolved from the id map
        key, company_key = conn.execute(
            "select source_key, payload->>'$.companyId.\"$ref\"[1]' from stg_twenty_people "
            "where source_key not like 'provider:%' and payload->>'$.companyId' is not null limit 1").fetchone()
        person_id, company_id = (conn.execute(
            "select twenty_id from id_map where object = ? and source_key = ?", [obj, k]).fetchone()[0]
            for obj, k in (("people", key), ("companies", company_key)))
        assert client.find_one("people", person_id)["companyId"] == company_id

    assert migrate(sample_export, "full") == 0
    for plural in TARGET_OBJECTS:
        rerun = latest_metadata(f"twenty_{plural}", "full")
        assert (rerun["created"], rerun["updated"], rerun["unchanged"]) == (0, 0, staged[plural]), plural
        assert rerun["batches"] == 0, plural  # nothing sent at all
    with pipeline_env.client() as client:
        assert client.count("companies") == staged["companies"]


def test_a_failing_blocking_check_stops_the_load(pipeline_env, sample_export, capsys, confirm_map) -> None:
    path = sample_export / "practices.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3][0] = rows[2][0]  # two practices with one practice_id (lines 3 and 4 of the file)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    confirm_map(sample_export)

    assert migrate(sample_export, "full") == 3
    captured = capsys.readouterr()
    err = captured.err
    assert "raw_practices:row_rules" in err
    # the summary is this run's: it stopped at landing's check, so no validation table and no Twenty table
    assert "sent nothing to Twenty" in captured.out
    assert "Validation (rejected rows" not in captured.out and "Reconciliation for wave" not in captured.out
    assert "duplicate_key: 2 row(s), line(s) 3, 4" in err
    assert "raw_practices:row_rules (wave 'full': blocked: duplicate_key" in err  # the result names its wave
    assert company_count(pipeline_env) == 0
    with dg.DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey("twenty_companies")) is None
        assert instance.get_latest_materialization_event(dg.AssetKey("stg_twenty_companies")) is None
    counts = audit_counts(Warehouse(Path(__import__("os").environ["CPT_WAREHOUSE"])))
    assert counts == {}


def test_nothing_loads_without_a_confirmed_map(pipeline_env, sample_export, capsys, confirm_map) -> None:
    from core_practice_twenty.launcher import ensure_dagster_home, register_wave, run_wave
    from core_practice_twenty.mapping.field_map import save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.settings import field_map_path

    assert migrate(sample_export, "full") == 3  # no map at all: refused before a run is launched
    err = capsys.readouterr().err
    assert "cpt map propose" in err and "Nothing was launched" in err
    save_map(propose(sample_export), field_map_path())  # proposed, never confirmed
    assert migrate(sample_export, "full") == 3
    err = capsys.readouterr().err
    assert "not confirmed" in err and "cpt map confirm" in err
    # a run launched anyway (from the UI) stops at the blocking check, before anything is mapped or loaded
    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        register_wave(instance, Warehouse(Path(os.environ["CPT_WAREHOUSE"])), "full", sample_export)
        result = run_wave(instance, "full")
    assert not result.success and any("field_map:confirmed_for_export" in b for b in result.blocked_by)
    assert not {name for name in result.materialized if name.startswith(("stg_twenty", "twenty_"))} - {
        "twenty_baseline"}
    assert company_count(pipeline_env) == 0

    confirm_map(sample_export)
    with (sample_export / "practices.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write("")  # unchanged columns: still valid
    rows = (sample_export / "patients.csv").read_text(encoding="utf-8-sig").splitlines()
    rows[1] = rows[1] + ",Loyalty Tier"  # the export gained a column since the map was confirmed
    (sample_export / "patients.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert migrate(sample_export, "full") == 3
    err = capsys.readouterr().err
    assert "added 'Loyalty Tier'" in err and company_count(pipeline_env) == 0


def test_a_missing_export_file_is_named_before_any_run(pipeline_env, sample_export, capsys) -> None:
    (sample_export / "practices.csv").unlink()
    assert migrate(sample_export, "full") == 2  # the folder check, before a run is launched
    err = capsys.readouterr().err
    assert "1 of 13 export files missing: practices" in err
    assert "Export those reports from Core Practice" in err
    assert company_count(pipeline_env) == 0
    assert not Path(os.environ["DAGSTER_HOME"]).exists()  # no run was launched, no instance even made
