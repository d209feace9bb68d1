"""Load staged records into one Twenty object: full batches, upsert by source key, bad records isolated.

Idempotent by construction: a record whose payload hash equals the id map's is not sent; everything
else is upserted by its `cp…Id` source key, so a retry after a lost response, or a re-run after a
crash, updates instead of duplicating. A batch Twenty refuses is bisected until the bad records are
alone; they become rejects with Twenty's message and the good ones load.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core_practice_twenty.mapping.staging import StagedRecord
from core_practice_twenty.mapping.target_model import TargetObject
from core_practice_twenty.store.staging import IdMapEntry, WriteOutcome
from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient


@dataclass
class LoadReport:
    object: str
    staged: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    batches: int = 0
    requests: int = 0
    throttled: int = 0
    seconds: float = 0.0
    reject_reasons: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: WriteOutcome) -> None:
        attr = {"create": "created", "update": "updated", "skip": "unchanged", "reject": "rejected"}[outcome.action]
        setattr(self, attr, getattr(self, attr) + 1)
        if outcome.action == "reject":
            reason = (outcome.message or "unknown").split(":")[0][:80]
            self.reject_reasons[reason] = self.reject_reasons.get(reason, 0) + 1

    @property
    def records_per_minute(self) -> float:
        sent = self.created + self.updated + self.rejected
        return round(sent / self.seconds * 60, 1) if self.seconds else 0.0


def _quoted_list(values: list[str]) -> str:
    return "[" + ",".join(json.dumps(v) for v in values) + "]"


def load_records(client: TwentyClient, target: TargetObject, staged: list[StagedRecord],
                 known: dict[str, IdMapEntry], *, on_batch: Callable[[list[WriteOutcome]], None],
                 log: Callable[[str], None] = lambda _msg: None) -> LoadReport:
    """Send what is new or changed; call `on_batch` with each batch's outcomes before the next one."""
    report = LoadReport(object=target.name_plural, staged=len(staged))
    started = time.monotonic()
    requests_before = client.stats.requests
    throttled_before = client.stats.throttled

    skips = [
        WriteOutcome(r.source_key, "skip", known[r.source_key].twenty_id, r.payload_hash)
        for r in staged
        if r.source_key in known and known[r.source_key].payload_hash == r.payload_hash
    ]
    skipped = {o.source_key for o in skips}
    to_send = [r for r in staged if r.source_key not in skipped]
    if skips:
        on_batch(skips)
        for outcome in skips:
            report.count(outcome)

    cap = client.batch_cap
    total_batches = (len(to_send) + cap - 1) // cap
    for index in range(total_batches):
        batch = to_send[index * cap:(index + 1) * cap]
        outcomes = _load_batch(client, target, batch)
        on_batch(outcomes)
        for outcome in outcomes:
            report.count(outcome)
        report.batches += 1
        elapsed = time.monotonic() - started
        done = (index + 1) * cap if index + 1 < total_batches else len(to_send)
        rate = done / elapsed if elapsed else 0.0
        eta = (len(to_send) - done) / rate if rate else 0.0
        log(f"{target.name_plural}: batch {index + 1}/{total_batches}, {done}/{len(to_send)} sent, "
            f"created {report.created}, updated {report.updated}, rejected {report.rejected}, "
            f"{rate * 60:.0f} records/min, ETA {eta:.0f}s")

    report.seconds = time.monotonic() - started
    report.requests = client.stats.requests - requests_before
    report.throttled = client.stats.throttled - throttled_before
    return report


def _existing_by_key(client: TwentyClient, target: TargetObject, keys: list[str]) -> dict[str, dict]:
    """The batch's records as Twenty holds them now: decides create vs update, keeps before-state."""
    found: dict[str, dict] = {}
    key_field = target.source_key_field
    for record in client.find_many(target.name_plural, filter=f"{key_field}[in]:{_quoted_list(keys)}"):
        found[str(record[key_field])] = record
    return found


def _load_batch(client: TwentyClient, target: TargetObject, batch: list[StagedRecord]) -> list[WriteOutcome]:
    existing = _existing_by_key(client, target, [r.source_key for r in batch])
    return _upsert_isolating(client, target, batch, existing)


def _upsert_isolating(client: TwentyClient, target: TargetObject, batch: list[StagedRecord],
                      existing: dict[str, dict]) -> list[WriteOutcome]:
    try:
        written = client.create_many(target.name_plural, [r.payload for r in batch], upsert=True)
    except TwentyApiError as exc:
        if exc.retryable:
            raise
        if len(batch) == 1:
            record = batch[0]
            return [WriteOutcome(record.source_key, "reject", None, record.payload_hash,
                                 message=f"{exc.status} {exc.error}: {exc.message}")]
        middle = len(batch) // 2
        return (_upsert_isolating(client, target, batch[:middle], existing)
                + _upsert_isolating(client, target, batch[middle:], existing))
    outcomes = []
    for record, result in zip(batch, written, strict=True):
        before = existing.get(record.source_key)
        action = "update" if before is not None else "create"
        outcomes.append(WriteOutcome(record.source_key, action, result["id"], record.payload_hash, before))
    return outcomes
