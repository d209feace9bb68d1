"""Read one Core Practice export file into canonical rows, streaming, without losing a byte.

Every row keeps where it came from (file, physical line) and a hash of its raw cells, so that a
reject, a diff or an audit entry can always point a person back to the exact line of the export.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path

from python_calamine import CalamineSheet, CalamineWorkbook

from core_practice_twenty.source.encodings import EncodingEvidence, UndecodableError, examine, text_lines
from core_practice_twenty.source.export_spec import EXPORT_SPEC, NULL_MARKERS, ObjectSpec, normalise_header

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".json")
HASH_SEPARATOR = "\x1f"
FULL_NAME = "__full_name"
OVERFLOW_KEY = "_overflow"
"""Extras key of the cells a row has beyond its header (a ragged row): kept, and flagged by validation."""
NOT_UTF8_KEY = "_not_utf8"
"""Extras key of a row with a line that is not UTF-8 in a UTF-8 file: validation rejects it (`not_utf8`)."""
CP1252_LINE_KEY = "_cp1252_line"
"""Extras key of such a row when the confirmed map allows Windows-1252 lines: loaded, flagged `cp1252_line`."""


class ExportStructureError(Exception):
    """The export cannot be read at all (missing file, missing required column, undecodable bytes).

    The message names the file (and line/column where there is one) and says what to do, because the
    person reading it is a migration engineer at cutover, not the author of this code.
    """


@dataclass(frozen=True)
class SourceRow:
    """One data row of an export file, in canonical column names."""

    source_file: str
    source_line: int
    values: dict[str, str | None]
    extras: dict[str, str | None]
    row_hash: int
    """MD5 of the raw cells (before trimming) joined by U+001F, as a 128-bit little-endian integer:
    DuckDB's `md5_number`, so both landing paths store the same UHUGEINT without formatting hex."""


@dataclass
class ExportFile:
    """An export file opened for reading: where the header is and how each column maps."""

    path: Path
    spec: ObjectSpec
    encoding: str
    header_line: int
    column_map: dict[int, str]  # position in file → canonical name
    extra_columns: dict[int, str] = field(default_factory=dict)  # position → header as written
    header_width: int = 0
    evidence: EncodingEvidence | None = None
    allow_cp1252_lines: bool = False
    """The confirmed map lets lines that are not UTF-8 (in a UTF-8 file) load as Windows-1252, flagged."""

    @property
    def width(self) -> int:
        """Cells in the header row: a data row with more is irregular."""
        return self.header_width

    @cached_property
    def named_width(self) -> int:
        """Cells up to the header's last named one: a value right of it has no column (a workbook's sheet, or a
        header ending in empty cells, is wider than its names) and makes the row irregular, never lost."""
        return max((i + 1 for i in (*self.column_map, *self.extra_columns)), default=0)

    @cached_property
    def unnamed(self) -> tuple[int, ...]:
        """Positions of the header's empty cells: a value under one has no column, so it is kept as the row's
        overflow (a ragged row), never dropped."""
        return tuple(i for i in range(self.header_width) if i not in self.column_map and i not in self.extra_columns)

    @property
    def is_xlsx(self) -> bool:
        return self.path.suffix.lower() == ".xlsx"

    @property
    def is_csv(self) -> bool:
        """Comma-separated text (the only kind DuckDB's CSV reader may parse for landing)."""
        return self.path.suffix.lower() == ".csv"

    def rows(self) -> Iterator[SourceRow]:
        """Yield data rows; blank lines are skipped, every other line becomes a row."""
        foreign: list[int] = []  # lines of the record just read that were not UTF-8 (a mixed file)
        for line, cells in _physical_rows(self.path, self.encoding, foreign.append):
            not_utf8 = bool(foreign)
            foreign.clear()
            if line <= self.header_line or not any(cell.strip() for cell in cells):
                continue
            yield self._row(cells, line, not_utf8=not_utf8)

    def _row(self, cells: list[str], line: int, *, not_utf8: bool = False) -> SourceRow:
        values: dict[str, str | None] = {name: None for name in self.spec.column_names}
        for position, name in self.column_map.items():
            value = clean_cell(cells[position]) if position < len(cells) else None
            if name == FULL_NAME:
                values["last_name"], values["first_name"] = split_full_name(value)
            else:
                values[name] = value
        extras = {
            header: (clean_cell(cells[position]) if position < len(cells) else None)
            for position, header in self.extra_columns.items()
        }
        named = self.named_width
        between = [cells[i] for i in self.unnamed if i < named and i < len(cells) and cells[i].strip()]
        beyond = cells[named:] if len(cells) > named and any(c.strip() for c in cells[named:]) else []
        if between or beyond:
            extras[OVERFLOW_KEY] = HASH_SEPARATOR.join(between + beyond)
        if not_utf8:
            extras[CP1252_LINE_KEY if self.allow_cp1252_lines else NOT_UTF8_KEY] = "Windows-1252"
        padded = cells + [""] * (self.header_width - len(cells))
        digest = hashlib.md5(HASH_SEPARATOR.join(padded).encode("utf-8"), usedforsecurity=False).digest()
        return SourceRow(self.path.name, line, values, extras, int.from_bytes(digest, "little"))


