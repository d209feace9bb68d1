"""Warehouse tables of the sample gate: the sample's source keys, each wave's diff verdict, a person's acceptance.

Only reads and writes; what they mean (a sample must be accepted before other waves load, an acceptance holds for
one diff run) is `lifecycle/acceptance.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from core_practice_twenty.store.columnar import insert_rows
from core_practice_twenty.store.warehouse import Warehouse


def replace_sample_keys(warehouse: Warehouse, wave: str, keys: Iterable[tuple[str, str]]) -> int:
    """Replace the wave's sample with (source object, source key) pairs, in one transaction."""
    rows = [[wave, obj, key] for obj, key in keys]
    with warehouse.transaction() as conn:
        conn.execute("delete from sample_keys where wave = ?", [wave])
        insert_rows(conn, "sample_keys", ["wave", "source_object", "source_key"], rows)
    return len(rows)


def sample_keys(warehouse: Warehouse, wave: str) -> list[tuple[str, str]]:
    with warehouse.connect() as conn:
        return conn.execute("select source_object, source_key from sample_keys where wave = ?", [wave]).fetchall()


def insert_wave_diff(warehouse: Warehouse, wave: str, run_id: str, *, records: int, fields: int, unexpected: int,
                     passed: bool) -> None:
    with warehouse.connect() as conn:
        conn.execute("insert into wave_diffs (wave, run_id, records, fields, unexpected, passed) "
                     "values (?, ?, ?, ?, ?, ?)", [wave, run_id, records, fields, unexpected, passed])


def latest_wave_diff(warehouse: Warehouse, wave: str) -> dict[str, Any] | None:
    """The wave's latest diff verdict: run_id, records, unexpected, passed."""
    with warehouse.connect() as conn:
        row = conn.execute("select run_id, records, unexpected, passed from wave_diffs where wave = ? "
                           "order by diffed_at desc limit 1", [wave]).fetchone()
    return None if row is None else dict(zip(("run_id", "records", "unexpected", "passed"), row, strict=True))


def insert_acceptance(warehouse: Warehouse, accepted_by: str, accepted_at: datetime, diff_run_id: str) -> None:
    with warehouse.connect() as conn:
        conn.execute("insert into sample_acceptance values (?, ?, ?)", [accepted_by, accepted_at, diff_run_id])


def latest_acceptance(warehouse: Warehouse) -> tuple[str, datetime, str] | None:
    """(accepted_by, accepted_at, diff_run_id) of the latest acceptance."""
    with warehouse.connect() as conn:
        return conn.execute("select accepted_by, accepted_at, diff_run_id from sample_acceptance "
                            "order by accepted_at desc limit 1").fetchone()
