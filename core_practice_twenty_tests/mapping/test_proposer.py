"""The proposer: renamed, never-seen and extra columns; names checked against values; the review sheet."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from core_practice_twenty.mapping.field_map import header_overrides, save_map
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.review import write_review
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export

Cell = Callable[[int, dict[str, str]], str]


def edit_file(path: Path, *, rename: dict[str, str] | None = None, add: dict[str, Cell] | None = None,
              drop: tuple[str, ...] = (), change: dict[str, Cell] | None = None) -> None:
    """Rename, add, drop or rewrite columns of a generated export file (its banner row is kept)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    header_at = next(i for i, r in enumerate(rows) if len(r) > 1)
    header = rows[header_at]
    records = [dict(zip(header, r, strict=False)) for r in rows[header_at + 1:] if r]
    for n, record in enumerate(records):
        for name, cell in (change or {}).items():
            record[name] = cell(n, record)
        for name, cell in (add or {}).items():
            record[name] = cell(n, record)
    columns = [c for c in header if c not in drop] + list(add or {})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows[:header_at])
    writer.writerow([(rename or {}).get(c, c) for c in columns])
    writer.writerows([[r.get(c, "") for c in columns] for r in records])
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return generate_export(tmp_path / "export", practices=3, patients=60, seed=7, dirt="none")


def entry(field_map, obj: str, header: str):
    return next(e for e in field_map.objects[obj].columns if e.header == header)


def canonical(field_map, obj: str, column: str):
    return next(e for e in field_map.objects[obj].columns if column in e.column)


def test_a_canonical_export_is_proposed_with_full_confidence(export: Path) -> None:
    field_map = propose(export)
    assert field_map.status == "proposed" and field_map.options.region == "AU"
    assert not field_map.undecided()
    for name, spec in EXPORT_SPEC.items():
        columns = [c for e in field_map.objects[name].columns for c in e.column]
        assert sorted(columns) == sorted(spec.column_names), name
    assert all(e.confidence == 1.0 for _, e in field_map.entries())
    assert all(e.reason for _, e in field_map.entries())


def test_renamed_unseen_and_extra_columns(export: Path) -> None:
    edit_file(export / "patients.csv",
              rename={"last_name": "Surname", "email": "E-mail Addr", "mobile_phone": "Mob", "date_of_birth": "DOB"},
              add={"Loyalty Tier": lambda n, _: ("Gold", "Silver", "Bronze")[n % 3],
                   "Medicare Card Expiry": lambda n, _: "01/2030"})
    field_map = propose(export)

    surname = entry(field_map, "patients", "Surname")  # a spelling the export spec knows
    assert (surname.column, surname.targets, surname.confidence, surname.needs_decision) == (
        ("last_name",), ("people.name.lastName",), 0.95, False)
    email = entry(field_map, "patients", "E-mail Addr")  # never seen: synonyms, confirmed by the values
    assert email.column == ("email",) and email.transform == "email_policy"
    assert email.confidence >= 0.8 and not email.needs_decision
    assert "synonyms" in email.reason and "email addresses" in email.reason
    mob = entry(field_map, "patients", "Mob")
    assert mob.column == ("mobile_phone",) and mob.transform == "phone_e164" and not mob.needs_decision

    tier = entry(field_map, "patients", "Loyalty Tier")  # the practice's own column: a person decides
    assert tier.column == () and tier.targets == ("people.cpLoyaltyTier",) and tier.transform == "rename"
    assert tier.needs_decision and tier.confidence < 0.8
    expiry = entry(field_map, "patients", "Medicare Card Expiry")  # looks like health/identity data
    assert expiry.transform == "excluded" and expiry.needs_decision

    undecided = {(obj, e.header) for obj, e in field_map.undecided()}
    assert undecided == {("patients", "Loyalty Tier"), ("patients", "Medicare Card Expiry")}
    # landing does not know the unseen spellings: the map tells it
    assert header_overrides(field_map) == {"patients": {"E-mail Addr": "email", "Mob": "mobile_phone"}}


def test_values_decide_a_header_that_says_nothing(export: Path) -> None:
    edit_file(export / "practices.csv", rename={"email": "Contact"})
    edit_file(export / "providers.csv", rename={"phone": "Contact"})
    field_map = propose(export)
    practice_contact = entry(field_map, "practices", "Contact")
    assert practice_contact.column == ("email",)
    assert practice_contact.targets == ("companies.practiceEmail.primaryEmail",)
    assert practice_contact.needs_decision and 0.5 <= practice_contact.confidence < 0.8
    assert "look like email addresses" in practice_contact.reason
    provider_contact = entry(field_map, "providers", "Contact")
    assert provider_contact.column == ("phone",) and provider_contact.transform == "phone_e164"


