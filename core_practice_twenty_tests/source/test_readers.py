"""The export reader on the shapes real Core Practice reports come in."""

from pathlib import Path

import pytest

from core_practice_twenty.source.export_spec import PRACTICES
from core_practice_twenty.source.readers import ExportStructureError, find_export_file, open_export_file


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_banner_row_bom_crlf_and_aliases(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv",
                 "\ufeffCore Practice - Practice Locations Report\r\n"
                 "Location ID,Clinic Name,Suburb,Post Code,Website,Referral Partner\r\n"
                 "PR1,Smile Dental,Parramatta,2150,smile.com.au,Dr X\r\n")
    export = open_export_file(path, PRACTICES)
    assert export.encoding == "utf-8-sig"
    assert export.header_line == 2
    (row,) = list(export.rows())
    assert row.source_line == 3
    assert row.values["practice_id"] == "PR1"
    assert row.values["practice_name"] == "Smile Dental"
    assert row.values["suburb"] == "Parramatta"  # the locality in AU: Twenty's addressCity (compose_address)
    assert row.values["postcode"] == "2150"
    assert row.values["state"] is None  # column absent in this export: null, not an error
    assert row.extras == {"Referral Partner": "Dr X"}  # kept for the field-map proposer


def test_windows_1252_is_detected_not_mangled(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv", "practice_id,practice_name\nPR1,Café Dentistry Müller\n", "cp1252")
    export = open_export_file(path, PRACTICES)
    assert export.encoding == "cp1252"
    assert next(export.rows()).values["practice_name"] == "Café Dentistry Müller"


def test_null_markers_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv",
                 'practice_id,practice_name,address_line1,email\n'
                 'PR1,"Two\nLine Name",n/a,-\n'
                 '\n'
                 'PR2,Plain,12 King St,\n')
    rows = list(open_export_file(path, PRACTICES).rows())
    assert [r.source_line for r in rows] == [2, 5]
    assert rows[0].values["practice_name"] == "Two\nLine Name"
    assert rows[0].values["address_line1"] is None and rows[0].values["email"] is None
    assert rows[1].values["email"] is None
    assert rows[0].row_hash != rows[1].row_hash


def test_missing_required_column_names_file_line_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv", "Report\npractice_id,city,state\nPR1,Parramatta,NSW\n")
    with pytest.raises(ExportStructureError) as error:
        open_export_file(path, PRACTICES)
    message = str(error.value)
    assert "practices.csv, line 2" in message
    assert "practice_name" in message
    assert "Re-export" in message


def test_two_headers_meaning_one_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv", "practice_id,Practice Name,Clinic Name\nPR1,A,B\n")
    with pytest.raises(ExportStructureError, match=r"columns 2 .* and 3 .* both mean 'practice_name'"):
        open_export_file(path, PRACTICES)


def test_no_header_found(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv", "just,some,numbers\n1,2,3\n")
    with pytest.raises(ExportStructureError, match="no header row found"):
        open_export_file(path, PRACTICES)


def test_missing_file_says_what_to_export(tmp_path: Path) -> None:
    with pytest.raises(ExportStructureError, match="no practices file"):
        find_export_file(tmp_path, PRACTICES)
    (tmp_path / "Practices.CSV").write_text("practice_id,practice_name\n")
    assert find_export_file(tmp_path, PRACTICES).name == "Practices.CSV"


def test_export_spec_doc_is_generated_from_the_spec() -> None:
    from core_practice_twenty.source.spec_doc import render

    committed = (Path(__file__).resolve().parents[2] / "docs" / "export-spec.md").read_text()
    assert committed == render(), "run: python -m core_practice_twenty.source.spec_doc > docs/export-spec.md"


def test_xlsx_with_banner_dates_and_numbers_reads_like_csv(tmp_path: Path) -> None:
    import datetime

    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Core Practice - Practice Locations Report"])
    sheet.append(["Practice ID", "Practice Name", "Postcode", "Created"])
    sheet.append(["PR1", "Smile", 800, datetime.datetime(2021, 3, 4, 9, 30)])
    sheet.append([17, "Bright", 2150.0, datetime.datetime(2020, 1, 2)])
    workbook.save(tmp_path / "practices.xlsx")

    export = open_export_file(find_export_file(tmp_path, PRACTICES), PRACTICES)
    assert export.encoding == "xlsx" and export.header_line == 2
    rows = list(export.rows())
    assert [r.source_line for r in rows] == [3, 4]
    assert rows[0].values["postcode"] == "800"  # a number cell, not "800.0": the lost zero stays visible
    assert rows[0].values["created_at"] == "2021-03-04 09:30:00"
    assert rows[1].values["practice_id"] == "17" and rows[1].values["created_at"] == "2020-01-02"


def test_undecodable_bytes_name_the_file_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "practices.csv"
    path.write_bytes(b"practice_id,practice_name\nP1,\x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(ExportStructureError, match=r"practices.csv, line 2: neither UTF-8 .* save it as 'CSV UTF-8'"):
        open_export_file(path, PRACTICES)


def test_cells_beyond_the_header_are_kept_not_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "practices.csv", "practice_id,practice_name\nP1,A,stray,cells\nP2\n")
    rows = list(open_export_file(path, PRACTICES).rows())
    assert rows[0].extras["_overflow"] == "stray\x1fcells"
    assert rows[1].values == {**rows[1].values, "practice_id": "P2", "practice_name": None}


def test_underscore_files_are_not_export_files(tmp_path: Path) -> None:
    (tmp_path / "_practices.csv").write_text("practice_id,practice_name\n")
    with pytest.raises(ExportStructureError, match="no practices file"):
        find_export_file(tmp_path, PRACTICES)


def test_last_comma_first_names_are_split(tmp_path: Path) -> None:
    from core_practice_twenty.source.export_spec import PATIENTS

    path = write(tmp_path / "patients.csv",
                 'Patient ID,Patient Name,DOB,Practice ID,Status\n'
                 '1,"Ruiz, Ana María",01/02/1980,PR1,Active\n'
                 '2,Nguyen,02/03/1990,PR1,Active\n')
    rows = list(open_export_file(path, PATIENTS).rows())
    assert (rows[0].values["last_name"], rows[0].values["first_name"]) == ("Ruiz", "Ana María")
    assert (rows[1].values["last_name"], rows[1].values["first_name"]) == ("Nguyen", None)
