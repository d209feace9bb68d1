"""Staging tables (one per Twenty object), held-back rows, the id map and the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import orjson
import pyarrow as pa

from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.store.columnar import insert_rows, rows_as_table
from core_practice_twenty.store.warehouse import Warehouse, table_exists


def staging_table(object_plural: str) -> str:
    return f"stg_twenty_{object_plural}"


def _create_staging(conn: duckdb.DuckDBPyConnection, table: str) -> None:
    conn.execute(
        f"create table if not exists {table} (wave varchar not null, source_key varchar not null, "
        f"source_line integer, payload json not null, payload_hash varchar not null, depends_on json, "
        f"notes json, primary key (wave, source_key))"
    )


def _arrow(wave: str, records: Iterable[StagedRecord]) -> pa.Table:
    rows = list(records)
    return pa.table({
        "wave": [wave] * len(rows),
        "source_key": [r.source_key for r in rows],
        "source_line": pa.array([r.source_line for r in rows], type=pa.int32()),
        "payload": [json.dumps(r.payload, ensure_ascii=False) for r in rows],
        "payload_hash": [r.payload_hash for r in rows],
        "depends_on": [json.dumps(list(r.depends_on)) for r in rows],
        "notes": [json.dumps(list(r.notes)) for r in rows],
    })


def write_staged_tables(warehouse: Warehouse, wave: str,
                        by_object: Mapping[str, Iterable[StagedRecord]]) -> dict[str, int]:
    """Replace a wave's staged rows of several Twenty objects in one transaction (all or none)."""
    with warehouse.transaction() as conn:
        clear_staged(conn, wave, by_object)
        return append_staged(conn, wave, by_object)


def clear_staged(conn: duckdb.DuckDBPyConnection, wave: str, objects: Iterable[str]) -> None:
    """Create the objects' staging tables if needed and delete the wave's rows (inside the caller's transaction)."""
    for object_plural in objects:
        _create_staging(conn, staging_table(object_plural))
        conn.execute(f"delete from {staging_table(object_plural)} where wave = ?", [wave])


def append_staged(conn: duckdb.DuckDBPyConnection, wave: str,
                  by_object: Mapping[str, Iterable[StagedRecord]]) -> dict[str, int]:
    """Add staged records to the objects' staging tables (created by `clear_staged`); counts written."""
    written: dict[str, int] = {}
    for object_plural, records in by_object.items():
        frame = _arrow(wave, records)
        conn.register("staged_frame", frame)
        conn.execute(f"insert into {staging_table(object_plural)} by name select * from staged_frame")
        conn.unregister("staged_frame")
        written[object_plural] = frame.num_rows
    return written


def write_staged(warehouse: Warehouse, object_plural: str, wave: str, records: Iterable[StagedRecord]) -> int:
    """Replace a wave's staged rows for one Twenty object."""
    return write_staged_tables(warehouse, wave, {object_plural: records})[object_plural]


def write_held_back(warehouse: Warehouse, wave: str, stage: str,
                    rows: Iterable[tuple[str, str, int | None, str]]) -> int:
    """Replace a wave's held-back rows of one stage: (object, source key, source line, reason)."""
    rows = [[wave, stage, obj, str(key), line, reason] for obj, key, line, reason in rows]
    with warehouse.transaction() as conn:
        conn.execute("delete from held_back where wave = ? and stage = ?", [wave, stage])
        insert_rows(conn, "held_back", ["wave", "stage", "source_object", "source_key", "source_line", "reason"],
                    rows)
    return len(rows)


def held_back_counts(warehouse: Warehouse, wave: str) -> dict[str, dict[str, int]]:
    """Per object, held-back rows by reason code (mapping stage)."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select source_object, split_part(split_part(reason, ':', 1), ';', 1) as code, count(*) "
            "from held_back where wave = ? and stage = 'mapping' group by all order by all", [wave]
        ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for obj, code, n in rows:
        counts.setdefault(obj, {})[code.strip()] = n
    return counts


def read_staged(warehouse: Warehouse, object_plural: str, wave: str) -> list[StagedRecord]:
    table = staging_table(object_plural)
    with warehouse.connect() as conn:
        rows = conn.execute(
            f"select source_key, payload, payload_hash, source_line, depends_on, notes from {table} "
            f"where wave = ? order by source_line nulls last, source_key", [wave]
        ).fetchall()
    # orjson: decoding every payload of a wave is the larger part of reading it back (json.loads 4× slower)
    return [
        StagedRecord(key, orjson.loads(payload), digest, line, tuple(orjson.loads(deps)) if deps else (),
                     tuple(orjson.loads(notes)) if notes else ())
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


def id_lookup(warehouse: Warehouse, objects: Iterable[str]) -> dict[tuple[str, str], str]:
    """(object, source key) → Twenty id for the objects a load's references point at."""
    names = list(objects)
    if not names:
        return {}
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select object, source_key, twenty_id from id_map where list_contains(?, object)", [names]
        ).fetchall()
    return {(obj, key): tid for obj, key, tid in rows}


