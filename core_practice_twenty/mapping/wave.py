"""Map one wave: accepted rows out of DuckDB, through the confirmed map, into the staging tables.

The mappers are pure (mapping/objects); this module is the only place that reads the warehouse
for them and writes what they return: one staging table per Twenty object, the rows held back with
their reasons, and the mapping's decisions (doctor ↔ member matches, fallbacks) as counts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core_practice_twenty.mapping.field_map import FieldMap, to_options
from core_practice_twenty.mapping.objects import (
    CORE_SOURCES,
    PATIENT_SOURCES,
    MappingResult,
    map_core,
    map_patient_records,
)
from core_practice_twenty.mapping.objects.workflows import SUMMARY_NAME, write_workflow_references
from core_practice_twenty.mapping.repoint import apply_moves, moves
from core_practice_twenty.mapping.review import write_review
from core_practice_twenty.mapping.sql import COMPILED_OBJECTS
from core_practice_twenty.mapping.sql.stage import COMPILED_SOURCES, PYTHON_READS, stage_compiled
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.mapping_reads import (
    accepted_rows,
    assign_chunks,
    chunk_rows,
    clear_chunks,
    warning_rows,
)
from core_practice_twenty.store.staging import append_staged, clear_staged, write_held_back
from core_practice_twenty.store.warehouse import Warehouse

WORKFLOWS_DIR = "workflows"
"""Under the reports folder: one JSON reference per Core Practice automation, and a README for the admin."""
PATIENTS_PER_CHUNK = 5_000
"""Patients whose per-patient rows are mapped (and held in memory) together: the mapping's memory follows it."""


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
    with warehouse.connect() as conn:
        return accepted_rows(conn, wave, EXPORT_SPEC)


def source_key(spec: ObjectSpec, row: Mapping[str, object]) -> str:
    """A row's source key as validation and the sample report it (key columns joined by `|`)."""
    return "|".join(str(row[k]) for k in spec.key)


