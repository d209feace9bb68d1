"""The field map file: proposed by the pipeline, confirmed by a person, locked to the export's columns.

"The pipeline proposes the map; a person confirms it before any record moves." The package holds the
map model, its YAML form (docs/field-map.md), the fingerprint that locks a confirmed map to itself and
to the export's header set, `confirm` (who and when), `check_gate` (the one question the load path
asks: may this export be loaded with this map?) and `to_options` (what the transforms read).

Nothing here reads a cell value: the fingerprint and the gate look at header rows only, so no
export value can reach the map, the gate's messages or a log.
"""

from __future__ import annotations

from core_practice_twenty.mapping.field_map.checks import validate
from core_practice_twenty.mapping.field_map.file import from_dict, load_map, save_map, to_dict
from core_practice_twenty.mapping.field_map.fingerprint import fingerprint, map_digest
from core_practice_twenty.mapping.field_map.gate import check_gate, confirm
from core_practice_twenty.mapping.field_map.headers import FileHeaders, read_headers
from core_practice_twenty.mapping.field_map.model import (
    DECISION_THRESHOLD,
    ColumnEntry,
    ConfirmRefused,
    FieldMap,
    FieldMapError,
    MapOptions,
    ObjectMap,
)
from core_practice_twenty.mapping.field_map.reading import (
    header_overrides,
    map_allows_cp1252_lines,
    map_header_overrides,
    map_held_out,
    to_options,
)
from core_practice_twenty.mapping.field_map.schema import custom_objects, schema_fields, schema_summary

__all__ = [
    "ColumnEntry",
    "ConfirmRefused",
    "DECISION_THRESHOLD",
    "FieldMap",
    "FieldMapError",
    "FileHeaders",
    "MapOptions",
    "ObjectMap",
    "check_gate",
    "confirm",
    "custom_objects",
    "fingerprint",
    "from_dict",
    "header_overrides",
    "load_map",
    "map_allows_cp1252_lines",
    "map_digest",
    "map_header_overrides",
    "map_held_out",
    "read_headers",
    "save_map",
    "schema_fields",
    "schema_summary",
    "to_dict",
    "to_options",
    "validate",
]
