"""The rules of the target model on rows made by hand, through the one path the pipeline maps by: landed,
validated, and staged by the plans the confirmed map compiles (mapping/sql)."""

import json

import pytest

from core_practice_twenty.model.staged import payload_refs, ref, resolve_refs, twenty_fields
from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import MANIFEST_NAME, generate_export
from core_practice_twenty.source.readers import find_export_file, open_export_file
from core_practice_twenty.store.issues import accepted_from
from core_practice_twenty.validation.sql_values import sql_string
from core_practice_twenty_tests.mapping.hand_made import (
    EXPORT_DATE,
    FIRST_LINE,
    entry,
    stage_export,
    stage_hand_made,
)

PRACTICE = {"practice_id": "PR1", "practice_name": "Smile Geelong", "address_line1": "1 Main Rd", "city": "Geelong",
            "state": "VIC", "postcode": "3220", "country": "AU", "phone": "(03) 5222 0000",
            "email": "geelong@smile.example", "created_at": "01/02/2015 09:00"}


def practice(pid: str, **cells) -> dict:
    return {**PRACTICE, "practice_id": pid, "practice_name": f"Smile {pid}", **cells}


def patient(pid: str, **cells) -> dict:
    """A patient of its own: born on another day and with another mobile than the others (same person otherwise)."""
    number = int("".join(c for c in pid if c.isdigit()) or 0)
    return {"patient_id": pid, "first_name": "Ann", "last_name": f"Lee{pid}",
            "date_of_birth": f"{number % 28 or 28:02d}/02/1980", "status": "Active", "is_deleted": "No",
            "practice_id": "PR1", "email": f"{pid.lower()}@example.com",
            "mobile_phone": f"0491 570 {number % 1000:03d}", "created_at": "01/02/2020 10:00", **cells}


# -- companies -------------------------------------------------------------------------------------


def test_groups_become_parent_companies_that_locations_depend_on(tmp_path, warehouse) -> None:
    rows = [
        practice("PR2", practice_name="Smile Fitzroy", group_name="Smile Dental Group",
                 website="https://www.smile.example.com.au", phone="(03) 7010 1234", email="Front@Smile.example",
                 state="Vic.", postcode="3065"),
        practice("PR1", practice_name="Smile Geelong", group_name=" smile dental  GROUP ",
                 website="smile.example.com.au", phone="not a phone", email="reception@"),
        practice("PR3", practice_name="Solo", group_name=""),
    ]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": rows})
    companies = staged.records["companies"]
    assert set(companies) == {"group:smile-dental-group", "PR1", "PR2", "PR3"}
    # one group spelled two ways; its name and the shared website go to the first location by id
    assert companies["group:smile-dental-group"].payload["name"] == "smile dental GROUP"
    fitzroy, geelong, solo = companies["PR2"], companies["PR1"], companies["PR3"]
    assert fitzroy.payload["parentCompanyId"] == ref("companies", "group:smile-dental-group")
    assert fitzroy.depends_on == ["companies:group:smile-dental-group"] and fitzroy.line == FIRST_LINE
    assert fitzroy.payload["practicePhone"]["primaryPhoneNumber"] == "370101234"
    assert fitzroy.payload["practiceEmail"] == {"primaryEmail": "front@smile.example", "additionalEmails": None}
    assert fitzroy.payload["address"]["addressState"] == "VIC"
    assert geelong.payload["domainName"] == {"primaryLinkUrl": "smile.example.com.au"}
    assert "domainName" not in fitzroy.payload and "domain_shared_with_another_location" in fitzroy.notes
    assert {"phone_unparseable:phone", "email_malformed_dropped:email"} <= set(geelong.notes)
    assert solo.payload["parentCompanyId"] is None
    assert solo.depends_on == []
    assert staged.summary.unbalanced == {} and staged.summary.staged["companies"] == 4


# -- patients --------------------------------------------------------------------------------------


def test_a_shared_family_email_is_primary_on_the_head_and_household_on_the_others(tmp_path, warehouse) -> None:
    rows = [
        patient("PT3", email="FAM@example.com", family_head_id="PT2", family_role="Member"),
        patient("PT2", email="fam@example.com", family_head_id="PT2", family_role="Head"),
        patient("PT4", email="fam@example.com", family_head_id="PT2", family_role="dependant"),
    ]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": rows})
    people = staged.records["people"]
    assert people["PT2"].payload["emails"] == {"primaryEmail": "fam@example.com", "additionalEmails": None}
    assert people["PT2"].payload["householdEmail"] is None
    for other in ("PT3", "PT4"):
        assert people[other].payload["emails"]["primaryEmail"] is None
        assert people[other].payload["householdEmail"] == "fam@example.com"
        assert people[other].payload["needsReview"] is False  # the policy, not a problem
    assert [d for d in staged.decisions if d["kind"] == "shared_email_owner"] == [
        {"kind": "shared_email_owner", "owner": "PT2", "rule": "family_head", "others": ["PT3", "PT4"],
         "sharers": 3}]
    assert "@" not in json.dumps(staged.decisions)


