"""Staging tables (one per Twenty object), the id map and the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from core_practice_twenty.mapping.staging import StagedRecord
from core_practice_twenty.store.warehouse import Warehouse


def staging_table(object_plural: str) -> str:
    return f"stg_twenty_{object_plural}"


def write_staged(warehouse: Warehouse, object_plural: str, wave: str, records: Iterable[StagedRecord]) -> int:
    """Replace a wave's staged rows for one Twenty object."""
    table = staging_table(object_plural)
    rows = [
        [wave, r.source_key, r.source_line, json.dumps(r.payload, ensure_ascii=False), r.payload_hash,
         json.dumps(list(r.depends_on)), json.dumps(list(r.notes))]
        for r in records
    ]
    with warehouse.connect() as conn:
        conn.execute(
            f"create table if not exists {table} (wave varchar not null, source_key varchar not null, "
            f"source_line integer, payload json not null, payload_hash varchar not null, depends_on json, "
            f"notes json, primary key (wave, source_key))"
        )
        conn.execute("begin transaction")
        conn.execute(f"delete from {table} where wave = ?", [wave])
        if rows:
            conn.executemany(f"insert into {table} values (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("commit")
    return len(rows)


def read_staged(warehouse: Warehouse, object_plural: str, wave: str) -> list[StagedRecord]:
    table = staging_table(object_plural)
    with warehouse.connect() as conn:
        rows = conn.execute(
            f"select source_key, payload, payload_hash, source_line, depends_on, notes from {table} "
            f"where wave = ? order by source_line nulls last, source_key", [wave]
        ).fetchall()
    return [
        StagedRecord(key, json.loads(payload), digest, line, tuple(json.loads(deps or "[]")),
                     tuple(json.loads(notes or "[]")))
        for key, payload, digest, line, deps, notes in rows
    ]


@dataclass(frozen=True)
class IdMapEntry:
    twenty_id: str
    payload_hash: str


def read_id_map(warehouse: Warehouse, object_plural: str) -> dict[str, IdMapEntry]:
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select source_key, twenty_id, payload_hash from id_map where object = ?", [object_plural]
        ).fetchall()
    return {key: IdMapEntry(tid, digest) for key, tid, digest in rows}


@dataclass(frozen=True)
class WriteOutcome:
    """One record's outcome in a load, as the audit log stores it."""

    source_key: str
    action: str  # create | update | skip | reject
    twenty_id: str | None = None
    payload_hash: str | None = None
    before_state: dict | None = None
    message: str | None = None


def record_outcomes(warehouse: Warehouse, object_plural: str, wave: str, run_id: str,
                    outcomes: list[WriteOutcome]) -> None:
    """Append outcomes to the audit log and move the id map forward, in one transaction."""
    if not outcomes:
        return
    with warehouse.connect() as conn:
        conn.execute("begin transaction")
        conn.executemany(
            "insert into audit_log (seq, wave, run_id, object, source_key, twenty_id, action, before_state, "
            "payload_hash, message) values (nextval('audit_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [wave, run_id, object_plural, o.source_key, o.twenty_id, o.action,
                 json.dumps(o.before_state, ensure_ascii=False) if o.before_state is not None else None,
                 o.payload_hash, o.message]
                for o in outcomes
            ],
        )
        written = [o for o in outcomes if o.action in ("create", "update") and o.twenty_id]
        if written:
            conn.executemany(
                "insert or replace into id_map (object, source_key, twenty_id, payload_hash, wave, run_id, "
                "updated_at) values (?, ?, ?, ?, ?, ?, current_timestamp)",
                [[object_plural, o.source_key, o.twenty_id, o.payload_hash, wave, run_id] for o in written],
            )
        conn.execute("commit")


def audit_counts(warehouse: Warehouse, *, run_id: str | None = None,
                 wave: str | None = None) -> dict[str, dict[str, int]]:
    """Counts per object and action, for one run or one wave."""
    clauses, params = [], []
    if run_id:
        clauses.append("run_id = ?")
        params.append(run_id)
    if wave:
        clauses.append("wave = ?")
        params.append(wave)
    where = f"where {' and '.join(clauses)}" if clauses else ""
    with warehouse.connect() as conn:
        rows = conn.execute(
            f"select object, action, count(*) from audit_log {where} group by all order by all", params
        ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for obj, action, n in rows:
        counts.setdefault(obj, {})[action] = n
    return counts