def test_a_value_set_identifies_a_status_column(export: Path) -> None:
    edit_file(export / "invoices.csv", rename={"status": "Stage"})
    stage = entry(propose(export), "invoices", "Stage")
    assert stage.column == ("status",) and stage.transform == "status_map:invoices.status"
    assert stage.needs_decision and stage.profile["value_set"] == 1.0


def test_values_that_contradict_a_known_header_lower_the_confidence(export: Path) -> None:
    edit_file(export / "patients.csv", change={"date_of_birth": lambda n, _: f"unknown {n}"})
    dob = canonical(propose(export), "patients", "date_of_birth")
    assert dob.confidence <= 0.5 and dob.needs_decision
    assert "0% of values look like dates" in dob.reason


def test_a_fuzzy_name_without_value_evidence_needs_a_person(export: Path) -> None:
    edit_file(export / "patients.csv", rename={"referral_source": "Referal Src"})
    referral = entry(propose(export), "patients", "Referal Src")
    assert referral.column == ("referral_source",) and referral.needs_decision
    assert "similar" in referral.reason


def test_a_full_name_column_is_split(export: Path) -> None:
    edit_file(export / "providers.csv",
              add={"Provider Name": lambda _, r: f"{r['last_name']}, {r['first_name']}"},
              drop=("first_name", "last_name"))
    field_map = propose(export)
    name = entry(field_map, "providers", "Provider Name")
    assert name.transform == "split_name" and name.column == ("last_name", "first_name")
    assert set(name.targets) == {"people.name.lastName", "people.name.firstName"} and not name.needs_decision
    assert all(e.header is not None for e in field_map.objects["providers"].columns if "first_name" in e.column)


def test_missing_columns_and_files(export: Path) -> None:
    edit_file(export / "patients.csv", drop=("date_of_birth", "sex"))
    (export / "workflows.csv").unlink()
    field_map = propose(export)
    dob = canonical(field_map, "patients", "date_of_birth")  # required: a person must find it
    assert dob.header is None and dob.needs_decision
    sex = canonical(field_map, "patients", "sex")  # optional: nothing to decide
    assert sex.header is None and not sex.needs_decision
    assert field_map.objects["workflows"].file is None
    assert not any(e.needs_decision for e in field_map.objects["workflows"].columns)


def test_an_unrecognised_key_header_still_finds_the_header_row(export: Path) -> None:
    edit_file(export / "practices.csv", rename={"practice_id": "Site Code"})
    field_map = propose(export)
    headers = [e.header for e in field_map.objects["practices"].columns if e.header]
    assert "Site Code" in headers and "practice_name" in headers  # not the banner row
    assert canonical(field_map, "practices", "practice_id").needs_decision


def test_two_spellings_of_one_column_are_flagged(export: Path) -> None:
    edit_file(export / "patients.csv", add={"Mobile": lambda _, r: r["mobile_phone"]})
    mobile = entry(propose(export), "patients", "Mobile")
    assert mobile.transform == "excluded" and mobile.needs_decision and "already the column" in mobile.reason