def test_without_a_head_pointed_at_the_role_head_then_the_first_by_id_keeps_a_shared_email(tmp_path,
                                                                                         warehouse) -> None:
    rows = [patient("PT10", email="x@example.com"), patient("PT9", email="X@example.com"),
            patient("PT20", email="y@example.com", family_role="Head"), patient("PT3", email="y@example.com")]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": rows})
    owners = {d["owner"]: d["rule"] for d in staged.decisions if d["kind"] == "shared_email_owner"}
    assert owners == {"PT9": "first_by_id", "PT20": "family_role_head"}  # PT9 before PT10, as people read ids
    assert staged.payload("people", "PT9")["emails"]["primaryEmail"] == "x@example.com"
    assert staged.payload("people", "PT10")["householdEmail"] == "x@example.com"


def test_missing_na_and_malformed_emails_are_flagged_and_placeholders_are_opt_in(tmp_path, warehouse) -> None:
    tables = {"practices": [PRACTICE],
              "patients": [patient("PT1", email=""), patient("PT2", email="n/a"), patient("PT3", email="john.smith@")]}
    people = stage_hand_made(warehouse, tmp_path, tables).records["people"]
    for key, reason in (("PT1", "email_missing"), ("PT2", "email_missing"), ("PT3", "email_malformed_dropped")):
        assert people[key].payload["emails"]["primaryEmail"] is None
        assert people[key].payload["needsReview"] is True
        assert people[key].payload["reviewReasons"] == reason
    placeholders = stage_hand_made(warehouse, tmp_path, tables, wave="opted",
                                   options={"email_placeholder": True}).records["people"]
    assert placeholders["PT1"].payload["emails"]["primaryEmail"] == "pt1@no-email.invalid"
    assert placeholders["PT1"].payload["reviewReasons"] == "email_missing; email_placeholder"
    assert placeholders["PT3"].payload["emails"]["primaryEmail"] == "pt3@no-email.invalid"


def test_orphans_and_soft_deleted_patients_are_held_back_and_duplicates_flagged(tmp_path, warehouse) -> None:
    rows = [
        patient("PT1"),
        patient("PT2", practice_id=""),  # orphan: no practice and no patient_practices row
        patient("PT3", is_deleted="Yes"),
        patient("PT4", first_name="ann", last_name="LeePT1", date_of_birth="1/2/1980"),  # PT1 registered again
        patient("PT5", status="Archived", practice_id=""),  # archived, linked through patient_practices
    ]
    links = [{"patient_id": "PT5", "practice_id": "PR7", "is_primary": "No", "last_seen": "01/01/2020"}]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE, practice("PR7")], "patients": rows,
                                                   "patient_practices": links})
    assert staged.code("PT2") == "orphan_patient" and staged.held["PT2"][1] == FIRST_LINE + 1
    assert staged.code("PT3") == "soft_deleted"
    people = staged.records["people"]
    assert set(people) == {"PT1", "PT4", "PT5"}
    assert people["PT4"].payload["reviewReasons"] == "possible_duplicate_of:PT1"  # the birth date typed otherwise
    assert people["PT1"].payload["reviewReasons"] == "possible_duplicate_of:PT4"  # both of the pair, for a person
    assert people["PT5"].payload["patientStatus"] == "ARCHIVED"
    assert people["PT5"].payload["companyId"] == ref("companies", "PR7")
    assert {"kind": "primary_practice", "patient_id": "PT5", "practice_id": "PR7", "rule": "latest_link",
            "locations": 1} in staged.decisions
    assert staged.summary.rows["patients"] == 5 and staged.summary.unbalanced == {}


def test_primary_practice_comes_from_patient_practices_then_practice_id(tmp_path, warehouse) -> None:
    links = [{"patient_id": "PT1", "practice_id": "PR1", "is_primary": "FALSE"},
             {"patient_id": "PT1", "practice_id": "PR2", "is_primary": "TRUE"},
             {"patient_id": "PT2", "practice_id": "PR1", "is_primary": ""}]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE, practice("PR2")],
                                                   "patients": [patient("PT1"), patient("PT2")],
                                                   "patient_practices": links})
    people = staged.records["people"]
    assert people["PT1"].payload["companyId"] == ref("companies", "PR2")
    assert people["PT1"].depends_on == ["companies:PR2"]
    assert people["PT2"].payload["companyId"] == ref("companies", "PR1")


