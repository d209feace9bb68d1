"""Load staged records into one Twenty object: full batches, upsert by source key, bad records isolated.

Idempotent by construction: a record whose payload hash equals the id map's is not sent; everything
else is upserted by its `cp…Id` source key, so a retry after a lost response, or a re-run after a
crash, updates instead of duplicating. A batch Twenty refuses is bisected until the bad records are
alone; they become rejects with Twenty's message and the good ones load.

References (`$ref`, see mapping/staging.py) are resolved from the id map just before a batch is
sent; a record whose parent is not in Twenty (rejected or held back) is held back, never sent with a
relation to nothing. Records that point at records of the same object (a location's parent
company) go in a later round than their parents.

Before-states (for rollback) without a read per batch: Twenty's upsert also matches on the object's
unique fields (a person's email, a company's domain), so a record the practice created by hand is
updated, not duplicated. Those records are read once, up front (`pre_existing`: everything of the
object without a migration key), and a batch record matching one is an update whose before-state is
that record. Records already in the id map whose payload changed (a delta wave) take theirs from
`BeforeStates`: Twenty's own copy where Twenty changed the record since the migration last wrote the
object (one paged read by `updatedAt`, on Twenty's clock), else what the migration itself last sent
(the staged payload the id map's hash names). Only a record neither covers is read by id, one request
per batch. A record carrying our source key but absent from the id map was written
by an interrupted run: it is the migration's own record (`create`, recovered), so rollback destroys it.
Objects without a migration key (task/note targets, attachments) get a stable id derived from the
source key instead (`record_id`), which Twenty's upsert matches the same way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from core_practice_twenty.mapping.target_model import TargetObject
from core_practice_twenty.model.progress import Progress
from core_practice_twenty.model.staged import StagedRecord, resolve_refs, split_dependency, twenty_fields
from core_practice_twenty.model.twenty import UNIQUE_LOOKUP_SUBFIELD
from core_practice_twenty.store.staging import IdMapEntry, WriteOutcome
from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient

Lookup = Callable[[str, str], str | None]
"""(Twenty object plural, source key) → Twenty id of a record already loaded, or None."""

Prepare = Callable[[StagedRecord], dict]
"""Loader directives → Twenty fields (e.g. `$file` → the uploaded file's reference); may raise PrepareError."""

"""Seconds between progress lines of a load step (the first and the last batch always log one)."""


class PrepareError(Exception):
    """A record cannot be prepared for sending (e.g. its file is unreadable): it is rejected, the rest go on."""


@dataclass
class LoadReport:
    object: str
    staged: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    held_back: int = 0
    recovered: int = 0
    batches: int = 0
    requests: int = 0
    throttled: int = 0
    seconds: float = 0.0
    own_seconds: float = 0.0
    """`seconds` less the time spent waiting for Twenty (answers and the pacing): the loader's own work, which at
    100 requests/min must stay well under the 0.6 s between requests or the client, not Twenty, sets the pace.
    Uploads run side by side and their waits add up, so it reads low (down to 0) for attachments."""
    reject_reasons: dict[str, int] = field(default_factory=dict)
    held_back_reasons: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: WriteOutcome) -> None:
        attr = {"create": "created", "update": "updated", "skip": "unchanged", "reject": "rejected",
                "hold": "held_back"}[outcome.action]
        setattr(self, attr, getattr(self, attr) + 1)
        if outcome.action in ("reject", "hold"):
            reasons = self.reject_reasons if outcome.action == "reject" else self.held_back_reasons
            reason = (outcome.message or "unknown").split(":")[0][:80]
            reasons[reason] = reasons.get(reason, 0) + 1
        if outcome.action == "create" and (outcome.message or "").startswith("recovered"):
            self.recovered += 1

    @property
    def sent(self) -> int:
        return self.created + self.updated + self.rejected

    @property
    def records_per_minute(self) -> float:
        return round(self.sent / self.seconds * 60, 1) if self.seconds else 0.0

    def as_metadata(self) -> dict[str, object]:
        """Counts only: safe for logs and Dagster metadata."""
        return {"staged": self.staged, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected, "held_back": self.held_back,
                "recovered_after_interruption": self.recovered, "batches": self.batches,
                "requests": self.requests, "throttled_429": self.throttled,
                "records_per_minute": self.records_per_minute, "seconds": round(self.seconds, 1),
                "own_work_s_per_batch": round(self.own_seconds / self.batches, 3) if self.batches else 0.0}


