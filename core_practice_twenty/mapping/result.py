"""What one part of the mapping returns: the records it staged, the rows it held back and why, its decisions and
its counts (rows = staged + held back + excluded, per source object).

Reasons and decisions carry ids, rule names and counts, never values: they end up in logs and Dagster metadata.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from core_practice_twenty.model.staged import StagedRecord


class HeldBack(NamedTuple):
    """A source row not staged, and why (a reason code first, then ids: `orphan_patient`, `dependency_held_back: …`)."""

    source_object: str
    source_key: str
    source_line: int | None
    reason: str

    @property
    def code(self) -> str:
        return self.reason.split(":", 1)[0].split(";", 1)[0].strip()


@dataclass
class MappingResult:
    """One part of the mapping's output (a compiled plan's, or the automations' reference files).

    `staged` are the records of `target` (a Twenty object plural); `linked` holds records of other
    Twenty objects the same source rows produce (taskTargets of appointments, opportunities of open
    treatment plans). `counts` always has, per source object read, `<object>.rows`, `.staged`,
    `.held_back` and `.excluded`, with rows = staged + held back + excluded (`unbalanced()` checks).
    """

    target: str
    source_object: str = ""
    staged: list[StagedRecord] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    linked: dict[str, list[StagedRecord]] = field(default_factory=dict)

    def by_object(self) -> dict[str, list[StagedRecord]]:
        """Every staged record by Twenty object plural: one staging table each."""
        return {self.target: self.staged, **self.linked} if self.target else dict(self.linked)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def hold(self, source_object: str, source_key: str, source_line: int | None, reason: str) -> None:
        held = HeldBack(source_object, str(source_key), source_line, reason)
        self.held_back.append(held)
        self.count(f"{source_object}.held_back")
        self.count(f"{source_object}.held_back.{held.code}")

    def stage(self, source_object: str, record: StagedRecord) -> None:
        self.staged.append(record)
        self.count(f"{source_object}.staged")

    def held_reasons(self) -> dict[str, int]:
        return dict(Counter(h.code for h in self.held_back))

    def unbalanced(self) -> dict[str, dict[str, int]]:
        """Source objects whose rows ≠ staged + held back + excluded (empty when every row is accounted for)."""
        problems = {}
        objects = {name.split(".", 1)[0] for name in self.counts if name.endswith(".rows")}
        for obj in sorted(objects):
            c = {k: self.counts.get(f"{obj}.{k}", 0) for k in ("rows", "staged", "held_back", "excluded")}
            if c["rows"] != c["staged"] + c["held_back"] + c["excluded"]:
                problems[obj] = c
        return problems

    def summary(self) -> dict:
        """Safe for logs and Dagster metadata: counts, reasons and decision kinds, no values."""
        return {
            "target": self.target,
            "staged": {name: len(records) for name, records in self.by_object().items()},
            "held_back": self.held_reasons(),
            "decisions": dict(Counter(d.get("kind", "?") for d in self.decisions)),
            "counts": dict(sorted(self.counts.items())),
        }
