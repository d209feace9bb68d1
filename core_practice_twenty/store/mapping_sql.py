"""Runs compiled mapping plans (mapping/sql) inside the warehouse: rows in, staged records and hold-backs out.

A plan arrives as SQL text and plain tables; nothing here knows what a task or an invoice is. The records go
from the raw tables into the staging tables inside DuckDB, their payloads never passing through Python; only the
distinct cells a Python reading needs (`lookup_table`), the held-back rows' ids and counts come out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from core_practice_twenty.model.progress import Progress
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.raw import create_raw_table_sql
from core_practice_twenty.store.staging import staging_table
from core_practice_twenty.store.warehouse import in_transaction, ticking

Held = list[tuple[str, str, int | None, str]]
"""Held-back rows: (source object, source key, line, reason)."""
PLAN_ROWS = "plan_rows"
"""The temp view of a plan's rows (a view: DuckDB streams it into each statement instead of holding it); its
queries read `plan_rows r`."""
PART, PARTS = "__PART__", "__PARTS__"
"""A plan's slice placeholders (`mapping.sql.compile.in_part`): replaced by the slice staged and how many there are."""
ROWS_PER_PART = 200_000
"""Rows of a sliced plan staged per statement: what bounds the memory of its aggregates."""
PLAN_HELD = "plan_held"
"""What the plans of one mapping held back (object plural, source key, reason): a later plan names the reason."""


@contextmanager
def plan_session(conn: duckdb.DuckDBPyConnection, tables: Mapping[str, Mapping[str, list]],
                 sources: Sequence[str]) -> Iterator[None]:
    """The tables every plan of one mapping reads (column lists, every column text) and the plans' hold-backs; the
    raw tables of `sources` exist (empty, for a file the export lacks)."""
    for name in sources:
        conn.execute(create_raw_table_sql(EXPORT_SPEC[name]))
    conn.execute(f"create or replace temp table {PLAN_HELD} (object varchar, source_key varchar, reason varchar)")
    conn.execute("set preserve_insertion_order = false")  # staging has no order: inserts need not buffer for one
    try:
        with registered(conn, tables):
            yield
    finally:
        _quietly(conn, f"drop table if exists {PLAN_HELD}")
        _quietly(conn, "reset preserve_insertion_order")


@contextmanager
def registered(conn: duckdb.DuckDBPyConnection,
               tables: Mapping[str, Mapping[str, list] | pa.Table]) -> Iterator[None]:
    """Column lists registered as views (every column text) while the block runs."""
    for name, columns in tables.items():
        conn.register(name, columns if isinstance(columns, pa.Table) else pa.table(
            {c: pa.array([None if v is None else str(v) for v in values], type=pa.string())
             for c, values in columns.items()}))
    try:
        yield
    finally:
        for name in tables:
            with contextlib.suppress(duckdb.Error):  # after a failed statement: the error that matters is that one
                conn.unregister(name)


class MappingMemoryError(RuntimeError):
    """A compiled plan needed more memory than the warehouse may use; the message says what to do."""


