"""What every object mapper shares: its result, held-back records, dependencies on other mappers, row access.

Mappers are pure: rows in (canonical column → text, as the raw DuckDB tables hold them, only rows
validation accepted), staged records out, plus what was held back and why, and the choices made
(matches, fallbacks, owners). Reasons and decisions carry ids, rule names and counts, never values:
they end up in logs and Dagster metadata.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.transforms import (
    as_region,
    clean,
    codes_text,
    iso_date,
    iso_datetime,
    local_iso_datetime,
    practice_timezone,
)
from core_practice_twenty.model.regions import REGION_FACTS
from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.source.export_spec import PROCEDURE_CODE_COLUMNS
from core_practice_twenty.source.values import DATE_ORDER, parse_datetime

Row = Mapping[str, Any]
Warnings = Mapping[tuple[str, str], set[str] | frozenset[str]]
"""Validation warnings: (source object, source key) → rule names (`shared_email`, `invalid_state:…`)."""

DEFAULT_TARGET_FIELDS = {"person": "targetPersonId", "company": "targetCompanyId", "task": "targetTaskId",
                         "note": "targetNoteId", "opportunity": "targetOpportunityId"}
"""Join-field names of taskTarget/noteTarget/attachment in current Twenty (morph relations, ≥ 1.17).

Older servers use `personId`, `companyId`…: the schema step introspects the workspace and passes the
names it found as `target_field_names`; this default is only for current servers and tests.
"""


class HeldBack(NamedTuple):
    """A source row not staged, and why (a reason code first, then ids: `orphan_patient`, `dependency_held_back: …`)."""

    source_object: str
    source_key: str
    source_line: int | None
    reason: str

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0].split(";", 1)[0].strip()


@dataclass
class MappingResult:
    """One mapper's output.

    `staged` are the records of `target` (a Twenty object plural); `linked` holds records of other
    Twenty objects the same source rows produce (taskTargets of appointments, opportunities of open
    treatment plans). `counts` always has, per source object read, `<object>.rows`, `.staged`,
    `.held_back` and `.excluded`, with rows = staged + held back + excluded (`unbalanced()` checks).
    """

    target: str
    source_object: str = ""
    staged: list[StagedRecord] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    linked: dict[str, list[StagedRecord]] = field(default_factory=dict)

    def by_object(self) -> dict[str, list[StagedRecord]]:
        """Every staged record by Twenty object plural: one staging table each."""
        return {self.target: self.staged, **self.linked} if self.target else dict(self.linked)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def hold(self, source_object: str, source_key: str, source_line: int | None, reason: str) -> None:
        held = HeldBack(source_object, str(source_key), source_line, reason)
        self.held_back.append(held)
        self.count(f"{source_object}.held_back")
        self.count(f"{source_object}.held_back.{held.code}")

    def stage(self, source_object: str, record: StagedRecord) -> None:
        self.staged.append(record)
        self.count(f"{source_object}.staged")

    def held_reasons(self) -> dict[str, int]:
        return dict(Counter(h.code for h in self.held_back))

    def unbalanced(self) -> dict[str, dict[str, int]]:
        """Source objects whose rows ≠ staged + held back + excluded (empty when every row is accounted for)."""
        problems = {}
        objects = {name.split(".", 1)[0] for name in self.counts if name.endswith(".rows")}
        for obj in sorted(objects):
            c = {k: self.counts.get(f"{obj}.{k}", 0) for k in ("rows", "staged", "held_back", "excluded")}
            if c["rows"] != c["staged"] + c["held_back"] + c["excluded"]:
                problems[obj] = c
        return problems

    def summary(self) -> dict:
        """Safe for logs and Dagster metadata: counts, reasons and decision kinds, no values."""
        return {
            "target": self.target,
            "staged": {name: len(records) for name, records in self.by_object().items()},
            "held_back": self.held_reasons(),
            "decisions": dict(Counter(d.get("kind", "?") for d in self.decisions)),
            "counts": dict(sorted(self.counts.items())),
        }


@dataclass
class Available:
    """What upstream mappers staged and held back, so a dependent record is held back with a reason naming why.

    Objects never registered are not checked (a unit test may map appointments without people);
    once an object is registered, a key it did not stage is a missing dependency.
    """

    staged: dict[str, set[str]] = field(default_factory=dict)
    held: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_results(cls, *results: MappingResult) -> Available:
        available = cls()
        for result in results:
            available.add(result)
        return available

    def add(self, result: MappingResult) -> None:
        """Register a mapper's staged keys (every object it produced) and the rows of its main source it held back."""
        for name, records in result.by_object().items():
            self.staged.setdefault(name, set()).update(r.source_key for r in records)
        if result.target:
            self.staged.setdefault(result.target, set())
        for held in result.held_back:
            if result.target and held.source_object == result.source_object:
                self.held.setdefault(result.target, {})[held.source_key] = held.reason

    def copy(self) -> Available:
        """An independent copy: a chunk of patients adds its own records without the next chunk seeing them."""
        return Available({k: set(v) for k, v in self.staged.items()}, {k: dict(v) for k, v in self.held.items()})

    def add_keys(self, object_plural: str, keys: Iterable[str]) -> None:
        self.staged.setdefault(object_plural, set()).update(keys)

    def missing(self, object_plural: str, source_key: str | None) -> str | None:
        """None when the record is staged (or the object is not tracked); else the hold-back reason."""
        if source_key is None or object_plural not in self.staged:
            return None
        if source_key in self.staged[object_plural]:
            return None
        upstream = self.held.get(object_plural, {}).get(source_key)
        if upstream:
            return f"dependency_held_back: {object_plural} {source_key} ({upstream})"
        return f"dependency_missing: {object_plural} {source_key}"


