"""A US office's export arrives as meant: identifiers stay out, two-digit years and CDT codes read by meaning.

The export is written here by hand, as a front office's PC makes one (Excel's Windows-1252 CSV with CRLF,
mm/dd/yy birth dates, CDT codes typed without their D or saved as numbers, US spellings, an APO address, a
"Social Security #" column and a "Notes 2" column that sometimes holds one), not by the generator. It goes through
propose → confirm --accept-all → land → validate → stage → Twenty (the local one), and every check reads what a
person would: the issues on each line, the payloads, the records in Twenty.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from lifecycle.lifecycle_waves import load_wave

from core_practice_twenty.mapping.field_map import confirm, map_held_out, save_map, schema_fields
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.model.regions import Region
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.store.issues import replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import read_staged
from core_practice_twenty.twenty.metadata import sync_schema
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import validate_rows

EXPORT_DAY = date(2026, 12, 7)
SSN = "078-05-1120"

FILES = {
    "practices.csv": [["Practice ID", "Practice Name", "Address Line 1", "City", "State", "Zip", "Country"],
                      ["L1", "Maple Street Dental", "12 Maple St", "Portland", "OR", "97201", "USA"]],
    "providers.csv": [["Provider ID", "Practice ID", "First Name", "Last Name", "Provider Type"],
                      ["DR1", "L1", "Ana", "Ruiz", "Dentist"]],
    "patients.csv": [
        ["Patient ID", "First Name", "Last Name", "Date of Birth", "Practice ID", "Status", "Address Line 1",
         "City", "State", "Zip", "Email", "Social Security #", "Notes 2"],
        ["P1", "Walt", "Kowalski", "6/19/52", "L1", "Active", "9 Elm Rd", "Portland", "OR", "97201",
         "walt@example.com", SSN, "prefers mornings"],
        ["P2", "Dana", "Pérez", "12/31/99", "L1", "Active", "Unit 2050 Box 4190", "APO", "AE", "09096",
         "dana@example.com", "219-09-9999", f"old chart: SSN {SSN} (ask at desk)"],
        ["P3", "Lee", "Kim", "03/04/2001", "L1", "Active", "77 Oak Ave", "Portland", "OR", "97205",
         "lee@example.com", "536-22-1234", "wheelchair access"],
        ["P4", "Sam", "Ortiz", "1/5/24", "L1", "Active", "5 Pine Ct", "Portland", "OR", "97209",
         "sam@example.com", "457-55-5462", ""],
    ],
    "appointments.csv": [
        ["Appointment ID", "Patient ID", "Provider ID", "Practice ID", "Start At", "Status", "Procedure Codes"],
        ["A1", "P1", "DR1", "L1", "11/20/26 9:30 AM", "Completed", "1110; 120"],
        ["A2", "P2", "DR1", "L1", "12/15/26 2:00 PM", "Canceled", "D0150,2391"],
        ["A3", "P3", "DR1", "L1", "10/02/2026 10:00 AM", "Completed", "D120; D1110"],
    ],
    "invoices.csv": [
        ["Invoice ID", "Patient ID", "Provider ID", "Practice ID", "Invoice Date", "Total", "Status"],
        ["I1", "P1", "DR1", "L1", "11/20/26", "$185.00", "Paid"],
    ],
    "invoice_lines.csv": [["Line ID", "Invoice ID", "Item Code", "Description", "Line Total"],
                          ["IL1", "I1", "1110", "Adult prophylaxis", "120.00"],
                          ["IL2", "I1", "120", "Periodic evaluation", "65.00"]],
    "payments.csv": [["Payment ID", "Invoice ID", "Patient ID", "Paid At", "Amount", "Method"],
                     ["PM1", "I1", "P1", "11/20/26", "185.00", "Check"]],
    # the reports this office had nothing in: a header row only
    "patient_practices.csv": [["Patient ID", "Practice ID"]],
    "treatment_plans.csv": [["Treatment Plan ID", "Patient ID", "Provider ID", "Practice ID", "Status"]],
    "insurance_claims.csv": [["Claim ID", "Patient ID", "Practice ID", "Claim Date", "Status"]],
    "clinical_notes.csv": [["Note ID", "Patient ID", "Provider ID", "Note Date", "Body"]],
    "documents.csv": [["Document ID", "Patient ID", "File Name", "Relative Path"]],
    "workflows.csv": [["Workflow ID", "Name"]],
}


def _write_like_excel(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, rows in FILES.items():
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        (folder / name).write_bytes(out.getvalue().encode("cp1252"))
    return folder


def test_a_us_office_export_arrives_as_meant(tmp_path: Path, warehouse, twenty_sandbox) -> None:
    export = _write_like_excel(tmp_path / "maple-street")
    proposed = propose(export)
    assert proposed.options.region == "US"  # mm/dd dates and US states say so
    field_map = confirm(proposed, export, "A hurried person", accept_all=True)
    map_path = tmp_path / "map.yaml"
    save_map(field_map, map_path)
    held_out = map_held_out(map_path)
    assert ("patients", "Social Security #") in held_out and ("patients", "Notes 2") not in held_out

    warehouse.register_wave("full", export, "maple", region="US", export_date=EXPORT_DAY)
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave="full", snapshot_id="maple")
    ctx = ValidationContext.for_export(export, Region.US, EXPORT_DAY, held_out=held_out)
    with warehouse.connect() as conn:
        for spec in EXPORT_SPEC.values():
            validate_rows(conn, spec, "full", ctx)
        replace_issues(conn, "full", "cross", cross_table_issues(conn, "full", ctx), EXPORT_SPEC)
        found = conn.execute("select object, source_key, rule, severity from validation_issues where wave = 'full'"
                             ).fetchall()
    issues = {(o, k, r): s for o, k, r, s in found}
    # two-digit years: read by meaning, each noted on its line, none rejected as an impossible birth date
    assert {k for o, k, r in issues if r == "two_digit_year:date_of_birth"} == {"P1", "P2", "P4"}
    assert not any(r.startswith("impossible_date") for _, _, r in issues)
    # CDT codes: restored where the digits alone fit, the ambiguous D120 flagged on its line, never guessed
    assert {k for o, k, r in issues if r == "procedure_code:procedure_codes"} == {"A3"}
    assert not any(r.startswith("procedure_code") and o == "invoice_lines" for o, _, r in issues)
    # US spellings and the APO address are valid
    assert not any(r.startswith(("value_set", "invalid_state", "postcode")) for _, _, r in issues), issues
    # the Notes 2 column goes to Twenty, so its one line with an SSN is flagged; the held-out SSN column is not
    assert {(o, k) for o, k, r in issues if r.startswith("identifier_in_text")} == {("patients", "P2")}
    assert issues[("patients", "P2", "identifier_in_text:Notes 2")] == "warn"

    stage_wave(warehouse, "full", field_map)
    people = {r.source_key: r.payload for r in read_staged(warehouse, "people", "full") if r.source_key[0] == "P"}
    assert {k: p["dateOfBirth"] for k, p in people.items()} == {
        "P1": "1952-06-19", "P2": "1999-12-31", "P3": "2001-03-04", "P4": "2024-01-05"}
    held = ("219-09-9999", "536-22-1234", "457-55-5462")  # the SSN column's other cells: it stayed out
    assert not any(n in str(p) for p in people.values() for n in held) and SSN not in str(people["P1"])
    assert SSN in people["P2"]["cpNotes2"]  # sent, as the map says, and flagged on its line above for a person
    tasks = {r.source_key: r.payload for r in read_staged(warehouse, "tasks", "full")}
    assert tasks["A1"]["procedureCodes"] == "D1110, D0120" and tasks["A2"]["procedureCodes"] == "D0150, D2391"
    assert tasks["A3"]["procedureCodes"] == "D120, D1110"  # kept as written: a person decides
    assert tasks["A1"]["dueAt"].startswith("2026-11-20")  # an appointment year read within its window
    invoice = next(r.payload for r in read_staged(warehouse, "invoices", "full"))
    assert [line["itemCode"] for line in invoice["lineItems"]] == ["D1110", "D0120"]
    assert invoice["payments"]["items"][0]["method"] == "Cheque"

    with twenty_sandbox.client() as client:
        fields = schema_fields(field_map)  # as the schema step makes it: the practice's own Notes 2 is a field
        sync_schema(client, [TARGET_OBJECTS[plural] for plural in fields], fields)
        load_wave(client, warehouse, "full", {o: read_staged(warehouse, o, "full") for o in ("companies", "people")})
        walt = next(client.find_many("people", filter='cpPatientId[eq]:"P1"'))
        dana = next(client.find_many("people", filter='cpPatientId[eq]:"P2"'))
    assert walt["dateOfBirth"] == "1952-06-19"
    assert dana["homeAddress"]["addressState"] == "AE" and dana["homeAddress"]["addressCity"] == "APO"
    assert SSN not in str(walt) and "219-09-9999" not in str(dana)  # the SSN column reached no record