def split_full_name(value: str | None) -> tuple[str | None, str | None]:
    """`Smith, John` → (Smith, John); without a comma the whole cell is the last name (nothing guessed)."""
    if value is None:
        return None, None
    last, comma, first = value.partition(",")
    if not comma:
        return value, None
    return last.strip() or None, first.strip() or None


def clean_cell(raw: str) -> str | None:
    """Trim a cell and turn the export's null spellings (`n/a`, `-`, empty) into None."""
    text = raw.strip()
    return None if text.lower() in NULL_MARKERS else text


def find_export_file(export_dir: Path, spec: ObjectSpec) -> Path:
    """Find the file for `spec` in a snapshot folder, whatever case or accepted stem it uses."""
    if not export_dir.is_dir():
        raise ExportStructureError(
            f"{export_dir}: export folder not found. Point --export at the snapshot folder that holds "
            f"{spec.name}.csv and the other export files."
        )
    wanted = {f"{stem}{suffix}" for stem in spec.stems for suffix in SUPPORTED_SUFFIXES}
    matches = sorted(
        p for p in export_dir.iterdir() if p.is_file() and p.name.lower() in wanted and not p.name.startswith("_")
    )
    if not matches:
        raise ExportStructureError(
            f"{export_dir}: no {spec.name} file (looked for {', '.join(sorted(wanted))}). Export the "
            f"{spec.name} report from Core Practice into this folder, or rename the file."
        )
    if len(matches) > 1:
        names = ", ".join(p.name for p in matches)
        raise ExportStructureError(
            f"{export_dir}: more than one {spec.name} file ({names}). Keep exactly one and run again."
        )
    return matches[0]


def xlsx_cell_text(value: object) -> str:
    """An XLSX cell as the text a CSV export would have held (dates ISO, whole numbers without `.0`).

    By exact type first (a workbook's cells are str, float, date-times, dates, bools; a million of them per large
    sheet), then by kind for anything else."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is float:
        return str(int(value)) if value.is_integer() else str(value)  # type: ignore[attr-defined,call-overload]
    if value is None:
        return ""
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if not (value.hour or value.minute or value.second or value.microsecond):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _physical_rows(path: Path, encoding: str,
                   on_foreign_line: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) for every record of a CSV or the first sheet of an XLSX.

    A line of a UTF-8 file that is not UTF-8 is read as Windows-1252 and reported to `on_foreign_line`
    (source/encodings.py says why it is never re-read silently).
    """
    if path.suffix.lower() == ".xlsx":
        yield from xlsx_rows(path)
        return
    if path.suffix.lower() == ".json":
        yield from _json_rows(path, encoding)
        return
    # strict: text after a closing quote (`"Kings Cross"PT3`, a line break lost) is an error naming the line,
    # not silently glued onto the cell as the lenient reader does
    reader = csv.reader(text_lines(path, encoding, on_foreign_line), strict=True)
    last_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ExportStructureError(
                f"{path.name}, line {reader.line_num}: not a readable CSV ({exc}). Re-export the report as "
                f"CSV and run again."
            ) from exc
        except UndecodableError as exc:
            raise ExportStructureError(
                f"{path.name}, line {exc.line}: neither UTF-8 nor Windows-1252 text. Open the file in a "
                f"spreadsheet and save it as 'CSV UTF-8', then run again."
            ) from exc
        start_line = last_line + 1
        last_line = reader.line_num
        yield start_line, cells


@lru_cache(maxsize=1)
def _first_sheet(path: str, _mtime_ns: int, _size: int) -> CalamineSheet:
    """The workbook's first sheet, parsed once for the header's search and the rows' read (the last one only: the
    same file, unchanged)."""
    try:
        return CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several types for a damaged file
        raise ExportStructureError(
            f"{Path(path).name}: not a readable XLSX workbook ({type(exc).__name__}). Re-export it from Core "
            f"Practice, or save it as CSV, and run again."
        ) from exc


def release_workbook() -> None:
    """Let go of the last workbook's parsed sheet (its landing is done)."""
    _first_sheet.cache_clear()


