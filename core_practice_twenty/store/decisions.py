"""Decisions a person makes about a wave (who, when, on what exactly), in one table.

Today: approving changes to records already in Twenty (`changes_approved`). A decision is bound to a
fingerprint of what the person saw, so approving one preview never approves a different set of changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from core_practice_twenty.store.warehouse import Warehouse


@dataclass(frozen=True)
class Decision:
    kind: str
    wave: str
    decided_by: str
    decided_at: datetime
    fingerprint: str
    detail: dict


def record_decision(warehouse: Warehouse, kind: str, wave: str, by: str, fingerprint: str,
                    detail: dict | None = None) -> None:
    with warehouse.connect() as conn:
        conn.execute("insert into decisions (kind, wave, decided_by, fingerprint, detail) values (?, ?, ?, ?, ?)",
                     [kind, wave, by, fingerprint, json.dumps(detail or {})])


def latest_decision(warehouse: Warehouse, kind: str, wave: str) -> Decision | None:
    with warehouse.connect() as conn:
        row = conn.execute("select decided_by, decided_at, fingerprint, detail from decisions where kind = ? and "
                           "wave = ? order by decided_at desc limit 1", [kind, wave]).fetchone()
    if row is None:
        return None
    return Decision(kind, wave, row[0], row[1], row[2], json.loads(row[3]) if row[3] else {})
