"""Workbooks as a person lays them out in Excel: a title row, an Invoice ID merged down over its payments, codes
typed as numbers, dates as date cells. Made by hand with openpyxl (as Excel saves them), landed as the pipeline
lands them; every row keeps its own line."""

from __future__ import annotations

import csv
import datetime
import json
from pathlib import Path

import openpyxl

from core_practice_twenty.mapping.field_map import to_options
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.raw import land_object, read_raw


def test_a_vertically_merged_cell_belongs_to_every_row_it_spans(tmp_path: Path, warehouse) -> None:
    export = tmp_path / "snap"
    export.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Payments report — Kauri Dental"])  # a title row above the header
    sheet.append(["Invoice ID", "Payment ID", "Patient ID", "Paid At", "Amount", "Method", "Reference"])
    sheet.append(["INV-7", "PM-1", "P1", datetime.datetime(2024, 3, 4, 9, 30), 50, "EFTPOS", "first"])
    sheet.append([None, "PM-2", "P1", datetime.date(2024, 3, 11), 25.5, "Cash", None])
    sheet.append([None, "PM-3", "P1", datetime.date(2024, 3, 18), 10, "Cash", None])
    sheet.append(["INV-8", "PM-4", "P2", datetime.date(2024, 4, 1), 80, "Card", "second"])
    sheet.append(["INV-9", "PM-5", "P3", datetime.date(2024, 4, 2), 12, "Card", None])
    sheet.merge_cells("A3:A5")  # one invoice, three payments, as a person lays out a report
    sheet.merge_cells("G6:G7")  # a note merged over two rows of another column
    sheet.merge_cells("B8:D8")  # a horizontal merge in a row of its own: not spread across the columns
    sheet["B8"] = "Totals"
    book.save(export / "payments.xlsx")

    land_object(warehouse, EXPORT_SPEC["payments"], export, wave="w", snapshot_id="s")
    rows = read_raw(warehouse, EXPORT_SPEC["payments"], "w").sort_values("source_line")
    by_payment = {r.payment_id: r for r in rows.itertuples()}
    assert {p: by_payment[p].invoice_id for p in ("PM-1", "PM-2", "PM-3", "PM-4", "PM-5")} == {
        "PM-1": "INV-7", "PM-2": "INV-7", "PM-3": "INV-7", "PM-4": "INV-8", "PM-5": "INV-9"}
    assert [by_payment[p].source_line for p in ("PM-1", "PM-2", "PM-3")] == [3, 4, 5]  # the sheet's row numbers
    assert (by_payment["PM-4"].reference, by_payment["PM-5"].reference) == ("second", "second")
    assert by_payment["PM-1"].reference == "first" and by_payment["PM-2"].reference is None
    assert by_payment["PM-2"].amount == "25.5" and by_payment["PM-1"].amount == "50"
    assert by_payment["PM-1"].paid_at == "2024-03-04 09:30:00" and by_payment["PM-2"].paid_at == "2024-03-11"
    totals = rows[rows.payment_id == "Totals"]
    assert totals.empty or totals.iloc[0].patient_id is None  # Totals stays in its first cell


