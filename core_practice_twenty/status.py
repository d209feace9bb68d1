"""Where the migration stands, on one screen: waves, what waits for a person, the last run of each, and what next.

Read from what the pipeline already keeps (the warehouse, the map file, Dagster's runs), never from Twenty, so it
answers at 3 a.m. with Twenty down, and on a project where nothing has run yet. Counts only: no record's value.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core_practice_twenty.lifecycle.acceptance import SAMPLE_WAVE, sample_gate
from core_practice_twenty.lifecycle.changes import change_gate, plan_changes
from core_practice_twenty.mapping.field_map import FieldMapError, check_gate, load_map
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.duplicates import pending_pairs
from core_practice_twenty.store.issues import object_counts
from core_practice_twenty.store.sample import latest_acceptance
from core_practice_twenty.store.staging import held_back_counts, wave_outcome_counts
from core_practice_twenty.store.warehouse import Warehouse


@dataclass
class RunInfo:
    """A Dagster run as `cpt status` shows it (from the instance: launcher.last_run)."""

    run_id: str
    status: str
    stopped_at: str | None = None
    """The step that failed or was running when the run ended; None for a run that finished."""


@dataclass
class WaveStatus:
    wave: str
    export_dir: str
    snapshot_id: str
    region: str
    export_date: str
    export_present: bool
    map_matches: bool | None
    """Whether the confirmed map still fits this export's columns (None: no map to compare)."""
    last_run: RunInfo | None = None
    source: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per export object: rows read, rejected, held back."""
    twenty: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per Twenty object: records staged, created, updated, unchanged, rejected, in the id map."""
    waiting: list[str] = field(default_factory=list)
    """What waits for a person before this wave can load, each with its command."""
    duplicates_to_decide: int = 0
    """Likely duplicate pairs linkage found in this wave that no one has decided on: loaded both, flagged in Twenty,
    until a person merges them or says they differ (not a gate: the pipeline never merges on its own)."""
    gates: dict[str, str | None] = field(default_factory=dict)
    """Each gate a person opens (`GATES`) → why it holds this wave, with the command (None: open). The same facts
    the pipeline's blocking checks apply when the wave runs; `launcher.report_gates` shows them in Dagster."""


@dataclass
class MigrationStatus:
    map_path: str
    map_state: str
    sample: str
    waves: list[WaveStatus]
    next_step: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    def render(self) -> str:
        lines = ["Migration status", "", f"Field map  {self.map_path}: {self.map_state}",
                 f"Sample     {self.sample}", ""]
        if not self.waves:
            lines.append("No wave registered yet.")
        for w in self.waves:
            lines.append(f"Wave {w.wave!r}: {w.export_dir} (snapshot {w.snapshot_id}, region {w.region}, "
                         f"export of {w.export_date})" + ("" if w.export_present else "  [folder not found]"))
            if w.map_matches is False:
                lines.append("  the confirmed map no longer fits this export's columns")
            run = w.last_run
            lines.append(f"  last run: {run.run_id[:8]} {run.status}"
                         + (f", stopped at {run.stopped_at}" if run.stopped_at else "") if run else "  not run yet")
            if w.source:
                read = sum(c["read"] for c in w.source.values())
                lines.append(f"  export: {read:,} rows read, {sum(c['rejected'] for c in w.source.values()):,} "
                             f"rejected, {sum(c['held_back'] for c in w.source.values()):,} held back for review")
            for plural, c in w.twenty.items():
                lines.append(f"  {plural:<16} staged {c['staged']:>7,}  created {c['create']:>7,}  updated "
                             f"{c['update']:>6,}  unchanged {c['skip']:>6,}  rejected {c['reject']:>5,}  "
                             f"in Twenty (id map) {c['mapped']:>7,}")
            if w.duplicates_to_decide:
                lines.append(f"  likely duplicate patients to decide: {w.duplicates_to_decide} pair(s) "
                             f"(cpt duplicates list --wave {w.wave}, then cpt duplicates decide)")
            lines += [f"  waits for a person: {item}" for item in w.waiting]
            lines.append("")
        lines.append(f"Next: {self.next_step}")
        return "\n".join(lines)


def _map_state(map_path: Path) -> tuple[str, bool]:
    if not map_path.is_file():
        return "not written yet (cpt map propose --export DIR)", False
    try:
        field_map = load_map(map_path)
    except FieldMapError as exc:
        return f"unreadable: {exc}", False
    if field_map.status != "confirmed":
        undecided = len(field_map.undecided())
        return f"proposed, not confirmed ({undecided} entr{'y' if undecided == 1 else 'ies'} need a decision)", False
    c = field_map.confirmation
    return (f"confirmed by {c.confirmed_by} at {c.confirmed_at}"
            + (" (with --accept-all)" if c.accepted_all else "") + f", fingerprint {str(c.fingerprint)[:12]}"), True


