"""Reads of a wave's raw tables that the lifecycle needs: keys, neighbours along a reference, counts, cells by line.

The sample's search, the delta's gone-from-source and shrink checks, and the diff's source values ask these
questions; the SQL that answers them lives here, with the tables (store/raw.py owns their shape).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.store.warehouse import existing_tables


def source_key_sql(spec: ObjectSpec, alias: str | None = None) -> str:
    """A row's source key as validation reports it (several key columns joined by `|`), from table `alias`."""
    prefix = f"{alias}." if alias else ""
    return " || '|' || ".join(f'{prefix}"{k}"' for k in spec.key)


def landed_objects(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Source objects with a raw table, in the export's order."""
    tables = existing_tables(conn)
    return [name for name, spec in EXPORT_SPEC.items() if raw_table(spec) in tables]


def wave_rows(conn: duckdb.DuckDBPyConnection, source_object: str, wave: str) -> int:
    return conn.execute(f"select count(*) from {raw_table(EXPORT_SPEC[source_object])} where wave = ?",
                        [wave]).fetchone()[0]


def keys_of(conn: duckdb.DuckDBPyConnection, source_object: str, wave: str, *, column: str | None = None,
            values: Sequence[str] = (), lines_with_rule: str | None = None) -> list[str]:
    """Distinct source keys of the wave's rows, sorted: all, those whose `column` holds one of `values`, or those
    on whose lines validation found `lines_with_rule`."""
    spec = EXPORT_SPEC[source_object]
    condition, params = "true", []
    if column is not None:
        condition, params = f'list_contains(?, "{column}")', [list(values)]
    elif lines_with_rule is not None:
        condition = ("source_line in (select source_line from validation_issues where wave = ? and object = ? "
                     "and rule = ?)")
        params = [wave, source_object, lines_with_rule]
    rows = conn.execute(
        f"select distinct {source_key_sql(spec)} as k from {raw_table(spec)} where wave = ? and ({condition}) "
        f"and k is not null order by k", [wave, *params]).fetchall()
    return [r[0] for r in rows]


def distinct_cells(conn: duckdb.DuckDBPyConnection, source_object: str, column: str, wave: str) -> list[str]:
    spec = EXPORT_SPEC[source_object]
    return [r[0] for r in conn.execute(
        f'select distinct "{column}" from {raw_table(spec)} where wave = ? and "{column}" is not null',
        [wave]).fetchall()]


def neighbours(conn: duckdb.DuckDBPyConnection, wave: str, *, child: str, column: str, parent: str,
               parent_column: str, up: bool, keys: Iterable[str] | None) -> list[tuple[str, str]]:
    """(key, neighbour key) along `child.column` → `parent.parent_column`: from child to parent (`up`) or back,
    for `keys` (None: every row)."""
    child_spec, parent_spec = EXPORT_SPEC[child], EXPORT_SPEC[parent]
    start = source_key_sql(child_spec if up else parent_spec, "c" if up else "p")
    other = source_key_sql(parent_spec if up else child_spec, "p" if up else "c")
    wanted = None if keys is None else list(keys)
    return conn.execute(
        f"select distinct {start}, {other} from {raw_table(child_spec)} c join {raw_table(parent_spec)} p "
        f"on p.\"{parent_column}\" = c.\"{column}\" where c.wave = ? and p.wave = ? "
        f"and (? or list_contains(?, {start}))",
        [wave, wave, wanted is None, wanted or []],
    ).fetchall()


def rules_found(conn: duckdb.DuckDBPyConnection, wave: str) -> list[tuple[str, str]]:
    """(object, rule) pairs validation found in the wave; none before validation ran."""
    if "validation_issues" not in existing_tables(conn):
        return []
    return conn.execute("select distinct object, rule from validation_issues where wave = ? order by all",
                        [wave]).fetchall()


def keys_gone(conn: duckdb.DuckDBPyConnection, source_object: str, previous_wave: str, new_wave: str) -> list[str]:
    """Keys in `previous_wave`'s rows that `new_wave`'s rows no longer have (sorted)."""
    spec = EXPORT_SPEC[source_object]
    table, key = raw_table(spec), source_key_sql(spec)
    rows = conn.execute(
        f"select distinct {key} as k from {table} where wave = ? and k is not null "
        f"except select {key} from {table} where wave = ? order by 1", [previous_wave, new_wave]).fetchall()
    return [r[0] for r in rows]


def rows_between(conn: duckdb.DuckDBPyConnection, source_object: str, previous_wave: str,
                 new_wave: str) -> tuple[int, int, str | None]:
    """(rows in the previous wave, rows in the new one, the new wave's file name, else the previous one's)."""
    table = raw_table(EXPORT_SPEC[source_object])
    return conn.execute(
        f"select count(*) filter (where wave = $prev), count(*) filter (where wave = $new), "
        f"coalesce(any_value(source_file) filter (where wave = $new), any_value(source_file)) "
        f"from {table} where wave in ($prev, $new)", {"prev": previous_wave, "new": new_wave}).fetchone()


def cells_by_line(conn: duckdb.DuckDBPyConnection, source_object: str, wave: str, lines: Sequence[int],
                  columns: Sequence[str], *, with_extras: bool) -> list[tuple[Any, ...]]:
    """(source line, each column as text[, the extra columns' JSON]) of the wave's rows on `lines`."""
    spec = EXPORT_SPEC[source_object]
    selected = ", ".join(['source_line', *(f'cast("{c}" as varchar)' for c in columns),
                          *(["cast(extra as varchar)"] if with_extras else [])])
    return conn.execute(
        f"select {selected} from {raw_table(spec)} where wave = ? and source_line in (select unnest(?))",
        [wave, list(lines)]).fetchall()