def _quietly(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Clean-up that must not hide the error that aborted the transaction (the caller's rollback undoes it)."""
    with contextlib.suppress(duckdb.Error):
        conn.execute(sql)


LOOKUP_BATCH = 50_000
"""Distinct cells read by Python at a time: what a lookup holds in Python memory, whatever the export's size."""


def lookup_table(conn: duckdb.DuckDBPyConnection, wave: str, name: str, source_object: str, alias: str,
                 cells: Sequence[str], read: Callable[..., str | None]) -> None:
    """Temp table `name` (c0…, value): `read` applied to every distinct combination of `cells` (SQL over the wave's
    rows aliased `alias`). One cell: its NULL is left out (it reads as NULL).

    The distinct cells stay in DuckDB and pass through Python `LOOKUP_BATCH` at a time: a patient's phones for
    500,000 patients are as many distinct cells, and DuckDB may spill them where Python could not."""
    selected = ", ".join(f"{cell} as c{i}" for i, cell in enumerate(cells))
    where = f" and ({cells[0]}) is not null" if len(cells) == 1 else ""
    distinct = f"{name}_cells"
    conn.execute(f"create or replace temp table {distinct} as select distinct {selected} from raw_{source_object} "
                 f"{alias} where {alias}.wave = ?{where}", [wave])
    columns = ", ".join(f"c{i} varchar" for i in range(len(cells)))
    conn.execute(f"create or replace temp table {name} ({columns}, value varchar)")
    try:
        rows = conn.execute(f"select count(*) from {distinct}").fetchall()[0][0]
        for start in range(0, rows, LOOKUP_BATCH):
            found = conn.sql(f"select * from {distinct} where rowid >= ? and rowid < ?",
                             params=[start, start + LOOKUP_BATCH]).to_arrow_table()
            raw = [column.to_pylist() for column in found.columns]
            values = pa.array([read(*row) for row in zip(*raw, strict=True)], type=pa.string())
            conn.register("lookup_batch", found.append_column("value", values))
            try:
                conn.execute(f"insert into {name} select * from lookup_batch")
            finally:
                conn.unregister("lookup_batch")
    finally:
        _quietly(conn, f"drop table if exists {distinct}")


@contextmanager
def lookup_tables(conn: duckdb.DuckDBPyConnection, wave: str,
                  lookups: Sequence[tuple[str, str, str, Sequence[str], Callable[..., str | None]]],
                  progress: Progress | None = None) -> Iterator[None]:
    """Each (name, source object, alias, cells, read) as `lookup_table` while the block runs; `progress` counts them
    (a patient's addresses and phones are read once per distinct cell: ~20 s for a 250,000-patient group)."""
    progress = progress or Progress("lookups", len(lookups), lambda _m: None)
    try:
        with ticking(progress):
            for name, source_object, alias, cells, read in lookups:
                lookup_table(conn, wave, name, source_object, alias, cells, read)
                progress.advance(1)
        yield
    finally:
        for name, *_rest in lookups:
            _quietly(conn, f"drop table if exists {name}")


@contextmanager
def temp_tables(conn: duckdb.DuckDBPyConnection, tables: Sequence[tuple[str, str]], what: str,
                made: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Create each (name, SELECT) as a temp table, in order (a later one may read an earlier one), for the block;
    `what` names the work in the message of a warehouse out of memory; `made` is called after each table."""
    try:
        try:
            for name, sql in tables:
                conn.execute(f"create or replace temp table {name} as {sql}")
                made()
        except duckdb.OutOfMemoryException:
            raise _out_of_memory(what) from None
        yield
    finally:
        for name, _sql in tables:
            _quietly(conn, f"drop table if exists {name}")


def fetch(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """Every row of a query (ids, counts and decisions: small)."""
    return conn.execute(sql).fetchall()


def _out_of_memory(what: str) -> MappingMemoryError:
    return MappingMemoryError(
        f"mapping {what} needed more memory than the warehouse may use (CPT_DUCKDB_MEMORY, default 1GB). "
        f"Nothing was loaded into Twenty. Set CPT_DUCKDB_MEMORY higher (for example 2GB, below this machine's "
        f"free memory) and run the same command again: the wave is mapped again from the start.")


def run_plan(conn: duckdb.DuckDBPyConnection, wave: str, target: str, rows_sql: str,
             staged: Sequence[tuple[str, str]], holds: Sequence[str], counts: Mapping[str, str],
             decisions: Sequence[str] = (), log: Callable[[str], None] = lambda _m: None, what: str = "",
             ) -> tuple[dict[str, int], Held, dict[str, int], list[str]]:
    """Read a plan's rows (`_key`, `_hold`), append its staged records to their staging tables (cleared by the
    caller), record its rows held back under `target` for later plans, and answer its hold and count queries.
    Each insert is its own transaction (outside any of the caller's): a wave's staging is replaced as a whole by
    the next mapping, and a mapping that stops midway fails its step.

    Returns records written per Twenty object, the held-back rows (source object, source key, line, reason), each
    count and the decisions' JSON texts. `log` hears how many of its statements are done at least every 5 s (one
    insert of a group's appointments takes ~15 s; DuckDB cannot estimate its progress).
    """
    def view(sql: str, part: int, parts: int) -> None:
        sliced = sql.replace(PARTS, str(parts)).replace(PART, str(part))
        conn.execute(f"create or replace temp view {PLAN_ROWS} as {sliced}")

    view(rows_sql, 0, 1)
    try:
        return _staged(conn, wave, target, rows_sql, staged, holds, counts, decisions, view,
                       Progress(f"mapping {what or target}", 0, log, unit="statements", quiet_if_quick=True))
    except duckdb.OutOfMemoryException:
        raise _out_of_memory(target) from None
    finally:
        _quietly(conn, f"drop view if exists {PLAN_ROWS}")


def _staged(conn: duckdb.DuckDBPyConnection, wave: str, target: str, rows_sql: str,
            staged: Sequence[tuple[str, str]], holds: Sequence[str], counts: Mapping[str, str],
            decisions: Sequence[str], view: Callable[[str, int, int], None],
            progress: Progress) -> tuple[dict[str, int], Held, dict[str, int], list[str]]:
    """`run_plan`'s work, on the view of the plan's rows."""
    written: dict[str, int] = {}
    rows = conn.execute(f"select count(*) from {PLAN_ROWS}").fetchone()[0] if PART in rows_sql else 0
    parts = max(1, -(-rows // ROWS_PER_PART))
    progress.total = parts * len(staged)
    with ticking(progress):
        for part in range(parts):
            view(rows_sql, part, parts)
            for plural, select in staged:
                sliced = select.replace(PARTS, str(parts)).replace(PART, str(part))
                with in_transaction(conn):  # committed at once: DuckDB keeps a transaction's new rows in memory
                    n = conn.execute(f"insert into {staging_table(plural)} (wave, source_key, source_line, payload, "
                                     f"payload_hash, depends_on, notes) select ?, s.source_key, s.source_line, "
                                     f"s.payload::json, sha256(s.payload), s.depends_on::json, s.notes::json "
                                     f"from ({sliced}) s", [wave]).fetchone()[0]
                written[plural] = written.get(plural, 0) + n
                progress.advance(1, f"{sum(written.values()):,} records staged")
    view(rows_sql, 0, 1)
    with in_transaction(conn):
        conn.execute(f"insert into {PLAN_HELD} select ?, _key, _hold from {PLAN_ROWS} where _hold is not null",
                     [target])
    held = [(str(obj), str(key), line, str(reason)) for sql in holds
            for obj, key, line, reason in conn.execute(sql).fetchall()]
    found = {name: conn.execute(sql).fetchone()[0] for name, sql in counts.items()}
    decided = [str(text) for sql in decisions for (text,) in conn.execute(sql).fetchall()]
    return written, held, found, decided
