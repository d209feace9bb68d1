"""Exports made by hand, mapped the one way the pipeline maps: landed, validated and staged by the compiled plans.

A test names the rows of the objects it is about (the cells a practice's file has); every other object of the
export is its header only. The rows are written as Core Practice writes a report (title line, header, CRLF, quoted
cells), so the first row of a file is on line 3, and the practice's own columns (keys the export spec does not
know) are columns of their own, as a practice's file has them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from core_practice_twenty.mapping.field_map import from_dict, to_dict
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.wave import WaveMapping, stage_wave
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import validate_rows

EXPORT_DATE = date(2026, 11, 24)
FIRST_LINE = 3
"""A report's first row: line 1 is its title, line 2 its header."""


class StagedRow(NamedTuple):
    """One staged record as its staging table holds it (a tuple too: `(line, payload, *rest)`)."""

    line: int
    payload: dict
    payload_hash: str
    depends_on: list[str]
    notes: list[str]


@dataclass
class Staged:
    """What one wave of a hand-made export staged, read back from the warehouse."""

    summary: WaveMapping
    records: dict[str, dict[str, StagedRow]]
    """Twenty object plural → source key → the staged row."""
    held: dict[str, tuple[str, int, str]]
    """Source key → (source object, line, reason) of what mapping held back."""
    rejected: dict[str, set[str]]
    """Source key → the rules validation rejected the row by."""
    decisions: list[dict] = field(default_factory=list)

    def payload(self, plural: str, key: str) -> dict:
        return self.records[plural][key].payload

    def code(self, key: str) -> str:
        """The held-back reason's code (`orphan_patient`, `dependency_missing`, …)."""
        return self.held[key][2].split(":", 1)[0].split(";", 1)[0].strip()


def write_report(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Replace an export file's rows with `rows`, keeping its title and header; unknown keys become columns."""
    title, header = path.read_text(encoding="utf-8-sig").splitlines()[:2]
    columns = header.split(",")
    rows = list(rows)
    for row in rows:
        columns += [k for k in row if k not in columns]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(title + "\r\n")
        writer = csv.DictWriter(handle, columns, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})


def hand_made_export(directory: Path, tables: Mapping[str, Iterable[Mapping[str, Any]]],
                     region: str = "AU", files: Mapping[str, bytes] | None = None) -> Path:
    """An export whose files hold only `tables`' rows (`files`: documents' bytes by path under `documents/`)."""
    export = generate_export(directory, practices=1, patients=1, seed=1, dirt="none", region=region,
                             export_date=EXPORT_DATE)
    for name, spec in EXPORT_SPEC.items():
        path = export / f"{name}.csv"
        assert path.exists(), spec.name
        write_report(path, tables.get(name, ()))
    for relative, content in (files or {}).items():
        target = export / "documents" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return export


def land(warehouse, export: Path, wave: str, region: str | Region = "AU", max_upload_bytes: int | None = None) -> None:
    """Land and validate every object as the pipeline does (`max_upload_bytes`: Twenty's upload limit, which
    validation and mapping read alike)."""
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave=wave, snapshot_id=export.name)
    ctx = ValidationContext.for_export(export, Region(region), EXPORT_DATE, max_upload_bytes=max_upload_bytes)
    with warehouse.connect() as conn:
        for spec in EXPORT_SPEC.values():
            validate_rows(conn, spec, wave, ctx)
        replace_issues(conn, wave, "cross", cross_table_issues(conn, wave, ctx), EXPORT_SPEC)


def read_staged(warehouse, wave: str) -> dict[str, dict[str, StagedRow]]:
    with warehouse.connect() as conn:
        found = {}
        for plural in TARGET_OBJECTS:
            rows = conn.execute(f"select source_key, source_line, payload, payload_hash, depends_on, notes "
                                f"from stg_twenty_{plural} where wave = ?", [wave]).fetchall()
            found[plural] = {k: StagedRow(line, json.loads(p), h, json.loads(d), json.loads(n))
                             for k, line, p, h, d, n in rows}
        return found


def read_held(warehouse, wave: str) -> dict[str, tuple[str, int, str]]:
    with warehouse.connect() as conn:
        rows = conn.execute("select source_object, source_key, source_line, reason from held_back where wave = ? "
                            "and stage = 'mapping'", [wave]).fetchall()
    return {key: (obj, line, reason) for obj, key, line, reason in rows}


def read_rejected(warehouse, wave: str) -> dict[str, set[str]]:
    with warehouse.connect() as conn:
        rows = conn.execute("select source_key, rule from validation_issues where wave = ? and severity = 'reject'",
                            [wave]).fetchall()
    found: dict[str, set[str]] = {}
    for key, rule in rows:
        found.setdefault(key, set()).add(rule)
    return found


def stage_export(warehouse, export: Path, tmp_path: Path, *, region: str = "AU", wave: str = "w",
                 options: Mapping[str, Any] | None = None, edit: Callable[[dict], None] | None = None,
                 members: Iterable[Mapping[str, object]] = (), target_field_names: Mapping[str, str] | None = None,
                 max_upload_bytes: int | None = None) -> Staged:
    """Land, validate and stage an export with the proposed map, its `options` set and `edit` applied (as a person
    edits the map file), through `stage_wave`."""
    data = to_dict(propose(export))
    data["options"]["region"] = region
    data["options"].update(options or {})
    if edit is not None:
        edit(data)
    land(warehouse, export, wave, region, max_upload_bytes)
    reports = tmp_path / f"reports-{wave}"
    summary = stage_wave(warehouse, wave, from_dict(data), members=members, target_field_names=target_field_names,
                         max_upload_bytes=max_upload_bytes, reports_dir=reports)
    decisions = json.loads((reports / f"mapping-decisions-{wave}.json").read_text(encoding="utf-8"))
    return Staged(summary, read_staged(warehouse, wave), read_held(warehouse, wave), read_rejected(warehouse, wave),
                  decisions)


def stage_hand_made(warehouse, tmp_path: Path, tables: Mapping[str, Iterable[Mapping[str, Any]]], *,
                    region: str = "AU", wave: str = "w", files: Mapping[str, bytes] | None = None,
                    **kwargs: Any) -> Staged:
    """`hand_made_export` then `stage_export` (one export and one wave per `wave`)."""
    export = hand_made_export(tmp_path / f"export-{wave}", tables, region, files)
    return stage_export(warehouse, export, tmp_path, region=region, wave=wave, **kwargs)


def entry(data: dict, source_object: str, column: str) -> dict:
    """The map entry of a canonical column (or of a practice's own column, by its header)."""
    return next(e for e in data["objects"][source_object]["columns"]
                if e["column"] == column or e.get("header") == column)
