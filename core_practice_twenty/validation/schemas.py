"""Row rules: derived from the export spec, evaluated in DuckDB, reported through pandera, without values.

One table of truth: `row_rules` turns `EXPORT_SPEC` (types, required, value sets) and the export's
region into a list of `RowRule`s, each a name and a SQL predicate that is true where a row breaks
it. Patterns and date formats are not restated here: they come from `source/values.py` (through
`sql_values`), value sets and boolean spellings from `source/export_spec.py`.

Why SQL: the rules read every cell of a dental group's export (millions of rows). DuckDB evaluates
them in one parallel pass per raw table, next to the data, in bounded memory; pandas chunks with
per-format date parsing took minutes. Why pandera still: `raw_schema` is the pandera view of the same
rules (one boolean column per rule, one check each) and validates the rule-result frame of the rows
that fail something, chunk by chunk; its failure cases become the `Issue`s. Rows that pass every
rule never leave DuckDB. An `Issue` carries the rule, source line and source key; never the value,
which may be health data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pandera.pandas as pa

from core_practice_twenty.model.issues import Issue, Severity
from core_practice_twenty.source.export_spec import (
    FALSE_VALUES,
    PAST_ONLY,
    PROCEDURE_CODE_COLUMNS,
    TRUE_VALUES,
    ColumnSpec,
    ColumnType,
    ObjectSpec,
    fold_value,
)
from core_practice_twenty.source.readers import CP1252_LINE_KEY, NOT_UTF8_KEY, OVERFLOW_KEY
from core_practice_twenty.source.values import (
    CODE_SEPARATOR,
    EMAIL,
    INTEGER,
    MONEY,
    POSTCODE_DIGITS,
    REGION_FACTS,
    TWO_DIGIT_YEAR,
    Region,
    code_patterns,
    region_subdivisions,
)
from core_practice_twenty.store.rule_reads import SOURCE_KEY, quoted
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.sql_values import DATE_SHAPE, parse_datetime_sql, regex_sql, sql_string

EARLIEST_PLAUSIBLE = date(1900, 1, 1)

REJECT_ON_BAD_VALUE = frozenset({"patients.date_of_birth"})
"""Nullable columns whose unreadable value still rejects the row (the record is unusable without it)."""

PHONE = r"^\+?[\d\s().\-/]{6,24}(\s*(ext\.?|x|#)\s*\d{1,6})?$"
"""A phone as practices type it (digits, spaces, brackets, an extension); read after lower-casing."""
CODES = r"^[A-Za-z0-9.\-]+(\s*[;,]\s*[A-Za-z0-9.\-]+)*$"
"""Several procedure codes or teeth in one cell, separated by `;` (or `,`)."""



@dataclass(frozen=True)
class RowRule:
    """One row rule of one object: the name it is reported under and the SQL that finds the rows breaking it.

    `fails` reads one row of the raw table (canonical column names, `extra`) plus the derived columns of
    `derived_columns`, and is true where the row breaks the rule (NULL counts as passing).
    """

    name: str
    column: ColumnSpec | None
    fails: str
    severity: Severity


def severity_of(spec: ObjectSpec, column: ColumnSpec | None, rule: str) -> Severity:
    """Reject what cannot be loaded meaningfully; warn (load and flag) what the mapping can repair."""
    kind = rule.split(":", 1)[0]
    if kind in {"required", "duplicate_key", "not_utf8"}:  # not_utf8: its cells cannot be trusted
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


def parsed_date_column(column: ColumnSpec) -> str:
    """Name of the derived column holding a date column's parsed timestamp."""
    return f"__parsed_{column.name}"


def country_code_column(column: ColumnSpec) -> str:
    """Name of the derived column holding a country cell's ISO alpha-2 code (NULL when unknown)."""
    return f"__alpha2_{column.name}"


def _of_type(spec: ObjectSpec, type_: ColumnType) -> ColumnSpec | None:
    return next((c for c in spec.columns if c.type is type_), None)


def country_column(spec: ObjectSpec) -> ColumnSpec | None:
    """The column whose country decides whether an address is held to the region's states and postcodes."""
    return _of_type(spec, ColumnType.COUNTRY)


def derived_columns(spec: ObjectSpec, ctx: ValidationContext) -> dict[str, str]:
    """Values computed once per row before the rules read them (parsed dates, country codes).

    The country code is looked up in `COUNTRY_CODES` (joined by the runner as `cc_<column>`).
    """
    derived = {
        parsed_date_column(c): parse_datetime_sql(quoted(c.name), ctx.date_order, c.type is ColumnType.DATETIME,
                                                  ctx.export_date, c.name in PAST_ONLY)
        for c in spec.columns if c.type in (ColumnType.DATE, ColumnType.DATETIME)
    }
    country = country_column(spec)
    if country:
        derived[country_code_column(country)] = f"cc_{country.name}.alpha2"
    return derived