def test_patient_payload_shapes_and_repairs(tmp_path, warehouse) -> None:
    row = patient("PT1", first_name="Elizabeth", preferred_name="Liz", mobile_phone="0491 570 156 ext 4",
                  home_phone="(02) 5550 1234", first_address="8 Main Rd", address_line2="Unit 3",
                  patient_city="Parap", patient_state="NT", patient_postal_code="820", patient_country="AU",
                  patient_no="10001", recall_due_date="03/04/2027", health_fund_member_no="12345678",
                  medicare_no="2123456789")
    row["Loyalty Code"] = "R-9"  # the practice's own column
    tables = {"practices": [PRACTICE], "patients": [row]}

    def keep_own_out(data: dict) -> None:
        preferred = entry(data, "patients", "preferred_name")  # kept out by default: no field of its own
        preferred["transform"], preferred["targets"] = "rename", ["people.name.firstName"]
        own = entry(data, "patients", "Loyalty Code")
        own["transform"], own["targets"], own["reason"] = "excluded", [], "not wanted"

    payload = stage_hand_made(warehouse, tmp_path, tables, edit=keep_own_out).payload("people", "PT1")
    assert payload["name"] == {"firstName": "Elizabeth (Liz)", "lastName": "LeePT1"}
    assert payload["personType"] == "PATIENT" and payload["cpPatientId"] == "PT1" and payload["cpPatientNo"] == "10001"
    assert payload["dateOfBirth"] == "1980-02-01" and payload["recallDueDate"] == "2027-04-03"
    assert payload["phones"]["primaryPhoneNumber"] == "491570156"
    assert payload["phones"]["additionalPhones"] == [{"number": "255501234", "countryCode": "AU", "callingCode": "+61"}]
    assert payload["homeAddress"]["addressPostcode"] == "0820"
    assert payload["reviewReasons"] == "postcode_repaired:patient_postcode"
    assert "medicareNo" not in payload and "healthFundMemberNo" not in payload  # sensitive: opt-in only
    assert not any(v == "R-9" for v in payload.values())

    def opt_in(data: dict) -> None:
        date_of_birth = entry(data, "patients", "date_of_birth")
        date_of_birth["transform"], date_of_birth["targets"], date_of_birth["reason"] = "excluded", [], "not wanted"
        entry(data, "patients", "Loyalty Code")["targets"] = ["people.loyaltyCode"]
        for column, field in (("medicare_no", "people.medicareNo"),
                              ("health_fund_member_no", "people.healthFundMemberNo")):
            number = entry(data, "patients", column)  # both lines are needed: the option and the field
            number["transform"], number["targets"] = "rename", [field]

    opted = stage_hand_made(warehouse, tmp_path, tables, wave="opted", edit=opt_in,
                            options={"include_fund_numbers": True}).payload("people", "PT1")
    assert opted["medicareNo"] == "2123456789" and opted["healthFundMemberNo"] == "12345678"
    assert "dateOfBirth" not in opted
    assert opted["loyaltyCode"] == "R-9"


def test_a_patient_whose_practice_is_not_in_the_export_is_held_back_naming_it(tmp_path, warehouse) -> None:
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE],
                                                   "patients": [patient("PT1"), patient("PT2", practice_id="PR9")]})
    assert "PT1" in staged.records["people"] and "PT2" not in staged.records["people"]
    assert staged.held["PT2"] == ("patients", FIRST_LINE + 1, "dependency_missing: companies PR9")


def test_a_patient_with_a_providers_email_does_not_take_it_as_primary(tmp_path, warehouse) -> None:
    doctor = {"provider_id": "PV1", "practice_id": "PR1", "title": "Dr", "first_name": "Jo", "last_name": "Doc",
              "provider_type": "Dentist", "email": "jo@practice.example", "phone": "+61491570157", "active": "Yes"}
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "providers": [doctor],
                                                   "patients": [patient("PT1", email="Jo@Practice.example")]})
    assert staged.payload("people", "provider:PV1")["emails"]["primaryEmail"] == "jo@practice.example"
    payload = staged.payload("people", "PT1")
    assert payload["emails"] == {"primaryEmail": None, "additionalEmails": ["jo@practice.example"]}
    assert payload["reviewReasons"] == "email_primary_on_another_person"


# -- providers and members -------------------------------------------------------------------------


def provider(pid: str, email: str | None, kind: str = "Dentist", **cells) -> dict:
    return {"provider_id": pid, "practice_id": "PR1", "title": "Dr", "first_name": "Jo", "last_name": f"Doc{pid}",
            "provider_type": kind, "email": email, "phone": "+61491570157", "active": "Yes", **cells}


DOCTORS = [provider("PV1", "Jo.Doc@Practice.example"), provider("PV2", "nobody@practice.example", "OHT"),
           provider("PV3", None, "Specialist", specialization="Endodontics")]
MEMBERS = [{"id": "m-jo", "userEmail": "jo.doc@practice.example"}, {"id": "m-boss", "userEmail": "Boss@x.example"}]


def test_doctors_match_members_by_email_with_a_recorded_fallback(tmp_path, warehouse) -> None:
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "providers": DOCTORS}, members=MEMBERS,
                             options={"fallback_owner_email": "boss@x.example"})
    outcomes = {d["provider_id"]: (d["outcome"], d["rule"], d["workspace_member_id"])
                for d in staged.decisions if d["kind"] == "doctor_member"}
    assert outcomes == {"PV1": ("matched", "email", "m-jo"), "PV2": ("fallback", "no_member_with_email", "m-boss"),
                        "PV3": ("fallback", "no_email", "m-boss")}
    assert "@" not in json.dumps(staged.decisions)  # ids only
    people = staged.records["people"]
    assert set(people) == {"provider:PV1", "provider:PV2", "provider:PV3"}
    doctor = people["provider:PV3"].payload
    assert doctor["personType"] == "DOCTOR" and doctor["cpProviderId"] == "PV3"
    assert doctor["providerType"] == "SPECIALIST" and doctor["doctorSpecialization"] == "Endodontics"
    assert people["provider:PV2"].payload["providerType"] == "ORAL_HEALTH_THERAPIST"
    assert people["provider:PV1"].payload["emails"]["primaryEmail"] == "jo.doc@practice.example"