def _counts(warehouse: Warehouse, wave: str) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    held = held_back_counts(warehouse, wave)
    source: dict[str, dict[str, int]] = {}
    with warehouse.connect() as conn:
        for name, spec in EXPORT_SPEC.items():
            counts = object_counts(conn, spec, wave)
            if counts["read"]:
                source[name] = {"read": counts["read"], "rejected": counts["rejected"],
                                "held_back": sum(held.get(name, {}).values())}
    twenty: dict[str, dict[str, int]] = {}
    for plural in TARGET_OBJECTS:
        staged, actions, mapped = wave_outcome_counts(warehouse, plural, wave)
        if staged:
            twenty[plural] = {"staged": staged, "mapped": mapped,
                              **{a: actions.get(a, 0) for a in ("create", "update", "skip", "reject", "hold")}}
    return source, twenty


GATES = ("map", "sample", "changes")
"""The gates a person opens: the map confirmed for the wave's export, the sample accepted, changes to records
already in Twenty approved."""


def migration_status(warehouse: Warehouse, map_path: Path, runs: dict[str, RunInfo], *,
                     max_change_rate: float, sample_gate_on: bool = True) -> MigrationStatus:
    """Everything `cpt status` shows; `runs` is each wave's last Dagster run (launcher.last_run)."""
    map_state, confirmed = _map_state(map_path)
    accepted = latest_acceptance(warehouse)
    sample = f"accepted by {accepted[0]} at {accepted[1]:%Y-%m-%d %H:%M}" if accepted else "not accepted"
    waves = []
    for registered in warehouse.waves():
        export_dir = Path(registered.export_dir)
        gate = check_gate(map_path, export_dir) if confirmed and export_dir.is_dir() else None
        status = WaveStatus(registered.wave, str(export_dir), registered.snapshot_id, registered.region,
                            str(registered.export_date), export_dir.is_dir(), None if gate is None else gate.ok,
                            runs.get(registered.wave))
        status.source, status.twenty = _counts(warehouse, registered.wave)
        with warehouse.connect() as conn:
            status.duplicates_to_decide = len(pending_pairs(conn, registered.wave))
        if export_dir.is_dir():
            map_gate = gate if gate is not None else check_gate(map_path, export_dir)
            status.gates["map"] = None if map_gate.ok else map_gate.message
        status.gates["sample"] = sample_gate(warehouse, registered.wave, enabled=sample_gate_on)
        status.gates["changes"] = None
        if status.twenty:
            reason = change_gate(warehouse, plan_changes(warehouse, registered.wave), max_change_rate)
            if reason:
                status.gates["changes"] = (f"changes to records already in Twenty: cpt wave approve-changes --wave "
                                           f"{registered.wave} --by YOUR_NAME (after reading "
                                           f"changes-{registered.wave}.md)")
                status.waiting.append(status.gates["changes"])
        waves.append(status)
    sample_ran = any(w.wave == SAMPLE_WAVE and w.twenty for w in waves)
    if sample_ran and not accepted:
        next(w for w in waves if w.wave == SAMPLE_WAVE).waiting.append(
            "the sample's acceptance: read diff-sample.md, then cpt sample accept --by YOUR_NAME")
    return MigrationStatus(str(map_path), map_state, sample, waves,
                           _next_step(map_path, confirmed, waves, sample_ran, bool(accepted)))


def _next_step(map_path: Path, confirmed: bool, waves: list[WaveStatus], sample_ran: bool, accepted: bool) -> str:
    first = waves[0].export_dir if waves else "DIR"
    if not map_path.is_file():
        return f"cpt map propose --export {first}   (then review the map and confirm it)"
    if not confirmed:
        return f"review field-map-review.md, then cpt map confirm --map {map_path} --export {first} --by YOUR_NAME"
    for w in waves:
        if w.waiting:
            return w.waiting[0]
        if w.map_matches is False:
            return f"cpt map propose --export {w.export_dir}   (the export's columns changed: review and confirm again)"
        if w.last_run and w.last_run.status == "FAILURE":  # a step failed or a blocking check stopped it
            return (f"cpt issues --wave {w.wave} and the run's failure (make ui), fix what they name, then "
                    f"cpt migrate --export {w.export_dir} --wave {w.wave}   (it resumes: nothing is sent twice)")
        if w.last_run and w.last_run.status != "SUCCESS":  # stopped, or still running
            return f"cpt migrate --export {w.export_dir} --wave {w.wave}   (resumes: nothing is sent twice)"
    if not waves:
        return f"cpt migrate --export DIR --wave {SAMPLE_WAVE}   (a sample first: its diff is what a person accepts)"
    if sample_ran and not accepted:
        return "read diff-sample.md, then cpt sample accept --by YOUR_NAME"
    if not any(w.wave != SAMPLE_WAVE for w in waves):
        return f"cpt migrate --export {first} --wave full"
    return "at cutover: cpt migrate --export NEW_EXPORT_DIR --wave delta-YYYY-MM-DD (only what changed is sent)"
