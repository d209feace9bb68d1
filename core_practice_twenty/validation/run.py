"""Run the row rules of one object over its raw table, chunk by chunk, without holding it in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from core_practice_twenty.source.dirt import Severity
from core_practice_twenty.source.export_spec import ObjectSpec
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import duplicate_keys
from core_practice_twenty.validation.schemas import Issue, raw_schema, row_issues

CHUNK_ROWS = 100_000
BLOCKING_RULES = frozenset({"duplicate_key"})
"""Rules that make an object untrustworthy as a whole: the load waits for a person."""


@dataclass
class RowValidation:
    object: str
    rows_checked: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({i.source_line for i in self.issues if i.severity is Severity.REJECT})

    @property
    def reject_rate(self) -> float:
        return self.rejected_rows / self.rows_checked if self.rows_checked else 0.0

    def blocking_reasons(self, max_reject_rate: float) -> list[str]:
        reasons = sorted({i.rule for i in self.issues if i.rule in BLOCKING_RULES})
        if self.reject_rate > max_reject_rate:
            reasons.append(f"reject rate {self.reject_rate:.1%} above the {max_reject_rate:.1%} limit")
        return reasons

    def counts_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for issue in self.issues:
            label = f"{issue.rule} ({issue.severity.value})"
            counts[label] = counts.get(label, 0) + 1
        return dict(sorted(counts.items()))

    def describe(self, limit: int = 8) -> str:
        """Rules with counts and first source lines: safe to log and to show in the UI."""
        by_rule: dict[str, list[int]] = {}
        for issue in self.issues:
            by_rule.setdefault(issue.rule, []).append(issue.source_line or 0)
        parts = []
        for rule, lines in sorted(by_rule.items()):
            shown = ", ".join(str(n) for n in sorted(lines)[:limit]) + (" …" if len(lines) > limit else "")
            parts.append(f"{rule}: {len(lines)} row(s), line(s) {shown}")
        return "; ".join(parts)


def validate_rows(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str,
                  ctx: ValidationContext) -> RowValidation:
    """Pandera row rules chunk by chunk, plus key uniqueness across the whole file."""
    conn.execute(create_raw_table_sql(spec))
    result = RowValidation(spec.name)
    schema = raw_schema(spec, ctx)
    columns = ", ".join(["source_file", "source_line", "extra", *[f'"{c}"' for c in spec.column_names]])
    reader = conn.sql(
        f"select {columns} from {raw_table(spec)} where wave = ? order by source_line", params=[wave]
    ).to_arrow_reader(CHUNK_ROWS)
    for batch in reader:
        frame = batch.to_pandas()
        result.rows_checked += len(frame)
        result.issues += row_issues(frame, spec, ctx, schema)
    result.issues += duplicate_keys(conn, spec, wave)
    return result
