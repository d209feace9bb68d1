"""Field-level diff: Twenty's legitimate rewrites are matches, anything else is a difference a person sees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from lifecycle_waves import load_wave, patient, practice

from core_practice_twenty.lifecycle.diff import (
    FieldDiff,
    SourceColumn,
    diff_record,
    diff_wave,
    field_matches,
    read_source_rows,
    source_columns,
    write_reports,
)
from core_practice_twenty.mapping.default_map import DEFAULT_MAP
from core_practice_twenty.mapping.field_map import ColumnEntry, FieldMap, ObjectMap, save_map
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.model.staged import make_staged_record
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import read_staged
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


# -- source values -------------------------------------------------------------------------------


PEOPLE_AND_COMPANIES = ("companies", "people")


def exported(export: Path, name: str) -> dict[str, dict[str, str]]:
    """An export file's rows by key, read straight off the CSV (banner line skipped): the cells as exported."""
    lines = (export / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    key = EXPORT_SPEC[name].key[0]
    return {row[key]: row for row in csv.DictReader(lines)}


def landed_and_staged(export: Path, warehouse, wave: str) -> FieldMap:
    """Land practices, providers and patients and map them with the proposed map, as landing and stg_twenty do."""
    for name in ("practices", "providers", "patients"):
        land_object(warehouse, EXPORT_SPEC[name], export, wave=wave, snapshot_id=export.name)
    field_map = propose(export)
    stage_wave(warehouse, wave, field_map)
    return field_map


def by_field(rows: list[FieldDiff], obj: str, key: str) -> dict[str, FieldDiff]:
    return {r.field: r for r in rows if r.object == obj and r.source_key == key}


def test_each_diffed_field_carries_the_value_the_export_held(twenty_sandbox, warehouse, tmp_path) -> None:
    export = generate_export(tmp_path / "export", practices=1, patients=4, dirt="none", seed=5)
    field_map = landed_and_staged(export, warehouse, "sample")
    patients, providers, practices = (exported(export, n) for n in ("patients", "providers", "practices"))
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "sample", {o: read_staged(warehouse, o, "sample") for o in PEOPLE_AND_COMPANIES})
        diff = diff_wave(client, warehouse, "sample", field_map=field_map)
        sliced = diff_wave(client, warehouse, "sample", objects=["people"], sample_size=3, seed=1, field_map=field_map)
        person = next(client.find_many("people", filter='cpPatientId[eq]:"PT0000001"'))
        client.update_one("people", person["id"], {"emails": {"primaryEmail": "someone.else@example.com"}})
        edited = diff_wave(client, warehouse, "sample", field_map=field_map)
    assert diff.summary().passed, [r for r in diff.rows if not r.match]

    pt = patients["PT0000001"]
    row = by_field(diff.rows, "people", "PT0000001")
    assert row["emails"].source.split()[0] == pt["email"]  # then the family columns the email policy reads
    assert row["phones"].source == " ".join(pt[c] for c in ("mobile_phone", "home_phone", "work_phone") if pt[c])
    assert row["phones"].source.startswith("+61491570158")  # as exported; sent split into calling code + number
    assert row["phones"].expected["primaryPhoneNumber"] == "491570158"
    assert row["name"].source == f"{pt['first_name']} {pt['last_name']}"
    assert row["dateOfBirth"].source == pt["date_of_birth"] == "06/07/1948"  # as exported, not as sent
    assert row["dateOfBirth"].expected == "1948-07-06"
    assert row["companyId"].source == "PR0001"  # the source key; expected and actual are Twenty ids
    assert row["personType"].source is None and row["cpPatientId"].source == "PT0000001"

    # doctors share people with patients but come from providers.csv
    pv = providers["PV00001"]
    doctor = by_field(diff.rows, "people", "provider:PV00001")
    assert doctor["name"].source == f"{pv['first_name']} {pv['last_name']}"
    assert doctor["providerType"].source == pv["provider_type"] == "Dentist"
    assert doctor["emails"].source == pv["email"]

    company = by_field(diff.rows, "companies", "PR0001")
    assert company["name"].source == practices["PR0001"]["practice_name"]
    assert company["address"].source == "81 Main Rd Braddon ACT 2612 Australia"
    # the parent company is made from a group name, not from a row of its own: no source value
    assert all(r.source is None for r in by_field(diff.rows, "companies", "group:pure-dental-group").values())

    paths = write_reports(edited, tmp_path / "reports")
    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert "source_value" in rows[0]
    emails = next(r for r in rows if r["source_key"] == "PT0000001" and r["field"] == "emails")
    assert emails["source_value"].startswith(pt["email"]) and emails["status"] == "mismatch"
    assert "someone.else@example.com" in emails["actual"]
    assert next(r for r in rows if r["field"] == "personType")["source_value"] == ""
    markdown = paths["markdown"].read_text()
    assert "| source value |" in markdown and f"| people | PT0000001 | emails | {pt['email']}" in markdown
    assert "<th>source value</th>" in paths["html"].read_text() and pt["email"] in paths["html"].read_text()
    assert pt["email"] not in json.dumps(edited.summary().as_metadata())  # values stay in the report files

    # a random slice reads the source rows of the records it picked
    names = [r for r in sliced.rows if r.field == "name"]
    assert len(names) == 3 and all(r.source and r.source == r.expected["firstName"] + " " + r.expected["lastName"]
                                   for r in names)


