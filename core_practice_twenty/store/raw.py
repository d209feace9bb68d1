"""Landing: one export file into its DuckDB raw table, per wave, streamed, with exact source lines.

A raw table keeps every cell as text, exactly as exported (trimmed, null spellings folded), plus the
wave, snapshot, source file, source line and row hash, so validation, mapping and the audit trail can
always name the line a value came from. Re-landing a wave replaces that wave's rows only.

Two paths, one result. Rectangular UTF-8 CSVs without multi-line cells (most files) are parsed by
DuckDB's own CSV reader, in parallel, with line numbers derived arithmetically; DuckDB is told to be
strict, so anything irregular makes it refuse, and that file takes the Python path instead (csv
module or openpyxl, chunked), which handles banners, ragged rows, multi-line cells, Windows-1252
and XLSX. The row hash is defined the same way on both paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core_practice_twenty.source.export_spec import NULL_MARKERS, ColumnType, ObjectSpec
from core_practice_twenty.source.readers import (
    FULL_NAME,
    ExportFile,
    SourceRow,
    find_export_file,
    open_export_file,
)
from core_practice_twenty.store.warehouse import Warehouse

LINEAGE_COLUMNS = ("wave", "snapshot_id", "source_file", "source_line", "row_hash")
CHUNK_ROWS = 50_000
AMBIGUOUS_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{2,4}"


def raw_table(spec: ObjectSpec) -> str:
    return f"raw_{spec.name}"


@dataclass
class LandingStats:
    """What landing did, for materialization metadata: counts and shapes, never values."""

    object: str
    source_file: str
    encoding: str
    header_line: int
    path: str = ""
    rows_read: int = 0
    columns_mapped: list[str] = field(default_factory=list)
    columns_missing: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    null_counts: dict[str, int] = field(default_factory=dict)
    ambiguous_dates: dict[str, int] = field(default_factory=dict)
    """Per date column: values like 03/04/2025 whose day and month could swap (read by the region's order)."""

    def null_rates(self) -> dict[str, float]:
        if not self.rows_read:
            return {}
        return {name: round(n / self.rows_read, 4) for name, n in self.null_counts.items()}


def create_raw_table_sql(spec: ObjectSpec) -> str:
    cols = ", ".join(f'"{name}" varchar' for name in spec.column_names)
    return (
        f"create table if not exists {raw_table(spec)} (wave varchar not null, snapshot_id varchar not null, "
        f"source_file varchar not null, source_line integer not null, row_hash varchar not null, {cols}, "
        f"extra json)"
    )


def land_object(warehouse: Warehouse, spec: ObjectSpec, export_dir: Path, *, wave: str,
                snapshot_id: str) -> LandingStats:
    """Replace `wave`'s rows of the raw table with the export file's rows."""
    path = find_export_file(export_dir, spec)
    export_file = open_export_file(path, spec)
    mapped = set(export_file.column_map.values())
    if FULL_NAME in mapped:
        mapped |= {"first_name", "last_name"}
    stats = LandingStats(
        object=spec.name,
        source_file=path.name,
        encoding=export_file.encoding,
        header_line=export_file.header_line,
        columns_mapped=[c for c in spec.column_names if c in mapped],
        columns_missing=[c for c in spec.column_names if c not in mapped],
        extra_columns=list(export_file.extra_columns.values()),
    )
    table = raw_table(spec)
    with warehouse.connect() as conn:
        conn.execute(create_raw_table_sql(spec))
        parsed = _parse_with_duckdb(conn, export_file)  # outside the transaction: a refusal must not abort it
        conn.execute("begin transaction")
        conn.execute(f"delete from {table} where wave = ?", [wave])
        stats.path = "duckdb" if parsed else "python"
        if parsed:
            _insert_parsed(conn, export_file, wave, snapshot_id)
        else:
            for chunk in _chunks(export_file.rows(), CHUNK_ROWS):
                conn.register("landing_chunk", _frame(chunk, spec, wave, snapshot_id))
                conn.execute(f"insert into {table} by name select * from landing_chunk")
                conn.unregister("landing_chunk")
        null_counts = ", ".join(f'count(*) - count("{c}")' for c in spec.column_names)
        counts = conn.execute(f"select count(*), {null_counts} from {table} where wave = ?", [wave]).fetchone()
        date_columns = [c.name for c in spec.columns if c.type in (ColumnType.DATE, ColumnType.DATETIME)]
        if date_columns:
            def part(column: str, group: int) -> str:
                return f"try_cast(regexp_extract(\"{column}\", '{AMBIGUOUS_DATE}', {group}) as integer)"

            ambiguous = ", ".join(
                f"count(*) filter (where {part(c, 1)} <= 12 and {part(c, 2)} <= 12 and {part(c, 1)} <> {part(c, 2)})"
                for c in date_columns
            )
            found = conn.execute(f"select {ambiguous} from {table} where wave = ?", [wave]).fetchone()
            stats.ambiguous_dates = {c: n for c, n in zip(date_columns, found, strict=True) if n}
        conn.execute("commit")
    stats.rows_read = counts[0]
    stats.null_counts = dict(zip(spec.column_names, counts[1:], strict=True))
    return stats


def _physical_line_count(path: Path) -> int:
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (0 if last == b"\n" else 1)


def _sql_text(name: str) -> str:
    markers = ", ".join(f"'{m}'" for m in sorted(NULL_MARKERS))
    return f"case when lower(trim({name})) in ({markers}) then null else trim({name}) end"


def _parse_with_duckdb(conn: duckdb.DuckDBPyConnection, export_file: ExportFile) -> bool:
    """The fast path's parse into temp table landing_src; False when the file is not strictly rectangular UTF-8."""
    if export_file.is_xlsx or export_file.encoding == "cp1252" or FULL_NAME in export_file.column_map.values():
        return False
    width = export_file.width
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    source = (
        f"read_csv(?, header=false, skip={export_file.header_line}, columns={columns}, delim=',', quote='\"', "
        f"escape='\"', strict_mode=true, null_padding=false, auto_detect=false)"
    )
    try:
        conn.execute(f"create or replace temp table landing_src as select *, row_number() over () as rn from {source}",
                     [str(export_file.path)])
    except duckdb.Error:
        return False
    records = conn.execute("select count(*) from landing_src").fetchone()[0]
    if export_file.header_line + records != _physical_line_count(export_file.path):
        conn.execute("drop table landing_src")  # multi-line cells or blank lines: only Python knows the lines
        return False
    return True


def _insert_parsed(conn: duckdb.DuckDBPyConnection, export_file: ExportFile, wave: str, snapshot_id: str) -> None:
    width = export_file.width
    spec = export_file.spec
    selected = [f"{_sql_text(f'c{position}')} as \"{name}\"" for position, name in export_file.column_map.items()]
    if export_file.extra_columns:
        pairs = ", ".join(f"{_quote(header)}, {_sql_text(f'c{position}')}"
                          for position, header in export_file.extra_columns.items())
        selected.append(f"json_object({pairs}) as extra")
    hashed = ", ".join(f"coalesce(c{i}, '')" for i in range(width))
    conn.execute(
        f"insert into {raw_table(spec)} by name select ? as wave, ? as snapshot_id, ? as source_file, "
        f"({export_file.header_line} + rn)::integer as source_line, "
        f"sha256(concat_ws(chr(31), {hashed})) as row_hash, {', '.join(selected)} "
        f"from landing_src where not ({' and '.join(f'c{i} is null' for i in range(width))})",
        [wave, snapshot_id, export_file.path.name],
    )
    conn.execute("drop table landing_src")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterable[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _frame(chunk: list[SourceRow], spec: ObjectSpec, wave: str, snapshot_id: str) -> pd.DataFrame:
    columns: dict[str, list] = {name: [] for name in (*LINEAGE_COLUMNS, *spec.column_names, "extra")}
    for row in chunk:
        columns["wave"].append(wave)
        columns["snapshot_id"].append(snapshot_id)
        columns["source_file"].append(row.source_file)
        columns["source_line"].append(row.source_line)
        columns["row_hash"].append(row.row_hash)
        for name in spec.column_names:
            columns[name].append(row.values[name])
        columns["extra"].append(json.dumps(row.extras, ensure_ascii=False) if row.extras else None)
    frame = pd.DataFrame(columns)
    return frame.astype({c: "object" for c in frame.columns if c != "source_line"})


def read_raw(warehouse: Warehouse, spec: ObjectSpec, wave: str) -> pd.DataFrame:
    """A wave's raw rows as text, ordered by source line, nulls as None (not NaN).

    For small objects and tests; large ones are read in chunks with `iter_raw`.
    """
    with warehouse.connect() as conn:
        conn.execute(create_raw_table_sql(spec))
        frame = conn.execute(
            f"select * from {raw_table(spec)} where wave = ? order by source_line", [wave]
        ).df()
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)
