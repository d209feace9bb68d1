"""Typed reading of export text by region."""

from datetime import date, datetime

import pandas as pd

from core_practice_twenty.source.values import (
    DateOrder,
    Region,
    detect_date_order,
    is_ambiguous_date,
    parse_date,
    parse_datetime,
    parse_datetime_series,
    parse_money,
    postcode_lost_zero,
    region_subdivisions,
)


def test_ambiguous_dates_follow_the_region_and_unambiguous_ones_do_not_need_it() -> None:
    assert parse_date("03/04/2025", DateOrder.DMY) == date(2025, 4, 3)
    assert parse_date("03/04/2025", DateOrder.MDY) == date(2025, 3, 4)
    assert is_ambiguous_date("03/04/2025") and not is_ambiguous_date("24/11/2026")
    assert parse_date("2025-04-03", DateOrder.MDY) == date(2025, 4, 3)
    assert parse_date("44927", DateOrder.DMY) == date(2023, 1, 1)  # Excel serial
    assert parse_date("31/02/2020", DateOrder.DMY) is None
    assert parse_datetime("11/24/2026 05:30 PM", DateOrder.MDY) == datetime(2026, 11, 24, 17, 30)


def test_date_order_detection_needs_proof() -> None:
    assert detect_date_order(["03/04/2025", "24/11/2026"]) is DateOrder.DMY
    assert detect_date_order(["11/24/2026"]) is DateOrder.MDY
    assert detect_date_order(["03/04/2025"]) is None


def test_vectorised_parse_matches_the_scalar_one() -> None:
    texts = ["03/04/2025", "2025-01-02", "44927", "31/02/2020", None, "24/11/2026 17:30", "24/11/2026 5:30 pm"]
    series = parse_datetime_series(pd.Series(texts, dtype="object"), DateOrder.DMY)
    for text, parsed in zip(texts, series, strict=True):
        expected = parse_datetime(text, DateOrder.DMY)
        assert (pd.isna(parsed) and expected is None) or parsed.to_pydatetime() == expected


def test_money_states_and_postcodes() -> None:
    assert parse_money("1,234.50") == 1234.5 and parse_money("(12.00)") == -12.0 and parse_money("12a") is None
    assert region_subdivisions(Region.AU)["nsw"] == "NSW"
    assert region_subdivisions(Region.US)["california"] == "CA"
    assert postcode_lost_zero("800", Region.AU) and not postcode_lost_zero("0800", Region.AU)
    assert postcode_lost_zero("2108", Region.US)
