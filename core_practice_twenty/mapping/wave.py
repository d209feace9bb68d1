"""Map one wave: accepted rows out of DuckDB, through the confirmed map, into the staging tables.

The mappers are pure (mapping/objects); this module is the only place that reads the warehouse
for them and writes what they return: one staging table per Twenty object, the rows held back with
their reasons, and the mapping's decisions (doctor ↔ member matches, fallbacks) as counts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core_practice_twenty.mapping.field_map import FieldMap, to_options
from core_practice_twenty.mapping.objects import MappingResult, map_export
from core_practice_twenty.mapping.objects.workflows import SUMMARY_NAME
from core_practice_twenty.mapping.review import write_review
from core_practice_twenty.mapping.staging import StagedRecord
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.issues import ISSUES_SQL, accepted_rows_sql
from core_practice_twenty.store.raw import create_raw_table_sql
from core_practice_twenty.store.staging import write_held_back, write_staged_tables
from core_practice_twenty.store.warehouse import Warehouse

WORKFLOWS_DIR = "workflows"
"""Under the reports folder: one JSON reference per Core Practice automation, and a README for the admin."""


@dataclass
class WaveMapping:
    """What mapping a wave did, for logs and metadata: counts only."""

    staged: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, dict[str, int]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    unbalanced: dict[str, dict[str, int]] = field(default_factory=dict)
    reports: list[str] = field(default_factory=list)


def read_accepted(warehouse: Warehouse, wave: str) -> dict[str, list[dict]]:
    """Every object's accepted rows (not rejected by validation), nulls as None."""
    tables: dict[str, list[dict]] = {}
    with warehouse.connect() as conn:
        conn.execute(ISSUES_SQL)
        for name, spec in EXPORT_SPEC.items():
            conn.execute(create_raw_table_sql(spec))
            cursor = conn.execute(accepted_rows_sql(spec), [wave, wave])
            columns = [d[0] for d in cursor.description]
            tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return tables


def source_key(spec: ObjectSpec, row: Mapping[str, object]) -> str:
    """A row's source key as validation and the sample report it (key columns joined by `|`)."""
    return "|".join(str(row[k]) for k in spec.key)


def read_warnings(warehouse: Warehouse, wave: str) -> dict[tuple[str, str], set[str]]:
    """Validation warnings by (source object, source key): the mappers flag or repair these rows."""
    with warehouse.connect() as conn:
        conn.execute(ISSUES_SQL)
        rows = conn.execute(
            "select object, source_key, rule from validation_issues where wave = ? and severity = 'warn' "
            "and source_key is not null", [wave]
        ).fetchall()
    warnings: dict[tuple[str, str], set[str]] = {}
    for obj, key, rule in rows:
        warnings.setdefault((obj, key), set()).add(rule.split(":", 1)[0])
        warnings[(obj, key)].add(rule)
    return warnings


def staged_by_object(results: Mapping[str, MappingResult]) -> dict[str, list[StagedRecord]]:
    """Every Twenty object's staged records (empty lists included), in load order."""
    merged: dict[str, list[StagedRecord]] = {plural: [] for plural in TARGET_OBJECTS}
    for result in results.values():
        for plural, records in result.by_object().items():
            merged.setdefault(plural, []).extend(records)
    return merged


def stage_wave(warehouse: Warehouse, wave: str, field_map: FieldMap, *,
               members: Iterable[Mapping[str, object]] = (), target_field_names: Mapping[str, str] | None = None,
               reports_dir: Path | None = None, max_upload_bytes: int | None = None,
               only: Mapping[str, set[str]] | None = None) -> WaveMapping:
    """Map the wave's accepted rows with the confirmed map; replace its staging tables and held-back rows.

    `only` (source object → source keys) restricts the wave to a sample: the other rows are not staged.
    """
    options = to_options(field_map)
    tables = read_accepted(warehouse, wave)
    if only is not None:
        tables = {name: [r for r in rows if source_key(EXPORT_SPEC[name], r) in only.get(name, set())]
                  for name, rows in tables.items()}
    kwargs = {"max_upload_bytes": max_upload_bytes} if max_upload_bytes else {}
    results = map_export(tables, read_warnings(warehouse, wave), options, members=members,
                         target_field_names=target_field_names,
                         reports_dir=reports_dir / WORKFLOWS_DIR if reports_dir else None, **kwargs)
    by_object = staged_by_object(results)
    summary = WaveMapping(staged=write_staged_tables(warehouse, wave, by_object))
    held = [(h.source_object, h.source_key, h.source_line, h.reason)
            for result in results.values() for h in result.held_back]
    write_held_back(warehouse, wave, "mapping", held)
    for obj, _key, _line, reason in held:
        code = reason.split(":", 1)[0].split(";", 1)[0].strip()
        summary.held_back.setdefault(obj, {})
        summary.held_back[obj][code] = summary.held_back[obj].get(code, 0) + 1
    for result in results.values():
        for name, n in result.counts.items():
            obj, _, what = name.partition(".")
            if what == "rows":
                summary.rows[obj] = summary.rows.get(obj, 0) + n
            elif what == "excluded":
                summary.excluded[obj] = summary.excluded.get(obj, 0) + n
        summary.decisions.update(Counter(d.get("kind", "?") for d in result.decisions))
        summary.unbalanced.update(result.unbalanced())
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        summary.reports = [str(p) for p in write_review(field_map, reports_dir)]
        decisions = [d for result in results.values() for d in result.decisions]
        path = reports_dir / f"mapping-decisions-{wave}.json"
        path.write_text(json.dumps(decisions, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        summary.reports.append(str(path))
        if "workflows" in results:
            summary.reports.append(str(reports_dir / WORKFLOWS_DIR / SUMMARY_NAME))
    return summary
