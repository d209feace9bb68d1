"""The DuckDB warehouse: one file, one writer at a time, connections that never outlive a step.

DuckDB allows one read-write process per file and Dagster runs every step in its own process, so
every connection here is short and taken under a file lock (as Dagster's ETL tutorial does). No
connection may be held across an HTTP call to Twenty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from filelock import FileLock

from core_practice_twenty.store.schema import apply_migrations

DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
"""DuckDB spills to disk beyond CPT_DUCKDB_MEMORY (default 1GB) instead of growing with the export."""



def warehouse_path() -> Path:
    """Where the warehouse lives: `CPT_WAREHOUSE` or data/warehouse.duckdb under the working dir."""
    return Path(os.environ.get("CPT_WAREHOUSE", str(DEFAULT_WAREHOUSE)))


@dataclass(frozen=True)
class WaveExport:
    """The export snapshot a wave migrates and how to read it."""

    wave: str
    export_dir: Path
    snapshot_id: str
    region: str
    export_date: date


def table_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Asked of the catalog: a query on a missing table would make DuckDB look for a Python variable of that name."""
    return conn.execute("select count(*) from duckdb_tables() where schema_name = 'main' and table_name = ?",
                        [name]).fetchone()[0] > 0


class WaveFolderChanged(Exception):
    """A registered wave was pointed at another export folder without `--replace`."""

    def __init__(self, wave: str, registered: str, given: str) -> None:
        super().__init__(
            f"wave {wave!r} migrates {registered}, not {given}. Its loads, id map and audit log belong to that "
            f"export: use a new wave name for this folder (e.g. delta-YYYY-MM-DD), or pass --replace to re-point "
            f"{wave!r} (recorded in the audit log)."
        )


class Warehouse:
    """Access to the DuckDB file with cross-process locking."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def connect(self, *, timeout_s: float = 300.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection held under the file lock; closed on exit, even on error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{self.path}.lock", timeout=timeout_s):
            conn = duckdb.connect(str(self.path), config={"memory_limit": os.environ.get("CPT_DUCKDB_MEMORY", "1GB")})
            try:
                apply_migrations(conn)
                yield conn
            finally:
                conn.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """`connect`, inside one transaction: committed on exit, rolled back on error (all or none)."""
        with self.connect() as conn:
            conn.execute("begin transaction")
            try:
                yield conn
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")

    def register_wave(self, wave: str, export_dir: Path, snapshot_id: str, *, region: str,
                      export_date: date, replace: bool = False) -> None:
        """Record which export snapshot a wave migrates (and its region), so a UI run needs no config.

        A wave's folder is fixed once registered: its rows, id map and audit log belong to that export.
        Pointing it at another folder needs `replace`, and is written to the audit log (action `repoint`).
        """
        folder = str(Path(export_dir).resolve())
        with self.transaction() as conn:
            row = conn.execute("select export_dir from migration_waves where wave = ?", [wave]).fetchone()
            if row and row[0] != folder:
                if not replace:
                    raise WaveFolderChanged(wave, row[0], folder)
                conn.execute(
                    "insert into audit_log (seq, wave, run_id, object, source_key, action, message) "
                    "values (nextval('audit_seq'), ?, 'register', 'migration_waves', ?, 'repoint', ?)",
                    [wave, wave, f"export folder {row[0]} -> {folder}"])
            conn.execute(
                "insert or replace into migration_waves (wave, export_dir, snapshot_id, region, export_date) "
                "values (?, ?, ?, ?, ?)",
                [wave, folder, snapshot_id, region, export_date],
            )

    def wave_export(self, wave: str) -> WaveExport:
        """The export registered for `wave`."""
        with self.connect() as conn:
            row = conn.execute(
                "select export_dir, snapshot_id, region, export_date, registered_at from migration_waves "
                "where wave = ?", [wave]
            ).fetchone()
        if row is None:
            raise LookupError(
                f"wave {wave!r} has no export registered. Run `cpt migrate --export DIR --wave {wave}` "
                f"(or `cpt wave add`) to register its export folder first."
            )
        export_date = row[3] or row[4].date()
        return WaveExport(wave, Path(row[0]), row[1], row[2] or "AU", export_date)

    def previous_wave(self, wave: str, *, skip: tuple[str, ...] = ("sample",)) -> str | None:
        """The wave registered last before `wave` (a delta's predecessor), ignoring `skip` (the sample)."""
        with self.connect() as conn:
            row = conn.execute(
                "select wave from migration_waves where registered_at < (select registered_at from migration_waves "
                "where wave = ?) and not list_contains(?, wave) order by registered_at desc limit 1",
                [wave, list(skip)],
            ).fetchone()
        return row[0] if row else None
