"""Undo migration waves from the audit log, then prove Twenty is back to its baseline.

Why it works this way:

* **Hard delete.** A soft-deleted person or company keeps its unique email or domain, and the
  next upsert would silently restore it (reference §9). Rollback destroys.
* **Per record, the first remaining write decides.** A record created in `sample` and updated in
  `full` is destroyed when both are rolled back (no pointless restore first); a record that existed
  before gets the before-state of the migration's first update to it.
* **Destroys first, then restores.** Destroys go waves newest first, children before parents
  (reverse lineage), so nothing is left pointing at a destroyed record; restores come last because
  a pre-existing record may get back a unique email a migration record holds until it is destroyed,
  and a SET_NULL cascade of a destroy may have cleared a relation the restore puts back.
* **Resumable and audited.** Every undone chunk is appended to `audit_log` (`destroy`, `restore`)
  and its id-map rows removed in the same transaction; a rerun plans from the log again and skips
  what is done.
* **Only writable fields are restored:** not ids, timestamps, actors, positions or ONE_TO_MANY
  relations, which Twenty refuses or rewrites itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core_practice_twenty.lifecycle.baseline import BaselineComparison, compare_to_baseline
from core_practice_twenty.lifecycle.objects import lineage_sorted
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.store.lifecycle import (
    LaterWrite,
    PendingUndo,
    SchemaChange,
    created_schema,
    mark_schema_removed,
    pending_undos,
    record_undone,
    waves_newest_first,
)
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient

READ_ONLY_FIELDS = frozenset({"id", "createdAt", "updatedAt", "deletedAt", "createdBy", "updatedBy", "position",
                              "searchVector"})
READ_ONLY_TYPES = frozenset({"ACTOR", "TS_VECTOR", "POSITION", "UUID"})


class RollbackBlockedError(Exception):
    """Undoing these waves would overwrite writes of a newer wave that is not being rolled back."""


@dataclass
class RollbackPlan:
    """What a rollback will do: per wave (newest first), per object (children first), per action."""

    waves: list[str]
    undos: list[PendingUndo]
    conflicts: list[LaterWrite] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """wave → object → action → records, in execution order."""
        out: dict[str, dict[str, dict[str, int]]] = {w: {} for w in self.waves}
        for undo in self.ordered():
            per_object = out[undo.wave].setdefault(undo.object, {})
            per_object[undo.action] = per_object.get(undo.action, 0) + 1
        return out

    def ordered(self) -> list[PendingUndo]:
        """Undos grouped by wave newest first, then objects in reverse lineage, then source key."""
        wave_rank = {w: i for i, w in enumerate(self.waves)}
        objects = lineage_sorted({u.object for u in self.undos}, reverse=True)
        object_rank = {o: i for i, o in enumerate(objects)}
        return sorted(self.undos, key=lambda u: (wave_rank[u.wave], object_rank[u.object], u.source_key))

    @property
    def empty(self) -> bool:
        return not self.undos

    def summary(self) -> dict[str, Any]:
        """Counts only (safe for logs and Dagster metadata)."""
        return {"waves": self.waves, "records": len(self.undos), "conflicts": len(self.conflicts),
                "by_wave": self.counts()}

    def preview(self) -> str:
        """The plan as a person reads it before pressing go."""
        if self.empty:
            return f"Nothing to undo for waves {', '.join(self.waves) or '(none)'}."
        lines = [f"Rollback of {len(self.waves)} wave(s), newest first: {', '.join(self.waves)}"]
        for wave, objects in self.counts().items():
            if not objects:
                continue
            lines.append(f"  wave {wave}:")
            for obj, actions in objects.items():
                lines.append("    " + obj + ": " + ", ".join(f"{action} {n}" for action, n in sorted(actions.items())))
        if self.conflicts:
            blocked = sorted({c.wave for c in self.conflicts})
            lines.append(f"  BLOCKED: {len(self.conflicts)} record(s) were written later by wave(s) "
                         f"{', '.join(blocked)}; roll those back too (or first).")
        return "\n".join(lines)


def plan_rollback(warehouse: Warehouse, waves: Sequence[str] | None = None) -> RollbackPlan:
    """Preview undoing `waves` (None: every wave with migration writes), from the audit log alone."""
    ordered = waves_newest_first(warehouse, waves)
    undos, conflicts = pending_undos(warehouse, ordered)
    return RollbackPlan(ordered, undos, conflicts)


@dataclass
class RollbackResult:
    run_id: str
    destroyed: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (object, twenty id, error class)
    schema_removed: list[str] = field(default_factory=list)
    proof: BaselineComparison | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and (self.proof is None or self.proof.ok)

    def summary(self) -> dict[str, Any]:
        """Counts, ids of failures and the proof per object: nothing from inside a record."""
        return {"run_id": self.run_id, "destroyed": self.destroyed, "restored": self.restored,
                "failed": len(self.failed), "schema_removed": self.schema_removed,
                "back_to_baseline": self.proof.ok if self.proof else None,
                "proof": self.proof.summary()["objects"] if self.proof else None}


def writable_fields(object_metadata: dict) -> dict[str, str]:
    """Record keys a PATCH may set → field type, from the workspace's metadata for one object.

    MANY_TO_ONE relations are written by their join column (`companyId`); ONE_TO_MANY sides,
    system fields, actors and timestamps are Twenty's own.
    """
    writable: dict[str, str] = {}
    for f in object_metadata.get("fields", []):
        name, type_ = f["name"], f["type"]
        if name in READ_ONLY_FIELDS or type_ in READ_ONLY_TYPES or f.get("isSystem"):
            continue
        if type_ in ("RELATION", "MORPH_RELATION"):
            relation = f.get("relation") or {}
            kind = relation.get("type") or (f.get("settings") or {}).get("relationType")
            if kind == "MANY_TO_ONE":
                join = (f.get("settings") or {}).get("joinColumnName") or f"{name}Id"
                writable[join] = "RELATION"
            continue
        writable[name] = type_
    return writable


def restore_body(before_state: dict, writable: dict[str, str]) -> dict:
    """The PATCH that puts a record back: every writable field of its before-state."""
    return {k: v for k, v in before_state.items() if k in writable}


def execute_rollback(client: TwentyClient, warehouse: Warehouse, plan: RollbackPlan, *, run_id: str | None = None,
                     log: Callable[[str], None] = lambda _msg: None) -> RollbackResult:
    """Carry out `plan`: destroy what the migration created, restore what it changed; audit each chunk.

    Refuses a plan with conflicts. Failures to restore (the record is gone, Twenty refuses the old
    values) are collected by id and error class, not raised: the proof then shows the gap.
    """
    if plan.conflicts:
        raise RollbackBlockedError(
            f"{len(plan.conflicts)} record(s) of waves {plan.waves} were written later by wave(s) "
            f"{sorted({c.wave for c in plan.conflicts})}; include those waves in the rollback"
        )
    result = RollbackResult(run_id or f"rollback-{uuid.uuid4().hex[:12]}")
    ordered = plan.ordered()
    destroys = [u for u in ordered if u.action == "destroy"]
    restores = [u for u in ordered if u.action == "restore"]

    cap = max(1, client.batch_cap)
    groups: list[list[PendingUndo]] = []
    for undo in destroys:  # consecutive runs of one (wave, object), chunked by the batch cap
        if groups and (groups[-1][0].wave, groups[-1][0].object) == (undo.wave, undo.object) and len(groups[-1]) < cap:
            groups[-1].append(undo)
        else:
            groups.append([undo])
    progress = Progress(f"rollback {result.run_id}", len(destroys) + len(restores), log, unit="records")
    for chunk in groups:
        obj = chunk[0].object
        gone = client.destroy_many(obj, [u.twenty_id for u in chunk])
        record_undone(warehouse, result.run_id, chunk, message=f"rollback destroyed {gone}/{len(chunk)}")
        result.destroyed[obj] = result.destroyed.get(obj, 0) + len(chunk)
        progress.advance(len(chunk), f"{obj} of wave {chunk[0].wave}: destroyed {len(chunk)} "
                                     f"({len(chunk) - gone} already gone)")

    if restores:
        metadata = {o["namePlural"]: o for o in client.list_objects()}
        for undo in restores:
            writable = writable_fields(metadata.get(undo.object, {}))
            body = restore_body(undo.before_state or {}, writable)
            try:
                _restore(client, undo, body)
            except TwentyApiError as exc:
                if exc.retryable:
                    raise
                result.failed.append((undo.object, undo.twenty_id, exc.error))
                log(f"rollback {result.run_id}: {undo.object} {undo.twenty_id}: restore refused "
                    f"({exc.status} {exc.error})")
                progress.advance(1)
                continue
            record_undone(warehouse, result.run_id, [undo], message="rollback restored before-state")
            result.restored[undo.object] = result.restored.get(undo.object, 0) + 1
            progress.advance(1, f"restoring {undo.object}")
        log(f"rollback {result.run_id}: restored {sum(result.restored.values())} record(s) that existed before, "
            f"{len(result.failed)} failed")
    return result


def _restore(client: TwentyClient, undo: PendingUndo, body: dict) -> None:
    """PATCH the before-state; a record soft-deleted since is brought back first."""
    if client.find_one(undo.object, undo.twenty_id) is None:
        client.restore_one(undo.object, undo.twenty_id)  # 404 here (destroyed since) → TwentyApiError
    if body:
        client.update_one(undo.object, undo.twenty_id, body)


def remove_created_schema(client: TwentyClient, warehouse: Warehouse,
                          log: Callable[[str], None] = lambda _msg: None) -> list[str]:
    """Deactivate and delete the custom objects and fields the migration created (and only those).

    Fields on objects that stay (e.g. `person.cpPatientId`) go first, then the custom objects,
    children first. An object that still holds records is left alone and reported, because someone
    may have typed into it since: deleting it would lose their work. Returns what was removed.
    """
    changes = created_schema(warehouse)
    if not changes:
        return []
    objects = {o["nameSingular"]: o for o in client.list_objects()}
    created_objects = {c.object for c in changes if c.kind == "object"}
    removed: list[str] = []

    def gone(change: SchemaChange, label: str) -> None:
        mark_schema_removed(warehouse, change)
        removed.append(label)

    for change in [c for c in changes if c.kind == "field" and c.object not in created_objects]:
        label = f"{change.object}.{change.field}"
        meta = next((f for f in (objects.get(change.object) or {}).get("fields", []) if f["name"] == change.field),
                    None)
        if meta is None:
            gone(change, label)
            continue
        if meta.get("isActive", True):
            client.request("PATCH", f"/rest/metadata/fields/{meta['id']}", json={"isActive": False})
        client.request("DELETE", f"/rest/metadata/fields/{meta['id']}")
        gone(change, label)

    plural_of = {t.name_singular: t.name_plural for t in TARGET_OBJECTS.values()}
    by_plural = {plural_of.get(c.object, c.object): c for c in changes if c.kind == "object"}
    for plural in lineage_sorted(by_plural, reverse=True):
        change = by_plural[plural]
        meta = objects.get(change.object)
        if meta is None:
            gone(change, change.object)
            continue
        held = client.count(meta["namePlural"])
        if held:
            log(f"schema removal: {change.object} kept, it holds {held} record(s)")
            continue
        if meta.get("isActive", True):
            client.request("PATCH", f"/rest/metadata/objects/{meta['id']}", json={"isActive": False})
        client.request("DELETE", f"/rest/metadata/objects/{meta['id']}")
        gone(change, change.object)
        for field_change in [c for c in changes if c.kind == "field" and c.object == change.object]:
            gone(field_change, f"{field_change.object}.{field_change.field}")
    return removed


def rollback(client: TwentyClient, warehouse: Warehouse, waves: Sequence[str] | None = None, *,
             run_id: str | None = None, remove_schema: bool = False,
             log: Callable[[str], None] = lambda _msg: None) -> RollbackResult:
    """Plan, execute, optionally remove the created schema, then prove the baseline (the job's one call)."""
    plan = plan_rollback(warehouse, waves)
    log(plan.preview())
    result = execute_rollback(client, warehouse, plan, run_id=run_id, log=log)
    if remove_schema:
        if plan_rollback(warehouse, None).empty:
            result.schema_removed = remove_created_schema(client, warehouse, log)
        else:
            log("schema removal skipped: other waves still hold records in Twenty")
    result.proof = compare_to_baseline(client, warehouse)
    log(f"rollback {result.run_id}: back to baseline: {result.proof.ok}"
        + ("" if result.proof.ok else f" (differs: {', '.join(result.proof.differing)})"))
    return result
