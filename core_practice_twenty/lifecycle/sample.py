"""Choose the sample wave: a few hundred source records that exercise everything the full wave will meet.

A sample is accepted by a person before the full wave, so it must contain every source object,
every value of every status/enum column present in the export (`values` of the export spec), and
every validation rule that fired (table `validation_issues`) — each with all its related records,
because a patient without their appointments, plans, invoices (lines, payments), claims, notes and
documents, or without their practice and provider, would not show what the migration does to a
patient.

Relations come from the export spec's `references` (one table of truth): a chosen row pulls its
parents (what it points at, transitively); a patient pulls its children (what points at it, and
what points at those: invoice lines, payments, claims of its invoices, notes of its appointments),
when it is chosen for itself or as one of those records' patient.
Practices and providers pull parents only, never "everything at this practice".

A patient pulled in as someone's parent (a family head) comes as a row with its own parents, not
with all its records: the sample would otherwise grow by whole families.

Greedy and deterministic for a seed: requirements in spec order, a few candidates each (shuffled by
the seed), the one whose closure adds the fewest records per requirement it newly shows (and still
fits under `max_records`) wins;
then random patients fill up to `min_records`. Works in DuckDB on the raw tables, one connection, small key sets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import duckdb

from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.raw_reads import (
    distinct_cells,
    keys_of,
    landed_objects,
    neighbours,
    rules_found,
    wave_rows,
)

DEFAULT_MIN_RECORDS = 100
DEFAULT_MAX_RECORDS = 500
CANDIDATES_TRIED = 12
PREFETCH_ROWS = 200_000
"""Up to this many rows in a reference's child table, its whole neighbour map is read at once (a few MB);
beyond it (a group's export) only the keys a closure reaches are asked for."""
"""Candidates tried per requirement (the one adding the fewest records wins); none fitting → reported."""

PATIENTS = "patients"


@dataclass(frozen=True)
class Edge:
    """`child.column` references `parent.parent_column` (from the export spec)."""

    child: str
    column: str
    parent: str
    parent_column: str


def reference_edges() -> list[Edge]:
    edges = []
    for spec in EXPORT_SPEC.values():
        for column in spec.references:
            parent, _, parent_column = column.references.partition(".")
            edges.append(Edge(spec.name, column.name, parent, parent_column))
    return edges


@dataclass(frozen=True)
class Requirement:
    """Something the sample must show: an object, a value of an enum column, or a validation rule."""

    kind: str  # object | value | rule
    object: str
    column: str = ""
    value: str = ""

    @property
    def label(self) -> str:
        if self.kind == "object":
            return f"object {self.object}"
        if self.kind == "value":
            return f"{self.object}.{self.column} = {self.value}"
        return f"rule {self.value} on {self.object}"


@dataclass
class SampleCoverage:
    """What the sample covers and what it could not (labels are object, column, enum value, rule names)."""

    covered: list[str] = field(default_factory=list)
    absent_from_export: list[str] = field(default_factory=list)
    did_not_fit: list[str] = field(default_factory=list)
    selected: dict[str, int] = field(default_factory=dict)
    available: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows that become Twenty records (RECORD_OBJECTS): what the 100–500 bounds count."""
        return sum(n for obj, n in self.selected.items() if obj in RECORD_OBJECTS)

    @property
    def rows(self) -> int:
        return sum(self.selected.values())

    def as_metadata(self) -> dict[str, Any]:
        return {"records": self.total, "rows": self.rows, "requirements_covered": len(self.covered),
                "absent_from_export": self.absent_from_export, "did_not_fit": self.did_not_fit,
                "selected": self.selected, "available": self.available}


@dataclass
class SampleChoice:
    keys: dict[str, list[str]]  # source object → source keys (sorted)
    coverage: SampleCoverage


class _Wave:
    """The raw tables of one wave, queried by key sets."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, wave: str) -> None:
        self.conn = conn
        self.wave = wave
        self.objects = landed_objects(conn)
        self.edges = [e for e in reference_edges() if e.child in self.objects and e.parent in self.objects]
        self._neighbours: dict[tuple[Edge, bool], dict[str, set[str]]] = {}
        self._complete: dict[tuple[Edge, bool], bool] = {}

    def keys(self, obj: str, **where: Any) -> list[str]:
        return keys_of(self.conn, obj, self.wave, **where)

    def parents(self, edge: Edge, child_keys: set[str]) -> set[str]:
        """Keys of `edge.parent` rows the given child rows point at."""
        return self._related(edge, child_keys, up=True)

    def children(self, edge: Edge, parent_keys: set[str]) -> set[str]:
        """Keys of `edge.child` rows pointing at the given parent rows."""
        return self._related(edge, parent_keys, up=False)

    def _related(self, edge: Edge, keys: set[str], *, up: bool) -> set[str]:
        """Follow `edge` from `keys`, asking DuckDB only about keys not followed before.

        The search tries a dozen candidate rows per requirement and their closures overlap (the same
        practice, provider, family): a query per step cost 13 s for a 300-patient export. A small export's
        edges are read whole once (0.5 s); a large one's neighbours are remembered key by key.
        """
        known = self._neighbours.get((edge, up))
        if known is None:
            known = self._neighbours[(edge, up)] = {}
            if wave_rows(self.conn, edge.child, self.wave) <= PREFETCH_ROWS:  # practice-sized: the edge in one query
                self._fetch(edge, up, known, None)
        missing = sorted(k for k in keys if k not in known)
        if missing and not self._complete.get((edge, up)):
            self._fetch(edge, up, known, missing)
        return set().union(*(known.get(k, set()) for k in keys)) if keys else set()

    def _fetch(self, edge: Edge, up: bool, known: dict[str, set[str]], keys: list[str] | None) -> None:
        """Neighbours along `edge` of `keys` (None: of every row) into `known`; a key without any gets an empty set."""
        rows = neighbours(self.conn, self.wave, child=edge.child, column=edge.column, parent=edge.parent,
                          parent_column=edge.parent_column, up=up, keys=keys)
        for key in keys or ():
            known.setdefault(key, set())
        for key, neighbour in rows:
            if key is not None and neighbour is not None:
                known.setdefault(key, set()).add(neighbour)
        if keys is None:
            self._complete[(edge, up)] = True

    def closure(self, selected: dict[str, set[str]], descend: dict[str, set[str]],
                seeds: dict[str, set[str]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """`selected` plus `seeds` plus everything related, as the module docstring says."""
        chosen = {o: set(k) for o, k in selected.items()}
        down = {o: set(k) for o, k in descend.items()}
        new = {o: set(k) - chosen.get(o, set()) for o, k in seeds.items()}
        new_down: dict[str, set[str]] = {PATIENTS: set(new.get(PATIENTS, set()))}
        while any(new.values()) or any(new_down.values()):
            for obj, keys in new.items():
                chosen.setdefault(obj, set()).update(keys)
            for obj, keys in new_down.items():
                down.setdefault(obj, set()).update(keys)
            found: dict[str, set[str]] = {}
            found_down: dict[str, set[str]] = {}
            for edge in self.edges:
                if new.get(edge.child):
                    pointed_at = self.parents(edge, new[edge.child])
                    found.setdefault(edge.parent, set()).update(pointed_at - chosen.get(edge.parent, set()))
                    if edge.parent == PATIENTS and edge.child != PATIENTS:  # the patient of a chosen record
                        found_down.setdefault(PATIENTS, set()).update(pointed_at - down.get(PATIENTS, set()))
                if new_down.get(edge.parent) and edge.child != edge.parent:  # a family head: parent only
                    kids = self.children(edge, new_down[edge.parent]) - down.get(edge.child, set())
                    found_down.setdefault(edge.child, set()).update(kids)
                    found.setdefault(edge.child, set()).update(kids - chosen.get(edge.child, set()))
            new, new_down = found, found_down
        return chosen, down


def _requirements(wave: _Wave) -> tuple[list[tuple[Requirement, list[tuple[str, str]]]], list[Requirement]]:
    """Every requirement with its candidate rows (object, key), and those absent from the export."""
    present: list[tuple[Requirement, list[tuple[str, str]]]] = []
    absent: list[Requirement] = []
    for obj in wave.objects:
        spec = EXPORT_SPEC[obj]
        keys = wave.keys(obj)
        requirement = Requirement("object", obj)
        (present.append((requirement, [(obj, k) for k in keys])) if keys else absent.append(requirement))
        for column in spec.columns:
            if not column.values:
                continue
            cells = distinct_cells(wave.conn, obj, column.name, wave.wave)
            spellings: dict[str, list[str]] = {}
            for cell in cells:
                canonical = column.canonical_value(cell)
                if canonical is not None:
                    spellings.setdefault(canonical, []).append(cell)
            for value in column.values:
                requirement = Requirement("value", obj, column.name, value)
                if value not in spellings:
                    absent.append(requirement)
                    continue
                rows = wave.keys(obj, column=column.name, values=spellings[value])
                present.append((requirement, [(obj, k) for k in rows]))
    for obj, rule in rules_found(wave.conn, wave.wave):
        if obj not in wave.objects:
            continue
        rows = wave.keys(obj, lines_with_rule=rule)
        if rows:
            present.append((Requirement("rule", obj, value=rule), [(obj, k) for k in rows]))
    return present, absent


RECORD_OBJECTS = frozenset({t.source_object for t in TARGET_OBJECTS.values()} | {"providers"})
"""Source objects whose rows become Twenty records: what the 100–500 counts. Rows folded into a parent
(invoice lines, payments, a patient's practice links) and workflows (reference files) come along free."""


def choose_sample(conn: duckdb.DuckDBPyConnection, wave: str, *, seed: int = 0,
                  min_records: int = DEFAULT_MIN_RECORDS, max_records: int = DEFAULT_MAX_RECORDS) -> SampleChoice:
    """The sample's source keys per object and what they cover, from `wave`'s raw tables."""
    rng = random.Random(seed)
    data = _Wave(conn, wave)
    requirements, absent = _requirements(data)
    selected: dict[str, set[str]] = {}
    descend: dict[str, set[str]] = {}
    coverage = SampleCoverage(absent_from_export=[r.label for r in absent])

    def size(keys: dict[str, set[str]]) -> int:
        return sum(len(k) for obj, k in keys.items() if obj in RECORD_OBJECTS)

    shows: dict[tuple[str, str], list[int]] = {}
    for index, (_requirement, candidates) in enumerate(requirements):
        for row in candidates:
            shows.setdefault(row, []).append(index)

    def covers(keys: dict[str, set[str]]) -> set[int]:
        return {i for obj, rows in keys.items() for key in rows for i in shows.get((obj, key), ())}

    for requirement, candidates in requirements:
        if any(key in selected.get(obj, set()) for obj, key in candidates):
            coverage.covered.append(requirement.label)
            continue
        order = list(candidates)
        rng.shuffle(order)
        already = covers(selected)
        best: tuple[float, dict[str, set[str]], dict[str, set[str]]] | None = None
        for obj, key in order[:CANDIDATES_TRIED]:  # fewest records added per requirement newly shown
            grown, grown_down = data.closure(selected, descend, {obj: {key}})
            if size(grown) > max_records:
                continue
            cost = (size(grown) - size(selected)) / len(covers(grown) - already)
            if best is None or cost < best[0]:
                best = (cost, grown, grown_down)
        if best is None:
            coverage.did_not_fit.append(requirement.label)
        else:
            _, selected, descend = best
            coverage.covered.append(requirement.label)

    if PATIENTS in data.objects:
        patients = data.keys(PATIENTS)
        rng.shuffle(patients)
        for key in patients:
            if size(selected) >= min_records:
                break
            if key in selected.get(PATIENTS, set()):
                continue
            grown, grown_down = data.closure(selected, descend, {PATIENTS: {key}})
            if size(grown) <= max_records:
                selected, descend = grown, grown_down

    coverage.selected = {obj: len(selected.get(obj, set())) for obj in data.objects}
    coverage.available = {obj: wave_rows(conn, obj, wave) for obj in data.objects}
    return SampleChoice({obj: sorted(selected.get(obj, set())) for obj in data.objects}, coverage)
