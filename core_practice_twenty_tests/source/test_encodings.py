"""A file's encoding is decided with evidence; a UTF-8 file with a few lines that are not UTF-8 is never
re-read as Windows-1252 as a whole (that turned every "José" into "JosÃ©" and overwrote good names in Twenty).

The inputs are made by hand the way a practice makes them: a generated UTF-8 export whose patients file had
one row edited and saved back by a program that writes Windows-1252.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core_practice_twenty.source.encodings import examine
from core_practice_twenty.source.export_spec import PATIENTS
from core_practice_twenty.source.readers import ExportStructureError, open_export_file
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import object_counts, replace_issues
from core_practice_twenty.store.raw import land_object, read_raw
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.run import row_issues_of


def _resave_one_line_as_cp1252(path: Path, name: str) -> tuple[int, str]:
    """Give the first accented patient the first name `name` and save that line as Windows-1252, as a
    program on Windows would. Returns (physical line, patient id); every other line stays UTF-8."""
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines[2:], start=3):
        text = raw.decode("utf-8")
        if not text.isascii():
            lines[number - 1] = text.replace(text.split(",")[3], name).encode("cp1252")
            path.write_bytes(b"\n".join(lines))
            return number, text.split(",")[0]
    raise AssertionError("the export has no accented patient")


@pytest.fixture
def mixed_export(sample_export: Path) -> tuple[Path, int, str]:
    line, patient = _resave_one_line_as_cp1252(sample_export / "patients.csv", "Zoë")
    return sample_export, line, patient


def test_evidence_counts_lines_and_names_the_foreign_one(mixed_export) -> None:
    export, line, _ = mixed_export
    evidence = examine(export / "patients.csv")
    assert (evidence.encoding, evidence.mixed) == ("utf-8-sig", True)  # the generator writes a BOM
    assert evidence.not_utf8_lines == 1 and evidence.first_not_utf8 == [line]
    assert evidence.non_ascii_utf8_lines > 5  # other accented names: the file is UTF-8


def test_a_file_that_is_windows_1252_as_a_whole_is_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(("patient_id,first_name,last_name,date_of_birth,practice_id,status\r\n"
                      "PT1,José,Núñez,01/02/1980,PR1,Active\r\nPT2,Ann,Lee,03/04/1990,PR1,Active\r\n").encode("cp1252"))
    opened = open_export_file(path, PATIENTS)
    assert opened.encoding == "cp1252"
    assert [(r.values["first_name"], r.values["last_name"]) for r in opened.rows()] == [("José", "Núñez"),
                                                                                      ("Ann", "Lee")]


def test_bytes_no_encoding_defines_stop_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(b"patient_id,first_name,last_name,date_of_birth,practice_id,status\n"
                     b"PT1,Ann,Lee,01/02/1980,PR1,Active\nPT2,\x81\x8d,Lee,01/02/1980,PR1,Active\n")
    with pytest.raises(ExportStructureError, match=r"patients.csv, line 3: neither UTF-8 nor Windows-1252"):
        open_export_file(path, PATIENTS)


def _land_and_check(export: Path, warehouse, *, allow: bool) -> tuple[list, dict, dict]:
    stats = land_object(warehouse, PATIENTS, export, wave="w", snapshot_id="s", allow_cp1252_lines=allow)
    ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        issues = list(row_issues_of(conn, PATIENTS, "w", ctx))
        replace_issues(conn, "w", "row", issues, {"patients": PATIENTS})
        counts = object_counts(conn, PATIENTS, "w")
    return issues, counts, stats.encoding_evidence


def test_the_foreign_line_is_rejected_and_every_other_accent_survives(mixed_export, warehouse) -> None:
    export, line, patient = mixed_export
    issues, counts, evidence = _land_and_check(export, warehouse, allow=False)
    assert evidence["not_utf8_lines"] == 1 and evidence["first_not_utf8_lines"] == [line]
    rejected = [(i.rule, i.source_line, i.source_key, i.severity.value) for i in issues if i.rule == "not_utf8"]
    assert rejected == [("not_utf8", line, patient, "reject")]
    assert counts["read"] == counts["accepted"] + counts["rejected"] and counts["rejected"] >= 1
    names = [n for n in read_raw(warehouse, PATIENTS, "w")["first_name"] if n]
    assert not any("Ã" in n or "\ufffd" in n for n in names)  # no mojibake anywhere
    assert any(not n.isascii() for n in names)  # the UTF-8 accents were read as UTF-8


def test_the_map_may_allow_such_lines_which_load_as_windows_1252_and_are_flagged(mixed_export, warehouse) -> None:
    export, line, patient = mixed_export
    issues, counts, _ = _land_and_check(export, warehouse, allow=True)
    assert not [i for i in issues if i.rule == "not_utf8"]
    flagged = [(i.source_line, i.source_key, i.severity.value) for i in issues if i.rule == "cp1252_line"]
    assert flagged == [(line, patient, "warn")]
    raw = read_raw(warehouse, PATIENTS, "w")
    assert raw.loc[raw["source_line"] == line, "first_name"].item() == "Zoë"  # decoded as the editor wrote it


@pytest.mark.parametrize("cut", ["mid_cell", "inside_quotes"])
def test_a_file_cut_off_mid_record_is_named_with_its_last_line(sample_export: Path, cut: str) -> None:
    path = sample_export / "patients.csv"
    data = path.read_bytes()
    cuts = {"mid_cell": data[: data.rstrip(b"\r\n").rfind(b",") - 3],  # an interrupted download
            "inside_quotes": data + b'PT9999999,1,Mr,"Ann\nLee'}  # stops inside a quoted cell with a line break
    data = cuts[cut]
    path.write_bytes(data)
    lines = data.count(b"\n") + 1
    with pytest.raises(ExportStructureError, match=rf"patients.csv, line {lines}: the file looks cut off"):
        open_export_file(path, PATIENTS)


def test_a_literal_quote_in_an_unquoted_cell_is_not_taken_for_a_cut(tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"  # some writers leave a lone quote unescaped: odd count, nothing left open
    path.write_bytes(b"patient_id,first_name,last_name,date_of_birth,practice_id,status,patient_city\r\n"
                     b"PT1,Ann,Lee,01/02/1980,PR1,Active,Unit 5\" Main\r\n")
    (row,) = open_export_file(path, PATIENTS).rows()
    assert row.values["patient_city"] == 'Unit 5" Main'
