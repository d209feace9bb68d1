"""The sample gate: the sample wave's records, its diff verdicts, and a person's acceptance of it.

"The full wave waits for a person to accept the sample": a person reads the sample's field-level
diff (data/reports/diff-sample.*) and runs `cpt sample accept --by NAME`; acceptance is refused
unless the latest diff of the sample wave found no unexpected difference. Every other wave's
mapping and load wait for that acceptance (a blocking check and a guard in the load path, like the
field map gate). `CPT_SAMPLE_GATE=off` lifts the gate (development and tests only; documented).
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from core_practice_twenty.lifecycle.diff import DiffSummary
from core_practice_twenty.lifecycle.sample import SampleChoice
from core_practice_twenty.store.sample import (
    insert_acceptance,
    insert_wave_diff,
    latest_acceptance,
    latest_wave_diff,
    replace_sample_keys,
    sample_keys,
)
from core_practice_twenty.store.warehouse import Warehouse

SAMPLE_WAVE = "sample"



def save_sample(warehouse: Warehouse, wave: str, choice: SampleChoice) -> int:
    """Replace the wave's sample keys (source object → source keys)."""
    return replace_sample_keys(warehouse, wave, ((obj, key) for obj, keys in choice.keys.items() for key in keys))


def read_sample(warehouse: Warehouse, wave: str) -> dict[str, set[str]] | None:
    """The sample's keys per source object, or None when the wave is not a sample."""
    if wave != SAMPLE_WAVE:
        return None
    keys: dict[str, set[str]] = {}
    for obj, key in sample_keys(warehouse, wave):
        keys.setdefault(obj, set()).add(key)
    return keys


def record_diff(warehouse: Warehouse, wave: str, run_id: str, summary: DiffSummary) -> None:
    """Keep the verdict of a wave's diff: acceptance of the sample refers to one diff run."""
    insert_wave_diff(warehouse, wave, run_id, records=sum(o.records for o in summary.objects.values()),
                     fields=sum(o.fields for o in summary.objects.values()), unexpected=summary.unexpected,
                     passed=summary.passed)


@dataclass(frozen=True)
class Acceptance:
    accepted_by: str
    accepted_at: datetime
    diff_run_id: str


class AcceptRefused(Exception):
    """The sample cannot be accepted yet; the message says what to do."""


def latest_diff(warehouse: Warehouse, wave: str) -> Mapping[str, object] | None:
    return latest_wave_diff(warehouse, wave)


def accept_sample(warehouse: Warehouse, by: str | None = None) -> Acceptance:
    """Record that a person accepted the sample; refused unless its latest diff passed."""
    diff = latest_diff(warehouse, SAMPLE_WAVE)
    if diff is None:
        raise AcceptRefused("the sample wave has not been migrated and diffed yet: run "
                            "`cpt migrate --export DIR --wave sample` first")
    if not diff["passed"] or not diff["records"]:
        raise AcceptRefused(f"the sample's latest diff found {diff['unexpected']} unexpected difference(s) in "
                            f"{diff['records']} record(s): read data/reports/diff-sample.md, fix the map or the "
                            f"export, run the sample wave again, then accept")
    accepted = Acceptance(by or getpass.getuser(), datetime.now(UTC).replace(tzinfo=None), str(diff["run_id"]))
    insert_acceptance(warehouse, accepted.accepted_by, accepted.accepted_at, accepted.diff_run_id)
    return accepted


def current_acceptance(warehouse: Warehouse) -> Acceptance | None:
    """The latest acceptance, if it still refers to the sample's latest diff (a re-run sample needs a new one)."""
    diff = latest_diff(warehouse, SAMPLE_WAVE)
    row = latest_acceptance(warehouse)
    if row is None or diff is None or row[2] != diff["run_id"]:
        return None
    return Acceptance(*row)


def sample_gate(warehouse: Warehouse, wave: str, *, enabled: bool = True) -> str | None:
    """Why `wave` may not map or load yet, or None when it may (`enabled`: CPT_SAMPLE_GATE, on unless a
    developer turns it off)."""
    if wave == SAMPLE_WAVE or not enabled:
        return None
    if current_acceptance(warehouse) is not None:
        return None
    return (f"wave {wave!r} waits for the sample to be accepted: run `cpt migrate --export DIR --wave sample`, "
            f"read data/reports/diff-sample.md, then `cpt sample accept --by YOUR_NAME`")