def _in(expression: str, values: set[str] | frozenset[str]) -> str:
    return f"{expression} in ({', '.join(sql_string(v) for v in sorted(values))})"


def _column_rules(spec: ObjectSpec, column: ColumnSpec, ctx: ValidationContext) -> list[tuple[str, str]]:
    """(rule name, SQL true where the cell breaks it) for one column; an empty cell breaks only `required`."""
    value = quoted(column.name)
    present = f"{value} is not null"
    name = column.name
    rules: list[tuple[str, str]] = []
    if not column.nullable:
        rules.append((f"required:{name}", f"{value} is null"))
    if column.values:
        allowed = {fold_value(v) for v in column.values} | {k for k, _ in column.value_aliases}
        folded = f"trim(regexp_replace(lower({value}), '[^a-z0-9]+', ' ', 'g'))"
        # a canonical spelling folds into the set: checked first, it spares most cells the regex
        rules.append((f"value_set:{name}", f"{present} and not ({_in(value, set(column.values))} or "
                                           f"{_in(folded, allowed)})"))
    if column.type in (ColumnType.DATE, ColumnType.DATETIME):
        parsed = quoted(parsed_date_column(column))
        export_day = sql_string((ctx.export_date + timedelta(days=1)).isoformat())
        unparsed = f"{present} and {parsed} is null"
        # 31/02/2020 has the shape of a date: impossible, not unreadable
        shaped = f"regexp_matches({value}, {regex_sql(DATE_SHAPE)})"
        impossible = [f"({unparsed} and {shaped})", f"{parsed} < {sql_string(EARLIEST_PLAUSIBLE.isoformat())}"]
        if name == "date_of_birth":  # born after the export was taken
            impossible.append(f"{parsed} >= {export_day}")
        rules.append((f"invalid_date:{name}", f"{unparsed} and not {shaped}"))
        # 6/19/52: the century was chosen by meaning (values.four_digit_year); a person sees which line
        rules.append((f"two_digit_year:{name}", f"{parsed} is not null and "
                                                f"regexp_matches({value}, {regex_sql(TWO_DIGIT_YEAR.pattern)})"))
        rules.append((f"impossible_date:{name}", " or ".join(impossible)))
        if name in PAST_ONLY and name != "date_of_birth":
            rules.append((f"future_date:{name}", f"{parsed} >= {export_day}"))
    elif column.type is ColumnType.MONEY:
        rules.append((f"money_format:{name}",
                      f"{present} and not regexp_full_match(replace({value}, ' ', ''), {regex_sql(MONEY.pattern)})"))
    elif column.type is ColumnType.INTEGER:
        rules.append((f"integer_format:{name}", f"{present} and not regexp_full_match({value}, "
                                                f"{regex_sql(INTEGER.pattern)})"))
    elif column.type is ColumnType.BOOLEAN:
        spellings = TRUE_VALUES | FALSE_VALUES
        rules.append((f"boolean_format:{name}", f"{present} and not {_in(f'lower({value})', spellings)}"))
    elif column.type is ColumnType.EMAIL:
        rules.append((f"email_format:{name}", f"{present} and not regexp_full_match({value}, "
                                              f"{regex_sql(EMAIL.pattern)})"))
    elif column.type is ColumnType.PHONE:
        rules.append((f"phone_format:{name}", f"{present} and not regexp_full_match(lower({value}), "
                                              f"{regex_sql(PHONE)})"))
    elif column.type is ColumnType.CODES:
        rules.append((f"code_format:{name}", f"{present} and not regexp_full_match({value}, {regex_sql(CODES)})"))
    if (spec.name, name) in PROCEDURE_CODE_COLUMNS:
        rules.append((f"procedure_code:{name}", f"{present} and {_unreadable_code(value, ctx.region)}"))
    return rules


def _unreadable_code(value: str, region: Region) -> str:
    """True where a code of the cell is not one of the region's and cannot be restored (`values.procedure_code`):
    `D120`, `7`, `Exam` in a US export; the mapping keeps it as written and a person decides."""
    system = REGION_FACTS[region].procedure_codes
    whole, digits = code_patterns(system)
    code = "trim(t)"
    fits = (f"regexp_full_match(upper({code}), {regex_sql(whole)}) or (regexp_full_match({code}, {regex_sql(digits)}) "
            f"and try_cast({code} as integer) >= {system.lowest})")
    tokens = f"list_filter(string_split_regex({value}, {regex_sql(CODE_SEPARATOR.pattern)}), lambda t: {code} <> '')"
    return f"list_bool_or(list_transform({tokens}, lambda t: not ({fits})))"


