"""Reads of a wave for mapping: the accepted rows of the raw tables, by object or by chunk of patients.

Mapping reads the rows validation accepted, the core objects whole and the per-patient objects a chunk of patients
at a time (`mapping_chunks` says which chunk each row is in); the SQL lives here, with the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.issues import accepted_rows_sql
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.store.warehouse import Warehouse


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


def _patient_of(spec: ObjectSpec, patient_sources: Sequence[str]) -> str:
    """SQL (alias `r`) for the patient whose chunk a row belongs to: its parent's patient when it references a
    per-patient object (an invoice's lines and payments, a claim's invoice, a note's appointment), else its own.

    Derived from the export spec's references, so a parent and its children always share a chunk.
    """
    parents = []
    own = None
    for column in spec.references:
        target, key = column.references.split(".")
        if target == "patients":
            own = f'r."{column.name}"'
        elif target in patient_sources and "patient_id" in EXPORT_SPEC[target].column_names:
            parents.append(f'(select any_value(p.patient_id) from {raw_table(EXPORT_SPEC[target])} p '
                           f'where p.wave = r.wave and p."{key}" = r."{column.name}")')
    choices = parents + ([own] if own else [])
    return f"coalesce({', '.join(choices)}, '')" if choices else "''"


def assign_chunks(conn: duckdb.DuckDBPyConnection, wave: str, patient_sources: Sequence[str],
                  patients_per_chunk: int) -> int:
    """Give every row of the per-patient objects its chunk (`mapping_chunks`); returns how many chunks.

    A row's chunk is a hash of its patient (`_patient_of`) modulo the number of chunks, about
    `patients_per_chunk` patients each. A table, not temp tables: each chunk is read on its own short connection.
    """
    patients = conn.execute(f"select count(*) from {raw_table(EXPORT_SPEC['patients'])} where wave = ?",
                            [wave]).fetchall()[0][0]
    chunks = max(1, -(-patients // patients_per_chunk))
    conn.execute("delete from mapping_chunks where wave = ?", [wave])
    for name in patient_sources:
        spec = EXPORT_SPEC[name]
        conn.execute(create_raw_table_sql(spec))
        conn.execute(f"insert into mapping_chunks select r.wave, '{name}', r.source_line, "
                     f"hash({_patient_of(spec, patient_sources)}) % {chunks} from {raw_table(spec)} r "
                     f"where r.wave = ?", [wave])
    return chunks


def chunk_rows(conn: duckdb.DuckDBPyConnection, wave: str, chunk: int,
               patient_sources: Sequence[str]) -> dict[str, list[dict]]:
    """The per-patient objects' accepted rows of one chunk."""
    return {name: accepted_rows(conn, wave, [name], f"r.source_line in (select source_line from mapping_chunks "
                                                    f"where wave = r.wave and object = '{name}' and chunk = ?)",
                                [chunk])[name]
            for name in patient_sources}


def clear_chunks(conn: duckdb.DuckDBPyConnection, wave: str) -> None:
    conn.execute("delete from mapping_chunks where wave = ?", [wave])


def warning_rows(warehouse: Warehouse, wave: str, skip: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """(object, source key, rule) of every warning validation raised on a row with a key, but for the objects in
    `skip`."""
    with warehouse.connect() as conn:
        return conn.execute(
            "select object, source_key, rule from validation_issues where wave = ? and severity = 'warn' "
            "and source_key is not null and not list_contains(?, object)", [wave, list(skip)]
        ).fetchall()
