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

from datetime import date

from core_practice_twenty.source.values import (
    EXCEL_EPOCH,
    EXCEL_SERIAL,
    ISO_FORMATS,
    TIME_SUFFIXES,
    TWO_DIGIT_YEAR,
    WINDOW_BEFORE,
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


def _first(formats: list[str], with_time: bool) -> list[str]:
    """The same formats, the likeliest for the column first: a failed attempt costs DuckDB ~7x a success.

    Reordering cannot change a result: within one list no two formats accept the same text (they differ in
    a literal: separator, `:` count, AM/PM, `T`), which `test_sql_values.py` checks.
    """
    def rank(fmt: str) -> tuple[int, int]:
        has_time = "%H" in fmt or "%I" in fmt
        return (0 if has_time == with_time else 1, 0 if fmt.endswith(("%H:%M", "%d", "%Y", "%y")) else 1)

    return sorted(formats, key=rank)


def date_format_lists(order: DateOrder, with_time: bool) -> dict[str, list[str]]:
    """The formats `parse_datetime` tries, split by the shape that selects them (ISO, 4- or 2-digit year)."""
    slashed = slashed_date_formats(order)
    return {
        "four_digit_year": _first([b + s for b in slashed if not b.endswith("%y") for s in TIME_SUFFIXES], with_time),
        "iso": _first(list(ISO_FORMATS), with_time),
        "two_digit_year": _first([b + s for b in slashed if b.endswith("%y") for s in TIME_SUFFIXES], with_time),
    }


def _four_digit_year_sql(two_digits: str, reference: date, past: bool) -> str:
    """`values.four_digit_year` in SQL (the modulo kept non-negative, as Python's is)."""
    if past:
        return f"({reference.year} - (({reference.year} - {two_digits}) % 100 + 100) % 100)"
    start = reference.year - WINDOW_BEFORE
    return f"({start} + ((({two_digits}) - {start}) % 100 + 100) % 100)"


def _two_digit_year_sql(value: str, lists: dict[str, list[str]], reference: date, past: bool) -> str:
    """A slashed date with a two-digit year, its year written out by meaning and read with the 4-digit formats."""
    pattern = regex_sql(TWO_DIGIT_YEAR.pattern)
    digits = f"cast(regexp_extract({value}, {pattern}, 2) as integer)"

    def with_year(year: str) -> str:
        text = (f"regexp_extract({value}, {pattern}, 1) || ({year})::varchar || "
                f"regexp_extract({value}, {pattern}, 3)")
        return f"try_strptime({text}, {sql_list(lists['four_digit_year'])})"

    year = _four_digit_year_sql(digits, reference, past)
    if not past:
        return with_year(year)
    first = with_year(year)
    return (f"case when {first}::date > date '{reference.isoformat()}' then {with_year(f'{year} - 100')} "
            f"else {first} end")


def parse_datetime_sql(value: str, order: DateOrder, with_time: bool = False, reference: date | None = None,
                       past: bool = False) -> str:
    """SQL timestamp expression equal to `values.parse_datetime(value, order, reference, past)`: NULL where it
    would be None.

    `value` is a SQL expression over trimmed text (landing trims every cell); `with_time` says whether the
    column usually holds a time (it only orders the attempts). The branches are exclusive (a slashed date
    with a 4- or 2-digit year, a 4-digit start, an Excel serial), so the most common come first: DuckDB
    evaluates a later branch only for the rows no earlier one took.
    """
    lists = date_format_lists(order, with_time)
    two_digit = (_two_digit_year_sql(value, lists, reference, past) if reference is not None
                 else f"try_strptime({value}, {sql_list(lists['two_digit_year'])})")
    serial = f"try_cast({value} as double)"
    epoch = f"timestamp '{EXCEL_EPOCH.isoformat()}'"
    return (
        f"case when regexp_matches({value}, {regex_sql(_SLASHED_START % 4)}) then "
        f"try_strptime({value}, {sql_list(lists['four_digit_year'])}) "
        f"when regexp_matches({value}, {regex_sql(_ISO_START)}) then try_strptime({value}, {sql_list(lists['iso'])}) "
        f"when regexp_matches({value}, {regex_sql(TWO_DIGIT_YEAR.pattern if reference else _SLASHED_START % 2)}) "
        f"then {two_digit} "
        f"when regexp_full_match({value}, {regex_sql(EXCEL_SERIAL.pattern)}) then "
        f"(case when {serial} >= 1 and {serial} < 80000 then "
        f"{epoch} + to_microseconds(round({serial} * 86400000000)::bigint) end) end"
    )
