"""The guard on changes to records already in Twenty: a wave that would rewrite who a patient is stops
for a person.

A delta re-sends records whose payload changed since they were loaded. Most changes are real (a new
mobile, a new email); a mass change of names, birth dates, emails or phones is what a mis-read export
looks like (a file decoded with the wrong encoding turned "José" into "JosÃ©" for every accented name).
Before such a wave loads, the changes to the guarded fields are counted per object, against what was
last sent (the staged payload whose hash the id map holds), and the wave stops at a blocking check when

* more than `max_rate` of the wave's records already in Twenty would change a guarded field, or
* any change looks garbled (the new text is the old one mis-decoded, or holds U+FFFD),

until a person reads the preview (`changes-<wave>.md/.csv` in the reports folder: before → after, with
source lines; values only there, never in logs or metadata) and approves exactly those changes with
`cpt wave approve-changes --wave W --by NAME`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from core_practice_twenty.store.decisions import latest_decision, record_decision
from core_practice_twenty.store.staging import payload_changes
from core_practice_twenty.store.warehouse import Warehouse

GUARDED_FIELDS: dict[str, tuple[str, ...]] = {
    "people": ("name.firstName", "name.lastName", "dateOfBirth", "emails.primaryEmail", "phones.primaryPhoneNumber"),
}
"""Per Twenty object, the fields that say who a record is: a change to them is previewed and counted."""
DECISION = "changes_approved"


def _at(payload: dict, path: str) -> object:
    value: object = payload
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def looks_garbled(before: object, after: object) -> bool:
    """The new text is the old one decoded with the wrong encoding, or carries a replacement character."""
    if not isinstance(after, str) or not isinstance(before, str) or before == after:
        return False
    if "\ufffd" in after and "\ufffd" not in before:
        return True
    for wrong in ("cp1252", "latin-1"):
        try:
            if before.encode("utf-8").decode(wrong) == after:
                return True
        except UnicodeDecodeError:
            continue
    return False


@dataclass(frozen=True)
class FieldChange:
    object: str
    source_key: str
    source_line: int | None
    field: str
    before: object
    after: object
    garbled: bool


@dataclass
class ChangePlan:
    """What a wave would change in guarded fields of records already in Twenty (counts + the changes)."""

    wave: str
    existing: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def garbled(self) -> int:
        return sum(1 for c in self.changes if c.garbled)

    def rate(self, obj: str) -> float:
        return self.changed.get(obj, 0) / self.existing[obj] if self.existing.get(obj) else 0.0

    @property
    def fingerprint(self) -> str:
        """What an approval is for: every (object, key, field, new value), so another set is not approved."""
        digest = hashlib.sha256()
        for c in sorted(self.changes, key=lambda c: (c.object, c.source_key, c.field)):
            digest.update(json.dumps([c.object, c.source_key, c.field, c.after], ensure_ascii=False).encode())
        return digest.hexdigest()

    def over_limit(self, max_rate: float) -> str | None:
        """Why the wave needs a person (counts only), or None."""
        reasons = [f"{self.changed[o]} of {self.existing[o]} {o} already in Twenty would change "
                   f"{'/'.join(f.split('.')[-1] for f in GUARDED_FIELDS[o])} ({self.rate(o):.1%} > {max_rate:.1%})"
                   for o in self.changed if self.rate(o) > max_rate]
        if self.garbled:
            reasons.append(f"{self.garbled} change(s) look like text decoded with the wrong encoding (an accented "
                           f"letter turned into two odd characters)")
        return "; ".join(reasons) or None

    def as_metadata(self) -> dict[str, object]:
        by_field = Counter(f"{c.object}.{c.field}" for c in self.changes)
        return {"existing": self.existing, "changed_records": self.changed, "changed_fields": dict(by_field),
                "garbled": self.garbled, "fingerprint": self.fingerprint[:16]}


def plan_changes(warehouse: Warehouse, wave: str) -> ChangePlan:
    plan = ChangePlan(wave)
    for obj, fields in GUARDED_FIELDS.items():
        existing, rows = payload_changes(warehouse, obj, wave)
        plan.existing[obj] = existing
        changed = 0
        for key, line, before, after in rows:
            found = [FieldChange(obj, key, line, f, _at(before, f), _at(after, f),
                                 looks_garbled(_at(before, f), _at(after, f)))
                     for f in fields if _at(before, f) != _at(after, f)]
            plan.changes += found
            changed += bool(found)
        plan.changed[obj] = changed
    return plan


def write_change_report(plan: ChangePlan, reports: Path) -> tuple[Path, Path]:
    """The preview a person reads before approving: before → after per field, with the source line."""
    reports.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = reports / f"changes-{plan.wave}.csv", reports / f"changes-{plan.wave}.md"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["object", "source_key", "source_line", "field", "before", "after", "looks_garbled"])
        for c in plan.changes:
            writer.writerow([c.object, c.source_key, c.source_line, c.field, c.before, c.after, c.garbled])
    lines = [f"# Changes wave {plan.wave} would make to records already in Twenty", ""]
    for obj in plan.existing:
        lines.append(f"- {obj}: {plan.changed.get(obj, 0)} of {plan.existing[obj]} records change "
                     f"({plan.rate(obj):.1%})")
    lines += [f"- changes that look garbled (wrong encoding): {plan.garbled}", "",
              "| object | source key | line | field | before | after | garbled |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {c.object} | {c.source_key} | {c.source_line or ''} | {c.field} | {c.before} | {c.after} | "
              f"{'yes' if c.garbled else ''} |" for c in plan.changes[:500]]
    if len(plan.changes) > 500:
        lines.append(f"\n… and {len(plan.changes) - 500} more in {csv_path.name}")
    lines += ["", f"Approve exactly these changes: `cpt wave approve-changes --wave {plan.wave} --by YOUR_NAME`"]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path


def change_gate(warehouse: Warehouse, plan: ChangePlan, max_rate: float) -> str | None:
    """Why the wave may not load yet (counts and what to do), or None."""
    reason = plan.over_limit(max_rate)
    if reason is None:
        return None
    decision = latest_decision(warehouse, DECISION, plan.wave)
    if decision is not None and decision.fingerprint == plan.fingerprint:
        return None
    return (f"wave {plan.wave!r} would change records already in Twenty: {reason}. Read the preview "
            f"changes-{plan.wave}.md in the reports folder; if the changes are right, run `cpt wave "
            f"approve-changes --wave {plan.wave} --by YOUR_NAME`; if not, fix the export and run again")


def approve_changes(warehouse: Warehouse, wave: str, by: str) -> ChangePlan:
    """Record that a person approved the changes the wave would make now (bound to their fingerprint)."""
    plan = plan_changes(warehouse, wave)
    record_decision(warehouse, DECISION, wave, by, plan.fingerprint,
                    {"changed_records": plan.changed, "garbled": plan.garbled})
    return plan
