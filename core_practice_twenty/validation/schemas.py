"""Row rules: pandera schemas derived from the export spec, run chunk by chunk, reported without values.

Schemas are built from `EXPORT_SPEC`, never written by hand, so a column added to the spec is
validated the moment it exists. Every check is vectorised (pandas string and datetime operations),
because a dental group's export has millions of cells. A failing cell becomes an `Issue` with the
rule name, the source line and the source key; never the value, which may be health data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from core_practice_twenty.source.dirt import Severity
from core_practice_twenty.source.export_spec import ColumnSpec, ColumnType, ObjectSpec, fold_value
from core_practice_twenty.source.values import (
    EMAIL,
    INTEGER,
    MONEY,
    POSTCODE_DIGITS,
    Region,
    country_alpha2,
    parse_datetime_series,
    region_subdivisions,
)
from core_practice_twenty.validation.context import ValidationContext

PAST_ONLY = frozenset({
    "created_at", "updated_at", "date_of_birth", "paid_at", "first_visit_date", "last_visit_date", "first_seen",
    "last_seen", "uploaded_at", "note_date", "invoice_date", "claim_date", "accepted_date", "completed_date",
    "proposed_date",
})
"""Date columns that record something that has happened: a value after the export date is suspect."""

EARLIEST_PLAUSIBLE = pd.Timestamp("1900-01-01")

REJECT_ON_BAD_VALUE = frozenset({"patients.date_of_birth"})
"""Nullable columns whose unreadable value still rejects the row (the record is unusable without it)."""


@dataclass(frozen=True)
class Issue:
    """One rule failing on one row."""

    object: str
    source_key: str | None
    source_file: str | None
    source_line: int | None
    rule: str
    column: str | None
    severity: Severity


def severity_of(spec: ObjectSpec, column: ColumnSpec | None, rule: str) -> Severity:
    """Reject what cannot be loaded meaningfully; warn (load and flag) what the mapping can repair."""
    kind = rule.split(":", 1)[0]
    if kind in {"required", "duplicate_key"}:
        return Severity.REJECT
    if column is None:
        return Severity.WARN
    qualified = f"{spec.name}.{column.name}"
    if kind == "orphan_reference":  # a record that must belong to something that is not in the export
        return Severity.REJECT if not column.nullable else Severity.WARN
    essential = not column.nullable or column.required or qualified in REJECT_ON_BAD_VALUE
    if essential and kind in {"invalid_date", "impossible_date", "money_format", "integer_format", "value_set"}:
        return Severity.REJECT
    return Severity.WARN


def _present(series: pd.Series) -> pd.Series:
    return series.notna()


def _text(series: pd.Series) -> pd.Series:
    return series.astype("str")


def _column_checks(spec: ObjectSpec, column: ColumnSpec, ctx: ValidationContext) -> list[pa.Check]:
    """Vectorised checks for one column: each returns True where the cell is acceptable (or empty)."""
    name = column.name
    checks: list[pa.Check] = []

    def check(rule: str, fn) -> None:
        checks.append(pa.Check(fn, name=f"{rule}:{name}", element_wise=False))

    if column.values:
        allowed = {fold_value(v) for v in column.values} | {k for k, _ in column.value_aliases}
        check("value_set", lambda s: ~_present(s) | _text(s).str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True)
              .str.strip().isin(allowed))
    if column.type in (ColumnType.DATE, ColumnType.DATETIME):
        order = ctx.date_order
        export_day = pd.Timestamp(ctx.export_date) + pd.Timedelta(days=1)

        def parsed(s: pd.Series) -> pd.Series:
            return parse_datetime_series(s, order)

        def bad_date(s: pd.Series) -> pd.Series:
            text = _text(s)
            unparsed = _present(s) & parsed(s).isna()
            # 31/02/2020 has the shape of a date: impossible, not unreadable
            shaped = text.str.match(r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")
            return ~(unparsed & ~shaped)

        def impossible(s: pd.Series) -> pd.Series:
            text = _text(s)
            values = parsed(s)
            shaped_unparsed = _present(s) & values.isna() & text.str.match(r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")
            too_old = values.notna() & (values < EARLIEST_PLAUSIBLE)
            unborn = values.notna() & (values >= export_day) if name == "date_of_birth" else False
            return ~(shaped_unparsed | too_old | unborn)

        check("invalid_date", bad_date)
        check("impossible_date", impossible)
        if name in PAST_ONLY and name != "date_of_birth":
            check("future_date", lambda s: ~(parsed(s).notna() & (parsed(s) >= export_day)))
    elif column.type is ColumnType.MONEY:
        check("money_format", lambda s: ~_present(s) | _text(s).str.replace(" ", "").str.fullmatch(MONEY.pattern))
    elif column.type is ColumnType.INTEGER:
        check("integer_format", lambda s: ~_present(s) | _text(s).str.fullmatch(INTEGER.pattern))
    elif column.type is ColumnType.BOOLEAN:
        check("boolean_format", lambda s: ~_present(s) | _text(s).str.lower().isin(
            ["true", "false", "yes", "no", "y", "n", "1", "0", "t", "f"]))
    elif column.type is ColumnType.EMAIL:
        check("email_format", lambda s: ~_present(s) | _text(s).str.fullmatch(EMAIL.pattern))
    elif column.type is ColumnType.PHONE:
        digits = r"^\+?[\d\s().\-/]{6,24}(\s*(ext\.?|x|#)\s*\d{1,6})?$"
        check("phone_format", lambda s: ~_present(s) | _text(s).str.lower().str.fullmatch(digits))
    elif column.type is ColumnType.CODES:
        check("code_format", lambda s: ~_present(s) | _text(s).str.fullmatch(
            r"[A-Za-z0-9.\-]+(\s*[;,]\s*[A-Za-z0-9.\-]+)*"))
    return checks


def _address_checks(spec: ObjectSpec, ctx: ValidationContext) -> list[pa.Check]:
    """State and postcode rules read the row's country: foreign addresses are not held to the region's lists."""
    state = next((c for c in spec.columns if c.type is ColumnType.STATE), None)
    postcode = next((c for c in spec.columns if c.type is ColumnType.POSTCODE), None)
    country = next((c for c in spec.columns if c.type is ColumnType.COUNTRY), None)
    if not (state or postcode or country):
        return []
    region: Region = ctx.region
    accepted_states = set(region_subdivisions(region))
    width = POSTCODE_DIGITS[region]
    country_cache: dict[str, str | None] = {}

    def domestic(frame: pd.DataFrame) -> pd.Series:
        if country is None:
            return pd.Series(True, index=frame.index)
        codes = frame[country.name].map(
            lambda v: None if v is None or pd.isna(v) else country_cache.setdefault(v, country_alpha2(v)))
        return codes.isna() | (codes == region.value)

    checks: list[pa.Check] = []
    if state:
        def state_ok(frame: pd.DataFrame) -> pd.Series:
            values = frame[state.name]
            folded = _text(values).str.strip().str.lower().str.rstrip(".")
            return ~(values.notna() & domestic(frame) & ~folded.isin(accepted_states))
        checks.append(pa.Check(state_ok, name=f"invalid_state:{state.name}"))
    if postcode:
        def lost_zero(frame: pd.DataFrame) -> pd.Series:
            text = _text(frame[postcode.name]).str.strip()
            short = text.str.fullmatch(rf"\d{{1,{width - 1}}}")
            return ~(frame[postcode.name].notna() & domestic(frame) & short)

        def postcode_ok(frame: pd.DataFrame) -> pd.Series:
            text = _text(frame[postcode.name]).str.strip()
            pattern = r"\d{5}(-\d{4})?" if region is Region.US else rf"\d{{{width}}}"
            good = text.str.fullmatch(pattern) | text.str.fullmatch(rf"\d{{1,{width - 1}}}")
            return ~(frame[postcode.name].notna() & domestic(frame) & ~good)
        checks.append(pa.Check(lost_zero, name=f"postcode_lost_zero:{postcode.name}"))
        checks.append(pa.Check(postcode_ok, name=f"postcode_format:{postcode.name}"))
    if country:
        def country_known(frame: pd.DataFrame) -> pd.Series:
            values = frame[country.name]
            codes = values.map(lambda v: None if v is None or pd.isna(v) else country_cache.setdefault(
                v, country_alpha2(v)))
            return ~(values.notna() & codes.isna())

        def foreign(frame: pd.DataFrame) -> pd.Series:
            values = frame[country.name]
            return ~(values.notna() & ~domestic(frame))
        checks.append(pa.Check(country_known, name=f"country:{country.name}"))
        if spec.name == "patients":
            checks.append(pa.Check(foreign, name="international_address"))
    return checks


def raw_schema(spec: ObjectSpec, ctx: ValidationContext) -> pa.DataFrameSchema:
    """The row rules of one raw table. Key uniqueness is checked across chunks in SQL, not here."""
    columns = {
        column.name: pa.Column(
            dtype=None,
            nullable=column.nullable,
            required=False,
            checks=_column_checks(spec, column, ctx),
        )
        for column in spec.columns
    }
    return pa.DataFrameSchema(columns, checks=_address_checks(spec, ctx), name=f"raw_{spec.name}", strict=False)


def _rule_of(case: pd.Series) -> tuple[str, str | None]:
    check = str(case["check"])
    column = case["column"] if isinstance(case["column"], str) else None
    if check == "not_nullable":
        return f"required:{column}", column
    if ":" in check:
        return check, check.split(":", 1)[1]
    return check, column


def row_issues(frame: pd.DataFrame, spec: ObjectSpec, ctx: ValidationContext,
               schema: pa.DataFrameSchema | None = None) -> list[Issue]:
    """Run the schema on one chunk of raw rows (lineage columns included) and list the failing cells."""
    schema = schema or raw_schema(spec, ctx)
    frame = frame.reset_index(drop=True)
    issues: list[Issue] = []
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()] if "index" in cases else cases
        seen: set[tuple[int, str]] = set()
        for case in cases.itertuples(index=False):
            row = dict(zip(cases.columns, case, strict=True))
            index = int(row["index"])
            rule, column_name = _rule_of(pd.Series(row))
            if (index, rule) in seen:
                continue
            seen.add((index, rule))
            column = spec.column(column_name) if column_name in spec.column_names else None
            issues.append(_issue(frame, index, spec, rule, column))
    issues.extend(_ragged(frame, spec))
    return issues


def _issue(frame: pd.DataFrame, index: int, spec: ObjectSpec, rule: str, column: ColumnSpec | None) -> Issue:
    record = frame.iloc[index]
    present = all(record[k] is not None and not pd.isna(record[k]) for k in spec.key)
    key = "|".join(str(record[k]) for k in spec.key) if present else None
    return Issue(spec.name, key, record.get("source_file"), int(record["source_line"]), rule,
                 column.name if column else None, severity_of(spec, column, rule))


def _ragged(frame: pd.DataFrame, spec: ObjectSpec) -> Iterable[Issue]:
    if "extra" not in frame:
        return []
    marked = frame["extra"].astype("str").str.contains('"_overflow"', regex=False, na=False)
    return [_issue(frame, int(i), spec, "ragged_row", None) for i in frame.index[marked]]
