"""Read one Core Practice export file into canonical rows, streaming, without losing a byte.

Every row keeps where it came from (file, physical line) and a hash of its raw cells, so that a
reject, a diff or an audit entry can always point a person back to the exact line of the export.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core_practice_twenty.source.export_spec import NULL_MARKERS, ObjectSpec, normalise_header

SUPPORTED_SUFFIXES = (".csv",)
"""XLSX arrives with issue 4; the reader interface does not change."""


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
    row_hash: str


@dataclass
class ExportFile:
    """An export file opened for reading: where the header is and how each column maps."""

    path: Path
    spec: ObjectSpec
    encoding: str
    header_line: int
    column_map: dict[int, str]  # position in file → canonical name
    extra_columns: dict[int, str] = field(default_factory=dict)  # position → header as written

    def rows(self) -> Iterator[SourceRow]:
        """Yield data rows; blank lines are skipped, every other line becomes a row."""
        with self.path.open("r", encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle)
            last_line = 0
            for cells in reader:
                start_line = last_line + 1
                last_line = reader.line_num
                if start_line <= self.header_line:
                    continue
                if not any(cell.strip() for cell in cells):
                    continue
                yield self._row(cells, start_line)

    def _row(self, cells: list[str], line: int) -> SourceRow:
        values: dict[str, str | None] = {name: None for name in self.spec.column_names}
        for position, name in self.column_map.items():
            values[name] = clean_cell(cells[position]) if position < len(cells) else None
        extras = {
            header: (clean_cell(cells[position]) if position < len(cells) else None)
            for position, header in self.extra_columns.items()
        }
        digest = hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()
        return SourceRow(self.path.name, line, values, extras, digest)


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
    matches = sorted(p for p in export_dir.iterdir() if p.is_file() and p.name.lower() in wanted)
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


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the bytes decode as UTF-8, else Windows-1252.

    Not a guess: UTF-8 is self-validating, and cp1252 is what Core Practice writes on Windows. The
    choice is returned so it can be shown in the landing metadata.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            while handle.read(1 << 20):
                pass
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"


def open_export_file(path: Path, spec: ObjectSpec, *, max_banner_rows: int = 10) -> ExportFile:
    """Locate the header (skipping a report title or banner above it) and map every column."""
    encoding = detect_encoding(path)
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for spelling in (column.name, *column.aliases):
            lookup.setdefault(normalise_header(spelling), column.name)

    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        last_line = 0
        for _ in range(max_banner_rows + 1):
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise ExportStructureError(
                    f"{path.name}, line {reader.line_num}: not a readable CSV ({exc}). Re-export the "
                    f"{spec.name} report as CSV and run again."
                ) from exc
            line = last_line + 1
            last_line = reader.line_num
            mapped = {i: lookup[normalise_header(c)] for i, c in enumerate(cells) if normalise_header(c) in lookup}
            if len(set(mapped.values())) >= max(2, len(spec.key)) and all(k in mapped.values() for k in spec.key):
                return _build(path, spec, encoding, line, cells, mapped)
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
                f"{position + 1} ({cells[position]!r}) both mean {name!r}. Remove or rename one of them."
            )
        seen[name] = position
    missing = [c.name for c in spec.columns if not c.nullable and c.name not in seen]
    if missing:
        raise ExportStructureError(
            f"{path.name}, line {header_line}: required column(s) missing: {', '.join(missing)}. "
            f"Re-export with these columns, or rename the header to one of the accepted spellings "
            f"(docs/export-spec.md)."
        )
    extras = {i: c.strip() for i, c in enumerate(cells) if i not in mapped and c.strip()}
    return ExportFile(path, spec, encoding, header_line, mapped, extras)
