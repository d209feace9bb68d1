"""End to end through Dagster: a persistent instance, a DuckDB file and the local Twenty over HTTP."""

import csv
from pathlib import Path

import dagster as dg

from core_practice_twenty.cli import migrate
from core_practice_twenty.store.staging import audit_counts
from core_practice_twenty.store.warehouse import Warehouse


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


def test_practices_travel_to_twenty_and_a_rerun_creates_nothing(pipeline_env, sample_export, capsys,
                                                                 confirm_map) -> None:
    confirm_map(sample_export)
    assert migrate(sample_export, "full") == 0
    out = capsys.readouterr().out
    assert "Reconciliation for wave 'full'" in out and "OK" in out
    assert company_count(pipeline_env) == 8

    loaded = latest_metadata("twenty_companies", "full")
    assert (loaded["created"], loaded["updated"], loaded["rejected"]) == (8, 0, 0)
    landed = latest_metadata("raw_practices", "full")
    assert landed["dagster/row_count"] == 8
    assert landed["header_line"] == 2  # the report's title line was skipped

    with Warehouse(Path(__import__("os").environ["CPT_WAREHOUSE"])).connect() as conn:
        id_map = conn.execute("select count(distinct twenty_id) from id_map where object = 'companies'").fetchone()[0]
    assert id_map == 8

    assert migrate(sample_export, "full") == 0
    assert company_count(pipeline_env) == 8
    rerun = latest_metadata("twenty_companies", "full")
    assert (rerun["created"], rerun["updated"], rerun["unchanged"]) == (0, 0, 8)


def test_a_failing_blocking_check_stops_the_load(pipeline_env, sample_export, capsys, confirm_map) -> None:
    path = sample_export / "practices.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[3][0] = rows[2][0]  # two practices with one practice_id (lines 3 and 4 of the file)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    confirm_map(sample_export)

    assert migrate(sample_export, "full") == 3
    err = capsys.readouterr().err
    assert "raw_practices:row_rules" in err
    assert "duplicate_key: 2 row(s), line(s) 3, 4" in err
    assert company_count(pipeline_env) == 0
    with dg.DagsterInstance.get() as instance:
        assert instance.get_latest_materialization_event(dg.AssetKey("twenty_companies")) is None
        assert instance.get_latest_materialization_event(dg.AssetKey("stg_twenty_companies")) is None
    counts = audit_counts(Warehouse(Path(__import__("os").environ["CPT_WAREHOUSE"])))
    assert counts == {}


def test_nothing_loads_without_a_confirmed_map(pipeline_env, sample_export, capsys, confirm_map) -> None:
    from core_practice_twenty.mapping.field_map import field_map_path, save_map
    from core_practice_twenty.mapping.proposer import propose

    assert migrate(sample_export, "full") == 3  # no map at all
    assert "cpt map propose" in capsys.readouterr().err
    save_map(propose(sample_export), field_map_path())  # proposed, never confirmed
    assert migrate(sample_export, "full") == 3
    err = capsys.readouterr().err
    assert "field_map:confirmed_for_export" in err and "not confirmed" in err and "cpt map confirm" in err
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


def test_a_missing_export_file_fails_landing_with_what_to_do(pipeline_env, tmp_path, capsys) -> None:
    empty = tmp_path / "exports" / "empty-snapshot"
    empty.mkdir(parents=True)
    assert migrate(empty, "full") == 1
    err = capsys.readouterr().err
    assert "no practices file" in err
    assert "Export the practices report" in err
    assert company_count(pipeline_env) == 0
