"""The destination before the first wave: counts and record fingerprints per Twenty object.

A rollback is only done when Twenty is back to this state, so the baseline must be taken before
anything is written and must not change with things that change by themselves (`updatedAt`,
`position`, `searchVector`, `updatedBy`: a restore rewrites them). Empty values are dropped before
hashing, so a field the schema step added to existing records (null everywhere) does not count as a
change, while any value the migration left behind does. Soft-deleted records are fingerprinted too:
they still hold unique emails and domains, so a rollback that left one behind is not clean.

Only ids and hashes are stored; values never leave Twenty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core_practice_twenty.lifecycle.objects import LINEAGE_ORDER, lineage_sorted
from core_practice_twenty.store.lifecycle import ObjectBaseline, has_baseline, read_baseline, save_baseline
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient

VOLATILE_FIELDS = frozenset({"updatedAt", "position", "searchVector", "updatedBy"})
"""System fields Twenty rewrites on any write; a restored record differs from its baseline only here."""


def _without_empties(value: Any) -> Any:
    """Drop None, '', [] and {} at any depth (absent, null and empty mean the same to a person)."""
    if isinstance(value, dict):
        kept = {k: _without_empties(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_without_empties(v) for v in value]
    return value


def content_hash(record: dict) -> str:
    """Hash of a record's content without its volatile system fields and empty values."""
    content = _without_empties({k: v for k, v in record.items() if k not in VOLATILE_FIELDS})
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fingerprint(record_hashes: dict[str, str]) -> str:
    """One hash over sorted (id, content hash): equal ⇔ same records with the same content."""
    digest = hashlib.sha256()
    for rid in sorted(record_hashes):
        digest.update(f"{rid}\x1f{record_hashes[rid]}\x1e".encode())
    return digest.hexdigest()


def workspace_objects(client: TwentyClient) -> list[str]:
    """Active objects of the workspace (plural API names)."""
    return [o["namePlural"] for o in client.list_objects() if o.get("isActive", True)]


def snapshot_object(client: TwentyClient, plural: str, *, present: bool = True) -> ObjectBaseline:
    """Read every record of one object (soft-deleted included) and fingerprint it."""
    if not present:
        return ObjectBaseline(plural, 0, 0, fingerprint({}), False, {})
    hashes: dict[str, str] = {}
    soft_deleted = 0
    for record in client.find_many(plural, with_deleted=True):
        hashes[record["id"]] = content_hash(record)
        soft_deleted += record.get("deletedAt") is not None
    return ObjectBaseline(plural, len(hashes) - soft_deleted, soft_deleted, fingerprint(hashes), True, hashes)


def snapshot(client: TwentyClient, objects: Iterable[str] | None = None) -> dict[str, ObjectBaseline]:
    """Twenty's state now: the migration's objects plus every object in the workspace (or `objects`)."""
    present = set(workspace_objects(client))
    names = lineage_sorted([*LINEAGE_ORDER, *sorted(present)] if objects is None else objects)
    return {name: snapshot_object(client, name, present=name in present) for name in names}


@dataclass(frozen=True)
class Baseline:
    objects: dict[str, ObjectBaseline]
    taken_now: bool

    def summary(self) -> dict[str, dict[str, int | str]]:
        """Counts and fingerprints per object, for metadata."""
        return {o.object: {"total_count": o.total_count, "soft_deleted": o.soft_deleted,
                           "fingerprint": o.fingerprint[:16]} for o in self.objects.values()}


def take_baseline(client: TwentyClient, warehouse: Warehouse, *, replace: bool = False) -> Baseline:
    """Take and store the baseline, unless one exists (then return it): the first one is the truth.

    `replace=True` is for a person who knowingly accepts today's workspace as the new starting point
    (e.g. after a rollback proved clean and someone then edited records by hand).
    """
    if has_baseline(warehouse) and not replace:
        return Baseline(read_baseline(warehouse), taken_now=False)
    objects = snapshot(client)
    save_baseline(warehouse, objects.values())
    return Baseline(objects, taken_now=True)


@dataclass
class ObjectComparison:
    """One object now vs. its baseline: counts, fingerprints and the ids that differ."""

    object: str
    baseline_count: int
    current_count: int
    baseline_soft_deleted: int
    current_soft_deleted: int
    fingerprint_matches: bool
    extra_ids: list[str] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)

    @property
    def back_to_baseline(self) -> bool:
        return self.fingerprint_matches and self.baseline_count == self.current_count


@dataclass
class BaselineComparison:
    objects: dict[str, ObjectComparison]

    @property
    def ok(self) -> bool:
        return all(o.back_to_baseline for o in self.objects.values())

    @property
    def differing(self) -> list[str]:
        return [name for name, o in self.objects.items() if not o.back_to_baseline]

    def summary(self) -> dict[str, Any]:
        """Counts per object (ids and counts only), for metadata and logs."""
        return {
            "back_to_baseline": self.ok,
            "objects": {
                name: {"baseline": o.baseline_count, "now": o.current_count,
                       "fingerprint_matches": o.fingerprint_matches, "extra": len(o.extra_ids),
                       "missing": len(o.missing_ids), "changed": len(o.changed_ids)}
                for name, o in self.objects.items()
            },
        }


def compare_to_baseline(client: TwentyClient, warehouse: Warehouse) -> BaselineComparison:
    """Say per object whether Twenty is back to the stored baseline (and which ids are not).

    Objects that did not exist at baseline time must be empty or gone; objects that appeared since
    are compared too (a new custom object with records is not the baseline).
    """
    baseline = read_baseline(warehouse)
    if not baseline:
        raise LookupError("no baseline in the warehouse: take_baseline must run before the first wave")
    present = set(workspace_objects(client))
    names = lineage_sorted([*baseline, *sorted(present - set(baseline))])
    result: dict[str, ObjectComparison] = {}
    for name in names:
        now = snapshot_object(client, name, present=name in present)
        base = baseline.get(name) or ObjectBaseline(name, 0, 0, fingerprint({}), False, {})
        was, is_ = base.record_hashes, now.record_hashes
        result[name] = ObjectComparison(
            object=name,
            baseline_count=base.total_count,
            current_count=now.total_count,
            baseline_soft_deleted=base.soft_deleted,
            current_soft_deleted=now.soft_deleted,
            fingerprint_matches=base.fingerprint == now.fingerprint,
            extra_ids=sorted(set(is_) - set(was)),
            missing_ids=sorted(set(was) - set(is_)),
            changed_ids=sorted(rid for rid in set(was) & set(is_) if was[rid] != is_[rid]),
        )
    return BaselineComparison(result)
