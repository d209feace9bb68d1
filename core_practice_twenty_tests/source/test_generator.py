"""The synthetic export generator: shape, realism, arithmetic, determinism and its dirt manifest.

Files are read here with the csv module and openpyxl directly (not through readers.py), so that these
tests pin what the generator writes, independently of how the pipeline reads it. The dirt checks
re-derive each kind from the rows themselves: every manifest line must show its fault on its row, and
no row outside the manifest may show one, which is the contract the validation tests build on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath, PureWindowsPath

import openpyxl
import phonenumbers
import pytest

from core_practice_twenty.cli import main as cpt
from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR, EXPORT_SPEC
from core_practice_twenty.source.generator import (
    DEFAULT_EXPORT_DATE,
    LARGE_FILE_BYTES,
    MANIFEST_NAME,
    REALISTIC_RATES,
    generate_export,
)
from core_practice_twenty.source.regions import AU_FICTIONAL_MOBILES, REGIONS

EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
RESERVED_EMAIL_DOMAINS = {"example.com", "example.net", "example.org"}
PAST_ONLY = {"created_at", "updated_at", "date_of_birth", "paid_at", "first_visit_date", "last_visit_date",
             "first_seen", "last_seen", "uploaded_at", "note_date", "invoice_date", "claim_date", "accepted_date",
             "completed_date", "proposed_date"}


# -- reading what the generator wrote ---------------------------------------------------------


def read_rows(folder: Path, name: str) -> list[dict]:
    """Data rows of one export file as dicts (CSV text, or XLSX typed cells), banner and header skipped."""
    csv_path, xlsx_path = folder / f"{name}.csv", folder / f"{name}.xlsx"
    if csv_path.exists():
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    else:
        book = openpyxl.load_workbook(xlsx_path, read_only=True)
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        book.close()
        width = len(rows[1])
        rows = [row + [None] * (width - len(row)) for row in rows]  # trailing empty cells are not stored
    header = rows[1]
    return [dict(zip(header, row, strict=True)) for row in rows[2:]]


def manifest(folder: Path) -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in (folder / MANIFEST_NAME).read_text(encoding="utf-8").splitlines()]
    assert lines[0]["kind"] == "header"
    return lines[0], lines[1:]


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def when(value, region: str, *, datetime_: bool = False) -> datetime | None:
    """A date or datetime cell in the region's own format (or an XLSX date cell); None when it does not parse."""
    if isinstance(value, datetime):
        return value
    profile = REGIONS[region]
    try:
        return datetime.strptime(value, profile.datetime_format if datetime_ else profile.date_format)
    except (TypeError, ValueError):
        return None


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory):
    """Exports generated once per module, by (region, format, dirt, patients)."""
    made: dict[tuple, Path] = {}

    def get(region: str = "AU", fmt: str = "csv", dirt: str = "none", patients: int = 250, seed: int = 11) -> Path:
        key = (region, fmt, dirt, patients, seed)
        if key not in made:
            folder = tmp_path_factory.mktemp(f"{region}-{fmt}-{dirt}") / "snapshot"
            made[key] = generate_export(folder, region=region, practices=6, patients=patients, seed=seed,
                                        format=fmt, dirt=dirt)
        return made[key]

    return get


# -- shape and determinism ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_same_arguments_give_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    first = generate_export(tmp_path / "a", patients=60, seed=5, format=fmt, region="US")
    second = generate_export(tmp_path / "b", patients=60, seed=5, format=fmt, region="US")
    assert tree_digest(first) == tree_digest(second)
    third = generate_export(tmp_path / "c", patients=60, seed=6, format=fmt, region="US")
    assert tree_digest(first) != tree_digest(third)