def _quoted_list(values: Iterable[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


# -- unique values: how Twenty's upsert matches records we did not create --------------------------

def unique_fields(object_metadata: Mapping | None, target: TargetObject) -> list[tuple[str, str | None]]:
    """(field, composite sub-field) pairs Twenty's upsert matches on, besides our own migration keys."""
    keys = migration_key_fields(target)
    found = []
    for f in (object_metadata or {}).get("fields", []):
        if not f.get("isUnique") or f["name"] in keys or f["name"] == "id":
            continue
        found.append((f["name"], UNIQUE_LOOKUP_SUBFIELD.get(f.get("type", ""))))
    return found


def migration_key_fields(target: TargetObject) -> list[str]:
    """Fields only the migration fills (`cp…Id`): a record without any of them was not made by us."""
    return [f.name for f in target.fields if f.is_unique and f.name.startswith("cp")]


def _unique_values(record: Mapping, fields: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    values = []
    for name, sub in fields:
        value = record.get(name)
        if sub and isinstance(value, Mapping):
            value = value.get(sub)
        if isinstance(value, str) and value.strip():
            values.append((name, value.strip().lower()))
    return values


@dataclass
class PreExisting:
    """Records of the object the practice made before the migration, indexed by their unique values."""

    by_value: dict[tuple[str, str], dict] = field(default_factory=dict)
    fields: list[tuple[str, str | None]] = field(default_factory=list)

    def match(self, payload: Mapping) -> dict | None:
        for value in _unique_values(payload, self.fields):
            if value in self.by_value:
                return self.by_value[value]
        return None


def read_pre_existing(client: TwentyClient, target: TargetObject, object_metadata: Mapping | None) -> PreExisting:
    """Read (once) the object's records without a migration key that a payload could match on a unique field."""
    fields = unique_fields(object_metadata, target)
    found = PreExisting(fields=fields)
    keys = migration_key_fields(target)
    if not fields or not keys:
        return found
    not_ours = ",".join(f"{k}[is]:NULL" for k in keys)
    for record in client.find_many(target.name_plural, filter=not_ours):
        for value in _unique_values(record, fields):
            found.by_value.setdefault(value, record)
    return found


RECORD_ID_NAMESPACE = uuid.UUID("5b0c3f0e-2f43-4d0c-9a57-6c1d3c2b7a11")


def record_id(target: TargetObject, source_key: str) -> str:
    """The Twenty id of a record of an object without a migration key (task/note targets, attachments).

    Twenty's upsert matches on `id`, so a stable id derived from the source key makes a retried batch
    whose response was lost, or a run resumed after kill -9, update instead of duplicating.
    """
    return str(uuid.uuid5(RECORD_ID_NAMESPACE, f"{target.name_plural}:{source_key}"))


# -- ordering ------------------------------------------------------------------------------------


def rounds(target: TargetObject, records: list[StagedRecord]) -> list[list[StagedRecord]]:
    """Split records so that one pointing at a record of the same object comes after it (parent first)."""
    pending = {r.source_key for r in records}
    remaining = list(records)
    ordered: list[list[StagedRecord]] = []
    while remaining:
        ready = [r for r in remaining if not any(
            obj == target.name_plural and key in pending and key != r.source_key
            for obj, key in map(split_dependency, r.depends_on))]
        if not ready:  # a cycle: send the rest together, Twenty decides
            ready = remaining
        ordered.append(ready)
        done = {r.source_key for r in ready}
        pending -= done
        remaining = [r for r in remaining if r.source_key not in done]
    return ordered


# -- the load ------------------------------------------------------------------------------------


INTENT_AHEAD_BATCHES = 10
"""New records' keys are written as intents this many batches ahead: one warehouse write per ten batches instead
of one per batch. After a kill, up to that many batches of keys are 'sent without outcome' and are checked
against Twenty on the next run, which costs nothing extra: it upserts them anyway."""


class _OutcomeWriter:
    """Writes batches' outcomes on one thread, in order, one write in flight while the next batch is sent."""

    def __init__(self, write: Callable[[list[WriteOutcome]], None]) -> None:
        self._write = write
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outcomes")
        self._pending: Future | None = None

    def write(self, outcomes: list[WriteOutcome]) -> None:
        self._finish_pending()  # a failed write stops the load here, before the next batch
        self._pending = self._pool.submit(self._write, outcomes)

    def _finish_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _OutcomeWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        try:
            self._finish_pending()  # what Twenty answered is recorded, even when the load stops on an error
        except Exception:
            if exc_type is None:
                raise
        finally:
            self._pool.shutdown(wait=True)


def load_records(client: TwentyClient, target: TargetObject, staged: list[StagedRecord],
                 known: dict[str, IdMapEntry], *, on_batch: Callable[[list[WriteOutcome]], None],
                 log: Callable[[str], None] = lambda _msg: None, lookup: Lookup | None = None,
                 pre_existing: PreExisting | None = None, prepare: Prepare | None = None,
                 prepare_concurrency: int = 1, before_states: BeforeStates | None = None,
                 sent_before: Collection[str] = (),
                 on_send: Callable[[list[str]], None] = lambda _keys: None) -> LoadReport:
    """Send what is new or changed; `on_batch` gets each batch's outcomes, in order, on a writer thread.

    A batch's outcomes are written while the next batch goes to Twenty (the warehouse's commit and Twenty's
    answer overlap instead of adding up); at most one write is in flight, its error stops the load at the next
    batch, and the last one is finished before this returns or raises. `on_send` is told the keys of new
    records before any of them goes (an intent the warehouse keeps), `INTENT_AHEAD_BATCHES` batches at a time;
    `sent_before` are keys an earlier run intended to send without recording what came of them (it was
    killed): a record of theirs that Twenty already holds is the migration's own, created then (`recovered`).
    Never read from timestamps: the migration sends the source's createdAt.

    `lookup` resolves references to other objects (default: none may be unresolved);
    `pre_existing` comes from `read_pre_existing`; `prepare` turns loader directives into fields,
    `prepare_concurrency` records at a time (uploads); `before_states` spares the per-batch read of records
    already in Twenty whose payload changed.
    """
    report = LoadReport(object=target.name_plural, staged=len(staged))
    started = time.monotonic()
    requests_before = client.stats.requests
    waiting_before = client.stats.http_s + client.stats.waited_s
    throttled_before = client.stats.throttled
    loaded: dict[str, str] = {key: entry.twenty_id for key, entry in known.items()}

    def resolve(object_plural: str, key: str) -> str | None:
        if object_plural == target.name_plural and key in loaded:
            return loaded[key]
        return lookup(object_plural, key) if lookup else None

    skips = [
        WriteOutcome(r.source_key, "skip", known[r.source_key].twenty_id, r.payload_hash)
        for r in staged
        if r.source_key in known and known[r.source_key].payload_hash == r.payload_hash
    ]
    skipped = {o.source_key for o in skips}
    to_send = [r for r in staged if r.source_key not in skipped]
    intended: set[str] = set()
    progress = Progress(target.name_plural, len(to_send), log, unit="records")
    with _OutcomeWriter(on_batch) as writer:
        if skips:
            writer.write(skips)
            for outcome in skips:
                report.count(outcome)
        for group in rounds(target, to_send):
            start = 0
            while start < len(group):
                cap = max(1, client.batch_cap)  # re-read: the client may have learned a lower cap from Twenty
                batch = group[start:start + cap]
                if any(r.source_key not in known and r.source_key not in intended for r in batch):
                    ahead = [r.source_key for r in group[start:start + cap * INTENT_AHEAD_BATCHES]
                             if r.source_key not in known and r.source_key not in intended]
                    on_send(ahead)  # the intent, before any of them goes
                    intended.update(ahead)
                start += len(batch)
                outcomes = _load_batch(client, target, batch, known, resolve, pre_existing or PreExisting(), prepare,
                                       prepare_concurrency, before_states, sent_before)
                writer.write(outcomes)
                for outcome in outcomes:
                    report.count(outcome)
                    if outcome.twenty_id and outcome.action in ("create", "update"):
                        loaded[outcome.source_key] = outcome.twenty_id
                report.batches += 1
                progress.advance(len(batch), f"batch {report.batches}, created {report.created}, updated "
                                             f"{report.updated}, rejected {report.rejected}, held back "
                                             f"{report.held_back}")

    report.seconds = time.monotonic() - started
    report.own_seconds = max(0.0, report.seconds - (client.stats.http_s + client.stats.waited_s - waiting_before))
    report.requests = client.stats.requests - requests_before
    report.throttled = client.stats.throttled - throttled_before
    return report


@dataclass
class BeforeStates:
    """What records already in Twenty held before this wave, known without a read per batch (load_wave.py)."""

    changed_in_twenty: dict[str, dict] = field(default_factory=dict)
    """Twenty id → the record as Twenty holds it, for records changed there since the migration's last write."""
    previous: dict[str, dict] = field(default_factory=dict)
    """Source key → the payload the migration last sent (with `$ref`s), for the rest."""

    def before(self, source_key: str, twenty_id: str, body: Mapping, resolve: Lookup) -> dict | None:
        """The record's state before this write, as far as the fields this write sends go; None if unknown."""
        if twenty_id in self.changed_in_twenty:
            return self.changed_in_twenty[twenty_id]
        sent = self.previous.get(source_key)
        if sent is None:
            return None
        written, missing = resolve_refs(twenty_fields(sent), resolve)
        if missing:
            return None
        # a field this write sends that the last one did not was empty then: restoring puts it back to empty
        return {"id": twenty_id, **{k: written.get(k) for k in body if k != "id"}}


@dataclass
class _Ready:
    record: StagedRecord
    body: dict
    before: dict | None
    recovered_hint: bool
    sent_before: bool = False
    """Sent by an earlier run that ended before it recorded the outcome (an intent without an outcome)."""


def _load_batch(client: TwentyClient, target: TargetObject, batch: list[StagedRecord], known: dict[str, IdMapEntry],
                resolve: Lookup, pre_existing: PreExisting, prepare: Prepare | None,
                prepare_concurrency: int = 1, before_states: BeforeStates | None = None,
                sent_before: Collection[str] = ()) -> list[WriteOutcome]:
    outcomes: list[WriteOutcome] = []
    resolved: list[tuple[StagedRecord, dict]] = []
    for record in batch:
        body, missing = resolve_refs(twenty_fields(record.payload), resolve)
        if missing:
            deps = ", ".join(f"{obj}:{key}" for _, obj, key in missing[:3])
            outcomes.append(WriteOutcome(record.source_key, "hold", None, record.payload_hash,
                                         message=f"dependency_not_loaded: {deps}"))
            continue
        resolved.append((record, body))
    if target.source_key_field is None:  # no upsert key of ours: a stable id is one (see record_id)
        for record, body in resolved:
            body["id"] = record_id(target, record.source_key)
    prepared = _prepare_all(resolved, prepare, prepare_concurrency)
    ready: list[_Ready] = []
    for (record, body), extra in zip(resolved, prepared, strict=True):
        if isinstance(extra, PrepareError):
            outcomes.append(WriteOutcome(record.source_key, "reject", None, record.payload_hash,
                                         message=f"prepare: {extra}"))
            continue
        body.update(extra)
        ready.append(_Ready(record, body, pre_existing.match(body), record.source_key not in known,
                            record.source_key in sent_before))
    changed_ids = []
    for item in ready:  # a delta: the state before this update, for rollback
        entry = known.get(item.record.source_key)
        if entry is None:
            continue
        if before_states is not None:
            item.before = before_states.before(item.record.source_key, entry.twenty_id, item.body, resolve)
        if item.before is None:
            changed_ids.append(entry.twenty_id)
    if changed_ids:  # not covered: read by id, one request for the batch
        before = {rec["id"]: rec for rec in client.find_many(target.name_plural,
                                                             filter=f"id[in]:{_quoted_list(changed_ids)}")}
        for item in ready:
            entry = known.get(item.record.source_key)
            if entry is not None and item.before is None:
                item.before = before.get(entry.twenty_id)
    if ready:
        outcomes += _upsert_isolating(client, target, ready)
    return outcomes


def _prepare_all(resolved: list[tuple[StagedRecord, dict]], prepare: Prepare | None,
                 concurrency: int) -> list[dict | PrepareError]:
    """Each record's prepared fields (an upload's file reference), `concurrency` at a time, in input order.

    Uploads are not charged to Twenty's API throttle (twenty/facts.py), so a batch's files go up side by side
    instead of one after another; any other error stops the batch as it would one by one."""
    if prepare is None:
        return [{} for _ in resolved]

    def one(item: tuple[StagedRecord, dict]) -> dict | PrepareError:
        try:
            return prepare(item[0])
        except PrepareError as exc:
            return exc

    if concurrency <= 1 or len(resolved) <= 1:
        return [one(item) for item in resolved]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="upload") as pool:
        return list(pool.map(one, resolved))


def _upsert_isolating(client: TwentyClient, target: TargetObject, batch: list[_Ready]) -> list[WriteOutcome]:
    unanswered = client.stats.unanswered
    try:
        written = client.create_many(target.name_plural, [r.body for r in batch], upsert=True)
    except TwentyApiError as exc:
        if exc.retryable:
            raise
        if len(batch) == 1:
            record = batch[0].record
            return [WriteOutcome(record.source_key, "reject", None, record.payload_hash,
                                 message=f"{exc.status} {exc.error}: {exc.message}")]
        middle = len(batch) // 2
        return _upsert_isolating(client, target, batch[:middle]) + _upsert_isolating(client, target, batch[middle:])
    outcomes = []
    for item, result in zip(batch, written, strict=True):
        record = item.record
        at = result.get("updatedAt")
        if item.before is not None and item.before.get("id") == result["id"]:
            outcomes.append(WriteOutcome(record.source_key, "update", result["id"], record.payload_hash, item.before,
                                         server_time=at))
        elif item.recovered_hint and (item.sent_before or client.stats.unanswered > unanswered):
            outcomes.append(WriteOutcome(record.source_key, "create", result["id"], record.payload_hash,
                                         message="recovered: already in Twenty (an interrupted run, or a lost answer)",
                                         server_time=at))
        else:
            outcomes.append(WriteOutcome(record.source_key, "create", result["id"], record.payload_hash,
                                         server_time=at))
    return outcomes


