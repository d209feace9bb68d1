"""Row rules derived from the export spec, reported without values."""

import pandas as pd

from core_practice_twenty.source.export_spec import PRACTICES
from core_practice_twenty.validation.schemas import validate_raw


def frame(*rows: dict) -> pd.DataFrame:
    base = {name: None for name in PRACTICES.column_names}
    return pd.DataFrame([{**base, "source_line": line, **row} for line, row in enumerate(rows, start=2)])


def test_clean_rows_pass() -> None:
    report = validate_raw(frame({"practice_id": "P1", "practice_name": "A", "country": "Australia"},
                                {"practice_id": "P2", "practice_name": "B", "country": "NZ"}), PRACTICES)
    assert report.passed
    assert report.rows_checked == 2


def test_each_rule_names_its_lines_and_keys_but_no_values() -> None:
    report = validate_raw(frame(
        {"practice_id": "P1", "practice_name": "Secret Clinic Name", "email": "front@desk.com.au"},
        {"practice_id": "P1", "practice_name": None, "email": "not-an-email", "country": "Narnia"},
    ), PRACTICES)
    assert not report.passed
    assert report.counts_by_rule() == {
        "country:country": 1,
        "duplicate_key:practice_id": 2,
        "email_format:email": 1,
        "required:practice_name": 1,
    }
    described = report.describe()
    assert "line(s) 3" in described
    assert "Narnia" not in described and "not-an-email" not in described and "Secret" not in described
