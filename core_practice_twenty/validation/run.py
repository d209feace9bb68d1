"""Run the row rules of one object over its raw table in DuckDB, without holding the table in memory.

One query per raw table (`store.rule_reads.failing_rows`) evaluates every rule of `schemas.row_rules` on every
row in a single parallel pass; only the rows that break at least one rule come back (as booleans per rule, in
chunks), and pandera turns those chunks into issues. Key uniqueness is one more query over the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import duckdb

from core_practice_twenty.model.issues import Severity
from core_practice_twenty.source.export_spec import ObjectSpec
from core_practice_twenty.source.values import country_alpha2
from core_practice_twenty.store.issues import replace_issues
from core_practice_twenty.store.raw_reads import wave_rows
from core_practice_twenty.store.rule_reads import ensure_raw_tables, failing_rows
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import duplicate_keys
from core_practice_twenty.validation.schemas import (
    Issue,
    RowRule,
    country_column,
    derived_columns,
    raw_schema,
    row_issues,
    row_rules,
)

BLOCKING_RULES = frozenset({"duplicate_key"})
"""Rules that make an object untrustworthy as a whole: the load waits for a person."""
SHOWN_LINES = 8
"""Source lines a rule's summary shows (logs, check descriptions); the issues table has them all."""


@dataclass
class RowValidation:
    """What the row rules found in one object: counts and each rule's first lines, not the issues themselves.

    The issues stream into `validation_issues` as they are found; a badly damaged export of a large group
    can have millions, which must not sit in memory to be counted.
    """

    object: str
    rows_checked: int = 0
    rejected_rows: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    """`rule (severity)` → issues."""
    first_lines: dict[str, list[int]] = field(default_factory=dict)
    """rule → its first `SHOWN_LINES` source lines, in line order."""

    @property
    def issue_count(self) -> int:
        return sum(self.by_rule.values())

    @property
    def reject_rate(self) -> float:
        return self.rejected_rows / self.rows_checked if self.rows_checked else 0.0

    def tally(self, issues: Iterable[Issue]) -> Iterator[Issue]:
        """Pass `issues` through, counting them (rejected rows are distinct lines with a reject)."""
        rejected: set[int | None] = set()
        for issue in issues:
            label = f"{issue.rule} ({issue.severity.value})"
            self.by_rule[label] = self.by_rule.get(label, 0) + 1
            lines = self.first_lines.setdefault(issue.rule, [])
            if len(lines) < SHOWN_LINES:
                lines.append(issue.source_line or 0)
            if issue.severity is Severity.REJECT:
                rejected.add(issue.source_line)
            yield issue
        self.rejected_rows = len(rejected)

    def blocking_reasons(self, max_reject_rate: float) -> list[str]:
        reasons = sorted(rule for rule in self.first_lines if rule in BLOCKING_RULES)
        if self.reject_rate > max_reject_rate:
            reasons.append(f"reject rate {self.reject_rate:.1%} above the {max_reject_rate:.1%} limit")
        return reasons

    def counts_by_rule(self) -> dict[str, int]:
        return dict(sorted(self.by_rule.items()))

    def describe(self) -> str:
        """Rules with counts and first source lines: safe to log and to show in the UI."""
        totals: dict[str, int] = {}
        for label, n in self.by_rule.items():
            rule = label.rsplit(" (", 1)[0]
            totals[rule] = totals.get(rule, 0) + n
        parts = []
        for rule, lines in sorted(self.first_lines.items()):
            shown = ", ".join(str(n) for n in sorted(lines)) + (" …" if totals[rule] > len(lines) else "")
            parts.append(f"{rule}: {totals[rule]} row(s), line(s) {shown}")
        return "; ".join(parts)


def validate_rows(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str,
                  ctx: ValidationContext) -> RowValidation:
    """Run the row rules and key uniqueness, replacing the object's row issues for the wave; return the tally."""
    ensure_raw_tables(conn, [spec])
    result = RowValidation(spec.name)
    result.rows_checked = wave_rows(conn, spec.name, wave)
    replace_issues(conn, wave, "row", result.tally(row_issues_of(conn, spec, wave, ctx)), [spec.name])
    return result


def row_issues_of(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str,
                  ctx: ValidationContext) -> Iterator[Issue]:
    """Row rules in one DuckDB pass (pandera reads the failing rows' results, in chunks), then duplicate keys.

    Reads through its own cursor, so the caller may write each chunk of issues on `conn` meanwhile.
    """
    ensure_raw_tables(conn, [spec])
    rules = row_rules(spec, ctx)
    schema = raw_schema(spec, ctx)
    cursor = conn.cursor()
    try:
        for frame in failing_rows(cursor, spec, wave, predicates(rules), derived_columns(spec, ctx),
                                  country_column(spec), country_alpha2):
            yield from row_issues(frame, spec, rules, schema)
        yield from duplicate_keys(cursor, spec, wave)
    finally:
        cursor.close()


def predicates(rules: list[RowRule]) -> list[tuple[str, str]]:
    """(name, SQL true where a row breaks it) of each rule: what `store.rule_reads` runs."""
    return [(rule.name, rule.fails) for rule in rules]
