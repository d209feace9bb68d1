"""Likely duplicate patients (what linkage found per wave) and a person's decisions on them (for every wave)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.columnar import insert_rows
from core_practice_twenty.store.issues import accepted_from
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.store.warehouse import Warehouse, table_exists

MERGE = "merge"
DISTINCT = "distinct"

@dataclass(frozen=True)
class Decision:
    patient_id: str
    other_id: str
    decision: str
    decided_by: str
    decided_at: datetime

    def describe(self) -> str:
        when = f"{self.decided_at:%Y-%m-%d %H:%M}"
        if self.decision == MERGE:
            return f"{self.patient_id} merged into {self.other_id} by {self.decided_by} at {when}"
        return f"{self.patient_id} and {self.other_id} are not the same person, said {self.decided_by} at {when}"


def replace_likely_duplicates(conn: duckdb.DuckDBPyConnection, wave: str,
                              pairs: Iterable[tuple[str, str, float]]) -> None:
    """The wave's pairs, replacing what an earlier validation of the wave found."""
    conn.execute("delete from likely_duplicates where wave = ?", [wave])
    insert_rows(conn, "likely_duplicates", ["wave", "patient_id", "other_id", "match_weight"],
                [(wave, a, b, w) for a, b, w in pairs])


def decided_pairs(conn: duckdb.DuckDBPyConnection) -> set[frozenset[str]]:
    """Every pair a person has decided on (either way): linkage does not ask about them again."""
    return {frozenset(row) for row in conn.execute("select patient_id, other_id from duplicate_decisions").fetchall()}


def landed_patients(conn: duckdb.DuckDBPyConnection, keys: Iterable[str]) -> set[str]:
    """Which of these patient ids some landed export holds (a decision on an id no export has is a typo)."""
    table = raw_table(EXPORT_SPEC["patients"])
    if not table_exists(conn, table):
        return set()
    wanted = list(dict.fromkeys(keys))
    rows = conn.execute(f"select distinct patient_id from {table} where patient_id in (select unnest(?::varchar[]))",
                        [wanted]).fetchall()
    return {key for (key,) in rows}


def already_in_twenty(warehouse: Warehouse, patient_ids: Iterable[str]) -> set[str]:
    """Which of these patients an earlier wave created as people in Twenty (the id map holds them)."""
    with warehouse.connect() as conn:
        rows = conn.execute("select source_key from id_map where object = 'people' and source_key in "
                            "(select unnest(?::varchar[]))", [list(patient_ids)]).fetchall()
    return {key for (key,) in rows}


def record_decision(warehouse: Warehouse, patient_id: str, other_id: str, decision: str, by: str) -> Decision:
    """Keep a person's decision (a later one on the same pair replaces it). A merge keeps `other_id`; a patient is
    merged into one other at most (a later merge of it replaces the earlier), and a merge that would close a
    circle (the kept patient is itself merged, in the end, into this one) is refused."""
    if decision not in (MERGE, DISTINCT):
        raise ValueError(f"decision must be {MERGE!r} or {DISTINCT!r}")
    if patient_id == other_id:
        raise ValueError(f"{patient_id} cannot be decided against itself")
    with warehouse.transaction() as conn:
        if decision == MERGE:  # a patient is merged into one other at most: a new merge replaces the old one
            conn.execute(f"delete from duplicate_decisions where patient_id = ? and decision = '{MERGE}'",
                         [patient_id])
        kept = _kept(conn)
        if decision == MERGE and kept.get(other_id, other_id) == patient_id:
            direct = conn.execute(f"select other_id from duplicate_decisions where patient_id = ? and decision = "
                                  f"'{MERGE}'", [other_id]).fetchall()[0][0]
            raise ValueError(f"{other_id} is already merged into {patient_id} (directly or through another merge): "
                             f"merging {patient_id} into it would keep neither. Undo that merge first (cpt "
                             f"duplicates decide --distinct {other_id} {direct} --by NAME)")
        conn.execute("delete from duplicate_decisions where (patient_id = $a and other_id = $b) or "
                     "(patient_id = $b and other_id = $a)", {"a": patient_id, "b": other_id})
        conn.execute("insert into duplicate_decisions (patient_id, other_id, decision, decided_by) values (?, ?, ?, ?)",
                     [patient_id, other_id, decision, by])
        row = conn.execute("select patient_id, other_id, decision, decided_by, decided_at from duplicate_decisions "
                           "where patient_id = ? and other_id = ?", [patient_id, other_id]).fetchone()
    return Decision(*row)


