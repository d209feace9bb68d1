"""Field-level diff: Twenty's legitimate rewrites are matches, anything else is a difference a person sees."""

from __future__ import annotations

import csv
import json

import pytest
from lifecycle_waves import load_wave, patient, practice

from core_practice_twenty.lifecycle.diff import diff_record, diff_wave, field_matches, write_reports
from core_practice_twenty.mapping.staging import make_staged_record
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.twenty.metadata import sync_schema

TWENTY_REWRITES = [
    # (type, field, sent, Twenty's answer)
    ("EMAILS", "emails", {"primaryEmail": "Ann@Example.COM.", "additionalEmails": None},
     {"primaryEmail": "ann@example.com", "additionalEmails": []}),
    ("PHONES", "phones", {"primaryPhoneNumber": "+61491570156"},
     {"primaryPhoneNumber": "491570156", "primaryPhoneCountryCode": "AU", "primaryPhoneCallingCode": "+61",
      "additionalPhones": None}),
    ("PHONES", "phones", {"primaryPhoneNumber": "0491 570 156", "primaryPhoneCallingCode": "+61",
                          "primaryPhoneCountryCode": None, "additionalPhones": [
                              {"number": "398765432", "callingCode": "+61", "countryCode": "AU"}]},
     {"primaryPhoneNumber": "0491570156", "primaryPhoneCountryCode": "AU", "primaryPhoneCallingCode": "+61",
      "additionalPhones": [{"number": "398765432", "callingCode": "+61", "countryCode": "AU"}]}),
    ("FULL_NAME", "name", {"firstName": "Ann", "lastName": "Lee"}, {"firstName": "Ann", "lastName": "Lee"}),
    ("ADDRESS", "address", {"addressStreet1": "1 Main St", "addressPostcode": "0800", "addressCountry": "AU"},
     {"addressStreet1": "1 Main St", "addressStreet2": None, "addressCity": None, "addressPostcode": "0800",
      "addressState": None, "addressCountry": "AU", "addressLat": None, "addressLng": None}),
    ("LINKS", "domainName", {"primaryLinkUrl": "https://WWW.Smile.example/book/", "primaryLinkLabel": None,
                             "secondaryLinks": None},
     {"primaryLinkUrl": "smile.example", "primaryLinkLabel": "", "secondaryLinks": []}),
    ("LINKS", "linkedinLink", {"primaryLinkUrl": "HTTPS://LinkedIn.com/in/ann/"},
     {"primaryLinkUrl": "https://linkedin.com/in/ann", "primaryLinkLabel": None, "secondaryLinks": None}),
    ("CURRENCY", "amount", {"amountMicros": 150_000_000, "currencyCode": "AUD"},
     {"amountMicros": "150000000", "currencyCode": "AUD"}),
    ("DATE_TIME", "dueAt", "2025-03-01T09:00:00+11:00", "2025-02-28T22:00:00.000Z"),
    ("DATE", "dateOfBirth", "1980-02-01", "1980-02-01"),
    ("RICH_TEXT_V2", "bodyV2", {"markdown": "Reviewed\\. Next visit in 6 months  \n"},
     {"blocknote": "[{\"type\":\"paragraph\"}]", "markdown": "Reviewed\\. Next visit in 6 months"}),
    ("RAW_JSON", "lineItems", [{"code": "011", "fee": 60}], "[{\"fee\": 60, \"code\": \"011\"}]"),
    ("TEXT", "jobTitle", None, ""),
    ("EMAILS", "emails", {"primaryEmail": None, "additionalEmails": None},
     {"primaryEmail": None, "additionalEmails": None}),
    ("RELATION", "companyId", "6F1C0D7E-0000-4000-8000-000000000001", "6f1c0d7e-0000-4000-8000-000000000001"),
]

REAL_DIFFERENCES = [
    ("EMAILS", "emails", {"primaryEmail": "ann@example.com"}, {"primaryEmail": "anne@example.com"}),
    ("EMAILS", "emails", {"primaryEmail": None, "additionalEmails": ["fam@example.com"]},
     {"primaryEmail": "fam@example.com", "additionalEmails": None}),
    ("PHONES", "phones", {"primaryPhoneNumber": "491570156", "primaryPhoneCallingCode": "+61"},
     {"primaryPhoneNumber": "491570156", "primaryPhoneCallingCode": "+64", "primaryPhoneCountryCode": "NZ"}),
    ("FULL_NAME", "name", {"firstName": "Ann", "lastName": "Lee"}, {"firstName": "Ann", "lastName": "Li"}),
    ("ADDRESS", "address", {"addressPostcode": "0800"}, {"addressPostcode": "800"}),
    ("CURRENCY", "amount", {"amountMicros": 150_000_000, "currencyCode": "AUD"},
     {"amountMicros": 15_000_000, "currencyCode": "AUD"}),
    ("DATE_TIME", "dueAt", "2025-03-01T09:00:00+11:00", "2025-03-01T09:00:00.000Z"),
    ("RICH_TEXT_V2", "bodyV2", {"markdown": "Extraction 38"}, {"markdown": "Extraction 48", "blocknote": "[]"}),
    ("SELECT", "patientStatus", "ACTIVE", "INACTIVE"),
    ("TEXT", "reviewReasons", "phone_unparseable:home_phone", None),
    ("ADDRESS", "homeAddress", None, {"addressStreet1": "1 Main St"}),
]


