"""Where a staged value came from: the source columns (from the confirmed map) and their cells, for the report only."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core_practice_twenty.mapping.core import PROVIDER_KEY_PREFIX
from core_practice_twenty.mapping.field_map import FieldMap, load_map
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.store.raw_reads import cells_by_line
from core_practice_twenty.store.warehouse import Warehouse, table_exists


@dataclass(frozen=True)
class SourceColumn:
    """One exported column feeding a Twenty field: a canonical raw-table column, or a practice's own
    column (`extra`: its header as exported, kept in the raw table's `extra` JSON)."""

    source_object: str
    column: str
    extra: bool = False


SourceColumns = dict[tuple[str, str], list[SourceColumn]]
"""(Twenty object plural, top-level payload field) → the columns feeding it, in the map's order."""


def _payload_fields(plural: str, field_name: str) -> tuple[str, ...]:
    """The payload keys a map target's field is sent as: a RELATION `patient` goes out as `patientId`."""
    target = TARGET_OBJECTS.get(plural)
    model = next((f for f in target.fields if f.name == field_name), None) if target else None
    if model is not None and model.type == "RELATION" and not field_name.endswith("Id"):
        return (field_name, f"{field_name}Id")
    return (field_name,)


def source_columns(field_map: FieldMap | None) -> SourceColumns:
    """Which exported columns feed which Twenty field, read off the map's entries (nothing restated here).

    Excluded entries feed nothing; targets that name a bare object (the link objects) or whose
    column the export spec does not know are skipped. A column feeding several sub-fields of one
    composite (`homeAddress.*`) is listed once.
    """
    found: SourceColumns = {}
    for source_object, entry in (field_map.entries() if field_map is not None else []):
        spec = EXPORT_SPEC.get(source_object)
        if entry.excluded or spec is None:
            continue
        if entry.column:
            columns = [SourceColumn(source_object, c) for c in entry.column if c in spec.column_names]
        elif entry.header is not None and entry.transform != "json_summary":
            columns = [SourceColumn(source_object, entry.header, extra=True)]
        else:
            columns = []
        for target in entry.targets:
            plural, _, rest = target.partition(".")
            field_name = rest.partition(".")[0]
            if not field_name:
                continue
            for name in _payload_fields(plural, field_name):
                feeding = found.setdefault((plural, name), [])
                feeding.extend(c for c in columns if c not in feeding)
    return found


def record_source_object(plural: str, source_key: str) -> str | None:
    """The export file a staged record was mapped from: the Twenty object's, except doctors among people."""
    if plural == "people" and source_key.startswith(PROVIDER_KEY_PREFIX):
        return "providers"
    target = TARGET_OBJECTS.get(plural)
    return target.source_object if target else None


def confirmed_map(path: Path | None) -> FieldMap | None:
    """The map the wave was staged with, when there is one (a diff of hand-staged records has none)."""
    return load_map(path) if path is not None and path.is_file() else None


def read_source_rows(warehouse: Warehouse, wave: str, source_object: str, lines: Iterable[int],
                     columns: Iterable[SourceColumn]) -> dict[int, dict[str, str | None]]:
    """The wave's raw rows at `lines` of one export file, only the `columns` asked for: one query.

    Keyed by source line; each row maps a canonical column, or an extra column's header, to its text.
    Only the diffed records' lines are read (a sample, or a random slice), never the whole table.
    """
    spec = EXPORT_SPEC[source_object]
    wanted = sorted({c.column for c in columns if not c.extra and c.column in spec.column_names})
    extras = sorted({c.column for c in columns if c.extra})
    lines = sorted(set(lines))
    if not lines or not (wanted or extras):
        return {}
    with warehouse.connect() as conn:
        if not table_exists(conn, raw_table(spec)):
            return {}
        fetched = cells_by_line(conn, source_object, wave, lines, wanted, with_extras=bool(extras))
    rows: dict[int, dict[str, str | None]] = {}
    for line, *cells in fetched:
        row = dict(zip(wanted, cells[:len(wanted)], strict=True))
        if extras:
            extra = json.loads(cells[-1]) if cells[-1] else {}
            row.update({header: extra.get(header) for header in extras})
        rows[line] = row
    return rows


def source_value(row: Mapping[str, str | None], columns: Sequence[SourceColumn]) -> str:
    """The cells feeding one field, non-empty ones joined by a space in the map's order (`first last`)."""
    cells = (row.get(c.column) for c in columns)
    return " ".join(str(cell) for cell in cells if cell not in (None, ""))


def source_values(warehouse: Warehouse, wave: str, plural: str, records: Sequence[StagedRecord],
                  columns: SourceColumns) -> dict[str, dict[str, str]]:
    """source key → {payload field → source value} for the records of one Twenty object.

    Records without a source line (a parent company made from a group name) or whose export file
    feeds none of the object's fields get no entry. One raw-table read per export file involved
    (people: patients and providers).
    """
    by_source: dict[str, list[StagedRecord]] = {}
    for record in records:
        source_object = record_source_object(plural, record.source_key)
        if source_object in EXPORT_SPEC and record.source_line is not None:
            by_source.setdefault(source_object, []).append(record)
    values: dict[str, dict[str, str]] = {}
    for source_object, group in by_source.items():
        feeding = {name: [c for c in cols if c.source_object == source_object]
                   for (obj, name), cols in columns.items() if obj == plural}
        feeding = {name: cols for name, cols in feeding.items() if cols}
        lines = [r.source_line for r in group if r.source_line is not None]
        rows = read_source_rows(warehouse, wave, source_object, lines, (c for cols in feeding.values() for c in cols))
        for record in group:
            row = rows.get(record.source_line) if record.source_line is not None else None
            if row is not None:
                values[record.source_key] = {name: source_value(row, cols) for name, cols in feeding.items()}
    return values

