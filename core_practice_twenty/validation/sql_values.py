"""SQL forms of the readers in `source/values.py`, so row rules run inside DuckDB over millions of rows.

Nothing here invents a format or a pattern: formats come from `values.ISO_FORMATS`, the region's
slashed formats and `values.TIME_SUFFIXES`; patterns from `values.MONEY`, `INTEGER`, `EMAIL`,
`EXCEL_SERIAL`. What this module adds is only what DuckDB needs to read a value exactly as
`values.parse_datetime` does: DuckDB's `%Y` also takes a 2-digit year (Python's needs 4), so a
slashed date with a 4-digit year is tried with the `%Y` formats only, one with a 2-digit year with the
`%y` formats only, and anything else is not tried at all. `test_sql_values.py` (validation tests)
proves the two readers agree.
"""

from __future__ import annotations

from core_practice_twenty.source.values import (
    EXCEL_EPOCH,
    EXCEL_SERIAL,
    ISO_FORMATS,
    TIME_SUFFIXES,
    DateOrder,
    slashed_date_formats,
)

DATE_SHAPE = r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}"
"""Text that looks like a date: one that does not parse (31/02/2020) is impossible rather than unreadable."""

_ISO_START = r"^\d{4}[\-/]"
_SLASHED_START = r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{%d}(\s|$)"


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join(sql_string(v) for v in values) + "]"


def regex_sql(pattern: str) -> str:
    """A Python pattern as an RE2 literal for DuckDB (the patterns used here are in the common subset)."""
    return sql_string(pattern)


def parse_datetime_sql(value: str, order: DateOrder) -> str:
    """SQL timestamp expression equal to `values.parse_datetime(value, order)`: NULL where it would be None.

    `value` is a SQL expression over trimmed text (landing trims every cell).
    """
    slashed = slashed_date_formats(order)
    two_digit_years = [b + s for b in slashed if b.endswith("%y") for s in TIME_SUFFIXES]
    four_digit_years = [b + s for b in slashed if not b.endswith("%y") for s in TIME_SUFFIXES]
    serial = f"try_cast({value} as double)"
    epoch = f"timestamp '{EXCEL_EPOCH.isoformat()}'"
    return (
        f"case when regexp_full_match({value}, {regex_sql(EXCEL_SERIAL.pattern)}) then "
        f"(case when {serial} >= 1 and {serial} < 80000 then "
        f"{epoch} + to_microseconds(round({serial} * 86400000000)::bigint) end) "
        f"when regexp_matches({value}, {regex_sql(_ISO_START)}) then try_strptime({value}, {sql_list(ISO_FORMATS)}) "
        f"when regexp_matches({value}, {regex_sql(_SLASHED_START % 4)}) then "
        f"try_strptime({value}, {sql_list(four_digit_years)}) "
        f"when regexp_matches({value}, {regex_sql(_SLASHED_START % 2)}) then "
        f"try_strptime({value}, {sql_list(two_digit_years)}) end"
    )
