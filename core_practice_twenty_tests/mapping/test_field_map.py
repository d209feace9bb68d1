"""The default map, the map file, confirmation and the gate that keeps an unconfirmed or stale map from loading."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from core_practice_twenty.cli import main
from core_practice_twenty.mapping.default_map import (
    DEFAULT_MAP,
    TRANSFORMS,
    fit_problem,
    relation_problem,
    target_problem,
    transform_problem,
)
from core_practice_twenty.mapping.field_map import (
    ConfirmRefused,
    check_gate,
    confirm,
    custom_objects,
    fingerprint,
    from_dict,
    load_map,
    map_digest,
    map_header_overrides,
    save_map,
    schema_fields,
    to_dict,
    to_options,
    validate,
)
from core_practice_twenty.mapping.options import ExtraColumnTarget
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export

NOW = datetime(2026, 11, 25, 3, 4, 5, tzinfo=UTC)


def add_column(path: Path, header: str, value: str = "x") -> None:
    """Append a column to a generated export file, keeping its banner row."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    header_at = next(i for i, r in enumerate(rows) if len(r) > 1)
    rows[header_at].append(header)
    for row in rows[header_at + 1:]:
        if row:
            row.append(value)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def rename_column(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8-sig")
    header_start = text.index("\n") + 1  # below the report's banner row
    header_end = text.index("\n", header_start)
    header = ",".join(new if h == old else h for h in text[header_start:header_end].rstrip("\r").split(","))
    path.write_text(text[:header_start] + header + "\r" + text[header_end:], encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return generate_export(tmp_path / "export", practices=3, patients=60, seed=3, dirt="none")


@pytest.fixture
def map_path(tmp_path: Path) -> Path:
    return tmp_path / "mapping" / "field-map.yaml"


# -- the default map ----------------------------------------------------------------------------------


def test_every_export_column_has_exactly_one_default_entry() -> None:
    spec_columns = [(name, c) for name, spec in EXPORT_SPEC.items() for c in spec.column_names]
    assert len(spec_columns) == len(set(spec_columns)) == len(DEFAULT_MAP)
    assert set(DEFAULT_MAP) == set(spec_columns)


def test_every_default_target_is_a_field_of_the_target_model() -> None:
    for (obj, column), entry in DEFAULT_MAP.items():
        where = f"{obj}.{column}"
        assert transform_problem(entry.transform) is None, where
        assert entry.transform.partition(":")[0] in TRANSFORMS
        for target in entry.targets:
            assert target.split(".")[0] in TARGET_OBJECTS, where
            assert target_problem(target) is None, f"{where}: {target_problem(target)}"
        assert relation_problem(entry.transform, entry.targets) is None, where
        assert entry.reason, where
        if entry.transform == "excluded":
            assert not entry.targets, where


def test_sensitive_defaults() -> None:
    assert DEFAULT_MAP[("patients", "health_fund_member_no")].transform == "excluded"
    assert DEFAULT_MAP[("patients", "medicare_no")].transform == "excluded"
    assert DEFAULT_MAP[("clinical_notes", "body")].transform != "excluded"  # in by default, one line to exclude


def test_target_and_transform_checks_name_the_problem() -> None:
    assert "no field 'nope'" in target_problem("people.nope")
    assert target_problem("people.cpLoyaltyTier", allow_new_field=True) is None
    assert "no sub-field" in target_problem("people.name.middleName")
    assert "not a Twenty object" in target_problem("patients.name")
    assert "unknown transform" in transform_problem("uppercase")
    assert "status map" in transform_problem("status_map:patients.colour")
    assert "points at people" in relation_problem("relation:companies", ("invoices.patient",))


# -- file format --------------------------------------------------------------------------------------


def test_a_transform_that_does_not_fit_its_field_is_refused_at_confirm(export: Path, map_path: Path) -> None:
    data = to_dict(propose(export))
    columns = data["objects"]["patients"]["columns"]
    dob = next(c for c in columns if c["column"] == "date_of_birth")
    dob.update(targets=["people.phones.primaryPhoneNumber"])  # a date into a PHONES field
    mobile = next(c for c in columns if c["column"] == "mobile_phone")
    mobile.update(targets=["people.dateOfBirth"])  # a phone into a DATE field
    save_map(from_dict(data), map_path)
    with pytest.raises(ConfirmRefused) as refused:
        confirm(load_map(map_path), export, "Dr Test", accept_all=True)
    problems = "\n".join(refused.value.problems)
    assert ("patients 'date_of_birth'" in problems and "'people.phones.primaryPhoneNumber' is a PHONES field; "
            "transform 'date' writes DATE, DATE_TIME, TEXT" in problems)
    assert "'people.dateOfBirth' is a DATE field; transform 'phone_e164' writes PHONES, TEXT" in problems


def test_every_default_entry_fits_its_fields() -> None:
    assert {(k, t, p) for k, e in DEFAULT_MAP.items() for t in e.targets if (p := fit_problem(e.transform, t))} == set()


def test_yaml_round_trip(export: Path, map_path: Path) -> None:
    field_map = propose(export, now=NOW)
    save_map(field_map, map_path)
    loaded = load_map(map_path)
    assert to_dict(loaded) == to_dict(field_map)
    assert map_digest(loaded) == map_digest(field_map)
    data = yaml.safe_load(map_path.read_text(encoding="utf-8"))
    assert data["status"] == "proposed" and data["confirmation"]["confirmed_by"] is None
    assert set(data["options"]) == {"email_placeholder", "include_clinical_notes", "include_fund_numbers",
                                    "fallback_owner_email", "region"}
    patient_id = data["objects"]["patients"]["columns"][0]
    assert patient_id["header"] == "patient_id" and patient_id["targets"] == ["people.cpPatientId"]
    schema = data["schema"]
    assert {o["name"] for o in schema["custom_objects"]} == {"treatmentPlan", "invoice", "insuranceClaim"}
    status = next(f for f in schema["fields"]["people"] if f["name"] == "patientStatus")
    assert status["options"] == ["ACTIVE", "INACTIVE", "ARCHIVED", "DECEASED"]
    assert {"object": "companies", "field": "parentCompany", "target": "company", "inverse": "Locations"} in (
        schema["relations"])


def test_validate_names_each_broken_entry(export: Path) -> None:
    data = to_dict(propose(export))
    columns = data["objects"]["patients"]["columns"]
    sex = next(c for c in columns if c["column"] == "sex")
    sex.update(targets=["people.sex"], transform="rename")  # a canonical column outside the target model
    medicare = next(c for c in columns if c["column"] == "medicare_no")
    medicare.update(targets=["people.cpPatientNo"], transform="rename")  # sensitive, flag not set
    title = next(c for c in columns if c["column"] == "title")
    title.update(transform="titlecase")
    problems = "\n".join(validate(from_dict(data)))
    assert "patients 'sex'" in problems and "no field 'sex'" in problems
    assert "include_fund_numbers is false" in problems
    assert "unknown transform 'titlecase'" in problems


def test_to_options_carries_the_persons_choices(export: Path) -> None:
    rename_column(export / "patients.csv", "email", "E-mail Addr")
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    field_map = propose(export)
    options = to_options(field_map)
    assert ("patients", "health_fund_member_no") in options.excluded
    assert ("patients", "medicare_no") in options.excluded and not options.include_fund_numbers
    assert options.include_clinical_notes and options.includes("clinical_notes", "body")
    assert options.extra_columns == (ExtraColumnTarget("patients", "Loyalty Tier", "people", "cpLoyaltyTier"),)
    assert options.extra["header_overrides"] == {"patients": {"E-mail Addr": "email"}}
    assert options.region == "AU" and options.email_placeholder is False
    assert options.extra["summary_columns"] == {}

    body = next(e for e in field_map.objects["clinical_notes"].columns if e.column == ("body",))
    body.transform, body.targets = "excluded", ()  # "the map can exclude them in one line"
    assert not to_options(field_map).include_clinical_notes
    field_map.options.include_clinical_notes = False
    body.transform, body.targets = "rename", ("notes.bodyV2.markdown",)
    assert ("clinical_notes", "body") in to_options(field_map).excluded


def test_a_practice_column_on_invoice_lines_goes_to_the_summary(export: Path) -> None:
    add_column(export / "invoice_lines.csv", "Lab Fee", "12.00")
    field_map = propose(export)
    lab = next(e for e in field_map.objects["invoice_lines"].columns if e.header == "Lab Fee")
    assert lab.transform == "json_summary" and lab.targets == ("invoices.lineItems",) and lab.needs_decision
    options = to_options(field_map)
    assert options.extra["summary_columns"] == {"invoice_lines": ["Lab Fee"]} and options.extra_columns == ()


def test_schema_needs_the_new_field_of_an_extra_column(export: Path) -> None:
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    field_map = propose(export)
    people = {f.name: f for f in schema_fields(field_map)["people"]}
    assert people["cpLoyaltyTier"].type == "TEXT" and people["cpLoyaltyTier"].is_custom
    assert "patientStatus" in people and "needsReview" in people  # set by transforms, not by a column
    assert {o.name_plural for o in custom_objects(field_map)} == {"treatmentPlans", "invoices", "insuranceClaims"}


# -- confirmation -------------------------------------------------------------------------------------


def test_confirm_refuses_open_decisions_then_records_who_and_when(export: Path, map_path: Path) -> None:
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    save_map(propose(export), map_path)
    with pytest.raises(ConfirmRefused) as refused:
        confirm(load_map(map_path), export, "Dr Lee")
    assert "1 entry still need a decision: patients 'Loyalty Tier'" in refused.value.problems[0]

    # a person resolves the entry by editing the YAML: here, keeps the column out
    data = yaml.safe_load(map_path.read_text(encoding="utf-8"))
    tier = next(c for c in data["objects"]["patients"]["columns"] if c["header"] == "Loyalty Tier")
    tier.update(transform="excluded", targets=[], needs_decision=False, reason="not needed in the CRM")
    map_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    confirmed = confirm(load_map(map_path), export, "Dr Lee", now=NOW)
    save_map(confirmed, map_path)
    loaded = load_map(map_path)
    assert loaded.status == "confirmed"
    assert loaded.confirmation.confirmed_by == "Dr Lee"
    assert loaded.confirmation.confirmed_at == "2026-11-25T03:04:05+00:00"
    assert loaded.confirmation.fingerprint == fingerprint(loaded, export)
    assert not loaded.confirmation.accepted_all
    gate = check_gate(map_path, export)
    assert gate.ok and gate.problems == [] and gate.field_map.confirmation.confirmed_by == "Dr Lee"


def test_accept_all_confirms_and_is_recorded(export: Path, map_path: Path) -> None:
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    confirmed = confirm(propose(export), export, "Dr Lee", accept_all=True)
    assert confirmed.confirmation.accepted_all and not confirmed.undecided()
    save_map(confirmed, map_path)
    assert check_gate(map_path, export).ok


def test_confirm_refuses_a_map_of_other_columns(export: Path) -> None:
    field_map = propose(export)
    add_column(export / "appointments.csv", "Chair Colour")
    with pytest.raises(ConfirmRefused, match=r"appointments\.csv: added 'Chair Colour'.*cpt map propose"):
        confirm(field_map, export, "Dr Lee")


# -- the gate -----------------------------------------------------------------------------------------


def test_gate_refuses_without_a_map(export: Path, map_path: Path) -> None:
    gate = check_gate(map_path, export)
    assert not gate.ok and "no field map" in gate.problems[0] and "cpt map propose --export" in gate.problems[0]


def test_gate_refuses_an_unconfirmed_map(export: Path, map_path: Path) -> None:
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    save_map(propose(export), map_path)
    gate = check_gate(map_path, export)
    assert not gate.ok
    assert "status is 'proposed', not confirmed; 1 entry still need a decision" in gate.problems[0]
    assert f"cpt map confirm --map {map_path} --export {export} --by NAME" in gate.problems[0]
    assert "refused" in gate.message


def test_gate_refuses_when_the_export_gains_a_column(export: Path, map_path: Path) -> None:
    save_map(confirm(propose(export), export, "Dr Lee", now=NOW), map_path)
    assert check_gate(map_path, export).ok
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    gate = check_gate(map_path, export)
    assert not gate.ok and len(gate.problems) == 1
    problem = gate.problems[0]
    assert "columns changed since Dr Lee at 2026-11-25T03:04:05+00:00 confirmed" in problem
    assert "patients.csv: added 'Loyalty Tier'" in problem
    assert "cpt map propose --export" in problem and "cpt map confirm" in problem


def test_gate_names_removed_columns_and_missing_files(export: Path, map_path: Path) -> None:
    save_map(confirm(propose(export), export, "Dr Lee"), map_path)
    (export / "workflows.csv").unlink()
    rename_column(export / "documents.csv", "mime_type", "Content Kind")
    problem = check_gate(map_path, export).problems[0]
    assert "documents.csv: added 'Content Kind'; removed 'mime_type'" in problem
    assert "workflows.csv: file missing from the export" in problem


def test_gate_refuses_a_map_edited_after_confirmation(export: Path, map_path: Path) -> None:
    save_map(confirm(propose(export), export, "Dr Lee", now=NOW), map_path)
    text = map_path.read_text(encoding="utf-8")
    map_path.write_text(text.replace("include_clinical_notes: true", "include_clinical_notes: false"),
                        encoding="utf-8")
    gate = check_gate(map_path, export)
    assert not gate.ok and len(gate.problems) == 1
    assert "edited after Dr Lee at 2026-11-25T03:04:05+00:00 confirmed it" in gate.problems[0]
    assert "cpt map confirm --map" in gate.problems[0]


def test_gate_refuses_a_status_set_to_confirmed_by_hand(export: Path, map_path: Path) -> None:
    save_map(propose(export), map_path)
    map_path.write_text(map_path.read_text(encoding="utf-8").replace("status: proposed", "status: confirmed"),
                        encoding="utf-8")
    gate = check_gate(map_path, export)
    assert not gate.ok and "no confirmation record" in gate.problems[0] and "cpt map confirm" in gate.problems[0]


def test_a_confirmed_map_serves_a_later_export_with_the_same_columns(export: Path, map_path: Path,
                                                                    tmp_path: Path) -> None:
    save_map(confirm(propose(export), export, "Dr Lee"), map_path)
    delta = generate_export(tmp_path / "delta", practices=2, patients=30, seed=99, dirt="none")
    assert check_gate(map_path, delta).ok


def test_gate_reports_an_unreadable_map(export: Path, map_path: Path) -> None:
    map_path.parent.mkdir(parents=True)
    map_path.write_text("objects: [unclosed", encoding="utf-8")
    gate = check_gate(map_path, export)
    assert not gate.ok and "not valid YAML at line 1" in gate.problems[0]


# -- the command line -------------------------------------------------------------------------------


def test_cli_propose_then_confirm(export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    out, reports = tmp_path / "m" / "field-map.yaml", tmp_path / "reports"
    assert main(["map", "propose", "--export", str(export), "--out", str(out), "--reports", str(reports)]) == 0
    assert (reports / "field-map-review.md").is_file() and (reports / "field-map-review.csv").is_file()
    assert "1 need a decision" in capsys.readouterr().out
    assert main(["map", "confirm", "--map", str(out), "--export", str(export), "--by", "Dr Lee"]) == 3
    assert "still need a decision" in capsys.readouterr().err
    assert main(["map", "confirm", "--map", str(out), "--export", str(export), "--by", "Dr Lee",
                 "--accept-all"]) == 0
    assert "confirmed by Dr Lee" in capsys.readouterr().out
    assert check_gate(out, export).ok


def test_headers_the_map_matched_by_synonym_land_in_their_columns(export: Path, map_path: Path,
                                                                  tmp_path: Path) -> None:
    """`Electronic Mail` is nobody's alias: the proposer matches it, and landing must follow the map."""
    from core_practice_twenty.store.raw import land_object
    from core_practice_twenty.store.warehouse import Warehouse

    rename_column(export / "patients.csv", "email", "Electronic Mail")
    save_map(propose(export), map_path)
    assert map_header_overrides("patients", map_path) == {"Electronic Mail": "email"}
    assert map_header_overrides("patients", tmp_path / "no-map.yaml") == {}  # landing before any map

    spec = EXPORT_SPEC["patients"]
    warehouse = Warehouse(tmp_path / "w.duckdb")
    plain = land_object(warehouse, spec, export, wave="plain", snapshot_id="s")
    assert "Electronic Mail" in plain.extra_columns and plain.null_counts["email"] == plain.rows_read
    mapped = land_object(warehouse, spec, export, wave="mapped", snapshot_id="s",
                         header_overrides=map_header_overrides("patients", map_path))
    assert "Electronic Mail" not in mapped.extra_columns and "email" in mapped.columns_mapped
    assert mapped.null_counts["email"] < mapped.rows_read / 2  # the emails are there


def test_a_re_export_keeps_what_the_person_decided_and_asks_only_about_what_is_new(
        export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The cutover night's re-export must not ask again about the columns a person already decided."""
    from core_practice_twenty.mapping.field_map import from_dict, load_map, save_map, to_dict

    add_column(export / "patients.csv", "Loyalty Tier", "Gold")
    out, reports = tmp_path / "m" / "field-map.yaml", tmp_path / "reports"
    assert main(["map", "propose", "--export", str(export), "--out", str(out), "--reports", str(reports)]) == 0
    data = to_dict(load_map(out))
    columns = data["objects"]["patients"]["columns"]
    tier = next(e for e in columns if e["header"] == "Loyalty Tier")
    tier.update(transform="excluded", targets=[], reason="not wanted in the CRM", needs_decision=False)
    birth = next(e for e in columns if e["column"] == "date_of_birth")
    recall = next(e for e in columns if e["column"] == "recall_due_date")
    birth["targets"], recall["targets"] = ["people.recallDueDate"], ["people.dateOfBirth"]
    data["options"]["fallback_owner_email"] = "owner@practice.example"
    save_map(from_dict(data), out)
    assert main(["map", "confirm", "--map", str(out), "--export", str(export), "--by", "Dr Lee"]) == 0
    capsys.readouterr()

    add_column(export / "patients.csv", "Referral Code", "R1")  # the re-export has one column more
    assert main(["map", "propose", "--export", str(export), "--out", str(out), "--reports", str(reports)]) == 0
    said = capsys.readouterr().out
    assert "kept what Dr Lee confirmed on" in said and "1 columns are new to this export" in said
    again = load_map(out)
    entries = {e.header: e for e in again.objects["patients"].columns if e.header}
    assert entries["Loyalty Tier"].excluded and not entries["Loyalty Tier"].needs_decision
    assert entries["date_of_birth"].targets == ("people.recallDueDate",)
    assert "kept from the map Dr Lee confirmed" in entries["date_of_birth"].reason
    assert entries["Referral Code"].needs_decision  # new: asked about
    assert again.options.fallback_owner_email == "owner@practice.example"
    assert [(n, e.header) for n, e in again.undecided()] == [("patients", "Referral Code")]
    sheet = (reports / "field-map-review.md").read_text(encoding="utf-8")
    assert "entries keep what Dr Lee confirmed on" in sheet and "1 columns are new to this export" in sheet

    assert main(["map", "propose", "--export", str(export), "--out", str(out), "--reports", str(reports),
                 "--fresh"]) == 0
    fresh = {e.header: e for e in load_map(out).objects["patients"].columns if e.header}
    assert fresh["Loyalty Tier"].needs_decision and fresh["date_of_birth"].targets == ("people.dateOfBirth",)