def test_regenerating_into_the_same_folder_leaves_no_stale_files(tmp_path: Path) -> None:
    folder = generate_export(tmp_path / "x", patients=40, seed=1, format="xlsx")
    generate_export(folder, patients=40, seed=2, format="csv")
    assert not list(folder.glob("*.xlsx"))
    assert tree_digest(folder) == tree_digest(generate_export(tmp_path / "y", patients=40, seed=2))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_all_thirteen_files_have_a_title_row_and_the_spec_header(exports, fmt: str) -> None:
    folder = exports(fmt=fmt, dirt="realistic", patients=200)
    header, _ = manifest(folder)
    for name, spec in EXPORT_SPEC.items():
        path = folder / f"{name}.{fmt}"
        assert path.exists(), name
        if fmt == "csv":
            raw = path.read_bytes()
            assert raw.startswith(b"\xef\xbb\xbfCore Practice - "), name
            assert b"\r\n" in raw
            if name != "clinical_notes":  # notes keep the clinician's line breaks inside quoted cells
                assert raw.count(b"\n") == raw.count(b"\r\n"), name
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                assert len(next(reader)) == 1
                assert next(reader) == spec.column_names
        else:
            book = openpyxl.load_workbook(path, read_only=True)
            rows = book.worksheets[0].iter_rows(values_only=True)
            assert str(next(rows)[0]).startswith("Core Practice - ")
            assert list(next(rows)) == spec.column_names
            book.close()
        assert len(read_rows(folder, name)) == header["counts"][name] > 0, name


def test_some_notes_are_quoted_cells_with_line_breaks(exports) -> None:
    notes = read_rows(exports(dirt="realistic", patients=200), "clinical_notes")
    assert any("\n" in note["body"] for note in notes)
    assert all(note["body"] and "\r" not in note["body"] for note in notes)


def test_manifest_header_describes_the_run(exports) -> None:
    header, _ = manifest(exports(dirt="realistic", patients=200))
    assert header["seed"] == 11 and header["region"] == "AU" and header["dirt"] == "realistic"
    assert set(header["counts"]) == set(EXPORT_SPEC)
    assert header["export_date"] == DEFAULT_EXPORT_DATE.isoformat()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    for kwargs in ({"region": "UK"}, {"format": "json"}, {"dirt": "some"}, {"practices": 0}):
        with pytest.raises(ValueError):
            generate_export(tmp_path / "bad", **kwargs)


