"""Landing: one export file into its DuckDB raw table, streamed in chunks, per wave.

A raw table keeps every cell as text, exactly as exported (after null folding), plus the wave,
snapshot, source file, source line and row hash, so that validation, mapping and the audit trail can
always name the line a value came from. Re-landing a wave replaces that wave's rows only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core_practice_twenty.source.export_spec import ObjectSpec
from core_practice_twenty.source.readers import SourceRow, find_export_file, open_export_file
from core_practice_twenty.store.warehouse import Warehouse

LINEAGE_COLUMNS = ("wave", "snapshot_id", "source_file", "source_line", "row_hash")
CHUNK_ROWS = 10_000


def raw_table(spec: ObjectSpec) -> str:
    return f"raw_{spec.name}"


@dataclass
class LandingStats:
    """What landing did, for materialization metadata: counts and shapes, never values."""

    object: str
    source_file: str
    encoding: str
    header_line: int
    rows_read: int = 0
    columns_mapped: list[str] = field(default_factory=list)
    columns_missing: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    null_counts: dict[str, int] = field(default_factory=dict)

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
    stats = LandingStats(
        object=spec.name,
        source_file=path.name,
        encoding=export_file.encoding,
        header_line=export_file.header_line,
        columns_mapped=[c for c in spec.column_names if c in mapped],
        columns_missing=[c for c in spec.column_names if c not in mapped],
        extra_columns=list(export_file.extra_columns.values()),
        null_counts={c: 0 for c in spec.column_names},
    )
    table = raw_table(spec)
    with warehouse.connect() as conn:
        conn.execute(create_raw_table_sql(spec))
        conn.execute("begin transaction")
        conn.execute(f"delete from {table} where wave = ?", [wave])
        for chunk in _chunks(export_file.rows(), CHUNK_ROWS):
            frame = _frame(chunk, spec, wave, snapshot_id, stats)
            conn.register("landing_chunk", frame)
            conn.execute(f"insert into {table} by name select * from landing_chunk")
            conn.unregister("landing_chunk")
        conn.execute("commit")
    return stats


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterable[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _frame(chunk: list[SourceRow], spec: ObjectSpec, wave: str, snapshot_id: str,
           stats: LandingStats) -> pd.DataFrame:
    records = []
    for row in chunk:
        record: dict[str, object] = {
            "wave": wave,
            "snapshot_id": snapshot_id,
            "source_file": row.source_file,
            "source_line": row.source_line,
            "row_hash": row.row_hash,
            **row.values,
            "extra": json.dumps(row.extras, ensure_ascii=False) if row.extras else None,
        }
        for name, value in row.values.items():
            if value is None:
                stats.null_counts[name] += 1
        records.append(record)
    stats.rows_read += len(chunk)
    columns = [*LINEAGE_COLUMNS, *spec.column_names, "extra"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype({c: "object" for c in columns if c != "source_line"})


def read_raw(warehouse: Warehouse, spec: ObjectSpec, wave: str) -> pd.DataFrame:
    """A wave's raw rows as text, ordered by source line, nulls as None (not NaN).

    Small objects only; issue 4 streams the large ones.
    """
    with warehouse.connect() as conn:
        conn.execute(create_raw_table_sql(spec))
        frame = conn.execute(
            f"select * from {raw_table(spec)} where wave = ? order by source_line", [wave]
        ).df()
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)
