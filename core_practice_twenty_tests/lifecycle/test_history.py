"""The patient's history reads true in Twenty: its own createdAt is the source's, so its lists sort as the chart did.

Twenty's Notes tab orders a person's notes by `createdAt`; a task's `createdAt` is when the appointment was booked
(its `dueAt` stays the start). Read back from Twenty after a real load; and one line of the map switches it off.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lifecycle_waves import load_wave

from core_practice_twenty.mapping.field_map import confirm, from_dict, schema_fields, to_dict
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.mapping.wave import stage_wave
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.store.staging import read_staged
from core_practice_twenty.twenty.metadata import sync_schema

SYDNEY = ZoneInfo("Australia/Sydney")


def _rows(export: Path, name: str) -> dict[str, dict]:
    lines = (export / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[1:]  # under the banner
    rows = list(csv.DictReader(lines))
    return {row[EXPORT_SPEC[name].key[0]]: row for row in rows}


def _utc(text: str) -> str:
    local = datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=SYDNEY)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_twentys_own_created_at_is_the_source_time_and_one_map_line_switches_it_off(tmp_path, warehouse,
                                                                                    twenty_sandbox) -> None:
    export = generate_export(tmp_path / "export", practices=1, patients=8, dirt="none", seed=5)
    field_map = confirm(propose(export), export, "Dr Test", accept_all=True)
    warehouse.register_wave("full", export, "s", region="AU", export_date=datetime(2026, 12, 7).date())
    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, export, wave="full", snapshot_id="s")
    stage_wave(warehouse, "full", field_map)
    objects = ("companies", "people", "tasks", "notes", "noteTargets")
    with twenty_sandbox.client() as client:
        fields = schema_fields(field_map)
        sync_schema(client, [TARGET_OBJECTS[p] for p in fields], fields)
        load_wave(client, warehouse, "full", {o: read_staged(warehouse, o, "full") for o in objects})
        notes = {n["cpNoteId"]: n for n in client.find_many("notes")}
        tasks = {t["cpAppointmentId"]: t for t in client.find_many("tasks")}
        people = {p["cpPatientId"]: p for p in client.find_many("people") if p.get("cpPatientId")}
        links = list(client.find_many("noteTargets"))
    source_notes, appointments = _rows(export, "clinical_notes"), _rows(export, "appointments")
    patients = _rows(export, "patients")
    assert notes and all(n["createdAt"].startswith(_utc(source_notes[k]["created_at"])) for k, n in notes.items())
    assert tasks and all(t["createdAt"].startswith(_utc(appointments[k]["created_at"])) for k, t in tasks.items())
    assert all(t["createdAt"] < t["dueAt"] for t in tasks.values())  # booked before the visit
    assert all(p["createdAt"].startswith(_utc(patients[k]["created_at"])) for k, p in people.items())
    by_id = {n["id"]: n for n in notes.values()}
    for person in people.values():  # the Notes tab's order (createdAt) is the chart's (the note dates)
        mine = [by_id[link["noteId"]] for link in links if link.get("targetPersonId") == person["id"]]
        in_twenty = [n["cpNoteId"] for n in sorted(mine, key=lambda n: n["createdAt"])]
        in_chart = [k for k in sorted((n["cpNoteId"] for n in mine), key=lambda k: datetime.strptime(
            source_notes[k]["note_date"], "%d/%m/%Y %H:%M"))]
        assert in_twenty == in_chart
    assert sum(len([1 for link in links if link.get("targetPersonId") == p["id"]]) > 1 for p in people.values())

    data = to_dict(field_map)  # a person switches it off for notes: one line of the map
    entry = next(e for e in data["objects"]["clinical_notes"]["columns"] if e["column"] == "created_at")
    entry.update(transform="excluded", targets=[], reason="keep Twenty's own time")
    stage_wave(warehouse, "full", confirm(from_dict(data), export, "Dr Test", accept_all=True))
    assert not any("createdAt" in r.payload for r in read_staged(warehouse, "notes", "full"))
    assert all("createdAt" in r.payload for r in read_staged(warehouse, "tasks", "full"))
