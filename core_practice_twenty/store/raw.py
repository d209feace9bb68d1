"""Landing: one export file into its DuckDB raw table, per wave, streamed, with exact source lines.

A raw table keeps every cell as text, exactly as exported (trimmed, null spellings folded), plus the
wave, snapshot, source file, source line and row hash, so validation, mapping and the audit trail can
always name the line a value came from. Re-landing a wave replaces that wave's rows only.

Two paths, one result. Rectangular UTF-8 CSVs without multi-line cells (most files) are parsed by
DuckDB's own CSV reader, in parallel, with line numbers derived arithmetically; DuckDB is told to be
strict, so anything irregular makes it refuse, and that file takes the Python path instead (csv
module, chunked), which handles banners, ragged rows, multi-line cells and Windows-1252. A workbook's rows are
read by calamine (merges filled, cached formula values, each with its sheet row as its line) straight into the
same table DuckDB's reader fills, and go through the same SQL; one with cells right of its header goes the Python
way, which keeps them. The row hash is defined the same way on every path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from core_practice_twenty.model.progress import Progress
from core_practice_twenty.source.export_spec import NULL_MARKERS, ColumnType, ObjectSpec
from core_practice_twenty.source.readers import (
    FULL_NAME,
    ExportFile,
    SourceRow,
    find_export_file,
    open_export_file,
    release_workbook,
    xlsx_rows,
)
from core_practice_twenty.store.warehouse import Warehouse, in_transaction, watched

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
    """How the rows were read: `duckdb` (its CSV reader), `workbook` (calamine, then the same SQL) or `python`."""
    rows_read: int = 0
    columns_mapped: list[str] = field(default_factory=list)
    columns_missing: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    null_counts: dict[str, int] = field(default_factory=dict)
    encoding_evidence: dict[str, object] = field(default_factory=dict)
    """Lines per encoding and the first lines that were not UTF-8 (numbers only): why the encoding was chosen."""
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
        f"source_file varchar not null, source_line integer not null, row_hash uhugeint not null, {cols}, "
        f"extra json)"
    )


def land_object(warehouse: Warehouse, spec: ObjectSpec, export_dir: Path, *, wave: str,
                snapshot_id: str, header_overrides: Mapping[str, str] | None = None,
                allow_cp1252_lines: bool = False, log: Callable[[str], None] = lambda _m: None) -> LandingStats:
    """Replace `wave`'s rows of the raw table with the export file's rows (headers the map chose applied).

    `allow_cp1252_lines` (the confirmed map's option): lines of a UTF-8 file that are not UTF-8 load as
    Windows-1252 and are flagged, instead of rejected. `log` is told how far the landing is at least every 5 s
    (a group's appointments file is one DuckDB statement of ~20 s; a workbook is read row by row).
    """
    path = find_export_file(export_dir, spec)
    export_file = open_export_file(path, spec, header_overrides=header_overrides,
                                   allow_cp1252_lines=allow_cp1252_lines)
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
        encoding_evidence=export_file.evidence.as_metadata() if export_file.evidence else {},
    )
    table = raw_table(spec)
    what = f"landing {path.name}"
    with warehouse.connect() as conn:
        conn.execute(create_raw_table_sql(spec))
        with watched(conn, f"{what} (parse)", log):
            # outside the transaction: a refusal must not abort it
            lines = (_read_workbook(conn, export_file, Progress(f"{what} (read)", None, log, unit="rows"))
                     if export_file.is_xlsx else _parse_with_duckdb(conn, export_file))
        with in_transaction(conn):
            conn.execute(f"delete from {table} where wave = ?", [wave])
            stats.path = {"listed": "workbook", None: "python"}.get(lines, "duckdb")
            if lines:
                with watched(conn, f"{what} (write)", log):
                    _insert_parsed(conn, export_file, wave, snapshot_id, lines)
            else:
                rows = Progress(what, None, log, unit="rows")
                for chunk in _chunks(export_file.rows(), CHUNK_ROWS):
                    conn.register("landing_chunk", _frame(chunk, spec, wave, snapshot_id))
                    conn.execute(f"insert into {table} by name select * replace (row_hash::uhugeint as row_hash) "
                                 f"from landing_chunk")
                    conn.unregister("landing_chunk")
                    rows.advance(len(chunk))
            counts, ambiguous = _profile(conn, spec, wave)
    release_workbook()  # the sheet parsed for the header's search and the rows, whichever path read them
    stats.rows_read = counts[0]
    stats.null_counts = dict(zip(spec.column_names, counts[1:], strict=True))
    stats.ambiguous_dates = {c: n for c, n in ambiguous.items() if n}
    return stats


def _profile(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> tuple[list[int], dict[str, int]]:
    """Row count, nulls per column and ambiguous dates per date column, in one scan of the wave's rows."""
    date_columns = [c.name for c in spec.columns if c.type in (ColumnType.DATE, ColumnType.DATETIME)]
    parts = "".join(f", regexp_extract(\"{c}\", '{AMBIGUOUS_DATE}', ['first', 'second']) as \"__parts_{c}\""
                    for c in date_columns)
    null_counts = "".join(f', count(*) - count("{c}")' for c in spec.column_names)

    def part(column: str, name: str) -> str:
        return f"try_cast(\"__parts_{column}\".{name} as integer)"

    ambiguous = "".join(
        f", count(*) filter (where {part(c, 'first')} <= 12 and {part(c, 'second')} <= 12 and "
        f"{part(c, 'first')} <> {part(c, 'second')})" for c in date_columns
    )
    found = conn.execute(
        f"select count(*){null_counts}{ambiguous} from (select *{parts} from {raw_table(spec)} where wave = ?)", [wave]
    ).fetchall()[0]
    width = 1 + len(spec.column_names)
    return list(found[:width]), dict(zip(date_columns, found[width:], strict=True))


def _physical_line_count(path: Path) -> int:
    """Lines as Python's csv reader counts them (\\r\\n, \\r and \\n each end one), so both paths agree."""
    lines = 0
    previous = b""
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if previous == b"\r" and block[:1] == b"\n":
                lines -= 1  # a \r\n split across two blocks
            previous = last = block[-1:]
    return lines + (0 if last in (b"\n", b"\r") else 1)


WHITESPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())
"""What Python's `str.strip()` removes (the Python reader's `clean_cell`); DuckDB's `trim()` alone removes spaces."""
_WHITESPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"


def _strip(expression: str) -> str:
    """Python's `str.strip()` in SQL, at the cost of two `ascii()` calls for the usual cell.

    A cell that starts and ends with a printable ASCII character other than space has nothing to strip;
    any other goes through one regex over every character Python calls whitespace (`trim(x, characters)`
    with those 29 characters is ~6x slower than the regex, and the regex ~3x slower than the check).
    """
    regex = f"regexp_replace({expression}, '^{_WHITESPACE_CLASS}+|{_WHITESPACE_CLASS}+$', '', 'g')"
    return (f"case when ascii({expression}) between 33 and 126 and ascii(reverse({expression})) between 33 and 126 "
            f"then {expression} else {regex} end")


def _null_markers(stripped: str) -> str:
    """`readers.clean_cell` on an already stripped cell: the null spellings (`n/a`, `-`, empty) become NULL."""
    markers = ", ".join(_quote(m) for m in sorted(NULL_MARKERS))
    longest = max(len(m) for m in NULL_MARKERS)
    return (f"case when length({stripped}) <= {longest} and lower({stripped}) in ({markers}) then null "
            f"else {stripped} end")


def _line_breaks(cell: str) -> str:
    """Line breaks inside a cell as Python's csv reader counts lines (\\r\\n, \\r and \\n each end one line)."""
    def count(text: str) -> str:
        return f"(length({cell}) - length(replace({cell}, {text}, '')))"

    return f"({count('chr(10)')} + {count('chr(13)')} - {count('chr(13) || chr(10)')} // 2)"


def _parse_with_duckdb(conn: duckdb.DuckDBPyConnection, export_file: ExportFile) -> str | None:
    """The fast path's parse into temp table landing_src, and how its source lines are known.

    Returns "arithmetic" (line = header line + record number), "counted" (records with line breaks inside
    quoted cells: temp table landing_lines holds, per record, the breaks in the records before it), or None
    when the file is not strictly rectangular UTF-8 CSV or its physical line count disagrees (blank lines,
    bare carriage returns...): then only the Python reader knows the lines.
    """
    mixed = export_file.evidence is not None and export_file.evidence.mixed
    if not export_file.is_csv or export_file.encoding == "cp1252" or mixed:
        return None  # workbooks and JSON, and the lines that are not UTF-8: only the Python reader knows them
    width = export_file.width
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    source = (
        f"read_csv(?, header=false, skip={export_file.header_line}, columns={columns}, delim=',', quote='\"', "
        f"escape='\"', strict_mode=true, null_padding=false, auto_detect=false)"
    )
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:  # count lines while DuckDB parses (it releases the GIL)
            counted = pool.submit(_physical_line_count, export_file.path)
            # rowid, not row_number() over (): a window would run the rest of the landing on one thread.
            conn.execute(f"create or replace temp table landing_src as select * from {source}", [str(export_file.path)])
            physical = counted.result()
    except duckdb.Error:
        return None
    if export_file.unnamed:  # a value under an empty header cell: only the Python reader keeps it
        beyond = " or ".join(f"coalesce(trim(c{i}), '') <> ''" for i in export_file.unnamed)
        if conn.execute(f"select count(*) from landing_src where {beyond}").fetchall()[0][0]:
            conn.execute("drop table landing_src")
            return None
    records = conn.execute("select count(*) from landing_src").fetchall()[0][0]
    if export_file.header_line + records == physical:
        return "arithmetic"
    # Quoted cells with line breaks: a record starts after the breaks of every record before it.
    has_break = " or ".join(f"contains(c{i}, chr(10)) or contains(c{i}, chr(13))" for i in range(width))
    breaks = " + ".join(f"coalesce({_line_breaks(f'c{i}')}, 0)" for i in range(width))
    conn.execute(
        f"create or replace temp table landing_lines as select rn, (sum(breaks) over (order by rn rows between "
        f"unbounded preceding and current row) - breaks)::bigint as breaks_before, breaks from ("
        f"select rowid + 1 as rn, {breaks} as breaks from landing_src where {has_break})"
    )
    total = conn.execute("select coalesce(sum(breaks), 0) from landing_lines").fetchall()[0][0]
    if export_file.header_line + records + total == physical:
        return "counted"
    conn.execute("drop table landing_src")
    conn.execute("drop table landing_lines")
    return None


def _read_workbook(conn: duckdb.DuckDBPyConnection, export_file: ExportFile, progress: Progress) -> str | None:
    """A workbook's data rows into temp table landing_src (`line`, then one text column per sheet column), chunk by
    chunk; "listed": each row carries its sheet line. None when a row has a value under no header name (right of
    the last one, or under an empty header cell): only the Python reader keeps those (as the row's overflow, which
    validation reports as a ragged row)."""
    width, named, unnamed = export_file.width, export_file.named_width, export_file.unnamed
    created = False
    sheet_width = width

    def flush(rows: list[list[str]], lines: list[int]) -> None:
        nonlocal created
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(sheet_width)]
        table = pa.table({"line": pa.array(lines, pa.int32()),
                          **{f"c{i}": pa.array(column, pa.string()) for i, column in enumerate(columns)}})
        cells = ", ".join(f"nullif(c{i}, '') as c{i}" for i in range(sheet_width))  # an empty cell, as CSV's
        conn.register("landing_chunk", table)
        verb = "insert into landing_src" if created else "create or replace temp table landing_src as"
        conn.execute(f"{verb} select line, {cells} from landing_chunk")
        conn.unregister("landing_chunk")
        created = True
        progress.advance(len(lines))

    rows: list[list[str]] = []
    lines: list[int] = []
    for line, cells in xlsx_rows(export_file.path):
        if line <= export_file.header_line:
            continue
        if (len(cells) > named and any(c.strip() for c in cells[named:])) or any(
                cells[i].strip() for i in unnamed if i < len(cells)):
            if created:
                conn.execute("drop table landing_src")
            return None
        if not rows:
            sheet_width = max(len(cells), width)
        rows.append(cells + [""] * (sheet_width - len(cells)))
        lines.append(line)
        if len(rows) >= CHUNK_ROWS:
            flush(rows, lines)
            rows, lines = [], []
    if rows or not created:
        flush(rows, lines)
    return "listed"


