"""The warehouse's fixed tables come from numbered migrations, applied once per file."""

from __future__ import annotations

import duckdb

from core_practice_twenty.store.schema import LATEST_VERSION, MIGRATIONS, apply_migrations, schema_version
from core_practice_twenty.store.warehouse import Warehouse


def test_a_new_file_gets_every_table_once_and_later_connections_run_no_ddl(tmp_path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    with warehouse.connect() as conn:
        assert schema_version(conn) == LATEST_VERSION
        tables = {t for (t,) in conn.execute("select table_name from duckdb_tables()").fetchall()}
        assert {"id_map", "audit_log", "validation_issues", "held_back", "baseline_objects", "sample_acceptance",
                "migration_waves", "schema_version"} <= tables and "mapping_chunks" not in tables
        assert apply_migrations(conn) == 0  # nothing pending: a second application is a no-op
        (applied,) = conn.execute("select count(*) from schema_version").fetchone()
    assert applied == len(MIGRATIONS)


def test_a_warehouse_made_before_migrations_keeps_its_rows(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as conn:  # as an earlier version left it: some tables, no schema_version
        conn.execute("create table migration_waves (wave varchar primary key, export_dir varchar not null, "
                     "snapshot_id varchar not null, registered_at timestamp not null default current_timestamp)")
        conn.execute("insert into migration_waves (wave, export_dir, snapshot_id) values ('full', '/x', 'snap')")
    with Warehouse(path).connect() as conn:
        assert schema_version(conn) == LATEST_VERSION
        assert conn.execute("select wave, region from migration_waves").fetchall() == [("full", None)]


DATABASE_CALLS = frozenset({"execute", "executemany", "sql", "fetchone", "fetchall", "fetchmany", "fetch_df",
                            "register", "to_arrow_reader", "arrow", "df"})
"""Calls on a DuckDB connection or relation: who makes them runs warehouse SQL."""


def test_no_warehouse_sql_outside_store() -> None:
    """The warehouse has one owner: other packages call store/'s functions (validation hands over predicates, not
    queries). The sandbox is a stand-in for Twenty with its own SQLite, not the warehouse; record linkage drives
    splink on a private in-memory DuckDB that store hands the compared columns to, not the warehouse."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "core_practice_twenty"
    callers = set()
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        if relative.startswith(("store/", "sandbox/")) or relative == "validation/linkage.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in DATABASE_CALLS):
                callers.add(f"{relative}: .{node.func.attr}(")
    assert sorted(callers) == []