def test_cpt_generate_passes_every_option(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    assert cpt(["generate", "--out", str(out), "--region", "NZ", "--practices", "2", "--patients", "30",
                "--seed", "3", "--format", "xlsx", "--dirt", "none"]) == 0
    header, faults = manifest(out)
    assert (header["region"], header["dirt"], header["counts"]["practices"]) == ("NZ", "none", 2)
    assert (out / "patients.xlsx").exists() and not faults


# -- a clean export is spotless ----------------------------------------------------------------


def all_rows(folder: Path) -> dict[str, list[dict]]:
    return {name: read_rows(folder, name) for name in EXPORT_SPEC}


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_clean_export_keys_are_unique_and_every_reference_resolves(exports, region: str) -> None:
    tables = all_rows(exports(region=region))
    keys = {}
    for name, spec in EXPORT_SPEC.items():
        values = ["|".join(text(row[k]) for k in spec.key) for row in tables[name]]
        assert len(values) == len(set(values)), name
        keys[name] = set(values)
    for name, spec in EXPORT_SPEC.items():
        for column in spec.references:
            target = column.references.split(".")[0]
            dangling = [row[column.name] for row in tables[name] if row[column.name] not in (None, "")
                        and text(row[column.name]) not in keys[target]]
            assert not dangling, f"{name}.{column.name}"
    assert manifest(exports(region=region))[1] == []


@pytest.mark.parametrize(("region", "fmt"), [("AU", "csv"), ("NZ", "csv"), ("US", "csv"), ("AU", "xlsx")])
def test_clean_export_has_no_dirt_at_all(exports, region: str, fmt: str) -> None:
    folder = exports(region=region, fmt=fmt)
    tables = all_rows(folder)
    profile = REGIONS[region]
    patients = tables["patients"]
    emails = [p["email"] for p in patients]
    assert all(e and EMAIL.match(e) for e in emails)
    assert len({e.lower() for e in emails}) == len(emails)
    identities = Counter((p["first_name"].lower(), p["last_name"].lower(), text(p["date_of_birth"])) for p in patients)
    assert max(identities.values()) == 1
    places = {(loc.suburb, loc.state, loc.postcode) for loc in profile.localities}
    for p in patients:
        assert (p["patient_city"], p["patient_state"], text(p["patient_postal_code"])) in places
        assert p["patient_country"] == region
        assert p["status"] in ("Active", "Inactive", "Deceased")
        assert p["is_deleted"] == "No" and p["practice_id"]
        for phone in (p["mobile_phone"], p["home_phone"], p["work_phone"]):
            if phone:
                assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
    primaries = defaultdict(list)
    for link in tables["patient_practices"]:
        primaries[link["patient_id"]].append((link["practice_id"], link["is_primary"]))
    for p in patients:
        flags = primaries[p["patient_id"]]
        assert [practice for practice, primary in flags if primary == "Yes"] == [p["practice_id"]]
    assert any(len(flags) > 1 for flags in primaries.values()), "some patients are seen at two locations"
    for name, spec in EXPORT_SPEC.items():
        for column in spec.columns:
            if column.type.value not in ("date", "datetime"):
                continue
            for row in tables[name]:
                if row[column.name] in (None, ""):
                    continue
                parsed = when(row[column.name], region, datetime_=column.type.value == "datetime")
                assert parsed is not None, (name, column.name, row[column.name])
                assert parsed.year >= 1900
                if column.name in PAST_ONLY:
                    assert parsed.date() <= DEFAULT_EXPORT_DATE, (name, column.name)


def test_clean_documents_are_real_files_with_the_listed_size_and_checksum(exports) -> None:
    folder = exports()
    documents = read_rows(folder, "documents")
    assert documents
    kinds = Counter()
    for doc in documents:
        path = folder / DOCUMENTS_DIR / doc["relative_path"]
        content = path.read_bytes()
        assert len(content) == int(doc["size_bytes"]) < LARGE_FILE_BYTES
        assert hashlib.sha256(content).hexdigest() == doc["sha256"]
        if doc["mime_type"] == "image/png":
            assert content.startswith(b"\x89PNG\r\n\x1a\n") and content.endswith(b"IEND\xaeB`\x82")
        else:
            assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
            assert b"Synthetic" in content
        kinds[doc["mime_type"]] += 1
        assert doc["file_name"] == PurePosixPath(doc["relative_path"]).name
    assert kinds["image/png"] and kinds["application/pdf"]


# -- realism per region --------------------------------------------------------------------------


CODE_SHAPES = {"AU": r"\d{3}", "NZ": r"\d{3}", "US": r"D\d{4}"}
TOOTH_SHAPES = {"AU": r"[1-8][1-8]", "NZ": r"[1-8][1-8]", "US": r"([1-9]|[12]\d|3[0-2]|[A-T])"}
POSTCODE_SHAPES = {"AU": r"\d{4}", "NZ": r"\d{4}", "US": r"\d{5}"}


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_region_reference_data_is_real_shaped(region: str) -> None:
    profile = REGIONS[region]
    assert len(profile.localities) >= 35
    assert all(re.fullmatch(POSTCODE_SHAPES[region], loc.postcode) for loc in profile.localities)
    assert all(loc.state in profile.states for loc in profile.localities)
    assert any(loc.postcode.startswith("0") for loc in profile.localities), "leading-zero postcodes exist"
    if region == "AU":
        assert {loc.postcode[0] for loc in profile.localities if loc.state == "NT"} == {"0"}
        assert set(profile.states) == {"NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"}
    if region == "US":
        assert {loc.state for loc in profile.localities if loc.postcode.startswith("0")} >= {"MA", "CT", "NH", "VT",
                                                                                          "ME", "RI", "NJ"}
    assert all(re.fullmatch(CODE_SHAPES[region], code) for code in profile.procedures)


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_export_uses_the_regions_dates_codes_teeth_and_places(exports, region: str) -> None:
    folder = exports(region=region)
    tables = all_rows(folder)
    profile = REGIONS[region]
    births = [p["date_of_birth"] for p in tables["patients"]]
    assert all(datetime.strptime(b, profile.date_format) for b in births)
    day_first = [b for b in births if int(b[:2]) > 12]
    month_first = [b for b in births if int(b[3:5]) > 12]
    assert (day_first and not month_first) if region != "US" else (month_first and not day_first)
    starts = [a["start_at"] for a in tables["appointments"]]
    assert all(datetime.strptime(s, profile.datetime_format) for s in starts)
    if region == "US":
        assert all(s.endswith(("AM", "PM")) for s in starts)
    assert {p["patient_state"] for p in tables["patients"]} <= set(profile.states)
    assert all(re.fullmatch(POSTCODE_SHAPES[region], p["patient_postal_code"]) for p in tables["patients"])
    for plan in tables["treatment_plans"]:
        assert all(re.fullmatch(CODE_SHAPES[region], c) for c in plan["procedure_codes"].split(";"))
        if plan["tooth_numbers"]:
            assert all(re.fullmatch(TOOTH_SHAPES[region], t) for t in plan["tooth_numbers"].split(";"))
    for line in tables["invoice_lines"]:
        assert re.fullmatch(CODE_SHAPES[region], line["item_code"])
        assert line["tooth"] == "" or re.fullmatch(TOOTH_SHAPES[region], line["tooth"])
    assert any(";" in a["procedure_codes"] for a in tables["appointments"])
    assert {i["currency"] for i in tables["invoices"]} == {profile.currency}
    types = {p["provider_type"] for p in tables["providers"]}
    assert types == set(EXPORT_SPEC["providers"].column("provider_type").values)
    assert {"Restorative", "Check-up & Clean", "New Patient Exam"} <= {a["appointment_type"]
                                                                       for a in tables["appointments"]}


def test_households_share_a_head_and_a_role(exports) -> None:
    patients = read_rows(exports(), "patients")
    by_id = {p["patient_id"]: p for p in patients}
    members = [p for p in patients if p["family_role"] == "Member"]
    assert members
    for p in patients:
        head = by_id[p["family_head_id"]]
        assert head["family_role"] == "Head" and head["family_head_id"] == head["patient_id"]
        if p["family_role"] == "Member":
            assert p["first_address"] == head["first_address"]


def test_recalls_repeat_every_six_to_twenty_four_months(exports) -> None:
    appointments = read_rows(exports(), "appointments")
    visits = defaultdict(list)
    for a in appointments:
        if a["appointment_type"] in ("Check-up & Clean", "New Patient Exam"):
            visits[a["patient_id"]].append(datetime.strptime(a["start_at"], "%d/%m/%Y %H:%M").date())
    gaps = [(b - a).days for days in visits.values() for a, b in zip(sorted(days), sorted(days)[1:], strict=False)]
    assert gaps and all(150 <= gap <= 760 for gap in gaps if gap > 0)
    assert Counter(180 <= g <= 200 or 340 <= g <= 380 for g in gaps)[True] > len(gaps) / 3


# -- money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "fmt"), [("AU", "csv"), ("US", "csv"), ("US", "xlsx")])
def test_invoice_lines_payments_and_balances_add_up(exports, region: str, fmt: str) -> None:
    tables = all_rows(exports(region=region, fmt=fmt, dirt="realistic", patients=200))

    def money(value) -> Decimal:
        """CSV: `123.45`; XLSX: a number cell (Excel stores 395.00 as 395)."""
        if isinstance(value, int | float):
            return Decimal(repr(value)).quantize(Decimal("0.01"))
        assert re.fullmatch(r"-?\d+\.\d{2}", value), value
        return Decimal(value)

    lines, paid = defaultdict(Decimal), defaultdict(Decimal)
    for line in tables["invoice_lines"]:
        assert money(line["line_total"]) == money(line["unit_fee"]) * int(line["quantity"])
        lines[line["invoice_id"]] += money(line["line_total"])
    for payment in tables["payments"]:
        paid[payment["invoice_id"]] += money(payment["amount"])
        assert (money(payment["amount"]) < 0) == (payment["is_reversal"] == "TRUE")
    statuses = Counter()
    for invoice in tables["invoices"]:
        total, amount_paid, balance = (money(invoice[c]) for c in ("total", "amount_paid", "balance"))
        assert lines[invoice["invoice_id"]] == total
        assert paid[invoice["invoice_id"]] == amount_paid
        assert balance == total - amount_paid
        status = invoice["status"]
        statuses[status] += 1
        assert (status == "Paid") == (balance == 0 and status != "Void")
    assert statuses["Paid"] > statuses["Outstanding"] + statuses["Overdue"]
    claims = tables["insurance_claims"]
    assert claims and all(", " in c["provider_name"] for c in claims)  # "Last, First" as CP prints it
    for claim in claims:
        assert money(claim["amount_paid"]) <= money(claim["amount_claimed"])


# -- dirt ----------------------------------------------------------------------------------------


def observed_faults(folder: Path, region: str) -> set[tuple[str, str, str]]:
    """(dirt, object, source_key) for every fault visible in the rows, re-derived without the manifest."""
    tables = all_rows(folder)
    profile = REGIONS[region]
    found: set[tuple[str, str, str]] = set()
    patients = tables["patients"]
    patient_ids = {p["patient_id"] for p in patients}
    linked = {link["patient_id"] for link in tables["patient_practices"]}
    emails = Counter(text(p["email"]).lower() for p in patients if p["email"] and p["email"].lower() != "n/a")
    seen_identity: set[tuple] = set()
    export_day = DEFAULT_EXPORT_DATE
    for p in patients:
        key = p["patient_id"]

        def add(kind: str, key: str = key) -> None:
            found.add((kind, "patients", key))

        email = text(p["email"])
        if not email:
            add("missing_email")
        elif email.lower() == "n/a":
            add("na_email")
        elif not EMAIL.match(email):
            add("malformed_email")
        elif emails[email.lower()] > 1:
            add("shared_family_email")
        if p["mobile_phone"] and not p["mobile_phone"].startswith("+"):
            add("local_phone_format")
        if p["patient_country"] != region:
            add("international_address")
        else:
            if p["patient_state"] not in profile.states:
                add("invalid_state")
            if len(text(p["patient_postal_code"])) < len(profile.localities[0].postcode):
                add("postcode_lost_zero")
        if not p["practice_id"] and key not in linked:
            add("orphan_patient")
        if p["status"] == "Archived":
            add("archived_patient")
        if p["is_deleted"] == "Yes":
            add("soft_deleted_patient")
        created = when(p["created_at"], region, datetime_=True)
        if created and created.date() > export_day:
            add("future_date")
        born = when(p["date_of_birth"], region)
        if born is None or born.year < 1900 or born.date() > export_day:
            add("impossible_date")
        identity = (p["first_name"].lower(), p["last_name"].lower(), text(p["date_of_birth"]))
        if identity in seen_identity:
            add("duplicate_patient")
        seen_identity.add(identity)
    for kind, name, key_column in (("dangling_appointment_patient", "appointments", "appointment_id"),
                                   ("dangling_note_patient", "clinical_notes", "note_id"),
                                   ("dangling_invoice_patient", "invoices", "invoice_id")):
        found |= {(kind, name, row[key_column]) for row in tables[name] if row["patient_id"] not in patient_ids}
    root = folder / DOCUMENTS_DIR
    for doc in tables["documents"]:
        relative = doc["relative_path"]
        if any(f.is_absolute() or f.drive or ".." in f.parts for f in (PurePosixPath(relative),
                                                                       PureWindowsPath(relative))):
            found.add(("path_traversal", "documents", doc["document_id"]))
            continue
        path = root / relative
        if not path.is_file():
            found.add(("document_missing", "documents", doc["document_id"]))
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != doc["sha256"]:
            found.add(("document_checksum_mismatch", "documents", doc["document_id"]))
        if path.stat().st_size >= LARGE_FILE_BYTES:
            found.add(("large_file", "documents", doc["document_id"]))
    return found


@pytest.mark.parametrize(("region", "fmt", "dirt"), [("AU", "csv", "realistic"), ("NZ", "csv", "realistic"),
                                                     ("US", "xlsx", "realistic"), ("AU", "csv", "heavy")])
def test_the_manifest_lists_exactly_the_faults_the_rows_show(exports, region: str, fmt: str, dirt: str) -> None:
    folder = exports(region=region, fmt=fmt, dirt=dirt, patients=200)
    _, faults = manifest(folder)
    listed = {(f["dirt"], f["object"], f["source_key"]) for f in faults}
    assert len(listed) == len(faults), "one manifest line per fault"
    assert listed == observed_faults(folder, region)
    assert {f["dirt"] for f in faults} == set(DIRT_KINDS), "every kind occurs at 200 patients"
    for fault in faults:
        kind = DIRT_KINDS[fault["dirt"]]
        assert (fault["kind"], fault["object"], fault["column"]) == ("dirt", kind.object, kind.column)


def test_manifest_lines_point_at_real_rows(exports) -> None:
    folder = exports(dirt="realistic", patients=200)
    _, faults = manifest(folder)
    keys = {name: {"|".join(text(r[k]) for k in spec.key) for r in read_rows(folder, name)}
            for name, spec in EXPORT_SPEC.items()}
    assert all(f["source_key"] in keys[f["object"]] for f in faults)


def test_realistic_dirt_has_every_kind_for_any_seed_and_region(tmp_path: Path) -> None:
    for index, region in enumerate(("AU", "NZ", "US", "AU", "US")):
        folder = generate_export(tmp_path / str(index), region=region, practices=1 + index, patients=200,
                                 seed=100 + index)
        _, faults = manifest(folder)
        assert {f["dirt"] for f in faults} == set(DIRT_KINDS), region


def test_heavy_dirt_is_several_times_realistic(exports) -> None:
    realistic = Counter(f["dirt"] for f in manifest(exports(dirt="realistic", patients=200))[1])
    heavy = Counter(f["dirt"] for f in manifest(exports(dirt="heavy", patients=200))[1])
    rare = [k for k in DIRT_KINDS if k not in ("large_file", "archived_patient", "shared_family_email")]
    assert sum(heavy[k] for k in rare) > 2.5 * sum(realistic[k] for k in rare)
    assert heavy["large_file"] == 2 and realistic["large_file"] == 1


def test_every_dirt_kind_has_a_rate() -> None:
    assert set(REALISTIC_RATES) == set(DIRT_KINDS)


def test_dangling_references_name_patients_that_do_not_exist(exports) -> None:
    folder = exports(dirt="realistic", patients=200)
    ids = {p["patient_id"] for p in read_rows(folder, "patients")}
    dangling = [f for f in manifest(folder)[1] if f["dirt"].startswith("dangling_")]
    rows = {name: {r[EXPORT_SPEC[name].key[0]]: r for r in read_rows(folder, name)}
            for name in ("appointments", "clinical_notes", "invoices")}
    for fault in dangling:
        assert rows[fault["object"]][fault["source_key"]]["patient_id"] not in ids
    dangling_invoices = {f["source_key"] for f in dangling if f["object"] == "invoices"}
    assert not [p for p in read_rows(folder, "payments") if p["invoice_id"] in dangling_invoices]


# -- nothing real ---------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["AU", "NZ", "US"])
def test_contact_details_are_fictional(exports, region: str) -> None:
    tables = all_rows(exports(region=region))
    for p in tables["patients"]:
        assert p["email"].split("@")[1] in RESERVED_EMAIL_DOMAINS
        for phone in (p["mobile_phone"], p["home_phone"], p["work_phone"]):
            if not phone:
                continue
            national = phone.replace("+61", "0").replace("+64", "0").replace("+1", "")
            if region == "AU":
                assert national in AU_FICTIONAL_MOBILES or national[:6] in ("025550", "037010", "075550", "087010")
            elif region == "NZ":
                assert national[3:6] == "555" or national[2:5] == "555"
            else:
                assert national[3:8] == "55501"
    for practice in tables["practices"]:
        assert ".example." in practice["website"] and ".example." in practice["email"]