def test_a_fallback_owner_who_is_not_a_member_leaves_tasks_unassigned(tmp_path, warehouse) -> None:
    appointment = {"appointment_id": "AP1", "patient_id": "PT1", "provider_id": "PV2", "practice_id": "PR1",
                   "start_at": "15/07/2024 08:15", "status": "Booked", "created_at": "01/07/2024 10:00"}
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "providers": DOCTORS,
                                                   "patients": [patient("PT1")], "appointments": [appointment]},
                             members=MEMBERS, options={"fallback_owner_email": "gone@x.example"})
    assert staged.payload("tasks", "AP1")["assigneeId"] is None
    assert {"kind": "fallback_owner", "outcome": "not_a_workspace_member", "workspace_member_id": None} in \
        staged.decisions
    nobody = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "providers": DOCTORS}, wave="nobody")
    assert any(d.get("rule") == "no_fallback_owner" for d in nobody.decisions)


# -- treatment plans -------------------------------------------------------------------------------


def plan(pid: str, status: str, patient_id: str = "PT1", **cells) -> dict:
    return {"treatment_plan_id": pid, "patient_id": patient_id, "practice_id": "PR1", "plan_name": "Crown 16",
            "status": status, "procedure_codes": "586;615", "tooth_numbers": "16;16", "estimated_cost": "1,850.00",
            "currency": "AUD", "proposed_date": "01/02/2026", "created_at": "01/02/2026 09:00", **cells}


def test_open_plans_also_become_opportunities_and_dependents_of_held_patients_are_held(tmp_path, warehouse) -> None:
    plans = [plan("TP1", "Quoted"), plan("TP2", "Accepted"), plan("TP3", "in progress"), plan("TP4", "Complete"),
             plan("TP5", "Declined"), plan("TP6", "Proposed", "PT2"), plan("TP7", "Proposed", "PT404")]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "treatment_plans": plans,
                                                   "patients": [patient("PT1"), patient("PT2", is_deleted="yes")]})
    staged_plans = staged.records["treatmentPlans"]
    assert set(staged_plans) == {"TP1", "TP2", "TP3", "TP4", "TP5"}
    assert staged_plans["TP4"].payload["treatmentStatus"] == "COMPLETED"
    first = staged_plans["TP1"].payload
    assert first["estimatedCost"] == {"amountMicros": 1_850_000_000, "currencyCode": "AUD"}
    assert first["procedureCodes"] == "586, 615" and first["toothNumbers"] == "16"
    assert first["patientId"] == ref("people", "PT1")
    opportunities = {k: r.payload for k, r in staged.records["opportunities"].items()}
    assert {k: v["stage"] for k, v in opportunities.items()} == {"TP1": "PROPOSAL", "TP2": "MEETING",
                                                                  "TP3": "CUSTOMER"}
    assert opportunities["TP2"]["pointOfContactId"] == ref("people", "PT1")
    assert opportunities["TP2"]["companyId"] == ref("companies", "PR1")
    assert opportunities["TP2"]["amount"]["amountMicros"] == 1_850_000_000
    assert staged.held["TP6"][2] == "dependency_held_back: people PT2 (soft_deleted)"
    assert staged.rejected["TP7"] == {"orphan_reference:patient_id"}  # a patient the export does not have
    assert staged.summary.unbalanced == {}


# -- invoices and claims ---------------------------------------------------------------------------


