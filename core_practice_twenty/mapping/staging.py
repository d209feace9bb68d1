"""Staged records: one row per Twenty record to send, with the hash that makes reloads idempotent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


def payload_hash(payload: dict) -> str:
    """Stable hash of a payload: equal hash ⇒ nothing to send again."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StagedRecord:
    source_key: str
    payload: dict
    payload_hash: str
    source_line: int | None = None
    depends_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def make_staged_record(*, source_key: str, payload: dict, source_line: int | None = None,
                       depends_on: tuple[str, ...] = (), notes: list[str] | tuple[str, ...] = ()) -> StagedRecord:
    return StagedRecord(source_key, payload, payload_hash(payload), source_line, tuple(depends_on), tuple(notes))
