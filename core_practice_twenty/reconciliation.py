"""The reconciliation summary a person reads at the end of a wave: counts only, never values."""

from __future__ import annotations

from dataclasses import dataclass

from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.issues import object_counts
from core_practice_twenty.store.raw import raw_table
from core_practice_twenty.store.staging import audit_counts, held_back_counts, loaded_source_rows, staging_table
from core_practice_twenty.store.warehouse import Warehouse, existing_tables
from core_practice_twenty.twenty.client import TwentyClient
from core_practice_twenty.twenty.load_wave import ObjectReconciliation, reconcile_object


@dataclass
class WaveObjectSummary:
    """One Twenty object in one run of a wave: this run's outcomes and the wave-level reconciliation."""

    twenty_object: str
    source_object: str
    run_outcomes: dict[str, int]
    check: ObjectReconciliation | None

    @property
    def balanced(self) -> bool:
        return self.check is None or self.check.passed


def reconcile(warehouse: Warehouse, wave: str, run_id: str, client: TwentyClient | None) -> list[WaveObjectSummary]:
    """Per Twenty object the wave staged: this run's outcomes, and whether everything is accounted for."""
    counts = audit_counts(warehouse, run_id=run_id)
    with warehouse.connect() as conn:
        tables = existing_tables(conn)
    results = []
    for target in TARGET_OBJECTS.values():
        if staging_table(target.name_plural) not in tables:
            continue  # not mapped yet in this wave
        check = reconcile_object(warehouse, client, target, wave) if client else None
        if check is not None and check.staged == 0 and check.id_map == 0:
            continue  # nothing of this object in the export
        results.append(WaveObjectSummary(target.name_plural, target.source_object,
                                         counts.get(target.name_plural, {}), check))
    return results


def source_accounting(warehouse: Warehouse, wave: str) -> dict[str, dict[str, int]]:
    """Per source object: rows read = rejected by validation + held back by mapping + carried into Twenty
    (counted: rows behind a record the id map holds) + not in Twenty (the rest: outside the sample, folded
    into a parent record such as invoice lines, or not loaded yet)."""
    held = held_back_counts(warehouse, wave)
    # every staging table for every source: a row counts only where line and key match (providers become
    # people too), so a record of another source never counts here
    targets = {name: list(TARGET_OBJECTS) for name in EXPORT_SPEC}
    raw_key = {name: (raw_table(spec), spec.key[0]) for name, spec in EXPORT_SPEC.items() if len(spec.key) == 1}
    carried = loaded_source_rows(warehouse, wave, raw_key, targets)
    accounting = {}
    for name, c in export_counts(warehouse, wave).items():
        held_back = sum(held.get(name, {}).values())
        loaded = carried.get(name, 0)
        accounting[name] = {"read": c["read"], "rejected": c["rejected"], "held_back": held_back,
                            "carried": loaded, "not_in_twenty": c["read"] - c["rejected"] - held_back - loaded}
    return accounting


def export_counts(warehouse: Warehouse, wave: str) -> dict[str, dict[str, int]]:
    """Per source object: rows read, accepted, rejected and flagged by validation."""
    with warehouse.connect() as conn:
        return {name: object_counts(conn, spec, wave) for name, spec in EXPORT_SPEC.items()}


def format_export_counts(counts: dict[str, dict[str, int]]) -> str:
    header = f"{'export file':<18} {'read':>8} {'accepted':>9} {'rejected':>9} {'flagged':>8}  status"
    lines = ["Validation (rejected rows are listed in validation_issues with file, line and rule)", header,
             "-" * len(header)]
    for name, c in counts.items():
        status = "OK" if c["read"] == c["accepted"] + c["rejected"] and not c["issues_without_row"] else "MISMATCH"
        lines.append(f"{name:<18} {c['read']:>8} {c['accepted']:>9} {c['rejected']:>9} {c['warned']:>8}  {status}")
    return "\n".join(lines)


def format_summary(wave: str, run_id: str, rows: list[WaveObjectSummary],
                   accounting: dict[str, dict[str, int]] | None = None, server: str | None = None) -> str:
    """`server`: what the Twenty written to offers (twenty/facts.py `ServerFacts.header`), under the title."""
    lines = [f"Reconciliation for wave {wave!r} (run {run_id})"]
    if server:
        lines.append(server)
    if accounting:
        header = (f"{'source':<18} {'read':>8} {'rejected':>9} {'held back':>10} {'carried':>8} "
                  f"{'not in twenty':>14}")
        lines += ["Source rows (read = rejected + held back + carried into a Twenty record (counted) + the rest: "
                  "outside the sample, folded into a parent record, or not loaded yet)", header, "-" * len(header)]
        lines += [f"{name:<18} {c['read']:>8} {c['rejected']:>9} {c['held_back']:>10} {c['carried']:>8} "
                  f"{c['not_in_twenty']:>14}" for name, c in accounting.items()]
        lines.append("")
    header = (f"{'twenty object':<16} {'staged':>7} {'created':>8} {'updated':>8} {'unchanged':>10} {'rejected':>9} "
              f"{'held back':>10} {'in twenty':>10} {'expected':>9}  status")
    lines += ["Twenty records (this run's outcomes; held back = a parent record is not in Twenty)", header,
              "-" * len(header)]
    for r in rows:
        o = r.run_outcomes
        staged = r.check.staged if r.check else sum(o.values())
        in_twenty = str(r.check.in_twenty) if r.check else "-"
        expected = str(r.check.expected_in_twenty) if r.check else "-"
        lines.append(f"{r.twenty_object:<16} {staged:>7} {o.get('create', 0):>8} {o.get('update', 0):>8} "
                     f"{o.get('skip', 0):>10} {o.get('reject', 0):>9} {o.get('hold', 0):>10} {in_twenty:>10} "
                     f"{expected:>9}  {'OK' if r.balanced else 'MISMATCH'}")
    return "\n".join(lines)