def first_missing(available: Available | None, deps: Iterable[tuple[str, str | None]]) -> str | None:
    if available is None:
        return None
    for object_plural, key in deps:
        reason = available.missing(object_plural, key)
        if reason:
            return reason
    return None


class Cells:
    """One accepted row read through the map's exclusions: an excluded column reads as null."""

    def __init__(self, row: Row, source_object: str, options: MappingOptions) -> None:
        self.row = row
        self.source_object = source_object
        self.options = options

    def __getitem__(self, column: str) -> str | None:
        if not self.options.includes(self.source_object, column):
            return None
        return clean(self.row.get(column))

    def included(self, column: str) -> bool:
        return self.options.includes(self.source_object, column)

    def date(self, column: str) -> str | None:
        """A date cell as Twenty's DATE, its two-digit year read as validation read it (`date_reading`)."""
        return iso_date(self[column], self.options.region, **self.options.date_reading(column))

    def instant(self, column: str, tz: tzinfo | None = None) -> str | None:
        """A local date-time cell as a UTC instant (Twenty's DATE_TIME), in `tz` (else the region's zone)."""
        return iso_datetime(self[column], self.options.region, tz, **self.options.date_reading(column))

    def original_time(self, column: str, tz: tzinfo | None = None) -> str | None:
        """When the source says the record was made, as Twenty's `createdAt` (UTC): None when the map keeps the
        column out, when it cannot be read, or when it lies after the export date (validation flags those lines;
        Twenty then sets its own)."""
        reading = self.options.date_reading(column)
        parsed = parse_datetime(self[column], DATE_ORDER[as_region(self.options.region)], **reading)
        if parsed is None or parsed.date() > reading["reference"]:
            return None
        return self.instant(column, tz)

    def stamp(self, payload: dict, column: str, tz: tzinfo | None = None) -> None:
        """Set `payload["createdAt"]` from `column` when the source has a usable time (`original_time`)."""
        when = self.original_time(column, tz)
        if when is not None:
            payload["createdAt"] = when

    def codes(self, column: str) -> str | None:
        """Codes in one cell, one spelling; procedure codes restored in the region's coding system."""
        system = (REGION_FACTS[as_region(self.options.region)].procedure_codes
                  if (self.source_object, column) in PROCEDURE_CODE_COLUMNS else None)
        return codes_text(self[column], system)

    def local_time(self, column: str) -> str | None:
        """A date-time cell as local ISO time, for summaries people read."""
        return local_iso_datetime(self[column], self.options.region, **self.options.date_reading(column))

    @property
    def line(self) -> int | None:
        value = self.row.get("source_line")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def extras(self) -> dict[str, str | None]:
        raw = self.row.get("extra")
        if isinstance(raw, dict):
            return raw
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except (TypeError, ValueError):
            return {}
        return parsed if isinstance(parsed, dict) else {}


def apply_extra_columns(payload: dict, cells: Cells, twenty_object: str) -> None:
    """The practice's own columns a person mapped to a Twenty field (options.extra_columns), sent as text."""
    extras = None
    for target in cells.options.extra_columns:
        if target.source_object != cells.source_object or target.twenty_object != twenty_object:
            continue
        if extras is None:
            extras = cells.extras()
        value = clean(extras.get(target.source_column))
        if value is not None:
            payload[target.twenty_field] = value


def warnings_of(warnings: Warnings | None, source_object: str, key: str) -> set[str]:
    if not warnings:
        return set()
    return set(warnings.get((source_object, key), ()))


def natural_key(key: str) -> tuple[int, str]:
    """Order ids the way people read them (`PT9` before `PT10`)."""
    return (len(key), key)


def practice_timezones(practice_rows: Iterable[Row], options: MappingOptions) -> dict[str, tzinfo]:
    """Practice id → the zone its appointment book is kept in (its state; `options.extra["timezone"]` overrides)."""
    override = options.extra.get("timezone") if options.extra else None
    zones: dict[str, tzinfo] = {}
    for row in practice_rows:
        key = str(row["practice_id"])
        zones[key] = ZoneInfo(override) if override else practice_timezone(options.region, clean(row.get("state")))
    return zones


def zone_for(zones: Mapping[str, tzinfo] | None, practice_id: str | None, options: MappingOptions) -> tzinfo:
    if zones and practice_id and practice_id in zones:
        return zones[practice_id]
    override = options.extra.get("timezone") if options.extra else None
    return ZoneInfo(override) if override else practice_timezone(options.region)
