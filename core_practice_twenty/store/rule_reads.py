"""The queries validation's rules run over a wave's raw tables: failing rows, repeated keys, dangling references.

Validation decides what a rule is (a predicate compiled from the export spec, a severity, a name); the SQL that
runs it over the raw tables lives here, with the tables. Every query streams: rows come back in chunks, so a
badly damaged export of a large group never sits in memory, and each takes its own cursor when the caller
writes issues on the same connection meanwhile. Rows come back as (source key, source file, source line):
never a cell's value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from core_practice_twenty.source.export_spec import EXPORT_SPEC, TRUE_VALUES, ColumnSpec, ObjectSpec
from core_practice_twenty.store.columnar import rows_as_table
from core_practice_twenty.store.issues import accepted_from
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.store.raw_reads import source_key_sql

COUNTRY_CODES = "country_codes"
"""Temp table (value, alpha2) of a wave's distinct country cells, joined to a raw table as `cc_<column>`."""
SOURCE_KEY = "source_key"
FETCH_ROWS = 50_000
RESULT_CHUNK_ROWS = 100_000

LineRow = tuple[str | None, str, int]
"""(source key, source file, source line) of a row a rule found."""


def ensure_raw_tables(conn: duckdb.DuckDBPyConnection, specs: Sequence[ObjectSpec]) -> None:
    """An object the export lacks still has an (empty) raw table, so its rules find nothing instead of failing."""
    for spec in specs:
        conn.execute(create_raw_table_sql(spec))


def quoted(name: str) -> str:
    """A column name as a SQL identifier (export headers may hold quotes)."""
    return '"' + name.replace('"', '""') + '"'


