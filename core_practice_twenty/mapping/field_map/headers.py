"""An export's header rows, read without any cell value: what the fingerprint and the gate compare."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.source.readers import (
    ExportStructureError,
    _physical_rows,
    detect_encoding,
    find_export_file,
    open_export_file,
    xlsx_header_cells,
)


@dataclass(frozen=True)
class FileHeaders:
    """The header row of one export file: where it is and what it says (as written)."""

    file: str
    path: Path
    encoding: str
    header_line: int
    headers: tuple[str, ...]
    positions: tuple[int, ...] = ()
    """Cell position of each header in the row (the cells of a data row are read by position)."""


def _clean_header(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip()


def read_headers(path: Path, spec: ObjectSpec, *, max_banner_rows: int = 10) -> FileHeaders:
    """The header row of an export file, even one whose headers the reader does not know.

    The reader's own choice (a row holding the key columns) is used when it finds one, so the map and
    landing agree; otherwise the first row that is at least half as wide as the widest of the first
    rows (a report's title row is one cell wide) is the header.
    """
    try:
        opened = open_export_file(path, spec, max_banner_rows=max_banner_rows)
        encoding, header_line = opened.encoding, opened.header_line
    except ExportStructureError:
        encoding, header_line = detect_encoding(path), 0
    rows = _physical_rows(path, encoding)
    head: list[tuple[int, list[str]]] = []
    try:
        for count, row in enumerate(rows):
            if count > max_banner_rows:
                break
            head.append(row)
    finally:
        rows.close()
    if header_line:
        cells = next(cells for line, cells in head if line == header_line)
    else:
        widths = [sum(1 for c in cells if c.strip()) for _, cells in head]
        widest = max(widths, default=0)
        candidates = [(line, cells) for (line, cells), w in zip(head, widths, strict=True)
                      if w >= 2 and w * 2 >= widest]
        if not candidates:
            raise ExportStructureError(f"{path.name}: no header row in the first {max_banner_rows + 1} lines")
        header_line, cells = candidates[0]
    if path.suffix.lower() == ".xlsx":  # a name merged across columns names each of them, as landing reads it
        cells = xlsx_header_cells(path, header_line, cells)
    named = [(i, _clean_header(c)) for i, c in enumerate(cells) if _clean_header(c)]
    return FileHeaders(path.name, path, encoding, header_line, tuple(h for _, h in named), tuple(i for i, _ in named))


def export_headers(export_dir: Path) -> dict[str, FileHeaders | None]:
    """Every object's header row in an export folder (None: the object's file is missing or unreadable)."""
    found: dict[str, FileHeaders | None] = {}
    for name, spec in EXPORT_SPEC.items():
        try:
            found[name] = read_headers(find_export_file(export_dir, spec), spec)
        except ExportStructureError:
            found[name] = None
    return found