@pytest.mark.parametrize(("type_", "name", "sent", "answer"), TWENTY_REWRITES)
def test_what_twenty_legitimately_rewrites_is_a_match(type_, name, sent, answer) -> None:
    assert field_matches(type_, name, sent, answer)


@pytest.mark.parametrize(("type_", "name", "sent", "answer"), REAL_DIFFERENCES)
def test_a_changed_value_is_a_mismatch(type_, name, sent, answer) -> None:
    assert not field_matches(type_, name, sent, answer)


def test_a_record_twenty_does_not_hold_is_one_missing_row() -> None:
    rows = diff_record("people", "PT1", {"name": {"firstName": "A"}}, None, {"name": "FULL_NAME"})
    assert [(r.field, r.status) for r in rows] == [("(record)", "missing_in_twenty")]


def test_a_loaded_wave_diffs_clean_until_someone_edits_twenty(twenty_sandbox, warehouse, tmp_path) -> None:
    staged = {
        "companies": [practice("PR1", "https://www.Smile-One.example/"), practice("PR2", "not a host at all")],
        "people": [patient("PT1", "PR1", "Ann1@Example.com"), patient("PT2", "PR1", None),
                   patient("PT3", "PR1", "ann3@example.com")],
        "tasks": [make_staged_record(source_key="AP1", payload={
            "title": "Check-up", "dueAt": "2025-03-03T09:30:00+11:00", "status": "TODO",
            "appointmentStatus": "SCHEDULED", "cpAppointmentId": "AP1"})],
        "notes": [make_staged_record(source_key="NT1", payload={
            "title": "Exam", "bodyV2": {"markdown": "Caries on 36\\.\n\nReview in 6 months"},
            "originalCreatedAt": "2025-02-01T10:00:00+11:00", "cpNoteId": "NT1"})],
        "invoices": [make_staged_record(source_key="IN1", payload={
            "invoiceNumber": "INV-1", "invoiceStatus": "PAID", "cpInvoiceId": "IN1",
            "total": {"amountMicros": 180_500_000, "currencyCode": "AUD"},
            "lineItems": [{"code": "011", "fee": "60.00"}], "invoiceDate": "2025-02-01"})],
    }
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        reports = load_wave(client, warehouse, "sample", staged)
        assert reports["companies"].rejected == 1  # PR2's website is not a host: Twenty refuses it

        clean = diff_wave(client, warehouse, "sample")
        summary = clean.summary()
        assert summary.passed, [r for r in clean.rows if not r.match]
        assert summary.objects["companies"].not_loaded == 1
        assert summary.objects["people"].records == 3 and summary.objects["people"].mismatched == 0
        assert summary.objects["people"].fields == 3 * len(staged["people"][0].payload)

        person = next(client.find_many("people", filter='cpPatientId[eq]:"PT3"'))
        client.update_one("people", person["id"], {"name": {"firstName": "Ann", "lastName": "Edited"}})
        edited = diff_wave(client, warehouse, "sample")

    summary = edited.summary()
    assert not summary.passed and summary.unexpected == 1
    assert summary.objects["people"].mismatched_fields == {"name": 1}
    metadata = json.dumps(summary.as_metadata())
    assert "Edited" not in metadata and "ann" not in metadata.lower()  # counts and field names only

    paths = write_reports(edited, tmp_path / "reports")
    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    wrong = [r for r in rows if r["match"] == "False" and r["status"] == "mismatch"]
    assert [(r["object"], r["source_key"], r["field"]) for r in wrong] == [("people", "PT3", "name")]
    assert "Edited" in wrong[0]["actual"] and "LeePT3" in wrong[0]["expected"]
    markdown = paths["markdown"].read_text()
    assert "1 unexpected difference" in markdown and "| people | PT3 | name |" in markdown
    assert "<td>PT3</td>" in paths["html"].read_text()


def test_a_random_slice_of_a_wave_is_the_same_for_the_same_seed(twenty_sandbox, warehouse) -> None:
    staged = {"companies": [practice("PR1", "smile-one.example")],
              "people": [patient(f"PT{i}", "PR1", f"p{i}@example.com") for i in range(12)]}
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "full", staged)
        first = diff_wave(client, warehouse, "full", objects=["people"], sample_size=5, seed=3)
        again = diff_wave(client, warehouse, "full", objects=["people"], sample_size=5, seed=3)
    keys = {r.source_key for r in first.rows}
    assert len(keys) == 5 and keys == {r.source_key for r in again.rows} and first.summary().passed
