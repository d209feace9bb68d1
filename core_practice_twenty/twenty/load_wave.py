"""Load one Twenty object for one wave: staged rows → Twenty, every outcome in the audit log and id map.

The glue between the warehouse and the loader, kept out of `defs/` so it runs (and is tested)
without Dagster: read the wave's staged records and the id map, resolve references from the id map
of the objects loaded before, read the workspace's pre-existing records once, upload files for
attachments, and write each batch's outcomes before the next batch is sent (so a kill -9 loses at
most the batch in flight, which the upsert then recovers).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core_practice_twenty.mapping.target_model import ATTACHMENTS, TargetObject
from core_practice_twenty.model.staged import StagedRecord
from core_practice_twenty.settings import Settings
from core_practice_twenty.source.documents import DocumentFolder
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR
from core_practice_twenty.store.lifecycle import read_baseline
from core_practice_twenty.store.staging import (
    IdMapEntry,
    id_lookup,
    migration_clock,
    previous_payloads,
    read_id_map,
    read_staged,
    record_outcomes,
    record_sent,
    sent_without_outcome,
    wave_outcome_counts,
)
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient
from core_practice_twenty.twenty.loader import (
    BeforeStates,
    LoadReport,
    Prepare,
    PrepareError,
    load_records,
    migration_key_fields,
    read_pre_existing,
)
from core_practice_twenty.twenty.metadata import object_metadata


def file_preparer(client: TwentyClient, export_dir: Path) -> Prepare:
    """Upload an attachment's file (the `$file` directive) through the server's upload flow."""
    from core_practice_twenty.twenty.client import FileTooLargeError

    documents = DocumentFolder(str(export_dir / DOCUMENTS_DIR))

    def prepare(record: StagedRecord) -> dict:
        directive = record.payload.get("$file") or {}
        if not directive.get("upload"):
            return {}  # recorded and referenced, not uploaded (too large for the server)
        written = str(directive["path"]).replace("\\", "/")
        under = written.removeprefix(f"{DOCUMENTS_DIR}/")
        found = documents.find(under)  # the same resolver validation used (Windows separators, NFC, case)
        if found.problem in ("path_traversal", "path_outside_export") or not written.startswith(f"{DOCUMENTS_DIR}/"):
            raise PrepareError("path_outside_export: the document's path leaves the export folder (a link or ..)")
        if found.path is None:
            raise PrepareError("file_missing: the document's file is not in the export's documents folder")
        path = Path(found.path)
        mime = directive.get("mimeType") or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            return client.upload_file(path, filename=record.payload.get("name") or path.name, mime_type=mime)
        except FileTooLargeError as exc:
            raise PrepareError(f"file_too_large: {exc}") from exc

    return prepare


def delta_before_states(warehouse: Warehouse, client: TwentyClient, target: TargetObject,
                        staged: list[StagedRecord], known: dict[str, IdMapEntry]) -> BeforeStates | None:
    """Before-states of the records this wave changes that are already in Twenty, in one paged read.

    Twenty's copy for every record Twenty changed after the migration last wrote this object (its
    `updatedAt` later than the migration's clock, `store.staging.migration_clock`, soft-deleted ones too),
    what the migration last sent for the rest. None when nothing changes, or when there is no clock yet
    (a warehouse from before it was kept): the loader then reads by id, batch by batch. Attachments always
    read by id: the file a record names is not in its payload."""
    changed = [r.source_key for r in staged
               if r.source_key in known and known[r.source_key].payload_hash != r.payload_hash]
    if not changed or target is ATTACHMENTS:
        return None
    clock = migration_clock(warehouse, target.name_plural)
    if clock is None:
        return None
    since = {r["id"]: r for r in client.find_many(target.name_plural, filter=f"updatedAt[gt]:{clock}",
                                                   with_deleted=True)}
    return BeforeStates(since, previous_payloads(warehouse, target.name_plural, changed))


def load_object(warehouse: Warehouse, client: TwentyClient, target: TargetObject, wave: str, run_id: str, *,
                export_dir: Path | None = None, log: Callable[[str], None] = lambda _m: None,
                upload_concurrency: int = Settings().upload_concurrency) -> LoadReport:
    """Send the wave's new and changed records of `target`; outcomes land in the audit log batch by batch.
    `upload_concurrency` (CPT_UPLOAD_CONCURRENCY): documents uploaded side by side within a batch."""
    staged = read_staged(warehouse, target.name_plural, wave)
    known = read_id_map(warehouse, target.name_plural)
    ids = id_lookup(warehouse, target.loads_after)
    metadata = object_metadata(client, target.name_singular)
    pre_existing = read_pre_existing(client, target, metadata)
    prepare = file_preparer(client, export_dir) if target is ATTACHMENTS and export_dir is not None else None
    before_states = delta_before_states(warehouse, client, target, staged, known)
    return load_records(
        client, target, staged, known,
        on_batch=lambda outcomes: record_outcomes(warehouse, target.name_plural, wave, run_id, outcomes),
        log=log,
        lookup=lambda obj, key: ids.get((obj, key)),
        pre_existing=pre_existing,
        prepare=prepare,
        prepare_concurrency=upload_concurrency if prepare is not None else 1,
        before_states=before_states,
        sent_before=sent_without_outcome(warehouse, target.name_plural),
        on_send=lambda keys: record_sent(warehouse, target.name_plural, run_id, keys),
    )


@dataclass
class ObjectReconciliation:
    """One object after a wave's load: every staged record accounted for, Twenty agreeing with the id map."""

    object: str
    staged: int
    accounted: int
    outcomes: dict[str, int]
    id_map: int
    in_twenty: int
    expected_in_twenty: int

    @property
    def passed(self) -> bool:
        return self.accounted == self.staged and self.in_twenty == self.expected_in_twenty

    def as_metadata(self) -> dict[str, object]:
        return {"staged": self.staged, "accounted_in_audit_log": self.accounted, "id_map": self.id_map,
                "twenty_total_count": self.in_twenty, "expected_in_twenty": self.expected_in_twenty,
                **{f"last_outcome_{k}": v for k, v in sorted(self.outcomes.items())}}


def reconcile_object(warehouse: Warehouse, client: TwentyClient, target: TargetObject,
                     wave: str) -> ObjectReconciliation:
    """Staged = last outcome per record (created, updated, unchanged, rejected, held back); Twenty = id map.

    Twenty's side: objects with a migration key are counted by that key; junction objects (no key)
    by their total minus what the workspace held in the baseline taken before the first wave.
    """
    plural = target.name_plural
    staged, outcomes, mapped = wave_outcome_counts(warehouse, plural, wave)
    keys = migration_key_fields(target)
    if keys:  # people carry two keys (patients, providers): count each record once
        in_twenty = sum(client.count(plural, filter=",".join([*(f"{k}[is]:NULL" for k in keys[:i]),
                                                                 f"{key}[is]:NOT_NULL"]))
                        for i, key in enumerate(keys))
        expected = mapped
    else:
        in_twenty = client.count(plural)
        before = read_baseline(warehouse).get(plural)
        expected = mapped + (before.total_count if before else 0)
    return ObjectReconciliation(plural, staged, sum(outcomes.values()), outcomes, mapped, in_twenty, expected)
