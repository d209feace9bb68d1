"""A wave against Twenty: read back what was loaded (all of the sample, a slice of other waves) and diff it."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core_practice_twenty.lifecycle.diff.compare import (
    RECORD_FIELD,
    FieldDiff,
    diff_record,
    record_field_types,
    target_model_types,
)
from core_practice_twenty.lifecycle.diff.provenance import confirmed_map, source_columns, source_values
from core_practice_twenty.lifecycle.objects import lineage_sorted
from core_practice_twenty.mapping.field_map import FieldMap
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.model.staged import resolve_refs, twenty_fields
from core_practice_twenty.store.staging import id_lookup, read_staged, staging_table
from core_practice_twenty.store.warehouse import Warehouse, existing_tables
from core_practice_twenty.twenty.client import TwentyClient


@dataclass
class ObjectDiffCounts:
    records: int = 0
    fields: int = 0
    matched: int = 0
    mismatched: int = 0
    missing_in_twenty: int = 0
    not_loaded: int = 0
    mismatched_fields: dict[str, int] = field(default_factory=dict)


@dataclass
class DiffSummary:
    """Counts only (field names, never values): what goes into logs and asset metadata."""

    wave: str
    objects: dict[str, ObjectDiffCounts]

    @property
    def unexpected(self) -> int:
        return sum(o.mismatched + o.missing_in_twenty for o in self.objects.values())

    @property
    def passed(self) -> bool:
        return self.unexpected == 0

    def as_metadata(self) -> dict[str, Any]:
        return {"wave": self.wave, "unexpected_differences": self.unexpected,
                "objects": {name: asdict(counts) for name, counts in self.objects.items()}}


@dataclass
class WaveDiff:
    wave: str
    rows: list[FieldDiff]

    def summary(self) -> DiffSummary:
        objects: dict[str, ObjectDiffCounts] = {}
        seen: set[tuple[str, str]] = set()
        for row in self.rows:
            counts = objects.setdefault(row.object, ObjectDiffCounts())
            if (row.object, row.source_key) not in seen:
                seen.add((row.object, row.source_key))
                counts.records += 1
            if row.status == "missing_in_twenty":
                counts.missing_in_twenty += 1
            elif row.status == "not_loaded":
                counts.not_loaded += 1
            else:
                counts.fields += 1
                if row.match:
                    counts.matched += 1
                else:
                    counts.mismatched += 1
                    counts.mismatched_fields[row.field] = counts.mismatched_fields.get(row.field, 0) + 1
        return DiffSummary(self.wave, {name: objects[name] for name in lineage_sorted(objects)})


def _quoted(values: Sequence[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


def _fetch_by_id(client: TwentyClient, plural: str, ids: Sequence[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    cap = max(1, client.batch_cap)
    for start in range(0, len(ids), cap):
        for record in client.find_many(plural, filter=f"id[in]:{_quoted(ids[start:start + cap])}"):
            found[record["id"]] = record
    return found


def diff_wave(client: TwentyClient, warehouse: Warehouse, wave: str, *, objects: Iterable[str] | None = None,
              sample_size: int | None = None, seed: int = 0, field_map: FieldMap | None = None,
              map_path: Path | None = None, log: Callable[[str], None] = lambda _m: None) -> WaveDiff:
    """Diff a wave's staged records against Twenty: all of them, or `sample_size` per object at random.

    The random slice (for the full wave) is deterministic for a seed. Staged records without an id-map
    entry were rejected or held back: they are listed as `not_loaded` (reconciliation counts them),
    not as differences. `field_map` says which exported columns fed each field (for the source
    values); None reads the map at `map_path` (the one the wave was staged with), and without one rows carry no
    source value.
    """
    columns = source_columns(field_map if field_map is not None else confirmed_map(map_path))
    names = lineage_sorted(objects if objects is not None else TARGET_OBJECTS)
    with warehouse.connect() as conn:
        tables = existing_tables(conn)
    ids = id_lookup(warehouse, TARGET_OBJECTS)  # references point at any object
    metadata = {o["namePlural"]: o for o in client.list_objects()}
    rows: list[FieldDiff] = []
    present = [plural for plural in names if staging_table(plural) in tables]
    progress = Progress(f"diff of wave {wave}", len(present), log, unit="objects")
    for plural in present:
        progress.advance(0, f"reading {plural}")
        staged = read_staged(warehouse, plural, wave)
        if sample_size is not None and len(staged) > sample_size:
            chosen = set(random.Random(f"{seed}:{plural}").sample(sorted(r.source_key for r in staged), sample_size))
            staged = [r for r in staged if r.source_key in chosen]
        types = record_field_types(metadata.get(plural)) or target_model_types(plural)
        loaded = {r.source_key: ids[(plural, r.source_key)] for r in staged if (plural, r.source_key) in ids}
        actual = _fetch_by_id(client, plural, sorted(set(loaded.values())))
        sources = source_values(warehouse, wave, plural, [r for r in staged if r.source_key in loaded], columns)
        for record in staged:
            if record.source_key not in loaded:
                rows.append(FieldDiff(plural, record.source_key, RECORD_FIELD, "loaded", None, "not_loaded",
                                      record.source_line))
                continue
            expected, _missing = resolve_refs(twenty_fields(record.payload), lambda o, k: ids.get((o, k)))
            rows += diff_record(plural, record.source_key, expected, actual.get(loaded[record.source_key]), types,
                                source_line=record.source_line, sources=sources.get(record.source_key))
        progress.advance(1, f"{plural}: {len(staged):,} records compared")
    return WaveDiff(wave, rows)

