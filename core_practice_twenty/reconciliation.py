"""The reconciliation summary a person reads at the end of a wave: counts only, never values."""

from __future__ import annotations

from dataclasses import dataclass

from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.issues import object_counts
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.store.staging import audit_counts, staging_table
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient


@dataclass
class ObjectReconciliation:
    source_object: str
    twenty_object: str
    rows_read: int
    staged: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    id_map: int
    in_twenty: int | None

    @property
    def balanced(self) -> bool:
        """Every staged record has an outcome, and Twenty holds exactly what the id map says."""
        outcomes = self.created + self.updated + self.unchanged + self.rejected
        return outcomes == self.staged and (self.in_twenty is None or self.in_twenty == self.id_map)


def reconcile(warehouse: Warehouse, wave: str, run_id: str, client: TwentyClient | None) -> list[ObjectReconciliation]:
    counts = audit_counts(warehouse, run_id=run_id)
    results = []
    for target in TARGET_OBJECTS.values():
        if target.source_key_field is None:
            continue
        spec = EXPORT_SPEC[target.source_object]
        with warehouse.connect() as conn:
            conn.execute(create_raw_table_sql(spec))
            rows_read = conn.execute(f"select count(*) from {raw_table(spec)} where wave = ?", [wave]).fetchone()[0]
            has_staging = conn.execute(
                "select count(*) from information_schema.tables where table_name = ?",
                [staging_table(target.name_plural)],
            ).fetchone()[0]
            staged = conn.execute(
                f"select count(*) from {staging_table(target.name_plural)} where wave = ?", [wave]
            ).fetchone()[0] if has_staging else 0
            id_map = conn.execute("select count(*) from id_map where object = ?", [target.name_plural]).fetchone()[0]
        if not has_staging:
            continue  # not mapped yet in this wave
        in_twenty = (
            client.count(target.name_plural, filter=f"{target.source_key_field}[is]:NOT_NULL") if client else None
        )
        actions = counts.get(target.name_plural, {})
        results.append(ObjectReconciliation(
            target.source_object, target.name_plural, rows_read, staged, actions.get("create", 0),
            actions.get("update", 0), actions.get("skip", 0), actions.get("reject", 0), id_map, in_twenty,
        ))
    return results


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


def format_summary(wave: str, run_id: str, rows: list[ObjectReconciliation]) -> str:
    header = (f"{'source':<12} {'→ twenty':<12} {'read':>7} {'created':>8} {'updated':>8} {'unchanged':>10} "
              f"{'rejected':>9} {'in twenty':>10}  status")
    lines = [f"Reconciliation for wave {wave!r} (run {run_id})", header, "-" * len(header)]
    for r in rows:
        status = "OK" if r.balanced else "MISMATCH"
        in_twenty = "-" if r.in_twenty is None else str(r.in_twenty)
        lines.append(f"{r.source_object:<12} {r.twenty_object:<12} {r.rows_read:>7} {r.created:>8} {r.updated:>8} "
                     f"{r.unchanged:>10} {r.rejected:>9} {in_twenty:>10}  {status}")
    return "\n".join(lines)
