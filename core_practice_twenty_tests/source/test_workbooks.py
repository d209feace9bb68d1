"""Workbooks as a person lays them out in Excel: a title row, an Invoice ID merged down over its payments, codes
typed as numbers, dates as date cells. Made by hand with openpyxl (as Excel saves them), landed as the pipeline
lands them; every row keeps its own line."""

from __future__ import annotations

import datetime
from pathlib import Path

import openpyxl

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