def test_invoices_fold_lines_and_payments_and_claims_follow_their_invoice(tmp_path, warehouse) -> None:
    invoices = [
        {"invoice_id": "IN1", "invoice_no": "INV-1", "patient_id": "PT1", "practice_id": "PR1",
         "invoice_date": "01/03/2026", "due_date": "15/03/2026", "total": "290.00", "amount_paid": "200.00",
         "balance": "", "status": "part paid", "currency": "", "created_at": "01/03/2026 09:00"},
        {"invoice_id": "IN2", "invoice_no": "INV-2", "patient_id": "PT2", "practice_id": "PR1",
         "invoice_date": "01/03/2026", "total": "50", "status": "Outstanding", "created_at": "01/03/2026 09:00"},
    ]
    lines = [
        {"line_id": "IL2", "invoice_id": "IN1", "item_code": "114", "description": "Scale", "quantity": "1",
         "unit_fee": "125.00", "line_total": "125.00"},
        {"line_id": "IL1", "invoice_id": "IN1", "item_code": "022", "tooth": "16;26", "quantity": "2",
         "unit_fee": "40", "line_total": "80"},
        {"line_id": "IL3", "invoice_id": "IN2", "item_code": "012", "line_total": "50"},
    ]
    payments = [
        {"payment_id": "PM2", "invoice_id": "IN1", "patient_id": "PT1", "paid_at": "01/03/2026 10:00",
         "amount": "-50.00", "method": "Visa", "is_reversal": "TRUE", "reference": "TXN1"},
        {"payment_id": "PM1", "invoice_id": "IN1", "patient_id": "PT1", "paid_at": "01/03/2026 09:00",
         "amount": "250.00", "method": "HICAPS", "reference": "HICAPS 123"},
        {"payment_id": "PM3", "invoice_id": "", "patient_id": "PT1", "paid_at": "01/03/2026", "amount": "5"},
    ]
    claims = [
        {"claim_id": "CL1", "patient_id": "PT1", "invoice_id": "IN1", "practice_id": "PR1", "claim_date": "01/03/2026",
         "status": "Settled", "service_code": "114;022", "amount_claimed": "290", "amount_paid": "150",
         "payer": "Bupa", "provider_name": "Doc, Jo"},
        {"claim_id": "CL2", "patient_id": "PT2", "invoice_id": "IN2", "claim_date": "01/03/2026", "status": "Lodged"},
        {"claim_id": "CL3", "patient_id": "PT1", "invoice_id": "", "claim_date": "01/03/2026", "status": "in review"},
    ]
    staged = stage_hand_made(warehouse, tmp_path, {
        "practices": [PRACTICE], "patients": [patient("PT1"), patient("PT2", is_deleted="Yes")],
        "invoices": invoices, "invoice_lines": lines, "payments": payments, "insurance_claims": claims})
    invoice = staged.payload("invoices", "IN1")
    assert invoice["invoiceStatus"] == "OUTSTANDING" and invoice["invoiceNumber"] == "INV-1"
    assert invoice["total"] == {"amountMicros": 290_000_000, "currencyCode": "AUD"}
    assert invoice["outstandingBalance"]["amountMicros"] == 90_000_000  # total − paid when balance is empty
    assert [item["lineId"] for item in invoice["lineItems"]] == ["IL2", "IL1"]  # in the file's order
    assert invoice["lineItems"][1] == {"lineId": "IL1", "itemCode": "022", "description": None, "tooth": "16, 26",
                                       "quantity": 2, "unitFee": 40.0, "lineTotal": 80.0}
    summary = invoice["payments"]
    assert (summary["count"], summary["netPaid"], summary["reversals"]) == (2, 200.0, 1)
    assert summary["methods"] == {"Card": 1, "HICAPS": 1} and summary["lastPaidAt"] == "2026-03-01T10:00"
    assert "TXN1" not in json.dumps(invoice) and "HICAPS 123" not in json.dumps(invoice)  # no payment references
    assert staged.held["IN2"][2] == "dependency_held_back: people PT2 (soft_deleted)"
    assert staged.held["IL3"][2].startswith("dependency_held_back: invoices IN2 (")
    assert staged.held["PM3"][2] == "payment_without_invoice"
    claim = staged.payload("insuranceClaims", "CL1")
    assert claim["claimStatus"] == "PAID" and claim["invoiceId"] == ref("invoices", "IN1")
    assert claim["amountPaid"] == {"amountMicros": 150_000_000, "currencyCode": "AUD"}
    unlinked = staged.payload("insuranceClaims", "CL3")
    assert unlinked["invoiceId"] is None and unlinked["claimStatus"] == "PENDING"
    assert staged.held["CL2"][2].startswith("dependency_held_back: ")
    assert staged.summary.unbalanced == {}


# -- appointments, notes, documents ----------------------------------------------------------------


def test_appointments_become_tasks_with_targets_named_for_the_server_version(tmp_path, warehouse) -> None:
    appointments = [
        {"appointment_id": "AP1", "patient_id": "PT1", "provider_id": "PV1", "practice_id": "PR1",
         "start_at": "15/07/2024 08:15", "appointment_type": "Check-up & Clean", "procedure_codes": "012;114",
         "status": "FTA", "created_at": "01/07/2024 10:00"},
        {"appointment_id": "AP2", "patient_id": "PT1", "provider_id": "PV9", "practice_id": "",
         "start_at": "2024-07-16 09:00", "appointment_type": "", "procedure_codes": "", "status": "Booked",
         "created_at": "01/07/2024 10:00"},
    ]
    staged = stage_hand_made(
        warehouse, tmp_path, {"practices": [practice("PR1", state="WA", postcode="6000"), practice("PR2")],
                              "providers": [provider("PV1", "jo@x.example")],
                              "patients": [patient("PT1", practice_id="PR2")], "appointments": appointments},
        members=[{"id": "m-jo", "userEmail": "jo@x.example"}, {"id": "m-boss", "userEmail": "boss@x.example"}],
        options={"fallback_owner_email": "boss@x.example"},
        target_field_names={"person": "personId", "company": "companyId"})
    first = staged.payload("tasks", "AP1")
    assert first["title"] == "Check-up & Clean (012, 114)"
    assert first["dueAt"] == "2024-07-15T00:15:00Z"  # the practice is in Perth, UTC+8
    assert first["createdAt"] == "2024-07-01T02:00:00Z"  # booked on the practice's clock
    assert (first["status"], first["appointmentStatus"]) == ("DONE", "NO_SHOW")
    assert first["assigneeId"] == "m-jo" and first["cpAppointmentId"] == "AP1"
    second = staged.payload("tasks", "AP2")
    assert second["title"] == "Appointment" and second["status"] == "TODO" and second["assigneeId"] == "m-boss"
    targets = {k: r.payload for k, r in staged.records["taskTargets"].items()}
    assert targets["AP1|person"] == {"taskId": ref("tasks", "AP1"), "personId": ref("people", "PT1")}
    assert targets["AP1|company"] == {"taskId": ref("tasks", "AP1"), "companyId": ref("companies", "PR1")}
    assert targets["AP2|company"]["companyId"] == ref("companies", "PR2")  # the patient's primary practice


