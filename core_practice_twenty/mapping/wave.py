"""Map one wave: the compiled plans stage the accepted rows inside the warehouse, through the confirmed map.

This module is the only place that reads the warehouse for the mapping's Python decisions (practices' clocks,
doctors' members) and writes what they return: one staging table per Twenty object, the rows held back with their
reasons, and the mapping's decisions (doctor ↔ member matches, fallbacks) as counts and a report file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core_practice_twenty.mapping.core import map_core
from core_practice_twenty.mapping.field_map import FieldMap, to_options
from core_practice_twenty.mapping.result import MappingResult
from core_practice_twenty.mapping.review import write_review
from core_practice_twenty.mapping.sql import COMPILED_OBJECTS
from core_practice_twenty.mapping.sql.stage import PYTHON_READS, stage_compiled
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.workflows import SUMMARY_NAME, write_workflow_references
from core_practice_twenty.source.export_spec import EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.mapping_reads import accepted_rows
from core_practice_twenty.store.staging import clear_staged, write_held_back
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


def source_key(spec: ObjectSpec, row: Mapping[str, object]) -> str:
    """A row's source key as validation and the sample report it (key columns joined by `|`)."""
    return "|".join(str(row[k]) for k in spec.key)


def stage_wave(warehouse: Warehouse, wave: str, field_map: FieldMap, *,
               members: Iterable[Mapping[str, object]] = (), target_field_names: Mapping[str, str] | None = None,
               reports_dir: Path | None = None, max_upload_bytes: int | None = None,
               only: Mapping[str, set[str]] | None = None,
               log: Callable[[str], None] = lambda _m: None) -> WaveMapping:
    """Map the wave's accepted rows with the confirmed map; replace its staging tables and held-back rows.

    `only` (source object → source keys) restricts the wave to a sample: the other rows are not staged.
    Every object the map sends (`mapping.sql.COMPILED_OBJECTS`: practices, providers, patients with their policies
    across all patients, and every per-patient object) is staged by compiled plans inside DuckDB (mapping/sql), so
    the mapping's memory does not follow the export; Python keeps the practices' clocks, the providers' match with
    workspace members and the automations' reference files. A mapping interrupted midway leaves the wave's staging
    incomplete: `stg_twenty` then fails, nothing downstream runs, and the re-run replaces it.
    """
    options = to_options(field_map)
    with contextlib.suppress(LookupError):  # unregistered (tests, benchmarks): two-digit years read against today
        # two-digit years are read against the day the export was taken, as validation read them
        options = dataclasses.replace(options, export_date=warehouse.wave_export(wave).export_date)
    with warehouse.connect() as conn:  # short connections only: the mapping itself runs without the lock
        tables = accepted_rows(conn, wave, PYTHON_READS)
    if only is not None:
        tables = {name: [r for r in rows if source_key(EXPORT_SPEC[name], r) in only.get(name, set())]
                  for name, rows in tables.items()}
    core = map_core(tables, options, members=members)
    with warehouse.transaction() as conn:
        clear_staged(conn, wave, TARGET_OBJECTS)
    summary = WaveMapping(staged={plural: 0 for plural in TARGET_OBJECTS})
    kept: list[MappingResult] = []  # counts, holds and decisions of every part (the records are written already)
    kwargs = {"max_upload_bytes": max_upload_bytes} if max_upload_bytes else {}
    with warehouse.connect() as conn:  # each plan's inserts commit on their own (store/mapping_sql.py)
        done = stage_compiled(conn, wave, core, options, field_map=field_map, target_field_names=target_field_names,
                              only=only, log=log, **kwargs)
    for result, written in done.values():
        for plural, n in written.items():
            summary.staged[plural] = summary.staged.get(plural, 0) + n
        kept.append(result)
    log(f"mapping of wave {wave}: {', '.join(COMPILED_OBJECTS)} staged inside the warehouse")
    if reports_dir is not None:
        kept.append(write_workflow_references(tables.get("workflows", ()), reports_dir / WORKFLOWS_DIR, options))
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