def test_without_a_field_map_the_confirmed_one_is_read_and_without_either_there_is_no_source(
        twenty_sandbox, warehouse, tmp_path, monkeypatch) -> None:
    export = generate_export(tmp_path / "export", practices=1, patients=2, dirt="none", seed=5)
    field_map = landed_and_staged(export, warehouse, "full")
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "full", {o: read_staged(warehouse, o, "full") for o in PEOPLE_AND_COMPANIES})
        map_path = tmp_path / "mapping" / "field-map.yaml"
        without = diff_wave(client, warehouse, "full", objects=["people"], map_path=map_path)  # no file yet
        save_map(field_map, map_path)
        confirmed = diff_wave(client, warehouse, "full", objects=["people"], map_path=map_path)
    assert without.rows and all(r.source is None for r in without.rows)
    email = by_field(confirmed.rows, "people", "PT0000001")["emails"]
    assert email.source.split()[0] == exported(export, "patients")["PT0000001"]["email"]


def default_field_map() -> FieldMap:
    """The default map as a map file would hold it for an export with every canonical column."""
    objects: dict[str, ObjectMap] = {}
    for entry in DEFAULT_MAP.values():
        objects.setdefault(entry.source_object, ObjectMap(file=None)).columns.append(ColumnEntry(
            header=entry.column, column=(entry.column,), targets=entry.targets, transform=entry.transform,
            confidence=1.0, reason=entry.reason))
    return FieldMap(status="confirmed", objects=objects)


def test_the_map_alone_says_which_columns_feed_a_field() -> None:
    columns = source_columns(default_field_map())
    assert columns[("people", "name")] == [
        SourceColumn("providers", "first_name"), SourceColumn("providers", "last_name"),
        SourceColumn("patients", "first_name"), SourceColumn("patients", "last_name")]
    assert ("people", "middle_name") not in columns and not any(
        c.column == "middle_name" for cols in columns.values() for c in cols)  # excluded in the map
    assert columns[("invoices", "patientId")] == [SourceColumn("invoices", "patient_id")]  # relation `patient`
    assert ("people", "personType") not in columns  # computed by the mapper, no column feeds it


def test_a_practices_own_column_has_its_exported_value_too(tmp_path, warehouse) -> None:
    export = generate_export(tmp_path / "export", practices=1, patients=2, dirt="none", seed=5)
    path = export / "providers.csv"
    banner, header, *rows = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join([banner, header + ",Preferred Nickname",
                               *(f"{row},Doc {i}" for i, row in enumerate(rows))]) + "\n", encoding="utf-8")
    land_object(warehouse, EXPORT_SPEC["providers"], export, wave="w", snapshot_id=export.name)
    own = ColumnEntry(header="Preferred Nickname", column=(), targets=("people.preferredNickname",),
                      transform="rename", confidence=0.5, reason="the practice's own column")
    columns = source_columns(FieldMap(status="confirmed", objects={"providers": ObjectMap(file=None, columns=[own])}))
    assert columns == {("people", "preferredNickname"): [SourceColumn("providers", "Preferred Nickname", extra=True)]}

    cells = read_source_rows(warehouse, "w", "providers", [4], [*columns[("people", "preferredNickname")],
                                                                SourceColumn("providers", "first_name")])
    first_name = exported(export, "providers")["PV00002"]["first_name"]
    assert cells == {4: {"Preferred Nickname": "Doc 1", "first_name": first_name}}  # line 4: the second provider