def test_clinical_notes_keep_the_body_as_text_or_are_excluded_entirely(tmp_path, warehouse) -> None:
    note = {"note_id": "NT1", "patient_id": "PT1", "provider_id": "PV1", "note_type": "Clinical",
            "note_date": "02/02/2021 11:00", "body": "Line one *as typed*\nLine two", "created_at": ""}
    tables = {"practices": [PRACTICE], "providers": [provider("PV1", "jo@x.example")], "patients": [patient("PT1")],
              "clinical_notes": [note]}
    staged = stage_hand_made(warehouse, tmp_path, tables)
    assert staged.payload("notes", "NT1") == {
        "cpNoteId": "NT1", "title": "Clinical note 2021-02-02",
        "bodyV2": {"markdown": "Line one \\*as typed\\*\n\nLine two"},
        "originalCreatedAt": "2021-02-02T00:00:00Z", "authorDoctor": "Dr Jo DocPV1",
        "createdAt": "2021-02-02T00:00:00Z"}  # no created_at in the row: the note's date, in Melbourne
    assert staged.payload("noteTargets", "NT1|person") == {"noteId": ref("notes", "NT1"),
                                                           "targetPersonId": ref("people", "PT1")}
    excluded = stage_hand_made(warehouse, tmp_path, tables, wave="out", options={"include_clinical_notes": False})
    assert excluded.records["notes"] == {} and excluded.records["noteTargets"] == {}
    assert excluded.summary.rows["clinical_notes"] == excluded.summary.excluded["clinical_notes"] == 1
    assert excluded.summary.unbalanced == {}


def test_documents_are_staged_for_upload_unless_too_large(tmp_path, warehouse) -> None:
    import hashlib

    small, large, text = b"\x89PNG small", b"\x89PNG" + b"x" * 4096, b"%PDF consent"
    document = {"patient_id": "PT1", "category": "X-ray", "uploaded_at": "01/02/2024 10:00"}
    rows = [
        {**document, "document_id": "DC1", "file_name": "opg.png", "relative_path": "2024/opg.png",
         "mime_type": "image/png", "size_bytes": str(len(small)), "sha256": hashlib.sha256(small).hexdigest().upper()},
        {**document, "document_id": "DC2", "file_name": "cbct.png", "relative_path": "2024\\cbct.png",
         "mime_type": "image/png", "size_bytes": str(len(large)), "sha256": ""},
        {**document, "document_id": "DC3", "file_name": "consent.pdf", "relative_path": "2024/consent.pdf",
         "mime_type": "", "size_bytes": str(len(text)), "sha256": ""},
        {**document, "document_id": "DC4", "file_name": "passwd", "relative_path": "../../etc/passwd"},
    ]

    def send_checksums(data: dict) -> None:  # kept out by default; the attachment's reference carries it
        checksum = entry(data, "documents", "sha256")
        checksum["transform"], checksum["targets"] = "rename", ["attachments"]

    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": [patient("PT1")],
                                                   "documents": rows},
                             files={"2024/opg.png": small, "2024/cbct.png": large, "2024/consent.pdf": text},
                             target_field_names={"person": "personId"}, max_upload_bytes=1024, edit=send_checksums)
    docs = staged.records["attachments"]
    assert docs["DC1"].payload["personId"] == ref("people", "PT1")
    assert docs["DC1"].payload["fileCategory"] == "IMAGE"
    assert docs["DC1"].payload["$file"]["path"] == "documents/2024/opg.png"
    assert docs["DC1"].payload["$file"]["upload"] is True
    assert docs["DC1"].payload["$file"]["sha256"] == hashlib.sha256(small).hexdigest()  # read in one spelling
    assert docs["DC2"].payload["$file"]["upload"] is False and "document_too_large" in docs["DC2"].notes
    assert docs["DC2"].payload["$file"]["path"] == "documents/2024/cbct.png"  # as a Windows PC wrote it
    assert docs["DC3"].payload["fileCategory"] == "TEXT_DOCUMENT"
    assert "DC4" not in docs and ("DC4" in staged.rejected or staged.code("DC4") == "path_traversal")


# -- end to end over a generated export ------------------------------------------------------------

