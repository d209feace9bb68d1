"""Reads of a wave for the mapping's Python decisions: the accepted rows of the small raw tables (practices,
providers, workflows). Everything per patient is read by the compiled plans inside DuckDB (mapping/sql)."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.issues import accepted_rows_sql
from core_practice_twenty.store.raw import create_raw_table_sql


def accepted_rows(conn: duckdb.DuckDBPyConnection, wave: str, objects: Iterable[str], where: str = "",
                  params: Iterable[object] = ()) -> dict[str, list[dict]]:
    """Each object's rows validation did not reject (nulls as None), optionally narrowed by `where` on alias r."""
    tables: dict[str, list[dict]] = {}
    for name in objects:
        spec = EXPORT_SPEC[name]
        conn.execute(create_raw_table_sql(spec))
        cursor = conn.execute(accepted_rows_sql(spec, where), [wave, wave, *params])
        columns = [d[0] for d in cursor.description]
        tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return tables