def test_review_sheet_puts_decisions_first_and_holds_no_values(export: Path, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    edit_file(export / "patients.csv", rename={"email": "Contact"},
              add={"Loyalty Tier": lambda n, _: ("Gold", "Silver")[n % 2]})
    with caplog.at_level(logging.DEBUG):
        field_map = propose(export)
    map_path = save_map(field_map, tmp_path / "map.yaml")
    csv_path, md_path = write_review(field_map, tmp_path / "reports")
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(field_map.entries())
    flagged = [r["needs_decision"] == "yes" for r in rows]
    assert flagged == sorted(flagged, reverse=True) and flagged[0]
    objects_after = [r["object"] for r in rows if r["needs_decision"] != "yes"]
    assert objects_after == sorted(objects_after, key=list(EXPORT_SPEC).index)
    markdown = md_path.read_text(encoding="utf-8")
    assert markdown.index("## Decide first") < markdown.index("## practices") < markdown.index("## workflows")
    assert "cpt map confirm" in markdown

    # health data: no cell of the patients file reaches the map, the sheet or the log
    written = "\n".join([map_path.read_text(encoding="utf-8"), csv_path.read_text(encoding="utf-8"), markdown,
                         caplog.text])
    with (export / "patients.csv").open(encoding="utf-8") as handle:
        records = list(csv.DictReader(handle.readlines()[1:]))
    sensitive = {r[c] for r in records for c in ("Contact", "mobile_phone", "date_of_birth", "last_name",
                                                 "first_address", "Loyalty Tier") if r[c] and len(r[c]) >= 4}
    assert sensitive and not [v for v in sensitive if v in written]


def test_headers_a_practice_writes_land_in_the_same_column_in_every_file(export: Path) -> None:
    """"SMS OK" / "Email OK" are the consent flags; "Item Codes" is the procedure codes in appointments and in
    treatment plans alike (with --accept-all the plans' codes once went to a new custom field instead)."""
    edit_file(export / "patients.csv", rename={"sms_opt_in": "SMS OK", "email_opt_in": "Email OK",
                                               "recall_due_date": "Next Recall Date", "referral_source": "Referrer"})
    edit_file(export / "appointments.csv", rename={"procedure_codes": "Item Codes"})
    edit_file(export / "treatment_plans.csv", rename={"procedure_codes": "Item Codes"})
    field_map = propose(export)
    for obj, header, column in (("patients", "SMS OK", "sms_opt_in"), ("patients", "Email OK", "email_opt_in"),
                                ("patients", "Next Recall Date", "recall_due_date"),
                                ("patients", "Referrer", "referral_source"),
                                ("appointments", "Item Codes", "procedure_codes"),
                                ("treatment_plans", "Item Codes", "procedure_codes")):
        found = entry(field_map, obj, header)
        assert found.column == (column,) and not found.needs_decision, (obj, header, found)
    assert not field_map.undecided()
    plan_codes = entry(field_map, "treatment_plans", "Item Codes")
    assert all(not t.split(".")[-1].startswith("cp") for t in plan_codes.targets)  # the standard field


def test_one_concept_has_the_same_spellings_in_every_file() -> None:
    by_concept: dict[tuple, set[tuple[str, ...]]] = {}
    for spec in EXPORT_SPEC.values():
        for column in spec.columns:
            by_concept.setdefault((column.name, column.type, column.values, column.references), set()).add(
                tuple(sorted(column.aliases)))
    assert all(len(spellings) == 1 for spellings in by_concept.values())
    codes = {name: next(c for c in spec.columns if c.name == "procedure_codes").aliases
             for name, spec in EXPORT_SPEC.items() if "procedure_codes" in spec.column_names}
    assert set(codes) == {"appointments", "treatment_plans"} and all("Item Codes" in a for a in codes.values())


def test_a_map_is_never_confirmed_for_an_export_landing_would_refuse(export: Path, tmp_path: Path, capsys) -> None:
    """Appointments without their required status column: the proposal notes it, --accept-all would once have
    confirmed it, and the wave then failed at landing. Confirm now opens every header as landing does."""
    from core_practice_twenty.cli import main
    from core_practice_twenty.mapping.field_map import load_map

    edit_file(export / "appointments.csv", drop=("status",))
    map_path = tmp_path / "field-map.yaml"
    save_map(propose(export), map_path)
    code = main(["map", "confirm", "--map", str(map_path), "--export", str(export), "--by", "Dr Test",
                 "--accept-all"])
    err = capsys.readouterr().err
    assert code == 2
    assert "appointments.csv" in err and "required column(s) missing: status" in err and "not confirmed" in err
    saved = load_map(map_path)  # nothing was recorded as confirmed
    assert saved.status == "proposed" and saved.confirmation.confirmed_by is None


def test_an_uncertain_entry_shows_its_evidence_and_the_runners_up(tmp_path: Path) -> None:
    """`Recal Due` is probably the recall date; the sheet also names what else it could be, and why."""
    export = generate_export(tmp_path / "export", practices=1, patients=20, seed=2, dirt="none")
    path = export / "patients.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[1] = lines[1].replace("recall_due_date", "Recal Due")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    field_map = propose(export)
    entry = next(e for e in field_map.objects["patients"].columns if e.header == "Recal Due")
    assert entry.column == ("recall_due_date",) and "resembles recall_due_date" in entry.reason
    assert entry.alternatives and all("values 100%" in a for a in entry.alternatives)
    assert entry.alternatives[0].startswith(("created_at", "date_of_birth", "first_visit_date", "last_visit_date"))
    canonical = next(e for e in field_map.objects["patients"].columns if e.header == "email")
    assert canonical.alternatives == ()  # a header landing itself reads needs no runner-up
    _csv, md = write_review(field_map, tmp_path / "reports")
    row = next(line for line in md.read_text(encoding="utf-8").splitlines() if "`Recal Due`" in line)
    assert entry.alternatives[0].split(" (")[0] in row