def xlsx_header_cells(path: Path, line: int, cells: list[str]) -> list[str]:
    """A header row as a person merged it: a name merged across columns names each column under it, the second
    `<name> 2`, the third `<name> 3` (`Address` over three columns: `Address`, `Address 2`, `Address 3`), so no
    column under it is left without a name and its values without a column."""
    stat = path.stat()
    sheet = _first_sheet(str(path), stat.st_mtime_ns, stat.st_size)
    first_column = sheet.start[1] if sheet.start else 0
    named = list(cells)
    for (top, left), (_bottom, right) in sheet.merged_cell_ranges or ():
        start, end = left - first_column, right - first_column
        if top != line - 1 or right <= left or not 0 <= start < len(named) or not named[start].strip():
            continue
        for offset, column in enumerate(range(start + 1, min(end, len(named) - 1) + 1), start=2):
            if not named[column].strip():
                named[column] = f"{named[start].strip()} {offset}"
    return named


def xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, line = the sheet's row number, cells as a CSV would hold them (cached formula values).

    Read with calamine (Rust; ~14x openpyxl's read-only mode on a 100,000-row workbook). A vertically merged cell
    (one Invoice ID spanning the payment rows a person laid out under it) gives its value to every row it spans:
    each of those rows is a record of its own, and a merge must not leave all but the first without its key.
    """
    stat = path.stat()
    sheet = _first_sheet(str(path), stat.st_mtime_ns, stat.st_size)
    first_column = sheet.start[1] if sheet.start else 0  # rows come from the first row, columns from the first used
    spans: dict[int, list[tuple[int, int]]] = {}  # top row → (column, last row) of each vertical merge
    for (top, left), (bottom, _right) in sheet.merged_cell_ranges or ():
        if bottom > top:
            spans.setdefault(top, []).append((left - first_column, bottom))
    filling: dict[int, tuple[str, int]] = {}  # column → (the merge's value, its last row)
    for index, values in enumerate(sheet.iter_rows()):
        cells = [v if type(v) is str else xlsx_cell_text(v) for v in values]
        for column, (value, last) in list(filling.items()):
            if index > last:
                del filling[column]
            elif column < len(cells) and cells[column] == "":
                cells[column] = value
        for column, last in spans.get(index, ()):
            if 0 <= column < len(cells):
                filling[column] = (cells[column], last)
        yield index + 1, cells


def _json_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """A JSON export (Core Practice writes its workflow definitions as JSON): an array of objects, or an object
    holding one. Yields a header row (every key, first seen first) as line 0, then each record with the line its
    object starts on (its position in the list when records share lines, as in minified JSON); a nested value
    (a workflow's steps) is one cell of compact JSON."""
    text = path.read_text(encoding=encoding)
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    try:
        if text[start:start + 1] == "{":
            whole = json.loads(text)
            key = next((k for k, v in whole.items() if isinstance(v, list)), None) if isinstance(whole, dict) else None
            if key is None:
                raise ValueError("an object without a list of records")
            start = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text).end() - 1
        if text[start:start + 1] != "[":
            raise ValueError("neither a list of records nor an object holding one")
        records: list[tuple[int, dict]] = []
        index = start + 1
        while True:
            index = _skip_json_space(text, index)
            if text[index:index + 1] == "]":
                break
            record, end = decoder.raw_decode(text, index)
            if not isinstance(record, dict):
                raise ValueError(f"record {len(records) + 1} is not an object")
            records.append((text.count("\n", 0, index) + 1, record))
            index = _skip_json_space(text, end)
            if text[index:index + 1] == ",":
                index += 1
    except (ValueError, AttributeError, IndexError) as exc:
        line = getattr(exc, "lineno", None)
        where = f", line {line}" if line else ""
        raise ExportStructureError(
            f"{path.name}{where}: not a readable JSON export ({getattr(exc, 'msg', exc)}). Re-export it from Core "
            f"Practice (a cut-off download ends early) and run again."
        ) from exc
    headers = list(dict.fromkeys(key for _, record in records for key in record))
    lines = [line for line, _ in records]
    if any(later <= earlier for earlier, later in zip(lines, lines[1:], strict=False)):
        records = [(position, record) for position, (_, record) in enumerate(records, start=1)]  # one line: order
    yield 0, headers
    for line, record in records:
        yield line, [_json_cell(record.get(header)) for header in headers]


def _skip_json_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


@functools.cache
def spelling_lookup(source_object: str) -> dict[str, str]:
    """Normalised header → the canonical column the reader lands it in (FULL_NAME for a `Last, First` column):
    every spelling the export spec accepts. Built once per object; callers copy before they add to it."""
    spec = EXPORT_SPEC[source_object]
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for spelling in (column.name, *column.aliases):
            lookup.setdefault(normalise_header(spelling), column.name)
    for spelling in spec.full_name_headers:
        lookup.setdefault(normalise_header(spelling), FULL_NAME)
    return lookup


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), or Windows-1252 when the file is that as a whole (source/encodings.py)."""
    return examine(path).encoding


def open_export_file(path: Path, spec: ObjectSpec, *, max_banner_rows: int = 10,
                     header_overrides: Mapping[str, str] | None = None,
                     allow_cp1252_lines: bool = False) -> ExportFile:
    """Locate the header (skipping a report title or banner above it) and map every column.

    `header_overrides` (header → canonical column or FULL_NAME) come from the confirmed field map: a
    header the proposer matched by synonym, fuzzy match or values (`Electronic Mail` → email), which
    the spec's spellings do not know, lands in its column instead of among the extras.
    """
    evidence = examine(path)
    encoding = evidence.encoding
    problem = evidence.damage_message(path.name) or evidence.cut_off_message(path.name)
    if problem:
        raise ExportStructureError(problem)
    if encoding == "cp1252" and evidence.first_undecodable is not None:
        raise ExportStructureError(
            f"{path.name}, line {evidence.first_undecodable}: neither UTF-8 nor Windows-1252 text. Open the file "
            f"in a spreadsheet and save it as 'CSV UTF-8', then run again."
        )
    lookup = dict(spelling_lookup(spec.name))
    for header, canonical in (header_overrides or {}).items():
        lookup[normalise_header(header)] = canonical

    rows = _physical_rows(path, encoding)
    try:
        for count, (line, cells) in enumerate(rows):
            if count > max_banner_rows:
                break
            if path.suffix.lower() == ".xlsx":
                cells = xlsx_header_cells(path, line, cells)
            mapped = {i: lookup[normalise_header(c)] for i, c in enumerate(cells) if normalise_header(c) in lookup}
            if len(set(mapped.values())) >= max(2, len(spec.key)) and all(k in mapped.values() for k in spec.key):
                opened = _build(path, spec, encoding, line, cells, mapped)
                opened.evidence = evidence
                opened.allow_cp1252_lines = allow_cp1252_lines
                return opened
    finally:
        rows.close()
    required = ", ".join(spec.key)
    raise ExportStructureError(
        f"{path.name}: no header row found in the first {max_banner_rows + 1} lines (need at least the "
        f"key column(s) {required}). Check that this is the {spec.name} report and that its header row "
        f"has not been deleted."
    )


def _build(path: Path, spec: ObjectSpec, encoding: str, header_line: int, cells: list[str],
           mapped: dict[int, str]) -> ExportFile:
    seen: dict[str, int] = {}
    for position, name in mapped.items():
        if name in seen:
            raise ExportStructureError(
                f"{path.name}, line {header_line}: columns {seen[name] + 1} ({cells[seen[name]]!r}) and "
                f"{position + 1} ({cells[position]!r}) both mean {name!r}. "
                f"Remove or rename one of them in the export, then run again."
            )
        seen[name] = position
    if FULL_NAME in seen:  # `Last, First` in one column stands in for both name columns
        if "first_name" in seen or "last_name" in seen:
            raise ExportStructureError(
                f"{path.name}, line {header_line}: column {seen[FULL_NAME] + 1} ({cells[seen[FULL_NAME]]!r}) holds "
                f"full names but first/last name columns exist too. Remove one of them and run again."
            )
        seen.update({"first_name": -1, "last_name": -1})
    missing = [c.name for c in spec.columns if c.required and c.name not in seen]
    if missing:
        raise ExportStructureError(
            f"{path.name}, line {header_line}: required column(s) missing: {', '.join(missing)}. "
            f"Re-export with these columns, or rename the header to one of the accepted spellings "
            f"(docs/export-spec.md)."
        )
    extras = {i: c.strip() for i, c in enumerate(cells) if i not in mapped and c.strip()}
    return ExportFile(path, spec, encoding, header_line, mapped, extras, header_width=len(cells))


def detect_region(export_dir: Path) -> tuple[str, str]:
    """The export's region (AU, NZ or US) from its practices' countries, and how it was decided.

    The region decides how ambiguous dates, phones, states and postcodes are read, so the choice is
    returned with its reason for the landing metadata; `cpt migrate --region` overrides it.
    """
    from collections import Counter

    from core_practice_twenty.source.export_spec import PRACTICES
    from core_practice_twenty.source.values import Region, country_alpha2

    try:
        export_file = open_export_file(find_export_file(export_dir, PRACTICES), PRACTICES)
    except ExportStructureError:
        return Region.AU.value, "no readable practices file: defaulted to AU (set --region)"
    counts = Counter(country_alpha2(row.values.get("country")) for row in export_file.rows())
    known = [(code, n) for code, n in counts.most_common() if code in {r.value for r in Region}]
    if not known:
        return Region.AU.value, "no practice country in AU/NZ/US: defaulted to AU (set --region)"
    code, n = known[0]
    return code, f"{n} of {sum(counts.values())} practices are in {code}"
