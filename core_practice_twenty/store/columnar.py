"""Rows handed to DuckDB as one Arrow table instead of one statement per row.

DuckDB's `executemany` runs the statement once per row: appending a batch of 60 outcomes to the audit
log and the id map cost ~0.1 s, more than Twenty takes to answer the batch. Registering the rows as one
Arrow table and inserting with a single `insert … select` costs a few milliseconds whatever the count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import count
from typing import Any

import duckdb
import pyarrow as pa

_names = count()


@contextmanager
def rows_as_table(conn: duckdb.DuckDBPyConnection, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    """Register `rows` (one sequence per row, in `columns` order) as a view; yields a `from` clause.

    Every column is text or null (callers cast in their `select`), so a column whose values are all None
    still has a type DuckDB can cast from. The view's rows come in the given order (`ordinal` says it
    explicitly), so a sequence drawn in the `select` numbers them as the caller listed them.
    """
    table = pa.table({
        "ordinal": pa.array(range(len(rows)), type=pa.int64()),
        **{name: pa.array([None if row[i] is None else str(row[i]) for row in rows], type=pa.string())
           for i, name in enumerate(columns)},
    })
    name = f"_rows_{next(_names)}"
    conn.register(name, table)
    try:
        yield f"(select * from {name} order by ordinal)"
    finally:
        conn.unregister(name)


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Append `rows` (in `columns` order) to `table` in one statement; DuckDB casts each text cell to its column."""
    if not rows:
        return
    names = ", ".join(columns)
    with rows_as_table(conn, columns, rows) as source:
        conn.execute(f"insert into {table} ({names}) select {names} from {source}")
