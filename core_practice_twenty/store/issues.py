"""The validation issues table: every rule that failed on every row, and what that means for the row.

Rejected rows are the rows with at least one `reject` issue; everything else is accepted (possibly with
warnings the mapping reads). `rows read = rows accepted + rows rejected` holds per object by
construction and is proven by a check.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import duckdb
import pandas as pd

from core_practice_twenty.model.issues import Issue
from core_practice_twenty.source.export_spec import ObjectSpec
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.store.warehouse import Warehouse

ISSUE_CHUNK = 50_000


def replace_issues(conn: duckdb.DuckDBPyConnection, wave: str, scope: str, issues: Iterable[Issue],
                   objects: Iterable[str]) -> int:
    """Replace a wave's issues of one scope for the given objects (idempotent re-validation).

    `issues` is consumed in chunks, so a generator of millions of warnings (shared household emails in a
    large group) never sits in memory at once. A generator reading from `conn` itself must use its own
    cursor: the inserts here would end its open result.
    """
    names = list(objects)
    conn.execute(
        f"delete from validation_issues where wave = ? and scope = ? and object in ({', '.join('?' * len(names))})",
        [wave, scope, *names],
    )
    written = 0
    remaining = iter(issues)
    while chunk := list(islice(remaining, ISSUE_CHUNK)):
        _insert_issues(conn, wave, scope, chunk)
        written += len(chunk)
    return written


def _insert_issues(conn: duckdb.DuckDBPyConnection, wave: str, scope: str, chunk: list[Issue]) -> None:
    """One columnar insert: executemany would cost a round trip per issue."""
    frame = pd.DataFrame({
        "object": pd.Series([i.object for i in chunk], dtype=object),
        "source_key": pd.Series([i.source_key for i in chunk], dtype=object),
        "source_file": pd.Series([i.source_file for i in chunk], dtype=object),
        "source_line": pd.Series([i.source_line for i in chunk], dtype="Int64"),
        "rule": pd.Series([i.rule for i in chunk], dtype=object),
        "column_name": pd.Series([i.column for i in chunk], dtype=object),
        "severity": pd.Series([i.severity.value for i in chunk], dtype=object),
    })
    conn.register("issues_frame", frame)
    try:
        conn.execute(
            "insert into validation_issues select ?, object::varchar, ?, source_key::varchar, source_file::varchar, "
            "source_line::integer, rule::varchar, column_name::varchar, severity::varchar from issues_frame",
            [wave, scope],
        )
    finally:
        conn.unregister("issues_frame")


def object_counts(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> dict[str, int]:
    """Rows read (in the raw table), rejected (≥1 reject issue), warned, and accepted, for one object."""
    conn.execute(create_raw_table_sql(spec))
    read, rejected, warned, dangling = conn.execute(
        f"""
        select
          (select count(*) from {raw_table(spec)} where wave = $wave),
          (select count(distinct source_line) from validation_issues
             where wave = $wave and object = $object and severity = 'reject'),
          (select count(distinct source_line) from validation_issues
             where wave = $wave and object = $object and severity = 'warn'),
          (select count(*) from validation_issues i where wave = $wave and object = $object and not exists (
             select 1 from {raw_table(spec)} r where r.wave = $wave and r.source_line = i.source_line))
        """,
        {"wave": wave, "object": spec.name},
    ).fetchone()
    accepted = conn.execute(
        f"select count(*) from {raw_table(spec)} r where wave = ? and source_line not in ("
        f"select source_line from validation_issues where wave = ? and object = ? and severity = 'reject')",
        [wave, wave, spec.name],
    ).fetchone()[0]
    return {"read": read, "accepted": accepted, "rejected": rejected, "warned": warned,
            "issues_without_row": dangling}


def rule_counts(conn: duckdb.DuckDBPyConnection, wave: str, object_name: str, scope: str | None = None) -> dict:
    clause = "and scope = ?" if scope else ""
    params = [wave, object_name] + ([scope] if scope else [])
    rows = conn.execute(
        f"select rule, severity, count(*) from validation_issues where wave = ? and object = ? {clause} "
        f"group by all order by all", params,
    ).fetchall()
    return {f"{rule} ({severity})": n for rule, severity, n in rows}


def accepted_from(spec: ObjectSpec, alias: str = "r", wave: str = "?", source: str | None = None,
                  joins: str = "") -> str:
    """`from … where …` of a wave's rows validation did not reject (`wave`: SQL, a parameter by default, given
    twice): the one statement of "accepted", for mapping's reads and its compiled plans alike. `source`: SQL
    standing for the raw table (the same rows with some cells read otherwise); `joins`: SQL joined to it."""
    return (f"from {source or raw_table(spec)} {alias} {joins} where {alias}.wave = {wave} and "
            f"{alias}.source_line not in "
            f"(select source_line from validation_issues where wave = {wave} and object = '{spec.name}' "
            f"and severity = 'reject')")


def accepted_rows_sql(spec: ObjectSpec, where: str = "") -> str:
    """Select a wave's accepted rows (parameters: wave, wave, then any of `where`, a condition on alias `r`);
    the row hash as text, as `raw.read_raw` gives it.

    Text because NumPy has no 128-bit unsigned integer: `.df()` on the raw UHUGEINT would fail.
    """
    extra = f"and ({where}) " if where else ""
    return f"select * replace (row_hash::varchar as row_hash) {accepted_from(spec)} {extra}order by source_line"


def issue_summary(warehouse: Warehouse, wave: str, object_name: str | None = None) -> list[tuple]:
    """Per object, rule and severity: (object, rule, severity, rows, files, first 8 source lines); never values."""
    with warehouse.connect() as conn:
        return conn.execute(
            "select object, rule, severity, count(*), string_agg(distinct source_file, ', '), "
            "list(source_line order by source_line)[1:8] from validation_issues where wave = ? "
            "and (? is null or object = ?) group by all order by object, severity, rule",
            [wave, object_name, object_name],
        ).fetchall()
