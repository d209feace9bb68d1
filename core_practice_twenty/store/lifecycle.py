"""Warehouse tables of the migration lifecycle: the baseline, the schema the migration created, rollback writes.

The baseline is what Twenty held before the first wave (counts and content hashes, never values);
rollback proves itself against it. `schema_changes` remembers which custom objects and fields the
schema step created, so that an optional schema removal deletes only those and never a field a person
made by hand. Rollback writes go to the ordinary `audit_log` (actions `destroy` and `restore`), so
one table tells what the migration did and what was undone, and a rerun after an interruption
resumes from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core_practice_twenty.store.columnar import insert_rows, rows_as_table
from core_practice_twenty.store.warehouse import Warehouse

# -- baseline --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectBaseline:
    """One object's state in Twenty: counts and a fingerprint (hashes of ids and content only)."""

    object: str
    total_count: int
    soft_deleted: int
    fingerprint: str
    present: bool
    record_hashes: dict[str, str]


def has_baseline(warehouse: Warehouse) -> bool:
    with warehouse.connect() as conn:
        return conn.execute("select count(*) from baseline_objects").fetchone()[0] > 0


def save_baseline(warehouse: Warehouse, objects: Iterable[ObjectBaseline]) -> None:
    """Replace the stored baseline with `objects`, in one transaction."""
    objects = list(objects)
    with warehouse.transaction() as conn:
        conn.execute("delete from baseline_objects")
        conn.execute("delete from baseline_records")
        insert_rows(conn, "baseline_objects", ["object", "total_count", "soft_deleted", "fingerprint", "present"],
                    [[o.object, o.total_count, o.soft_deleted, o.fingerprint, o.present] for o in objects])
        insert_rows(conn, "baseline_records", ["object", "twenty_id", "content_hash"],
                    [[o.object, rid, digest] for o in objects for rid, digest in o.record_hashes.items()])


def read_baseline(warehouse: Warehouse) -> dict[str, ObjectBaseline]:
    """The stored baseline per object (empty when none was taken)."""
    with warehouse.connect() as conn:
        heads = conn.execute(
            "select object, total_count, soft_deleted, fingerprint, present from baseline_objects order by object"
        ).fetchall()
        records = conn.execute("select object, twenty_id, content_hash from baseline_records").fetchall()
    hashes: dict[str, dict[str, str]] = {}
    for obj, rid, digest in records:
        hashes.setdefault(obj, {})[rid] = digest
    return {obj: ObjectBaseline(obj, total, deleted, fp, present, hashes.get(obj, {}))
            for obj, total, deleted, fp, present in heads}


# -- schema the migration created ------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChange:
    kind: str  # object | field
    object: str  # nameSingular
    field: str  # '' for an object
    wave: str


def record_schema_changes(warehouse: Warehouse, wave: str, result: Any) -> int:
    """Remember what a schema sync created (`SchemaSyncResult.objects_created` and `.created`).

    The schema asset calls this after `sync_schema`; a later sync creates nothing new, so the first
    wave that created a thing keeps it. Returns how many changes were new.
    """
    rows = [("object", name, "") for name in result.objects_created]
    for qualified in result.created:
        obj, _, field = qualified.partition(".")
        rows.append(("field", obj, field))
    if not rows:
        return 0
    with warehouse.connect() as conn:
        before = conn.execute("select count(*) from schema_changes").fetchone()[0]
        conn.executemany(
            "insert into schema_changes (kind, object, field, wave) values (?, ?, ?, ?) on conflict do nothing",
            [[kind, obj, field, wave] for kind, obj, field in rows],
        )
        after = conn.execute("select count(*) from schema_changes").fetchone()[0]
    return after - before


def created_schema(warehouse: Warehouse, *, include_removed: bool = False) -> list[SchemaChange]:
    """Custom objects and fields the migration created (and has not removed yet)."""
    where = "" if include_removed else "where removed_at is null"
    with warehouse.connect() as conn:
        rows = conn.execute(
            f"select kind, object, field, wave from schema_changes {where} order by recorded_at, kind, object, field"
        ).fetchall()
    return [SchemaChange(*row) for row in rows]


def mark_schema_removed(warehouse: Warehouse, change: SchemaChange) -> None:
    with warehouse.connect() as conn:
        conn.execute(
            "update schema_changes set removed_at = current_timestamp where kind = ? and object = ? and field = ?",
            [change.kind, change.object, change.field],
        )


# -- rollback --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUndo:
    """A record a rollback must still undo: the migration's first not-yet-undone write to it.

    `action` is `destroy` when that write created the record, `restore` when it updated a record
    that existed before (then `before_state` is how Twenty held it).
    """

    wave: str
    object: str
    source_key: str
    twenty_id: str
    action: str
    before_state: dict | None
    seq: int