def _address_rules(spec: ObjectSpec, ctx: ValidationContext) -> list[tuple[str, str]]:
    """State and postcode rules read the row's country: an address is held to its own country's lists where the
    region table has them (an AU address in an NZ export: AU states, 4-digit postcodes), else to none."""
    state = _of_type(spec, ColumnType.STATE)
    postcode = _of_type(spec, ColumnType.POSTCODE)
    country = country_column(spec)
    region: Region = ctx.region
    code = quoted(country_code_column(country)) if country else None
    domestic = f"({code} is null or {code} = {sql_string(region.value)})" if code else "true"
    own = f"coalesce({code}, {sql_string(region.value)})" if code else sql_string(region.value)

    def per_country(condition: Callable[[Region], str]) -> str:
        return "(" + " or ".join(f"({own} = {sql_string(r.value)} and {condition(r)})" for r in Region) + ")"

    rules: list[tuple[str, str]] = []
    if state:
        value = quoted(state.name)
        folded = f"rtrim(lower(trim({value})), '.')"
        rules.append((f"invalid_state:{state.name}", f"{value} is not null and " + per_country(
            lambda r: f"not {_in(folded, set(region_subdivisions(r)))}")))
    if postcode:
        value = quoted(postcode.name)

        def short(r: Region) -> str:
            return f"regexp_full_match(trim({value}), '\\d{{1,{POSTCODE_DIGITS[r] - 1}}}')"

        def well_formed(r: Region) -> str:
            pattern = r"\d{5}(-\d{4})?" if r is Region.US else rf"\d{{{POSTCODE_DIGITS[r]}}}"
            return f"regexp_full_match(trim({value}), {regex_sql(pattern)})"

        rules.append((f"postcode_lost_zero:{postcode.name}", f"{value} is not null and " + per_country(short)))
        rules.append((f"postcode_format:{postcode.name}", f"{value} is not null and " + per_country(
            lambda r: f"not ({well_formed(r)} or {short(r)})")))
    if country:
        value = quoted(country.name)
        rules.append((f"country:{country.name}", f"{value} is not null and {code} is null"))
        if spec.name == "patients":
            rules.append(("international_address", f"{value} is not null and not {domestic}"))
    return rules


def row_rules(spec: ObjectSpec, ctx: ValidationContext) -> list[RowRule]:
    """Every row rule of one raw table, derived from the export spec. Key uniqueness is checked in SQL across
    the whole table by `cross_table.duplicate_keys`, not here."""
    named = [rule for column in spec.columns for rule in _column_rules(spec, column, ctx)]
    named += _address_rules(spec, ctx)
    for rule, key in (("ragged_row", OVERFLOW_KEY), ("not_utf8", NOT_UTF8_KEY), ("cp1252_line", CP1252_LINE_KEY)):
        named.append((rule, f"contains(extra::varchar, {sql_string(chr(34) + key + chr(34))})"))
    rules = []
    for name, fails in named:
        column_name = name.split(":", 1)[1] if ":" in name else None
        column = spec.column(column_name) if column_name in spec.column_names else None
        rules.append(RowRule(name, column, fails, severity_of(spec, column, name)))
    return rules


def raw_schema(spec: ObjectSpec, ctx: ValidationContext) -> pa.DataFrameSchema:
    """The pandera schema of a chunk of rule results: one boolean column per row rule, true where the row passes.

    The columns and checks are the rules of `row_rules`, one to one (check name = rule name), so the
    failure cases pandera reports are the issues.
    """
    return _result_schema(spec, row_rules(spec, ctx))


def _result_schema(spec: ObjectSpec, rules: list[RowRule]) -> pa.DataFrameSchema:
    columns = {
        "source_line": pa.Column(int, nullable=False, coerce=True),
        **{rule.name: pa.Column(bool, checks=pa.Check(lambda passed: passed, name=rule.name)) for rule in rules},
    }
    return pa.DataFrameSchema(columns, name=f"row_rules_{spec.name}", strict=False)


def row_issues(results: pd.DataFrame, spec: ObjectSpec, rules: list[RowRule],
               schema: pa.DataFrameSchema | None = None) -> list[Issue]:
    """Validate one chunk of rule results (lineage columns, `source_key`, one boolean per rule) with pandera
    and turn its failure cases into issues, in source-line order."""
    schema = schema or _result_schema(spec, rules)
    results = results.reset_index(drop=True)
    try:
        schema.validate(results, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    by_name = {rule.name: rule for rule in rules}
    order = {name: position for position, name in enumerate(by_name)}
    cases = cases[cases["index"].notna() & cases["check"].isin(by_name.keys())]
    failed = sorted({(int(i), str(c)) for i, c in zip(cases["index"], cases["check"], strict=True)},
                    key=lambda pair: (pair[0], order[pair[1]]))
    lines = results["source_line"].tolist()
    files = results["source_file"].tolist()
    keys = results[SOURCE_KEY].tolist()
    issues = []
    for index, name in failed:
        rule = by_name[name]
        key = keys[index]
        issues.append(Issue(spec.name, key if isinstance(key, str) else None, files[index], int(lines[index]),
                            rule.name, rule.column.name if rule.column else None, rule.severity))
    return issues
