"""Runs a compiled mapping plan (mapping/sql) inside the warehouse: rows in, staged records and hold-backs out.

The plan arrives as SQL text and plain tables; nothing here knows what a task or a note is. The records go
from the raw table into the staging table inside DuckDB, their payloads never passing through Python; only the
distinct cells a Python reading needs (`lookups`) and the held-back rows' ids come out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from core_practice_twenty.store.staging import staging_table

PLAN_ROWS = "plan_rows"
"""The temp table a plan's rows are read into; its staged selects read `plan_rows r`."""


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection, tables: Mapping[str, Mapping[str, list]]) -> Iterator[None]:
    """Column lists registered as views (every column text) for the duration of a plan."""
    for name, columns in tables.items():
        conn.register(name, pa.table({c: pa.array([None if v is None else str(v) for v in values], type=pa.string())
                                      for c, values in columns.items()}))
    try:
        yield
    finally:
        for name in tables:
            conn.unregister(name)


def lookup_table(conn: duckdb.DuckDBPyConnection, wave: str, source_object: str, column: str,
                 read: Callable[[str], str | None]) -> dict[str, list]:
    """`read` applied to every distinct non-null cell of the column in the wave: columns raw, value."""
    cells = [row[0] for row in conn.execute(
        f'select distinct "{column}" from raw_{source_object} where wave = ? and "{column}" is not null',
        [wave]).fetchall()]
    return {"raw": cells, "value": [read(cell) for cell in cells]}


def run_plan(conn: duckdb.DuckDBPyConnection, wave: str, rows_sql: str, staged: Sequence[tuple[str, str]],
             counted: Iterable[str] = ()) -> tuple[dict[str, int], list[tuple[str, int | None, str]], dict[str, int]]:
    """Read the plan's rows, append its staged records to their staging tables (created by `clear_staged`).

    Returns records written per Twenty object, the held-back rows (source key, line, reason), and for each
    SQL condition in `counted` how many staged rows meet it; with the row count under `rows`.
    """
    conn.execute(f"create or replace temp table {PLAN_ROWS} as {rows_sql}")
    try:
        written: dict[str, int] = {}
        for target, select in staged:
            before = conn.execute(f"select count(*) from {staging_table(target)} where wave = ?", [wave]).fetchone()[0]
            conn.execute(f"insert into {staging_table(target)} (wave, source_key, source_line, payload, payload_hash, "
                         f"depends_on, notes) select ?, s.source_key, s.source_line, s.payload::json, "
                         f"sha256(s.payload), s.depends_on::json, s.notes::json from ({select}) s", [wave])
            after = conn.execute(f"select count(*) from {staging_table(target)} where wave = ?", [wave]).fetchone()[0]
            written[target] = written.get(target, 0) + after - before
        held = [(str(k), line, reason) for k, line, reason in conn.execute(
            f"select _key, source_line, _hold from {PLAN_ROWS} where _hold is not null order by source_line"
        ).fetchall()]
        counts = {"rows": conn.execute(f"select count(*) from {PLAN_ROWS}").fetchone()[0]}
        for condition in counted:
            counts[condition] = conn.execute(
                f"select count(*) from {PLAN_ROWS} r where r._hold is null and ({condition})").fetchone()[0]
        return written, held, counts
    finally:
        conn.execute(f"drop table if exists {PLAN_ROWS}")