def decisions(warehouse: Warehouse) -> list[Decision]:
    with warehouse.connect() as conn:
        rows = conn.execute("select patient_id, other_id, decision, decided_by, decided_at from duplicate_decisions "
                            "order by decided_at, patient_id").fetchall()
    return [Decision(*row) for row in rows]


def _kept(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    merged = dict(conn.execute(f"select patient_id, other_id from duplicate_decisions where decision = '{MERGE}' "
                               f"order by decided_at, patient_id").fetchall())
    kept = {}
    for patient in merged:
        seen, current = {patient}, merged[patient]
        while current in merged and current not in seen:  # P3 into P2 into P1: P3's records go to P1
            seen.add(current)
            current = merged[current]
        kept[patient] = current
    return kept


def merges(conn: duckdb.DuckDBPyConnection, wave: str | None = None) -> dict[str, str]:
    """patient_id → the patient it was merged into, chains followed to the end; with `wave`, only merges whose kept
    patient is an accepted row of that wave (merging into a rejected row would lose both people)."""
    kept = _kept(conn)
    if wave is None or not kept:
        return kept
    spec = EXPORT_SPEC["patients"]
    accepted = {key for (key,) in conn.execute(
        f"select distinct r.patient_id {accepted_from(spec, 'r', '$wave')} and r.patient_id in "
        f"(select unnest($keys::varchar[]))", {"wave": wave, "keys": sorted(set(kept.values()))}).fetchall()}
    return {patient: target for patient, target in kept.items() if target in accepted}


@dataclass(frozen=True)
class PendingPair:
    wave: str
    patient_id: str
    other_id: str
    match_weight: float


def pending_pairs_sql(wave: str | None) -> str:
    """SQL: (wave, patient_id, other_id, match_weight) of the pairs linkage flagged that no one has decided on yet,
    of one wave (`wave`: SQL) or of every wave: the one statement of "pending", for the review, status and the map."""
    return (f"select l.wave, l.patient_id, l.other_id, l.match_weight from likely_duplicates l where "
            f"{f'l.wave = {wave} and ' if wave else ''}not exists (select 1 from duplicate_decisions d where "
            f"(d.patient_id = l.patient_id and d.other_id = l.other_id) or "
            f"(d.patient_id = l.other_id and d.other_id = l.patient_id))")


def pending_pairs(conn: duckdb.DuckDBPyConnection, wave: str | None = None) -> list[PendingPair]:
    """Pairs linkage flagged that no one has decided on yet (of one wave, or of every wave's latest validation)."""
    rows = conn.execute(f"{pending_pairs_sql('$wave' if wave else None)} order by l.wave, l.match_weight desc, "
                        f"l.patient_id", {"wave": wave} if wave else {}).fetchall()
    return [PendingPair(*row) for row in rows]


def patient_cells(conn: duckdb.DuckDBPyConnection, wave: str, keys: list[str],
                  columns: list[str]) -> dict[str, dict[str, object]]:
    """These patients' `columns` in the wave (the first line of each), for the review sheet a person reads."""
    if not keys:
        return {}
    rows = conn.execute(f"select {', '.join(columns)} from {raw_table(EXPORT_SPEC['patients'])} where wave = ? and "
                        f"patient_id in (select unnest(?::varchar[])) order by source_line", [wave, keys]).fetchall()
    found: dict[str, dict[str, object]] = {}
    for row in rows:
        found.setdefault(row[0], dict(zip(columns, row, strict=True)))
    return found