PATIENT_OUTCOMES = {
    # dirt kind → (held back with this reason code | None: staged, review reason prefix or None, note or None)
    "orphan_patient": ("orphan_patient", None, None),
    "soft_deleted_patient": ("soft_deleted", None, None),
    "duplicate_patient": (None, "possible_duplicate", None),
    "missing_email": (None, "email_missing", None),
    "na_email": (None, "email_missing", None),
    "malformed_email": (None, "email_malformed_dropped", None),
    "invalid_state": (None, "state_", None),
    "postcode_lost_zero": (None, "postcode_repaired", None),
    "international_address": (None, None, "international_address"),
    "shared_family_email": (None, None, None),
    "local_phone_format": (None, None, None),
    "archived_patient": (None, None, None),
    "future_date": (None, None, "future_created_at"),
}


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_every_faulty_row_gets_its_outcome_and_every_row_is_accounted_for(tmp_path, warehouse, region) -> None:
    export = generate_export(tmp_path / "export", region=region, practices=3, patients=120, seed=11,
                             dirt="realistic", export_date=EXPORT_DATE)
    source_rows = {name: list(open_export_file(find_export_file(export, spec), spec).rows())
                   for name, spec in EXPORT_SPEC.items()}
    faults = [f for f in map(json.loads, (export / MANIFEST_NAME).read_text().splitlines()) if f["kind"] == "dirt"]
    members = [{"id": "member-owner", "userEmail": "owner@example.com"}]
    staged = stage_export(warehouse, export, tmp_path, region=region, members=members,
                          options={"fallback_owner_email": "owner@example.com"})

    # every row read is rejected by validation, or staged, held back or excluded by mapping
    assert staged.summary.unbalanced == {}
    with warehouse.connect() as conn:
        for name, spec in EXPORT_SPEC.items():
            (accepted,) = conn.execute(f"select count(*) {accepted_from(spec, 'r', sql_string('w'))}").fetchone()
            assert len(source_rows[name]) >= accepted, name
            if name != "patient_practices":  # read into the patients' companyId, never a record of its own
                assert staged.summary.rows[name] == accepted, name

    people = staged.records["people"]
    accepted_patients = {r.values["patient_id"] for r in source_rows["patients"]} - set(staged.rejected)
    checked, hidden = set(), set()  # hidden: every row with that fault was held back for another one
    for fault in faults:
        if fault["object"] != "patients":
            continue
        key, kind = fault["source_key"], fault["dirt"]
        if key not in accepted_patients:
            assert DIRT_KINDS[kind].severity is not None or any(
                f["source_key"] == key and DIRT_KINDS[f["dirt"]].severity == "reject" for f in faults), key
            continue
        held_code, review, note = PATIENT_OUTCOMES.get(kind, (None, None, None))
        if kind in PATIENT_OUTCOMES and key in staged.held and not held_code:
            assert staged.code(key) in ("soft_deleted", "orphan_patient"), (kind, key)  # another fault held it
            hidden.add(kind)
            continue
        if held_code:
            assert staged.code(key) == held_code, (kind, key)
        else:
            record = people[key]
            if review:
                assert record.payload["needsReview"] is True, (kind, key)
                assert any(r.startswith(review) for r in record.payload["reviewReasons"].split("; ")), (kind, key)
            if note:
                assert note in record.notes, (kind, key)
            if kind == "shared_family_email":
                assert record.payload["emails"]["primaryEmail"] or record.payload["householdEmail"], key
            if kind == "local_phone_format":
                assert record.payload["phones"]["primaryPhoneNumber"].isdigit(), key
            if kind == "archived_patient":
                assert record.payload["patientStatus"] == "ARCHIVED", key
        checked.add(kind)
    assert {"orphan_patient", "soft_deleted_patient", "duplicate_patient", "shared_family_email",
            "local_phone_format", "invalid_state", "postcode_lost_zero", "international_address",
            "archived_patient"} <= checked | (hidden - checked)

    # one primary owner per email across all people; every household email is someone's primary
    primaries = [r.payload["emails"]["primaryEmail"] for r in people.values() if r.payload["emails"]["primaryEmail"]]
    assert len(primaries) == len(set(primaries))
    households = {r.payload.get("householdEmail") for r in people.values()} - {None}
    assert households and households <= set(primaries)

    # the large file is staged, not for upload; dependents of held-back patients are held back
    large = [f["source_key"] for f in faults if f["dirt"] == "large_file"]
    documents = staged.records["attachments"]
    assert large and all(documents[k].payload["$file"]["upload"] is False for k in large)
    for obj, _line, reason in staged.held.values():
        if obj in ("appointments", "clinical_notes", "invoices", "treatment_plans"):
            assert reason.startswith(("dependency_held_back", "dependency_missing")), (obj, reason)
    assert any(reason.startswith("dependency_held_back: people ") and reason.split(" ")[2] in staged.held
               for obj, _line, reason in staged.held.values() if obj == "appointments")

    # every reference points at a record staged in this wave
    for plural, records in staged.records.items():
        for key, record in records.items():
            for path, target, ref_key in payload_refs(record.payload):
                assert ref_key in staged.records[target], (plural, key, path)

    # no PII in decisions or reasons: ids, rules and counts only
    names = {r.values[c] for r in source_rows["patients"] for c in ("first_name", "last_name") if r.values[c]}
    text = json.dumps([staged.decisions, list(staged.held.values())])
    assert "@" not in text
    assert not [n for n in names if len(n) > 3 and f'"{n}"' in text]
    review_text = " ".join(r.payload.get("reviewReasons") or "" for r in people.values())
    assert "@" not in review_text and not any(n in review_text.split() for n in names)
    assert {d["outcome"] for d in staged.decisions if d["kind"] == "doctor_member"} == {"fallback"}
    assert (tmp_path / "reports-w" / "workflows" / "README.md").exists()


