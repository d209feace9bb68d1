"""The plans the confirmed map compiles (mapping/sql) on rows added by hand to generated exports, where the readings
are easiest to get wrong (zones at a DST change, markdown, codes, spellings, invoices' folds) and where a person's
edits of the map must show in what is staged."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.transforms import practice_timezone
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.values import Region
from core_practice_twenty_tests.mapping.hand_made import land, read_held
from core_practice_twenty_tests.mapping.hand_made import read_staged as staged


def stage(warehouse, export: Path, field_map, region: Region = Region.AU, documents: bool = False,
          max_upload_bytes: int | None = None):
    """Land the export and stage it by the plans the map compiles (`documents`: the map sends the documents' listed
    size, checksum and upload time too, which it keeps out by default)."""
    if documents:
        from core_practice_twenty.mapping.field_map import from_dict, to_dict

        data = to_dict(field_map)
        for entry in data["objects"]["documents"]["columns"]:
            if entry["column"] in ("size_bytes", "uploaded_at", "sha256"):
                entry["transform"], entry["targets"] = "rename", ["attachments"]
        field_map = from_dict(data)
    land(warehouse, export, "sql", region)
    summary = stage_wave(warehouse, "sql", field_map, max_upload_bytes=max_upload_bytes)
    assert summary.unbalanced == {}
    return summary


def test_a_sample_wave_stages_only_the_rows_the_sample_chose(tmp_path: Path, warehouse) -> None:
    """The sample (`only`): the plans keep exactly the rows the sample chose, and what they need."""
    from core_practice_twenty.lifecycle.sample import choose_sample

    export = generate_export(tmp_path / "export", practices=3, patients=120, seed=4, dirt="realistic")
    land(warehouse, export, "sql", Region.AU)
    with warehouse.connect() as conn:
        chosen = choose_sample(conn, "sql", seed=1)
    only = {name: set(keys) for name, keys in chosen.keys.items()}
    after = stage_wave(warehouse, "sql", propose(export), only=only)
    found = staged(warehouse, "sql")
    assert set(found["tasks"]) <= only["appointments"] and set(found["notes"]) <= only["clinical_notes"]
    assert {k for k in found["people"] if not k.startswith("provider:")} <= only["patients"]
    # the sample's appointments only (one of them rejected by validation), not the export's ~600
    assert 0 < after.staged["tasks"] <= after.rows["appointments"] <= len(only["appointments"]) < 100


def append_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Add rows to an export file as another program would have saved them (header order, CRLF, quoted cells)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    title, header = lines[0], lines[1].split(",")
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in header})
    assert title.startswith("Core Practice")


HARD_BODY = ("# not a heading\r\n1. not a list\n> not a quote\r  - dash\tand tab\u00a0\n\n\u2028 line sep"
             "\x01 control *stars* _under_ [link](x) <b>|pipe\\ back\u3000")


def test_hand_made_appointments_notes_and_documents_read_as_written(tmp_path: Path, warehouse) -> None:
    export = generate_export(tmp_path / "export", practices=2, patients=40, seed=3, dirt="none")
    lines = (export / "practices.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    state = lines[1].split(",").index("state")
    cells = lines[2].split(",")  # PR0001 (no quoted commas in the generator's first practice)
    cells[state] = "NSW"  # a practice on Sydney's clock: it changes at 2 am twice a year
    lines[2] = ",".join(cells)
    (export / "practices.csv").write_text("".join(lines), encoding="utf-8-sig")
    base = {"patient_id": "PT0000001", "provider_id": "PV00001", "practice_id": "PR0001",
            "end_at": "", "status": "Completed"}
    append_rows(export / "appointments.csv", [
        {**base, "appointment_id": "APH1", "start_at": "05/10/2025 02:30", "created_at": "06/04/2025 02:30",
         "appointment_type": "", "procedure_codes": "1110; 22 ,  22;D0120"},  # the spring gap, the autumn overlap
        {**base, "appointment_id": "APH2", "start_at": "2025-03-04T09:00", "status": "FTA",
         "appointment_type": "Recall – Hygiène", "procedure_codes": "", "created_at": "30/12/2030 10:00"},
        {**base, "appointment_id": "APH3", "start_at": "04/03/25 9:00 AM", "status": "Canceled",
         "provider_id": "PV99999", "practice_id": "", "created_at": "45720.5"},
        {**base, "appointment_id": "APH4", "start_at": "31/02/2025 09:00", "status": "maybe",
         "patient_id": "PT9999999"},
    ])
    note = {"patient_id": "PT0000002", "provider_id": "PV00001", "appointment_id": ""}
    append_rows(export / "clinical_notes.csv", [
        {**note, "note_id": "NTH1", "note_type": "Progress NOTE", "note_date": "05/10/2025 02:30",
         "body": HARD_BODY, "created_at": ""},
        {**note, "note_id": "NTH2", "note_type": "", "note_date": "", "body": "   \n\t", "created_at": "",
         "provider_id": "PV99999"},
        {**note, "note_id": "NTH3", "note_type": "Perio", "note_date": "06/04/2025 02:30", "body": "ok",
         "created_at": "01/01/2031 00:00", "provider_id": ""},
        {**note, "note_id": "NTH4", "note_type": "Recall", "note_date": "", "created_at": "",
         "body": "\u0661. an Arabic-Indic list\n  + a plus\n1) a bracket\n12.5 mm, not a list\n-\n#"},
    ])
    listed = next(csv.DictReader((export / "documents.csv").read_text(encoding="utf-8-sig").splitlines()[1:]))
    windows = listed["relative_path"].replace("/", "\\")  # as a Windows PC writes it, the file is there
    document = {**listed, "uploaded_at": "06/04/2025 02:30"}
    arabic = "".join(chr(0x0660 + int(d)) for d in listed["size_bytes"])  # its true size in Arabic-Indic digits
    append_rows(export / "documents.csv", [
        {**document, "document_id": "DCH1", "relative_path": windows, "mime_type": "", "size_bytes": arabic},
        {**document, "document_id": "DCH2", "mime_type": "IMAGE/PNG", "sha256": listed["sha256"].upper()},
    ])
    stage(warehouse, export, propose(export), documents=True, max_upload_bytes=int(listed["size_bytes"]) - 1)
    tasks, notes = staged(warehouse, "sql")["tasks"], staged(warehouse, "sql")["notes"]
    assert tasks["APH1"][1]["dueAt"] == "2025-10-04T16:30:00Z"  # 02:30 does not exist in Sydney that night
    assert tasks["APH1"][1]["procedureCodes"] == "1110, 022, D0120"  # ADA items: 22 restored, 1110 kept (flagged)
    assert "createdAt" not in tasks["APH2"][1]  # after the export date: Twenty sets its own
    assert "NTH1" in notes and notes["NTH1"][1]["bodyV2"]["markdown"].startswith("\\# not a heading")
    assert notes["NTH2"][1]["bodyV2"] is None and notes["NTH2"][1]["authorDoctor"] is None
    attachments = staged(warehouse, "sql")["attachments"]
    assert attachments["DCH1"][1]["$file"]["path"] == "documents/" + listed["relative_path"]
    assert attachments["DCH1"][1]["$file"]["sizeBytes"] == int(listed["size_bytes"])
    assert attachments["DCH1"][1]["$file"]["upload"] is False  # one byte over the limit: referenced only
    assert attachments["DCH2"][1]["fileCategory"] == "IMAGE" and attachments["DCH2"][1]["$file"]["sha256"].islower()


def test_invoices_fold_hand_made_lines_and_payments(tmp_path: Path, warehouse) -> None:
    export = generate_export(tmp_path / "export", practices=2, patients=40, seed=5, dirt="none")
    invoice = {"patient_id": "PT0000001", "provider_id": "PV00001", "practice_id": "PR0001",
               "invoice_date": "03/03/2025", "status": "Paid", "created_at": "03/03/2025 09:00"}
    append_rows(export / "invoices.csv", [
        {**invoice, "invoice_id": "INH1", "invoice_no": "", "total": "$1,234.50", "amount_paid": "(12.00)",
         "balance": "", "currency": "nzd"},  # no balance: total − paid; a currency in lower case
        {**invoice, "invoice_id": "INH2", "invoice_no": "9001", "total": "", "amount_paid": "80",
         "balance": "", "currency": "XYZ", "status": "unknown"},
        {**invoice, "invoice_id": "INH3", "invoice_no": "9002", "total": "10", "patient_id": "PT9999999"},
    ])
    line = {"item_code": "114", "description": "Scale & *clean*", "tooth": "11;12", "unit_fee": "95.5"}
    append_rows(export / "invoice_lines.csv", [
        {**line, "line_id": "LNH1", "invoice_id": "INH1", "quantity": "2", "line_total": "191"},
        {**line, "line_id": "LNH2", "invoice_id": "INH1", "quantity": "3", "line_total": "1,000.00",
         "item_code": "1110"},
        {**line, "line_id": "LNH3", "invoice_id": "INH3", "quantity": "x"},  # its invoice is rejected
        {**line, "line_id": "LNH4", "invoice_id": "INH404"},  # no such invoice
    ])
    payment = {"patient_id": "PT0000001", "reference": "TXN1", "method": "cheque", "is_reversal": ""}
    append_rows(export / "payments.csv", [
        {**payment, "payment_id": "PMH10", "invoice_id": "INH1", "paid_at": "04/03/2025 10:00", "amount": "0.1"},
        {**payment, "payment_id": "PMH9", "invoice_id": "INH1", "paid_at": "04/03/2025 10:00", "amount": "0.2"},
        {**payment, "payment_id": "PMH11", "invoice_id": "INH1", "paid_at": "", "amount": "abc", "method": "",
         "is_reversal": "Y"},
        {**payment, "payment_id": "PMH12", "invoice_id": "INH1", "paid_at": "05/03/25 8:00 PM", "amount": "-0.3",
         "method": "Visa", "is_reversal": "TRUE"},
        {**payment, "payment_id": "PMH13", "invoice_id": "", "paid_at": "04/03/2025", "amount": "5"},
        {**payment, "payment_id": "PMH14", "invoice_id": "INH3", "paid_at": "04/03/2025", "amount": "5"},
    ])
    append_rows(export / "insurance_claims.csv", [
        {"claim_id": "CLH1", "patient_id": "PT0000001", "invoice_id": "", "practice_id": "PR0001",
         "payer": "HCF", "claim_date": "04/03/2025", "service_code": "114,121", "amount_claimed": "1,000",
         "amount_paid": "", "status": "Approved"},
        {"claim_id": "CLH2", "patient_id": "PT0000001", "invoice_id": "INH3", "payer": "HCF", "amount_claimed": "1"},
    ])
    stage(warehouse, export, propose(export))
    invoices = staged(warehouse, "sql")["invoices"]
    payload = invoices["INH1"][1]
    assert payload["outstandingBalance"] == {"amountMicros": 1246500000, "currencyCode": "NZD"}
    # by time, then by id as people read ids (PMH9 before PMH10); PMH11's amount is no amount: validation rejects it
    assert [p["paymentId"] for p in payload["payments"]["items"]] == ["PMH9", "PMH10", "PMH12"]
    assert [i["lineId"] for i in payload["lineItems"]] == ["LNH1", "LNH2"]
    reasons = {key: reason for key, (_obj, _line, reason) in read_held(warehouse, "sql").items()}
    # INH3's patient is not in the export: validation rejects INH3, and what hangs on it is held back naming it
    assert reasons["LNH3"] == "dependency_missing: invoices INH3" and reasons["PMH14"] == reasons["LNH3"]
    assert reasons["PMH13"] == "payment_without_invoice" and reasons["CLH2"] == "dependency_missing: invoices INH3"


def test_a_persons_edits_of_the_map_change_what_the_compiled_plans_stage(tmp_path: Path, warehouse) -> None:
    """Swap two dates, exclude a column, keep a practice's own line column in the line summary: each shows."""
    from core_practice_twenty.mapping.field_map import confirm, from_dict, to_dict

    export = generate_export(tmp_path / "export", practices=1, patients=15, seed=9, dirt="none")
    path = export / "invoice_lines.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] += ",Discount Code"
    lines[2:] = [f"{line},STAFF{i % 3}" for i, line in enumerate(lines[2:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    booked = (export / "appointments.csv").read_text(encoding="utf-8-sig").splitlines()
    booked[1] += ",Colour Tag"
    booked[2:] = [line + ',' + ('' if i % 4 == 0 else f'Tag {i % 3}') for i, line in enumerate(booked[2:])]
    (export / "appointments.csv").write_text("\n".join(booked) + "\n", encoding="utf-8-sig")
    billed = (export / "invoices.csv").read_text(encoding="utf-8-sig").splitlines()
    billed[1] += ",Practice Ref"
    billed[2:] = [f"{line},REF-{i}" for i, line in enumerate(billed[2:])]
    (export / "invoices.csv").write_text("\n".join(billed) + "\n", encoding="utf-8-sig")
    data = to_dict(propose(export))
    for entry in data["objects"]["invoices"]["columns"]:
        if entry["column"] == "invoice_date":
            entry["targets"] = ["invoices.dueDate"]
        elif entry["column"] == "due_date":
            entry["targets"] = ["invoices.invoiceDate"]
        elif entry["column"] == "invoice_no":
            entry["transform"], entry["targets"] = "excluded", []
        elif entry["header"] == "Practice Ref":  # a practice's own column into a field the model has
            entry["targets"] = ["invoices.invoiceNumber"]
    payer = next(e for e in data["objects"]["insurance_claims"]["columns"] if e["column"] == "payer")
    payer["transform"], payer["targets"] = "excluded", []
    own = next(e for e in data["objects"]["invoice_lines"]["columns"] if e["header"] == "Discount Code")
    assert own["transform"] == "json_summary"  # the proposer keeps a practice's own line column in the summary
    field_map = confirm(from_dict(data), export, "Dr Test", accept_all=True, map_path=tmp_path / "map.yaml")
    land(warehouse, export, "full", Region.AU)
    stage_wave(warehouse, "full", field_map)

    source = {row["invoice_id"]: row for row in csv.DictReader(billed[1:])}
    codes = {row["line_id"]: row["Discount Code"] for row in csv.DictReader(lines[1:])}
    room = next(e for e in data["objects"]["appointments"]["columns"] if e["header"] == "Colour Tag")
    assert room["targets"] == ["tasks.cpColourTag"]  # a practice's own column: a field of its own on the task
    rooms = {row["appointment_id"]: row["Colour Tag"] or None for row in csv.DictReader(booked[1:])}
    tasks = staged(warehouse, "full")["tasks"]
    assert tasks and all(payload.get("cpColourTag") == rooms[key] for key, (_l, payload, *_r) in tasks.items())
    assert any("cpColourTag" not in payload for _l, payload, *_r in tasks.values())  # an empty cell sends nothing
    for key, (_line, payload, *_rest) in staged(warehouse, "full")["invoices"].items():
        day, month, year = source[key]["invoice_date"].split("/")
        assert payload["dueDate"] == f"{year}-{month}-{day}"
        assert payload["invoiceNumber"] == source[key]["Practice Ref"] and payload["name"] == key
        for item in payload["lineItems"]:
            assert item["Discount Code"] == codes[item["lineId"]]
    claims = staged(warehouse, "full")["insuranceClaims"]
    assert claims and not any("payer" in payload for _l, payload, *_r in claims.values())  # excluded: not sent


def test_patients_providers_and_practices_made_by_hand(tmp_path: Path, warehouse) -> None:
    """Shared and taken emails, placeholders, preferred names, phones abroad, suburbs, duplicates, soft deletes."""
    from core_practice_twenty.mapping.field_map import from_dict, to_dict

    export = generate_export(tmp_path / "export", practices=2, patients=30, seed=11, dirt="realistic")
    provider_email = next(csv.DictReader((export / "providers.csv").read_text(encoding="utf-8-sig")
                                         .splitlines()[1:]))["email"]
    person = {"practice_id": "PR0001", "status": "Active", "is_deleted": "No", "date_of_birth": "02/03/1980",
              "last_name": "Ngata", "patient_country": "", "created_at": "01/02/2020 10:00"}
    append_rows(export / "patients.csv", [
        {**person, "patient_id": "PH1", "first_name": "Aroha", "preferred_name": "aroha", "email": "Home@Example.com",
         "family_head_id": "PH2", "family_role": "Child", "mobile_phone": "021 555 1234 ext 9",
         "patient_country": "New Zealand", "first_address": "1 Queen St", "patient_suburb": "Ponsonby",
         "patient_city": "Auckland", "patient_postal_code": "1011"},
        {**person, "patient_id": "PH2", "first_name": "Mere  Anne", "preferred_name": "Mere", "practice_id": "PR0002",
         "email": "home@example.com", "family_role": "Head", "home_phone": "(02) 9876 5432",
         "work_phone": "02 9876 5432", "first_address": "2 George St", "patient_city": "sydney",
         "patient_state": "nsw", "patient_postal_code": "200"},
        {**person, "patient_id": "PH3", "first_name": "Aroha", "email": provider_email.upper(),
         "mobile_phone": "12", "patient_state": "Qld", "patient_suburb": "Fortitude Valley"},
        {**person, "patient_id": "PH4", "first_name": "Tama", "email": "tama@", "date_of_birth": "",
         "created_at": "01/01/2031 09:00"},
        {**person, "patient_id": "PH5", "first_name": "Gone", "email": "n/a", "is_deleted": "Yes"},
        {**person, "patient_id": "PH6", "first_name": "Nobody", "practice_id": "", "email": ""},
        {**person, "patient_id": "PH7", "first_name": "Moved", "practice_id": "", "email": "HOME@example.com",
         "family_head_id": "PH2"},
    ])
    append_rows(export / "patient_practices.csv", [  # PH1 primary at two locations; PH7 seen at two, primary at none
        {"patient_id": "PH1", "practice_id": "PR0002", "is_primary": "Yes", "last_seen": "01/01/2024"},
        {"patient_id": "PH1", "practice_id": "PR0001", "is_primary": "Y", "last_seen": "01/01/2020"},
        {"patient_id": "PH7", "practice_id": "PR0001", "is_primary": "No", "last_seen": "01/01/2020"},
        {"patient_id": "PH7", "practice_id": "PR0002", "is_primary": "", "last_seen": "2024-01-01"},
    ])
    location = {"group_name": "Smile  Dental & Co", "address_line2": "", "suburb": "", "state": "NSW", "country": "",
                "created_at": "01/02/2015 09:00", "website": "https://WWW.Smile.example.com.au/book"}
    append_rows(export / "practices.csv", [  # a group spelled two ways sharing one website, a bad email, no phone
        {**location, "practice_id": "PRH10", "practice_name": "Smile Newtown", "address_line1": "1 King St",
         "city": "Newtown", "postcode": "2042", "phone": "(02) 9550 0000", "email": "newtown@smile"},
        {**location, "practice_id": "PRH9", "practice_name": "Smile Manly", "group_name": "smile dental and co",
         "address_line1": "2 Corso", "city": "Manly", "postcode": "2095", "phone": "", "email": "Manly@Smile.com"},
    ])
    doctor = {"practice_id": "PR0001", "title": "Dr", "last_name": "Tane", "provider_type": "dentist",
              "specialization": "", "registration_number": "", "active": "Yes", "created_at": "01/02/2015 09:00"}
    append_rows(export / "providers.csv", [  # two doctors sharing an inbox, one with a bad email, one left, one lost
        {**doctor, "provider_id": "PVH10", "first_name": "Wiremu", "email": "Clinic@Example.com", "phone": "12"},
        {**doctor, "provider_id": "PVH9", "first_name": "Ana", "email": "clinic@example.com", "active": "No",
         "provider_type": "Oral health therapist", "phone": "(08) 9321 0000"},
        {**doctor, "provider_id": "PVH11", "first_name": "Rua", "email": "rua@", "practice_id": "PR0002"},
        {**doctor, "provider_id": "PVH12", "first_name": "Lost", "email": "", "practice_id": "PR9999"},
    ])
    data = to_dict(propose(export))
    data["options"]["email_placeholder"] = True
    for entry in data["objects"]["providers"]["columns"]:
        if entry["column"] == "active":  # kept out by default: a person sends it, so an inactive doctor is noted
            entry["transform"], entry["targets"] = "rename", ["people"]
    for entry in data["objects"]["patients"]["columns"]:
        if entry["column"] == "preferred_name":
            entry["transform"], entry["targets"] = "rename", ["people.name.firstName"]
    stage(warehouse, export, from_dict(data))
    people = staged(warehouse, "sql")["people"]
    assert people["provider:PVH9"][1]["emails"]["primaryEmail"] == "clinic@example.com"  # PVH9 before PVH10
    assert people["provider:PVH10"][1]["emails"]["primaryEmail"] is None
    assert "provider_inactive" in people["provider:PVH9"][4] and people["provider:PVH9"][1]["jobTitle"] == \
        "Oral Health Therapist"
    assert people["provider:PVH11"][1]["reviewReasons"] == "email_malformed_dropped"
    assert "provider:PVH12" not in people
    companies = staged(warehouse, "sql")["companies"]
    assert companies["PRH9"][1]["domainName"] == {"primaryLinkUrl": "smile.example.com.au"}  # PRH9 before PRH10
    assert "domainName" not in companies["PRH10"][1] and "domain_shared_with_another_location" in companies["PRH10"][4]
    assert companies["PRH10"][1]["parentCompanyId"] == companies["PRH9"][1]["parentCompanyId"]  # one group
    assert companies["group:smile-dental-and-co"][1]["name"] == "smile dental and co"  # as its first location spells it
    assert people["PH2"][1]["emails"]["primaryEmail"] == "home@example.com"  # the head keeps the shared address
    assert people["PH1"][1]["householdEmail"] == "home@example.com"
    assert people["PH3"][1]["emails"]["additionalEmails"] == [provider_email.lower()]
    assert people["PH4"][1]["emails"]["primaryEmail"].endswith("@no-email.invalid")
    assert people["PH2"][1]["name"]["firstName"] == "Mere Anne (Mere)"
    assert "PH5" not in people and "PH6" not in people
    assert people["PH7"][1]["companyId"] == {"$ref": ["companies", "PR0002"]}  # the location seen last
    assert people["PH1"][1]["companyId"] == {"$ref": ["companies", "PR0001"]}  # two primaries: the first by id
    practices = {row["practice_id"]: row for row in csv.DictReader(
        (export / "practices.csv").read_text(encoding="utf-8-sig").splitlines()[1:])}
    zone = practice_timezone("AU", practices["PR0002"]["state"])  # registered at 10:00 on the practice's clock
    assert zone.key != "Australia/Sydney"  # not the region's main zone: the practice's own decides
    expected = datetime(2020, 2, 1, 10, 0, tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert people["PH2"][1]["createdAt"] == expected


def test_a_plan_out_of_memory_says_which_setting_to_raise(tmp_path: Path, warehouse) -> None:
    """A warehouse given too little memory: the message names the object and CPT_DUCKDB_MEMORY, not DuckDB's SET."""
    from core_practice_twenty.store.mapping_sql import MappingMemoryError
    from core_practice_twenty.store.warehouse import Warehouse, close_connections

    export = generate_export(tmp_path / "export", practices=2, patients=2000, seed=3, dirt="none")
    land(warehouse, export, "full", Region.AU)
    close_connections()  # the next opening takes the smaller limit
    with pytest.raises(MappingMemoryError) as failed:
        stage_wave(Warehouse(warehouse.path, memory_limit="8MB"), "full", propose(export))
    message = str(failed.value)
    assert message.startswith("mapping companies needed more memory") and "CPT_DUCKDB_MEMORY" in message
    assert "SET memory_limit" not in message and "run the same command again" in message
