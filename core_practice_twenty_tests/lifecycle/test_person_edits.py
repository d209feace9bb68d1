"""A person's edit of the confirmed map changes what is sent, or is refused at confirm; never silently ignored.

The edits a practice makes: send a column to another field of the same record (date of birth and recall date
swapped, as a hand-edited map could), which must show in staging and then in Twenty; a column sent to a field
another column already writes, a column a policy reads re-pointed, and a transform that does not fit its field,
which confirm refuses by name.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from lifecycle_waves import load_wave

from core_practice_twenty.lifecycle.diff import diff_wave
from core_practice_twenty.mapping.field_map import ConfirmRefused, confirm, from_dict, to_dict
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import read_staged
from core_practice_twenty.twenty.metadata import sync_schema


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return generate_export(tmp_path / "export", practices=1, patients=12, dirt="none", seed=5)


def _edited(export: Path, **targets: list[str]) -> dict:
    data = to_dict(propose(export))
    for entry in data["objects"]["patients"]["columns"]:
        if entry["column"] in targets:  # one column is written as its name
            entry["targets"] = targets[entry["column"]]
    return data


def test_a_column_sent_to_another_field_arrives_there_in_staging_and_in_twenty(export: Path, warehouse,
                                                                               twenty_sandbox) -> None:
    field_map = confirm(from_dict(_edited(export, date_of_birth=["people.recallDueDate"],
                                          recall_due_date=["people.dateOfBirth"])), export, "Dr Test")
    for name in ("practices", "providers", "patients", "patient_practices"):
        land_object(warehouse, EXPORT_SPEC[name], export, wave="full", snapshot_id=export.name)
    stage_wave(warehouse, "full", field_map)
    lines = (export / "patients.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    rows = {row["patient_id"]: row for row in csv.DictReader(lines)}
    people = {r.source_key: r.payload for r in read_staged(warehouse, "people", "full") if r.source_key in rows}
    swapped = [key for key, row in rows.items() if row["recall_due_date"]]
    assert swapped, "the export has recall dates"
    for key in swapped:  # dd/mm/yyyy in the export, ISO in the payload: the transform still runs
        day, month, year = rows[key]["date_of_birth"].split("/")
        assert people[key]["recallDueDate"] == f"{year}-{month}-{day}"
        day, month, year = rows[key]["recall_due_date"].split("/")
        assert people[key]["dateOfBirth"] == f"{year}-{month}-{day}"

    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "full", {o: read_staged(warehouse, o, "full") for o in ("companies", "people")})
        for key in swapped[:3]:
            person = next(client.find_many("people", filter=f'cpPatientId[eq]:"{key}"'))
            assert (person["recallDueDate"], person["dateOfBirth"]) == (people[key]["recallDueDate"],
                                                                        people[key]["dateOfBirth"])
        diff = diff_wave(client, warehouse, "full", objects=["people"], field_map=field_map)
    assert diff.summary().passed  # and the diff reads the same map: each field against the cell that fed it
    first = next(r for r in diff.rows if r.source_key == swapped[0] and r.field == "recallDueDate")
    assert first.source == rows[swapped[0]]["date_of_birth"]


def test_edits_the_pipeline_cannot_honour_are_refused_by_name(export: Path) -> None:
    clash = from_dict(_edited(export, date_of_birth=["people.recallDueDate"]))  # recall_due_date writes it too
    with pytest.raises(ConfirmRefused) as refused:
        confirm(clash, export, "Dr Test")
    assert any("'date_of_birth': 'people.recallDueDate' is written by patients" in p and "recall_due_date" in p
               for p in refused.value.problems), refused.value.problems

    data = to_dict(propose(export))
    status = next(e for e in data["objects"]["patients"]["columns"] if e["column"] == "status")
    status["transform"] = "rename"
    policy = next(e for e in data["objects"]["patients"]["columns"] if e["column"] == "email")
    policy["targets"] = ["people.cpContactEmail"]
    document = next(e for e in data["objects"]["documents"]["columns"] if e["column"] == "file_name")
    document["targets"] = ["attachments.name"]  # a document's cells make the attachment as a whole
    with pytest.raises(ConfirmRefused) as refused:
        confirm(from_dict(data), export, "Dr Test")
    problems = "\n".join(refused.value.problems)
    assert "patients 'status'" in problems and "'people.patientStatus' is a SELECT field" in problems
    assert "patients 'email'" in problems and "a policy makes people.emails" in problems
    assert "documents 'file_name'" in problems and "into the attachments record as a whole" in problems


def test_a_status_value_map_edited_in_the_map_is_what_twenty_receives(export: Path, warehouse,
                                                                      twenty_sandbox) -> None:
    """The front desk wants a no-show kept as cancelled, and a completed visit left without a task status."""
    data = to_dict(propose(export))
    status = next(e for e in data["objects"]["appointments"]["columns"] if e["column"] == "status")
    status["values"] = {"tasks.appointmentStatus": {"no show": "CANCELLED"}, "tasks.status": {"Completed": None}}
    field_map = confirm(from_dict(data), export, "Dr Test")
    for name in ("practices", "providers", "patients", "patient_practices", "appointments"):
        land_object(warehouse, EXPORT_SPEC[name], export, wave="full", snapshot_id=export.name)
    stage_wave(warehouse, "full", field_map)
    lines = (export / "appointments.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    source = {row["appointment_id"]: row["status"] for row in csv.DictReader(lines)}
    tasks = {r.source_key: r.payload for r in read_staged(warehouse, "tasks", "full")}
    no_shows = [k for k, v in source.items() if v == "No-Show" and k in tasks]
    completed = [k for k, v in source.items() if v == "Completed" and k in tasks]
    assert no_shows and completed, "the export has no-shows and completed visits"
    assert {tasks[k]["appointmentStatus"] for k in no_shows} == {"CANCELLED"}
    assert {tasks[k]["status"] for k in completed} == {None}
    assert {tasks[k]["status"] for k in no_shows} == {"DONE"}  # values not named keep the entry's status map

    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "full", {o: read_staged(warehouse, o, "full") for o in ("companies", "people",
                                                                                             "tasks")})
        task = next(client.find_many("tasks", filter=f'cpAppointmentId[eq]:"{no_shows[0]}"'))
        assert task["appointmentStatus"] == "CANCELLED"
        done = next(client.find_many("tasks", filter=f'cpAppointmentId[eq]:"{completed[0]}"'))
        assert done["status"] is None

    data["objects"]["providers"]["columns"][0]["values"] = {}
    bad = next(e for e in data["objects"]["invoices"]["columns"] if e["column"] == "status")
    bad["values"] = {"invoices.invoiceStatus": {"Paid": "SETTLED", "Lost": "VOID"}}
    with pytest.raises(ConfirmRefused) as refused:
        confirm(from_dict(data), export, "Dr Test")
    problems = "\n".join(refused.value.problems)
    assert "'SETTLED' is not an option of that field (PAID, OUTSTANDING, OVERDUE, VOID" in problems
    assert "'Lost' is not a value of invoices.status" in problems
    assert "`values` is a status entry's own value map" in problems  # on the providers' key column