@dataclass(frozen=True)
class WriteOutcome:
    """One record's outcome in a load, as the audit log stores it."""

    source_key: str
    action: str  # create | update | skip | reject | hold (a parent is not in Twenty)
    twenty_id: str | None = None
    payload_hash: str | None = None
    before_state: dict | None = None
    message: str | None = None
    server_time: str | None = None  # the record's updatedAt in Twenty's answer to this write


def record_outcomes(warehouse: Warehouse, object_plural: str, wave: str, run_id: str,
                    outcomes: list[WriteOutcome]) -> None:
    """Append outcomes to the audit log and move the id map forward, in one transaction."""
    if not outcomes:
        return
    rows = [[o.source_key, o.twenty_id, o.action,
             json.dumps(o.before_state, ensure_ascii=False) if o.before_state is not None else None,
             o.payload_hash, o.message] for o in outcomes]
    written = [[o.source_key, o.twenty_id, o.payload_hash]
               for o in outcomes if o.action in ("create", "update") and o.twenty_id]
    with warehouse.transaction() as conn:
        with rows_as_table(conn, ["source_key", "twenty_id", "action", "before_state", "payload_hash",
                                  "message"], rows) as outcome_rows:
            conn.execute(
                "insert into audit_log (seq, wave, run_id, object, source_key, twenty_id, action, before_state, "
                "payload_hash, message) select nextval('audit_seq'), $wave, $run, $object, source_key, twenty_id, "
                f"action, before_state::json, payload_hash, message from {outcome_rows}",
                {"wave": wave, "run": run_id, "object": object_plural},
            )
        times = [o.server_time for o in outcomes if o.server_time]
        if times:
            conn.execute(
                "insert into twenty_clock (object, run_id, wave, server_time) values ($object, $run, $wave, $time) "
                "on conflict (object, run_id) do update set server_time = greatest(twenty_clock.server_time, "
                "excluded.server_time)", {"object": object_plural, "run": run_id, "wave": wave, "time": max(times)},
            ).fetchall()  # an upsert leaves a result open: finish it before the next statement registers a view
        if written:
            with rows_as_table(conn, ["source_key", "twenty_id", "payload_hash"], written) as id_rows:
                conn.execute(
                    "insert or replace into id_map (object, source_key, twenty_id, payload_hash, wave, run_id, "
                    f"updated_at) select $object, source_key, twenty_id, payload_hash, $wave, $run, "
                    f"current_timestamp from {id_rows}",
                    {"wave": wave, "run": run_id, "object": object_plural},
                )


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


def migration_clock(warehouse: Warehouse, object_plural: str) -> str | None:
    """The latest time, on Twenty's clock, that Twenty answered a write of the migration to this object: a
    record whose updatedAt is later was changed by someone else since (or by a write whose answer was lost)."""
    with warehouse.connect() as conn:
        return conn.execute("select max(server_time) from twenty_clock where object = ?",
                            [object_plural]).fetchone()[0]


def previous_payloads(warehouse: Warehouse, object_plural: str, keys: Iterable[str]) -> dict[str, dict]:
    """The payload last sent for each source key (the staged row whose hash the id map holds; staging tables
    keep every wave's rows): what the migration itself wrote into Twenty."""
    wanted = [[k] for k in dict.fromkeys(keys)]
    table = staging_table(object_plural)
    if not wanted:
        return {}
    with warehouse.connect() as conn:
        if not table_exists(conn, table):
            return {}
        with rows_as_table(conn, ["source_key"], wanted) as keys_table:
            rows = conn.execute(
                f"select p.source_key, any_value(p.payload) from {keys_table} w "
                f"join id_map m on m.object = ? and m.source_key = w.source_key "
                f"join {table} p on p.source_key = m.source_key and p.payload_hash = m.payload_hash group by all",
                [object_plural]).fetchall()
    return {key: json.loads(payload) for key, payload in rows}


