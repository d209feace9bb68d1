"""What landing and the transforms read from a map: header overrides and the mapping options."""

from __future__ import annotations

from pathlib import Path

from core_practice_twenty.mapping.field_map.checks import column_included
from core_practice_twenty.mapping.field_map.file import load_map
from core_practice_twenty.mapping.field_map.model import (
    CLINICAL_NOTE_BODY,
    FUND_NUMBER_COLUMNS,
    FieldMap,
    FieldMapError,
)
from core_practice_twenty.mapping.options import ExtraColumnTarget, MappingOptions
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec, normalise_header
from core_practice_twenty.source.readers import FULL_NAME, spelling_lookup


def _reader_lookup(spec: ObjectSpec) -> dict[str, str]:
    """Normalised header → the column the reader lands it in (readers.spelling_lookup: one table of spellings)."""
    return spelling_lookup(spec.name)


def header_overrides(field_map: FieldMap) -> dict[str, dict[str, str]]:
    """Headers the reader would not map to the column the map chose: object → {header → canonical}.

    A header the proposer recognised by synonym, fuzzy match or values (`E-mail Addr` → email) lands
    as an extra column unless the reader is told; landing should add these to its header lookup.
    A `Last, First` column maps to readers.FULL_NAME.
    """
    overrides: dict[str, dict[str, str]] = {}
    for name, entry in field_map.entries():
        spec = EXPORT_SPEC.get(name)
        if spec is None or entry.header is None or not entry.column:
            continue
        wanted = FULL_NAME if entry.transform == "split_name" else entry.column[0]
        if _reader_lookup(spec).get(normalise_header(entry.header)) != wanted:
            overrides.setdefault(name, {})[entry.header] = wanted
    return overrides


def map_allows_cp1252_lines(path: Path) -> bool:
    """The map's `allow_cp1252_lines`, read at landing (False without a readable map: reject such lines)."""
    if not path.is_file():
        return False
    try:
        return bool(load_map(path).options.allow_cp1252_lines)
    except FieldMapError:
        return False


def map_held_out(path: Path) -> frozenset[tuple[str, str]]:
    """(object, canonical column or own header) the map keeps out of Twenty, read at validation (empty without a
    readable map: then everything is searched, and the gate stops the load later)."""
    if not path.is_file():
        return frozenset()
    try:
        field_map = load_map(path)
    except FieldMapError:
        return frozenset()
    own = {(name, e.header) for name, e in field_map.entries() if e.excluded and not e.column and e.header}
    return frozenset(to_options(field_map).excluded | own)


def map_header_overrides(source_object: str, path: Path) -> dict[str, str]:
    """The overrides landing applies for one file, from the map file if there is a readable one.

    Landing runs before the gate: an unreadable or missing map simply adds nothing here, and the
    gate (which compares the map's fingerprint with the export's headers) stops the load later.
    """
    if not path.is_file():
        return {}
    try:
        return header_overrides(load_map(path)).get(source_object, {})
    except FieldMapError:
        return {}


def to_options(field_map: FieldMap) -> MappingOptions:
    """The confirmed map as the transforms read it (exclusions, extra columns, the person's choices).

    `extra["header_overrides"]`: object → {header → canonical} landing must apply (see header_overrides);
    `extra["summary_columns"]`: object → the practice's own headers kept in a JSON summary (invoice lines,
    payments).
    """
    excluded = {(name, c) for name, e in field_map.entries() if e.excluded for c in e.column}
    opts = field_map.options
    include_notes = opts.include_clinical_notes and CLINICAL_NOTE_BODY not in excluded
    include_funds = opts.include_fund_numbers and any(column_included(field_map, *c) for c in FUND_NUMBER_COLUMNS)
    if not include_notes:
        excluded.add(CLINICAL_NOTE_BODY)
    if not include_funds:
        excluded.update(FUND_NUMBER_COLUMNS)
    extra_columns = []
    summary_columns: dict[str, list[str]] = {}
    for name, entry in field_map.entries():
        if entry.column or entry.excluded or entry.header is None:
            continue
        if entry.transform == "json_summary":  # kept in the parent's summary (invoice lines, payments)
            summary_columns.setdefault(name, []).append(entry.header)
            continue
        for target in entry.targets:
            obj_name, _, field_name = target.partition(".")
            if field_name:
                extra_columns.append(ExtraColumnTarget(name, entry.header, obj_name, field_name.split(".")[0]))
    return MappingOptions(
        excluded=frozenset(excluded),
        extra_columns=tuple(extra_columns),
        email_placeholder=opts.email_placeholder,
        include_clinical_notes=include_notes,
        include_fund_numbers=include_funds,
        fallback_owner_email=opts.fallback_owner_email,
        region=opts.region,
        extra={"header_overrides": header_overrides(field_map), "summary_columns": summary_columns},
    )


