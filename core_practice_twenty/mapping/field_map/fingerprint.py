"""The fingerprint that locks a confirmed map to itself and to the export's header set."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core_practice_twenty.mapping.field_map.file import map_content
from core_practice_twenty.mapping.field_map.headers import FileHeaders, export_headers
from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.source.export_spec import EXPORT_SPEC


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def map_digest(field_map: FieldMap) -> str:
    """sha256 of the map's mapping content (status and confirmation left out)."""
    return _digest(map_content(field_map))


def columns_digest(headers: dict[str, FileHeaders | None]) -> str:
    """sha256 of the export's header set per object (order and file name do not matter)."""
    return _digest({name: sorted(h.headers) if h else None for name, h in sorted(headers.items())})


def combine_digests(map_sha: str, columns_sha: str) -> str:
    return hashlib.sha256(f"{map_sha}:{columns_sha}".encode()).hexdigest()


def fingerprint(field_map: FieldMap, export_dir: Path) -> str:
    """What a confirmed map is locked to: its own content and the export's columns, per file."""
    return combine_digests(map_digest(field_map), columns_digest(export_headers(export_dir)))


def column_changes(field_map: FieldMap, headers: dict[str, FileHeaders | None]) -> list[str]:
    """How the export's columns differ from the ones the map describes, one line per file."""
    changes = []
    for name in EXPORT_SPEC:
        obj = field_map.objects.get(name)
        known = set(obj.headers) if obj else set()
        current = headers.get(name)
        file_label = (current.file if current else None) or (obj.file if obj else None) or name
        if current is None:
            if known:
                changes.append(f"{file_label}: file missing from the export (the map has {len(known)} column(s))")
            continue
        if obj is None or (obj.file is None and not known):
            changes.append(f"{file_label}: file not in the map")
            continue
        added = [h for h in current.headers if h not in known]
        removed = sorted(known - set(current.headers))
        parts = []
        if added:
            parts.append("added " + ", ".join(repr(h) for h in added))
        if removed:
            parts.append("removed " + ", ".join(repr(h) for h in removed))
        if parts:
            changes.append(f"{file_label}: " + "; ".join(parts))
    return changes