@dataclass(frozen=True)
class LaterWrite:
    """A write in a wave outside the rollback to a record the rollback would undo (it blocks)."""

    object: str
    twenty_id: str
    wave: str


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def waves_newest_first(warehouse: Warehouse, waves: Sequence[str] | None = None) -> list[str]:
    """Waves with migration writes (or the given ones), newest registration first.

    A wave written to the audit log but never registered sorts by its last write.
    """
    with warehouse.connect() as conn:
        rows = conn.execute(
            """
            with written as (
                select wave, max(logged_at) as last_write from audit_log
                where action in ('create', 'update') group by wave
            )
            select coalesce(w.wave, a.wave) as wave, coalesce(w.registered_at, a.last_write) as wave_at
            from migration_waves w full outer join written a on a.wave = w.wave
            order by wave_at desc nulls last, wave desc
            """
        ).fetchall()
    ordered = [wave for wave, _ in rows]
    if waves is None:
        with warehouse.connect() as conn:
            written = {w for (w,) in conn.execute(
                "select distinct wave from audit_log where action in ('create', 'update')").fetchall()}
        return [w for w in ordered if w in written]
    unknown = [w for w in waves if w not in ordered]
    if unknown:
        raise LookupError(f"unknown wave(s) {unknown}: neither registered nor in the audit log")
    return [w for w in ordered if w in set(waves)]


def pending_undos(warehouse: Warehouse, waves: Sequence[str]) -> tuple[list[PendingUndo], list[LaterWrite]]:
    """What undoing `waves` still has to do, decided from the audit log alone.

    Per record (object, Twenty id) only writes after its last `destroy`/`restore` count: those are
    already undone, which makes a rerun after an interruption resume where it stopped, and a
    migration that runs again after a rollback can be rolled back again. The earliest remaining
    write in the selected waves decides: created → destroy, updated → restore its before-state.
    Writes of other waves after that one are returned as conflicts.
    """
    if not waves:
        return [], []
    marks = _placeholders(waves)
    with warehouse.connect() as conn:
        pending = conn.execute(
            f"""
            with undone as (
                select object, twenty_id, max(seq) as undone_seq from audit_log
                where action in ('destroy', 'restore') and twenty_id is not null group by all
            ),
            live as (
                select a.* from audit_log a left join undone u on a.object = u.object and a.twenty_id = u.twenty_id
                where a.action in ('create', 'update') and a.twenty_id is not null
                  and a.seq > coalesce(u.undone_seq, -1)
            ),
            firsts as (
                select object, twenty_id, min(seq) as seq, arg_min(wave, seq) as wave,
                       arg_min(source_key, seq) as source_key, arg_min(action, seq) as action,
                       arg_min(before_state, seq) as before_state
                from live where wave in ({marks}) group by all
            ),
            conflicts as (
                select distinct l.object, l.twenty_id, l.wave from live l join firsts f
                  on l.object = f.object and l.twenty_id = f.twenty_id
                where l.wave not in ({marks}) and l.seq > f.seq
            )
            select 'undo', wave, object, source_key, twenty_id, action, before_state::varchar, seq from firsts
            union all
            select 'conflict', wave, object, null, twenty_id, null, null, null from conflicts
            """,
            [*waves, *waves],
        ).fetchall()
    undos, conflicts = [], []
    for kind, wave, obj, key, tid, action, before, seq in pending:
        if kind == "conflict":
            conflicts.append(LaterWrite(obj, tid, wave))
        else:
            undos.append(PendingUndo(wave, obj, key, tid, "destroy" if action == "create" else "restore",
                                     json.loads(before) if before else None, seq))
    return undos, conflicts


def record_undone(warehouse: Warehouse, run_id: str, undone: Sequence[PendingUndo],
                  message: str | None = None) -> None:
    """Append rollback writes to the audit log and drop their id-map rows, in one transaction."""
    if not undone:
        return
    rows = [[u.wave, u.object, u.source_key, u.twenty_id, u.action] for u in undone]
    with warehouse.transaction() as conn, \
            rows_as_table(conn, ["wave", "object", "source_key", "twenty_id", "action"], rows) as undone_rows:
        conn.execute(
            "insert into audit_log (seq, wave, run_id, object, source_key, twenty_id, action, before_state, "
            "payload_hash, message) select nextval('audit_seq'), wave, $run, object, source_key, twenty_id, action, "
            f"null, null, $message from {undone_rows}",
            {"run": run_id, "message": message},
        )
        conn.execute(f"delete from id_map where (object, twenty_id) in (select object, twenty_id from {undone_rows})")