def payload_changes(warehouse: Warehouse, object_plural: str, wave: str) -> tuple[int, list[tuple]]:
    """Records of `object_plural` already in Twenty (in the id map) that `wave` would send again with another
    payload: how many of the wave's records are already in Twenty, and (source key, source line, payload
    last sent, payload to send) for each that changed. The payload last sent is the staged row whose hash
    the id map holds (the staging tables keep every wave's rows)."""
    table = staging_table(object_plural)
    with warehouse.connect() as conn:
        if not table_exists(conn, table):
            return 0, []
        existing = conn.execute(
            f"select count(*) from {table} s join id_map m on m.object = ? and m.source_key = s.source_key "
            f"where s.wave = ?", [object_plural, wave]).fetchone()[0]
        rows = conn.execute(
            f"select s.source_key, s.source_line, p.payload, s.payload from {table} s "
            f"join id_map m on m.object = ? and m.source_key = s.source_key "
            f"join {table} p on p.wave = m.wave and p.source_key = s.source_key and p.payload_hash = m.payload_hash "
            f"where s.wave = ? and s.payload_hash <> m.payload_hash order by s.source_line",
            [object_plural, wave]).fetchall()
    return existing, [(key, line, json.loads(before), json.loads(after)) for key, line, before, after in rows]


def loaded_source_rows(warehouse: Warehouse, wave: str, raw_key: Mapping[str, tuple[str, str]],
                       targets: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Per source object, its rows of `wave` that became a record now in Twenty: counted, not derived.

    `raw_key`: source object → (raw table, key column); `targets`: source object → the Twenty objects
    staged from it. A row counts when a staged record of the wave carries its line and its key (or its
    key with a suffix, as a task's targets do, or a prefix, as a doctor's person does) and the id map
    holds that record.
    """
    counts: dict[str, int] = {}
    with warehouse.connect() as conn:
        for source, (raw, key) in raw_key.items():
            staged = [plural for plural in targets.get(source, ()) if table_exists(conn, staging_table(plural))]
            if not staged or not table_exists(conn, raw):
                counts[source] = 0
                continue
            union = " union all ".join(
                f"select s.source_line, regexp_replace(split_part(s.source_key, '|', 1), '^[a-z_]+:', '') as k "
                f"from {staging_table(p)} s "
                f"join id_map m on m.object = '{p}' and m.source_key = s.source_key where s.wave = $wave"
                for p in staged)
            counts[source] = conn.execute(
                f'select count(distinct r.source_line) from {raw} r join ({union}) l '
                f'on l.source_line = r.source_line and l.k = r."{key}" where r.wave = $wave', {"wave": wave},
            ).fetchone()[0]
    return counts


def wave_outcome_counts(warehouse: Warehouse, object_plural: str, wave: str) -> tuple[int, dict[str, int], int]:
    """(records staged, the last outcome of each staged record by action, records in the id map) for one object
    and wave: what reconciliation compares with Twenty's count. A wave not mapped yet (stopped at a gate) has none."""
    table = staging_table(object_plural)
    with warehouse.connect() as conn:
        mapped = conn.execute("select count(*) from id_map where object = ?", [object_plural]).fetchone()[0]
        if not table_exists(conn, table):  # `cpt status` reads, it does not create the table
            return 0, {}, mapped
        staged = conn.execute(f"select count(*) from {table} where wave = ?", [wave]).fetchone()[0]
        rows = conn.execute(
            f"""
            with last as (
                select a.source_key, arg_max(a.action, a.seq) as action from audit_log a
                join {table} s on s.source_key = a.source_key and s.wave = a.wave
                where a.object = ? and a.wave = ? and a.action in ('create', 'update', 'skip', 'reject', 'hold')
                group by a.source_key
            ) select action, count(*) from last group by action
            """, [object_plural, wave]).fetchall()
    return staged, dict(rows), mapped


def record_sent(warehouse: Warehouse, object_plural: str, run_id: str, keys: Sequence[str]) -> None:
    """The keys of new records a batch is about to send (one insert per batch)."""
    if not keys:
        return
    with warehouse.transaction() as conn:
        insert_rows(conn, "sent_keys", ["object", "source_key", "run_id"], [(object_plural, k, run_id) for k in keys])


def sent_without_outcome(warehouse: Warehouse, object_plural: str) -> set[str]:
    """Keys an earlier run sent and recorded nothing for (it was killed between Twenty's answer and the warehouse),
    still missing from the id map: if Twenty holds them, the migration created them then."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select distinct s.source_key from sent_keys s where s.object = ? and not exists (select 1 from "
            "audit_log a where a.object = s.object and a.source_key = s.source_key and a.run_id = s.run_id) and not "
            "exists (select 1 from id_map m where m.object = s.object and m.source_key = s.source_key)",
            [object_plural]
        ).fetchall()
    return {key for (key,) in rows}