def _stream(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> Iterator[LineRow]:
    conn.execute(sql, params)
    while rows := conn.fetchmany(FETCH_ROWS):
        yield from rows


def load_country_codes(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, column: ColumnSpec, wave: str,
                       to_alpha2: Callable[[str], str | None]) -> None:
    """Fill `COUNTRY_CODES` from the wave's distinct cells of `column` (a few dozen values), read by `to_alpha2`.

    A temp table: visible to `conn` (the cursor that runs the rules) only.
    """
    values = [v for (v,) in conn.execute(
        f"select distinct {quoted(column.name)} from {raw_table(spec)} where wave = ? and "
        f"{quoted(column.name)} is not null", [wave]).fetchall()]
    codes = pd.DataFrame({"value": pd.Series(values, dtype=object),
                          "alpha2": pd.Series([to_alpha2(v) for v in values], dtype=object)})
    conn.register("country_codes_frame", codes)
    conn.execute(f"create or replace temp table {COUNTRY_CODES} as select value::varchar as value, "
                 f"alpha2::varchar as alpha2 from country_codes_frame")
    conn.unregister("country_codes_frame")


def rule_results_sql(spec: ObjectSpec, predicates: Sequence[tuple[str, str]], derived: Mapping[str, str],
                     country: ColumnSpec | None, *, only_failing: bool = True) -> str:
    """The rows of a wave (parameter 1): lineage, key, and per predicate `name` true = the row passes.

    `predicates` are (name, SQL true where a row breaks it; NULL passes) over the raw columns and the `derived`
    ones (name → expression), computed once per row before the predicates read them. With `only_failing`,
    only rows that break at least one come back.
    """
    key = source_key_sql(spec)
    present = " and ".join(f"{quoted(k)} is not null" for k in spec.key)
    extra = "".join(f", {expr} as {quoted(name)}" for name, expr in derived.items())
    joins = ""
    if country is not None:
        alias = f"cc_{country.name}"
        joins = f" left join {COUNTRY_CODES} {alias} on {alias}.value = r.{quoted(country.name)}"
    results = ", ".join(f"coalesce(not ({fails}), true) as {quoted(name)}" for name, fails in predicates)
    return (
        f"with checked as (select r.*, case when {present} then {key} end as {SOURCE_KEY}{extra} "
        f"from {raw_table(spec)} r{joins} where r.wave = $1), "
        f"results as (select source_file, source_line, {SOURCE_KEY}, {results} from checked) "
        f"select * from results "
        + (f"where not ({' and '.join(quoted(name) for name, _ in predicates)}) " if only_failing else "")
        + "order by source_line"
    )


def failing_rows(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str,
                 predicates: Sequence[tuple[str, str]], derived: Mapping[str, str], country: ColumnSpec | None,
                 to_alpha2: Callable[[str], str | None]) -> Iterator[pd.DataFrame]:
    """The wave's rows that break at least one predicate, as frames of per-predicate booleans, in line order.

    One parallel pass over the raw table; rows that pass every predicate never leave DuckDB. `conn` should be
    a cursor of its own (the country codes are a temp table on it).
    """
    if country is not None:
        load_country_codes(conn, spec, country, wave, to_alpha2)
    sql = rule_results_sql(spec, predicates, derived, country)
    for batch in conn.sql(sql, params=[wave]).to_arrow_reader(RESULT_CHUNK_ROWS):
        yield batch.to_pandas()


def duplicate_key_rows(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> Iterator[LineRow]:
    """Every copy of a key that occurs more than once in the wave."""
    key = source_key_sql(spec, "r")
    yield from _stream(conn, (
        f"select {key}, r.source_file, r.source_line from {raw_table(spec)} r where r.wave = ? and {key} in ("
        f"select {key} from {raw_table(spec)} r where r.wave = ? group by all having count(*) > 1) "
        f"order by r.source_line"), [wave, wave])


def dangling_reference_rows(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, column: ColumnSpec,
                            wave: str) -> Iterator[LineRow]:
    """Rows whose `column` names a key (`column.references`, "object.key") that is not in the wave."""
    target_object, target_key = column.references.split(".")
    yield from _stream(conn, (
        f"select {source_key_sql(spec, 'r')}, r.source_file, r.source_line from {raw_table(spec)} r "
        f"where r.wave = ? and r.{quoted(column.name)} is not null and not exists ("
        f"select 1 from {raw_table(EXPORT_SPEC[target_object])} t where t.wave = ? "
        f"and t.{quoted(target_key)} = r.{quoted(column.name)}) order by r.source_line"), [wave, wave])


def _patient_conditions() -> dict[str, tuple[str, int]]:
    """Patient questions by name: (rows of `patients` as `r`, the number of `wave` parameters)."""
    table = raw_table(EXPORT_SPEC["patients"])
    links = raw_table(EXPORT_SPEC["patient_practices"])
    return {
        "email_of_another_patient": (
            f"{table} r where wave = ? and lower(email) in (select lower(email) from {table} where wave = ? and "
            f"email is not null group by all having count(distinct patient_id) > 1)", 2),
        "no_email": (f"{table} r where wave = ? and email is null", 1),
        "marked_deleted": (
            f"{table} r where wave = ? and lower(is_deleted) in ({', '.join(repr(v) for v in sorted(TRUE_VALUES))})",
            1),
        "no_practice": (
            f"{table} r where wave = ? and practice_id is null and not exists (select 1 from {links} l "
            f"where l.wave = ? and l.patient_id = r.patient_id)", 2),
    }


PATIENT_QUESTIONS = tuple(_patient_conditions())
"""What `patient_rows` can be asked about a wave's patients (validation names the rule each one answers)."""


def accepted_patient_columns(conn: duckdb.DuckDBPyConnection, wave: str, select_list: str) -> pa.Table:
    """`select_list` (expressions over alias `r`) of the wave's accepted patients, as one Arrow table: the few
    columns record linkage compares, never the whole row."""
    spec = EXPORT_SPEC["patients"]
    return conn.sql(f"select {select_list} {accepted_from(spec, 'r', '$wave')}",
                    params={"wave": wave}).to_arrow_table()


def patient_lines(conn: duckdb.DuckDBPyConnection, wave: str, patient_ids: list[str]) -> Iterator[LineRow]:
    """The lines of these patients in the wave, in line order."""
    if not patient_ids:
        return
    key = source_key_sql(EXPORT_SPEC["patients"], "r")
    with rows_as_table(conn, ["patient_id"], [[p] for p in patient_ids]) as wanted:
        rows = conn.execute(f"select {key}, r.source_file, r.source_line from {raw_table(EXPORT_SPEC['patients'])} r "
                            f"where r.wave = ? and r.patient_id in (select patient_id from {wanted}) "
                            f"order by r.source_line", [wave]).fetchall()
    yield from rows


def patient_rows(conn: duckdb.DuckDBPyConnection, question: str, wave: str) -> Iterator[LineRow]:
    """The wave's patients that `question` (one of `PATIENT_QUESTIONS`) finds, in line order."""
    condition, waves = _patient_conditions()[question]
    key = source_key_sql(EXPORT_SPEC["patients"], "r")
    yield from _stream(conn, f"select {key}, r.source_file, r.source_line from {condition} order by r.source_line",
                       [wave] * waves)


def text_candidates(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str, columns: Sequence[str],
                    pattern: str) -> Iterator[tuple[str | None, str, int, tuple[str | None, ...], str | None]]:
    """Rows where `pattern` occurs in one of `columns` or in the practice's own columns (`extra`): (key, file,
    line, the columns' cells, extra as JSON text). DuckDB finds the few candidate rows among millions; their
    cells come back only to be checked in memory (they may be health data: never logged or stored)."""
    searched = [f"r.{quoted(c)}" for c in columns] + ["r.extra::varchar"]
    matches = " or ".join(f"regexp_matches({s}, $2)" for s in searched)
    conn.execute(f"select {source_key_sql(spec, 'r')}, r.source_file, r.source_line, [{', '.join(searched[:-1])}]"
                 f"::varchar[], r.extra::varchar from {raw_table(spec)} r where r.wave = $1 and ({matches}) "
                 f"order by r.source_line", [wave, pattern])
    while rows := conn.fetchmany(FETCH_ROWS):
        for key, file, line, values, extra in rows:
            yield key, file, line, tuple(values or ()), extra


def document_listing(conn: duckdb.DuckDBPyConnection, wave: str,
                     chunk_rows: int) -> Iterator[list[tuple]]:
    """The wave's documents, `chunk_rows` at a time: (key, file, line, path under documents/, lower-case sha256,
    size as listed)."""
    spec = EXPORT_SPEC["documents"]
    conn.execute(f"select {source_key_sql(spec)}, source_file, source_line, relative_path, lower(sha256), size_bytes "
                 f"from {raw_table(spec)} where wave = ? order by source_line", [wave])
    while rows := conn.fetchmany(chunk_rows):
        yield rows

