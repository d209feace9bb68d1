"""Pandera schemas derived from the export spec, and a report a person (and Dagster) can read.

Schemas are built from `EXPORT_SPEC`, never written by hand, so a column added to the spec is
validated the moment it exists. Reports carry rule names, counts, source lines and source keys only:
never the offending values, which may be health data.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
import pycountry

from core_practice_twenty.source.export_spec import ColumnSpec, ColumnType, ObjectSpec

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _is_country(value: str) -> bool:
    try:
        pycountry.countries.lookup(value)
    except LookupError:
        return False
    return True


def _column_checks(column: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if column.values:
        allowed = {v.lower() for v in column.values}
        checks.append(pa.Check(lambda s: s.str.lower().isin(allowed), element_wise=False,
                               name=f"value_set:{column.name}", ignore_na=True))
    if column.type is ColumnType.EMAIL:
        checks.append(pa.Check(lambda v: bool(EMAIL_PATTERN.match(v)), element_wise=True,
                               name=f"email_format:{column.name}", ignore_na=True))
    if column.type is ColumnType.COUNTRY:
        checks.append(pa.Check(_is_country, element_wise=True, name=f"country:{column.name}", ignore_na=True))
    return checks


def raw_schema(spec: ObjectSpec) -> pa.DataFrameSchema:
    """The row rules of one raw table: required cells present, key unique, typed cells well-formed."""
    columns = {
        column.name: pa.Column(
            dtype=None,
            nullable=column.nullable,
            required=not column.nullable,
            checks=_column_checks(column),
        )
        for column in spec.columns
    }
    return pa.DataFrameSchema(columns, unique=list(spec.key), name=f"raw_{spec.name}", strict=False)


@dataclass
class RuleFailure:
    rule: str
    source_line: int | None
    source_key: str | None


@dataclass
class ValidationReport:
    """The outcome of the row rules on one raw table."""

    object: str
    rows_checked: int
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def counts_by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.failures).items()))

    def describe(self, limit: int = 10) -> str:
        """One line per rule with counts and the first source lines: safe to log and show."""
        lines = []
        for rule, count in self.counts_by_rule().items():
            where = sorted({f.source_line for f in self.failures if f.rule == rule and f.source_line})
            shown = ", ".join(str(n) for n in where[:limit]) + (" …" if len(where) > limit else "")
            lines.append(f"{rule}: {count} row(s), line(s) {shown}")
        return "; ".join(lines)


def _rule_name(case: pd.Series, spec: ObjectSpec) -> str:
    check = str(case["check"])
    column = case["column"]
    if check == "not_nullable":
        return f"required:{column}"
    if check.startswith("field_uniqueness") or check.startswith("multiple_fields_uniqueness"):
        return f"duplicate_key:{'+'.join(spec.key)}"
    if check == "column_in_dataframe":
        return f"missing_column:{case['failure_case']}"
    return check


def validate_raw(frame: pd.DataFrame, spec: ObjectSpec) -> ValidationReport:
    """Run the spec's row rules on a wave's raw rows (lineage columns included in `frame`)."""
    report = ValidationReport(object=spec.name, rows_checked=len(frame))
    try:
        raw_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for _, case in cases.iterrows():
            index = case["index"]
            line = key = None
            if index is not None and not pd.isna(index) and index in frame.index:
                row = frame.loc[index]
                line = int(row["source_line"]) if "source_line" in row else None
                key = "|".join(str(row[k]) for k in spec.key if k in row)
            report.failures.append(RuleFailure(_rule_name(case, spec), line, key))
    return report