def _insert_parsed(conn: duckdb.DuckDBPyConnection, export_file: ExportFile, wave: str, snapshot_id: str,
                   lines: str) -> None:
    width = export_file.width
    spec = export_file.spec
    selected = []
    for position, name in export_file.column_map.items():
        cell = _null_markers(f"t{position}")
        if name == FULL_NAME:  # `Last, First` → last_name, first_name, as `readers.split_full_name` does
            comma = _quote(",")
            last = _strip(f"split_part({cell}, {comma}, 1)")
            first = _strip(f"substr({cell}, strpos({cell}, {comma}) + 1)")
            selected.append(f"case when not contains({cell}, {comma}) then {cell} else nullif({last}, '') end "
                            f"as last_name")
            selected.append(f"case when contains({cell}, {comma}) then nullif({first}, '') end as first_name")
        else:
            selected.append(f"{cell} as \"{name}\"")
    if export_file.extra_columns:
        pairs = ", ".join(f"{_quote(header)}, {_null_markers(f't{position}')}"
                          for position, header in export_file.extra_columns.items())
        selected.append(f"json_object({pairs}) as extra")
    # every column the file gives a row (a workbook's sheet may be wider than its header), as the Python reader pads
    hashed_width = sum(1 for (name, *_rest) in conn.execute("select * from landing_src limit 0").description
                       if name.startswith("c"))
    hashed = ", ".join(f"coalesce(c{i}, '')" for i in range(hashed_width))
    stripped = ", ".join(f"{_strip(f'c{i}')} as t{i}" for i in range(width))
    line = "s.line" if lines == "listed" else f"{export_file.header_line} + s.rn"
    joins = ""
    if lines == "counted":  # records without a break inside have no landing_lines row: use the one before them
        line += " + coalesce(l.breaks_before + l.breaks, 0)"
        joins = " asof left join landing_lines l on s.rn > l.rn"
    blank = " and ".join(f"coalesce(t{i}, '') = ''" for i in range(width))  # Python skips rows of blank cells
    conn.execute(
        f"insert into {raw_table(spec)} by name select ? as wave, ? as snapshot_id, ? as source_file, "
        f"source_line, md5_number(concat_ws(chr(31), {hashed})) as row_hash, {', '.join(selected)} "
        f"from (select s.*, ({line})::integer as source_line, {stripped} from (select rowid + 1 as rn, * "
        f"from landing_src) s{joins}) "
        f"where not ({blank})",
        [wave, snapshot_id, export_file.path.name],
    )
    conn.execute("drop table landing_src")
    if lines == "counted":
        conn.execute("drop table landing_lines")


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
        columns["row_hash"].append(str(row.row_hash))  # 128 bits: through text, cast back in SQL
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
        frame = conn.execute(  # the row hash as text: NumPy has no 128-bit unsigned integer
            f"select * replace (row_hash::varchar as row_hash) from {raw_table(spec)} where wave = ? "
            f"order by source_line", [wave]
        ).df()
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)
