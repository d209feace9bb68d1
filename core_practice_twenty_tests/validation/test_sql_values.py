"""The SQL date reader the row rules use reads every value exactly as `values.parse_datetime` does."""

import itertools
from datetime import date

import duckdb
import pytest

from core_practice_twenty.source.values import TWO_DIGIT_YEAR, DateOrder, parse_datetime
from core_practice_twenty.validation.sql_values import date_format_lists, parse_datetime_sql


def corpus() -> list[str]:
    dates = [f"{a}{sep}{b}{sep}{y}" for a, b in itertools.product(["1", "01", "12", "13", "29", "31", "0"], repeat=2)
             for sep in "/-." for y in ("5", "20", "69", "020", "2020", "1850", "20201")]
    dates += ["2020-02-29", "2021-02-29", "2020-1-1", "2020/01/02", "2020-01-01T10:00:00", "2020-01-01T10:00",
              "2020-01-01 10:00:00", "2020-01-01 10:00", "2020-01-01T10:00:00Z", "20-01-01", "+2020-01-01"]
    times = ["", " 9:05", " 09:05", " 23:59:59", " 24:00", " 9:05 am", " 09:05 PM", " 12:00 AM", " 13:05 PM",
             " 9:05pm", " 10:00:00 AM", "  10:00", " 10:00 xyz"]
    values = [d + t for d in ("01/02/2020", "13/02/2020", "02/13/2020", "01/02/20", "31/12/1999") for t in times]
    serials = ["45000", "45000.5", "00001", "79999", "80000", "99999", "4500", "450000", "45000.", "1e5"]
    junk = ["", "n/a", "yesterday", "2020", "01/2020", "Jan 1 2020", "٠١/٠٢/٢٠٢٠", "01//02/2020"]
    return dates + values + serials + junk


@pytest.mark.parametrize("with_time", [False, True])
@pytest.mark.parametrize("order", list(DateOrder))
def test_sql_and_python_read_the_same_dates(order: DateOrder, with_time: bool) -> None:
    values = corpus()
    conn = duckdb.connect()
    conn.execute("create table t (v varchar)")
    conn.executemany("insert into t values (?)", [[v] for v in values])
    rows = conn.execute(f"select v, {parse_datetime_sql('v', order, with_time)} from t").fetchall()
    differ = {v: (sql, parse_datetime(v, order)) for v, sql in rows if sql != parse_datetime(v, order)}
    assert differ == {}
    assert sum(sql is not None for _, sql in rows) > 100  # the corpus exercises the formats, not only failures


@pytest.mark.parametrize("order", list(DateOrder))
def test_no_two_formats_of_a_list_accept_the_same_text(order: DateOrder) -> None:
    """Why the SQL reader may try the likeliest format first: the order of a list cannot change a result."""
    conn = duckdb.connect()
    conn.execute("create table t (v varchar)")
    conn.executemany("insert into t values (?)", [[v] for v in corpus()])
    for formats in date_format_lists(order, with_time=False).values():
        accepted = " + ".join(f"(try_strptime(v, '{f}') is not null)::int" for f in formats)
        assert conn.execute(f"select max({accepted}) from t").fetchone()[0] <= 1


@pytest.mark.parametrize("past", [True, False])
@pytest.mark.parametrize("reference", [date(2026, 12, 7), date(2000, 1, 1), date(2069, 6, 30)])
@pytest.mark.parametrize("order", list(DateOrder))
def test_two_digit_years_are_read_by_meaning_the_same_in_sql_and_python(order: DateOrder, reference: date,
                                                                         past: bool) -> None:
    """With the export date as reference, both readers write the year out the same way (and read everything
    else as before): around the turn of the century, on the reference day itself, on 29 February."""
    day = f"{reference.day}/{reference.month}" if order is DateOrder.DMY else f"{reference.month}/{reference.day}"
    values = corpus() + [f"{day}/{reference.year % 100:02d}", "29/02/00", "2/29/00", "6/19/52", "19/6/52",
                         "1/1/00 10:30", "12-31-99", "31.12.99", f"1/1/{(reference.year + 1) % 100:02d}"]
    conn = duckdb.connect()
    conn.execute("create table t (v varchar)")
    conn.executemany("insert into t values (?)", [[v] for v in values])
    rows = conn.execute(f"select v, {parse_datetime_sql('v', order, False, reference, past)} from t").fetchall()
    expected = {v: parse_datetime(v, order, reference, past) for v, _ in rows}
    assert {v: (sql, expected[v]) for v, sql in rows if sql != expected[v]} == {}
    resolved = [parsed for text, parsed in expected.items() if parsed and TWO_DIGIT_YEAR.match(text)]
    assert len(resolved) > 20
    if past:  # something that happened is never after the export date
        assert all(parsed.date() <= reference for parsed in resolved)
    else:
        assert all(reference.year - 80 <= parsed.year < reference.year + 20 for parsed in resolved)