def _book(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def _landed(warehouse, export: Path, wave: str) -> tuple[str, list[tuple]]:
    stats = land_object(warehouse, EXPORT_SPEC["practices"], export, wave=wave, snapshot_id="s")
    with warehouse.connect() as conn:
        rows = conn.execute("select * exclude (wave, snapshot_id, source_file) from raw_practices where wave = ? "
                            "order by source_line", [wave]).fetchall()
    return stats.path, rows


def test_a_workbook_lands_what_the_same_rows_as_csv_land(tmp_path: Path, warehouse) -> None:
    """The workbook is read straight into the SQL the CSV path runs: every value, line and row hash as the line-by-line
    reader gives them (a blank row, padded cells, a null spelling, a line break). A value right of the header's last
    name (no column holds it) sends the file the line-by-line way, where it is kept and the row reported as ragged."""
    header = ["Practice ID", "Practice Name", "Phone", "Suburb", "State", "Postcode"]
    data = [["PR1", "  Kauri Dental ", "09 555 0101", "Ponsonby", "Auckland", "1011"],
            [None, None, None, None, None, None],  # a blank row: skipped, the lines after keep their numbers
            ["PR2", "Tui, Smile & Co", "n/a", " Grey Lynn ", None, "0626"],
            ["PR3", "Line\nbreak", None, "Karori", "Wellington", "6012"]]
    csv_export, xlsx_export, wide_export = (tmp_path / name for name in ("csv", "xlsx", "wide"))
    for folder in (csv_export, xlsx_export, wide_export):
        folder.mkdir()
    _book(xlsx_export / "practices.xlsx", [["Practice list"], header, *data])

    from core_practice_twenty_tests.mapping.hand_made import write_report  # noqa: F401  (a report as text)

    with (csv_export / "practices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["Practice list"])
        writer.writerow(header)
        writer.writerows([["" if c is None else c for c in row] for row in data])
    csv_path, csv_rows = _landed(warehouse, csv_export, "csv")
    xlsx_path, xlsx_rows = _landed(warehouse, xlsx_export, "xlsx")
    assert (xlsx_path, csv_path) == ("workbook", "duckdb")
    assert xlsx_rows == csv_rows and [r[0] for r in xlsx_rows] == [3, 5, 6]

    _book(wide_export / "practices.xlsx", [["Practice list"], header, *data, ["PR4", "Wide", *[None] * 4, "aside"]])
    wide_path, wide_rows = _landed(warehouse, wide_export, "wide")
    assert wide_path == "python"  # the same values and lines (the hash reads the sheet's wider rows), and the aside
    assert [r[:1] + r[2:] for r in wide_rows[:3]] == [r[:1] + r[2:] for r in csv_rows]
    assert "aside" in str(wide_rows[3])


def test_a_name_merged_across_header_columns_names_each_column_under_it(tmp_path: Path, warehouse) -> None:
    """`Address` merged over three columns, as a person lays out a report: each column under it has a name (the
    second `Address 2`, the third `Address 3`), so its values land (in a column, or as the practice's own) and the
    proposer sees them; nothing under the merge is lost."""
    from core_practice_twenty.mapping.field_map.headers import read_headers

    export = tmp_path / "snap"
    export.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Practice locations"])
    sheet.append(["Practice ID", "Practice Name", "Address", None, None, "State", "Postcode"])
    sheet.append(["PR1", "Kauri Dental", "12 Queen St", "Level 2", "Grey Lynn", "Auckland", "1021"])
    sheet.merge_cells("C2:E2")
    book.save(export / "practices.xlsx")

    headers = read_headers(export / "practices.xlsx", EXPORT_SPEC["practices"])
    assert headers.headers == ("Practice ID", "Practice Name", "Address", "Address 2", "Address 3", "State",
                               "Postcode")
    land_object(warehouse, EXPORT_SPEC["practices"], export, wave="plain", snapshot_id="s")
    plain = read_raw(warehouse, EXPORT_SPEC["practices"], "plain").iloc[0]
    assert plain.address_line1 == "12 Queen St" and {"Address 2": "Level 2", "Address 3": "Grey Lynn"}.items() <= \
        json.loads(plain.extra).items()  # without a map: the practice's own columns, under the merge's names

    proposed = {e.header: e for e in _proposal(export).objects["practices"].columns}
    assert proposed["Address 2"].column == ("address_line2",)  # the proposer reads the same names
    overrides = to_options(_proposal(export)).extra["header_overrides"].get("practices", {})
    land_object(warehouse, EXPORT_SPEC["practices"], export, wave="mapped", snapshot_id="s",
                header_overrides=overrides)
    mapped = read_raw(warehouse, EXPORT_SPEC["practices"], "mapped").iloc[0]
    assert (mapped.address_line1, mapped.address_line2) == ("12 Queen St", "Level 2")
    assert json.loads(mapped.extra) == {"Address 3": "Grey Lynn"}


def _proposal(export: Path):
    """The map the proposer makes for an export that has only its practices file made by hand."""
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty_tests.mapping.hand_made import hand_made_export

    full = hand_made_export(export.parent / "full", {})
    (full / "practices.csv").unlink()
    (full / "practices.xlsx").write_bytes((export / "practices.xlsx").read_bytes())
    return propose(full)


def test_a_value_under_an_empty_header_cell_is_kept_and_reported(tmp_path: Path, warehouse) -> None:
    """A column a person left without a name, between named ones, in a CSV and in a workbook: the value under it
    is kept with its row (the row's overflow) and validation reports the row as ragged; the rows around it land as
    they are."""
    from core_practice_twenty.source.values import Region
    from core_practice_twenty.validation.context import ValidationContext
    from core_practice_twenty.validation.run import validate_rows

    header = ["Practice ID", "Practice Name", "", "Phone"]
    data = [["PR1", "Kauri Dental", "", "09 555 0101"], ["PR2", "Tui Dental", "call first", "09 555 0102"]]
    for kind in ("csv", "xlsx"):
        export = tmp_path / kind
        export.mkdir()
        if kind == "csv":
            with (export / "practices.csv").open("w", encoding="utf-8", newline="") as handle:
                csv.writer(handle, lineterminator="\r\n").writerows([header, *data])
        else:
            _book(export / "practices.xlsx", [header, *data])
        land_object(warehouse, EXPORT_SPEC["practices"], export, wave=kind, snapshot_id="s")
        rows = {r.practice_id: r for r in read_raw(warehouse, EXPORT_SPEC["practices"], kind).itertuples()}
        assert rows["PR1"].extra is None and rows["PR1"].phone == "09 555 0101"
        assert "call first" in rows["PR2"].extra and rows["PR2"].phone == "09 555 0102"
        with warehouse.connect() as conn:
            validate_rows(conn, EXPORT_SPEC["practices"], kind, ValidationContext.for_export(export, Region.NZ))
            found = conn.execute("select source_key, rule from validation_issues where wave = ? and rule = "
                                 "'ragged_row'", [kind]).fetchall()
        assert found == [("PR2", "ragged_row")], kind