def read_warnings(warehouse: Warehouse, wave: str,
                  skip: Collection[str] = ()) -> dict[tuple[str, str], set[str]]:
    """Validation warnings by (source object, source key), but for the objects in `skip`: the mappers flag or repair
    these rows."""
    warnings: dict[tuple[str, str], set[str]] = {}
    for obj, key, rule in warning_rows(warehouse, wave, skip):
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
               only: Mapping[str, set[str]] | None = None,
               log: Callable[[str], None] = lambda _m: None, compiled: bool = True) -> WaveMapping:
    """Map the wave's accepted rows with the confirmed map; replace its staging tables and held-back rows.

    `only` (source object → source keys) restricts the wave to a sample: the other rows are not staged.
    Every object the map sends (`mapping.sql.COMPILED_OBJECTS`: practices, providers, patients with their policies
    across all patients, and every per-patient object) is staged by compiled plans inside DuckDB (mapping/sql), so
    the mapping's memory does not follow the export; Python keeps the providers' match with workspace members and
    the automations' reference files. `compiled=False` maps them in Python instead, a chunk of
    `PATIENTS_PER_CHUNK` patients at a time (every row of a patient, and of its invoice or appointment, in the
    same chunk), each chunk written and committed before the next is read: kept while the plans replace the
    mappers, as the reference the tests compare them with record by record.
    A mapping interrupted midway leaves the wave's staging incomplete: `stg_twenty` then fails, nothing
    downstream runs, and the re-run replaces it.
    """
    options = to_options(field_map)
    with contextlib.suppress(LookupError):  # unregistered (tests, benchmarks): two-digit years read against today
        # two-digit years are read against the day the export was taken, as validation read them
        options = dataclasses.replace(options, export_date=warehouse.wave_export(wave).export_date)
    skip = frozenset(COMPILED_SOURCES) if compiled else frozenset()
    warnings = read_warnings(warehouse, wave, skip)  # the compiled plans read theirs in SQL
    planned = moves(field_map)  # columns a person sent to another field than their default (mapping/repoint.py)

    def restrict(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
        if only is None:
            return tables
        return {name: [r for r in rows if source_key(EXPORT_SPEC[name], r) in only.get(name, set())]
                for name, rows in tables.items()}

    kwargs = {"max_upload_bytes": max_upload_bytes} if max_upload_bytes else {}
    summary = WaveMapping(staged={plural: 0 for plural in TARGET_OBJECTS})
    kept: list[MappingResult] = []  # results without their staged records (written already): counts, holds
    python_sources = tuple(name for name in PATIENT_SOURCES if name not in skip)

    def write(conn: duckdb.DuckDBPyConnection, results: Mapping[str, MappingResult]) -> None:
        apply_moves(results, planned)
        for plural, n in append_staged(conn, wave, staged_by_object(results)).items():
            summary.staged[plural] = summary.staged.get(plural, 0) + n
        for result in results.values():
            result.staged, result.linked = [], {}
            kept.append(result)

    with warehouse.connect() as conn:  # short connections only: the mapping itself runs without the lock
        # compiled: the patients and their practice links are mapped in SQL, their policies too (mapping/sql)
        core_tables = restrict(accepted_rows(conn, wave, PYTHON_READS if compiled else CORE_SOURCES))
        chunks = assign_chunks(conn, wave, python_sources, PATIENTS_PER_CHUNK) if python_sources else 0
    core = map_core(core_tables, warnings, options, members=members, patients=not compiled, providers=not compiled,
                    practices=not compiled)
    with warehouse.transaction() as conn:
        clear_staged(conn, wave, TARGET_OBJECTS)
        write(conn, core.results)
    if compiled:
        with warehouse.connect() as conn:  # each plan's inserts commit on their own (store/mapping_sql.py)
            done = stage_compiled(conn, wave, core, options, field_map=field_map,
                                  target_field_names=target_field_names, only=only, log=log, **kwargs)
        for result, written in done.values():
            for plural, n in written.items():
                summary.staged[plural] = summary.staged.get(plural, 0) + n
            kept.append(result)
        log(f"mapping of wave {wave}: {', '.join(COMPILED_OBJECTS)} staged inside the warehouse")
    progress = Progress(f"mapping of wave {wave}", chunks, log, unit="chunks of patients")
    for chunk in range(chunks):
        with warehouse.connect() as conn:
            tables = restrict(chunk_rows(conn, wave, chunk, python_sources))
        results = map_patient_records(core, tables, warnings, options, target_field_names=target_field_names,
                                      skip=skip, **kwargs)
        with warehouse.transaction() as conn:  # committed per chunk: uncommitted rows would stay in memory
            write(conn, results)
        progress.advance(1, f"{sum(summary.staged.values()):,} records staged")
    if reports_dir is not None:
        workflows = write_workflow_references(core_tables.get("workflows", ()), reports_dir / WORKFLOWS_DIR, options)
        with warehouse.transaction() as conn:
            write(conn, {"workflows": workflows})
    with warehouse.connect() as conn:
        clear_chunks(conn, wave)
    held = [(h.source_object, h.source_key, h.source_line, h.reason) for result in kept for h in result.held_back]
    write_held_back(warehouse, wave, "mapping", held)
    for obj, _key, _line, reason in held:
        code = reason.split(":", 1)[0].split(";", 1)[0].strip()
        summary.held_back.setdefault(obj, {})
        summary.held_back[obj][code] = summary.held_back[obj].get(code, 0) + 1
    for result in kept:
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
        decisions = [d for result in kept for d in result.decisions]
        path = reports_dir / f"mapping-decisions-{wave}.json"
        path.write_text(json.dumps(decisions, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        summary.reports.append(str(path))
        summary.reports.append(str(reports_dir / WORKFLOWS_DIR / SUMMARY_NAME))
    return summary