def test_staged_payloads_are_accepted_by_twenty(tmp_path, warehouse, twenty_sandbox) -> None:
    """Every staged shape (composites, selects, relations, RAW_JSON, rich text) against the sandbox's contract.

    Refs are resolved the way the loader will: records are created in dependency order and each `$ref` replaced
    by the id Twenty returned. Attachments are left to the upload flow.
    """
    from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
    from core_practice_twenty.twenty.metadata import sync_schema

    export = generate_export(tmp_path / "export", region="AU", practices=2, patients=30, seed=5, dirt="realistic",
                             export_date=EXPORT_DATE)
    staged = stage_export(warehouse, export, tmp_path)
    ids: dict[tuple[str, str], str] = {}
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        order = ["companies", "people", "treatmentPlans", "opportunities", "invoices", "insuranceClaims", "tasks",
                 "taskTargets", "notes", "noteTargets"]
        for obj in order:
            pending = sorted(staged.records[obj].items())
            while pending:  # parents before children within one object (parent companies)
                ready = [(k, r) for k, r in pending if all(tuple(d.split(":", 1)) in ids or not d.startswith(f"{obj}:")
                                                           for d in r.depends_on)]
                assert ready, obj
                for start in range(0, len(ready), 60):
                    batch = ready[start:start + 60]
                    bodies = []
                    for key, record in batch:
                        body, missing = resolve_refs(record.payload, lambda o, k: ids.get((o, k)))
                        assert missing == [], (obj, key, missing)
                        bodies.append(twenty_fields(body))
                    created = client.create_many(obj, bodies)
                    for (key, _record), made in zip(batch, created, strict=True):
                        ids[(obj, key)] = made["id"]
                pending = [(k, r) for k, r in pending if (obj, k) not in ids]
        person = next(p for p in client.find_many("people", filter="cpPatientId[is]:NOT_NULL"))
        assert person["personType"] == "PATIENT" and person["companyId"]
        assert client.count("tasks") == len(staged.records["tasks"]) > 0
        assert client.count("notes") == len(staged.records["notes"]) > 0


# -- a person's edits of the map -------------------------------------------------------------------


def test_a_column_read_by_another_transform_is_sent_as_that_transform_reads_it(tmp_path, warehouse) -> None:
    """A book whose visits are kept by day: `start_at` read as a date is what the task's due date gets."""
    appointment = {"appointment_id": "AP1", "patient_id": "PT1", "provider_id": "", "practice_id": "PR1",
                   "start_at": "15/07/2024 08:15", "status": "Booked", "created_at": "01/07/2024 10:00"}
    tables = {"practices": [PRACTICE], "patients": [patient("PT1")], "appointments": [appointment]}
    as_written = stage_hand_made(warehouse, tmp_path, tables).payload("tasks", "AP1")
    assert as_written["dueAt"] == "2024-07-14T22:15:00Z"  # 08:15 in Melbourne

    def by_day(data: dict) -> None:
        entry(data, "appointments", "start_at")["transform"] = "date"

    assert stage_hand_made(warehouse, tmp_path, tables, wave="by-day", edit=by_day).payload(
        "tasks", "AP1")["dueAt"] == "2024-07-15"


def test_a_column_a_policy_reads_is_never_re_pointed_silently(tmp_path) -> None:
    """A phone re-pointed away from the phones the policy reads together: refused by name, as are other readings of
    a status or a policy's column; nothing else of the map is refused."""
    from core_practice_twenty.mapping.field_map import from_dict, to_dict, validate
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty_tests.mapping.hand_made import hand_made_export

    export = hand_made_export(tmp_path / "export", {"practices": [PRACTICE], "patients": [patient("PT1")]})
    data = to_dict(propose(export))
    assert validate(from_dict(data)) == []
    entry(data, "patients", "work_phone")["targets"] = ["people.jobTitle"]
    entry(data, "patients", "first_name")["targets"] = ["people.jobTitle"]
    entry(data, "appointments", "status")["transform"] = "status_map:invoices.status"  # another value set's map
    entry(data, "patients", "recall_due_date")["transform"] = "datetime"
    problems = validate(from_dict(data))
    assert any(p.startswith("patients 'work_phone'") and "a policy makes people.phones.additionalPhones" in p
               for p in problems), problems
    assert any(p.startswith("patients 'first_name'") and "a policy makes people.name" in p for p in problems)
    assert any(p.startswith("appointments 'status'") and "keeps its value set's map" in p for p in problems), problems
    assert any(p.startswith("patients 'recall_due_date'") and "is a DATE field" in p for p in problems)
    assert len(problems) == 4, problems


def test_columns_the_default_keeps_out_can_be_sent_where_a_policy_reads_them(tmp_path) -> None:
    """The opt-ins the docs describe pass confirmation's checks: a preferred name beside the first name, fund and
    Medicare numbers into their fields with `include_fund_numbers`; a kept-out column into a field a policy writes
    from other columns, or read by a policy's transform, is refused naming the field it may go to."""
    from core_practice_twenty.mapping.field_map import from_dict, to_dict, validate
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty_tests.mapping.hand_made import hand_made_export

    export = hand_made_export(tmp_path / "export", {"practices": [PRACTICE], "patients": [patient("PT1")]})
    data = to_dict(propose(export))
    data["options"]["include_fund_numbers"] = True
    for column, field in (("preferred_name", "people.name.firstName"), ("medicare_no", "people.medicareNo"),
                          ("health_fund_member_no", "people.healthFundMemberNo")):
        entry(data, "patients", column)["transform"], entry(data, "patients", column)["targets"] = "rename", [field]
    assert validate(from_dict(data)) == []

    entry(data, "patients", "preferred_name")["targets"] = ["people.emails.primaryEmail"]
    entry(data, "patients", "referral_source")["transform"] = "phone_e164"
    entry(data, "patients", "referral_source")["targets"] = ["people.jobTitle"]
    problems = validate(from_dict(data))
    assert any(p.startswith("patients 'preferred_name'") and "send it to people.name.firstName" in p
               for p in problems), problems
    assert any(p.startswith("patients 'referral_source'") and "as one value only" in p for p in problems), problems
    assert len(problems) == 2, problems
