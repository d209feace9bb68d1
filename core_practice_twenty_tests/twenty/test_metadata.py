"""Schema sync against the local Twenty: objects, fields, options and relations, idempotently."""

import pytest

from core_practice_twenty.mapping.target_model import COMPANIES, SCHEMA_OBJECTS, TargetObject, TwentyField
from core_practice_twenty.twenty.metadata import SchemaConflictError, sync_schema


def fields_of(client, singular: str) -> dict[str, dict]:
    obj = next(o for o in client.list_objects() if o["nameSingular"] == singular)
    return {f["name"]: f for f in obj["fields"]}


def test_sync_creates_everything_once_then_changes_nothing(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    first = sync_schema(client, SCHEMA_OBJECTS)
    assert first.objects_created == ["treatmentPlan", "invoice", "insuranceClaim"]
    wanted = {f"{t.name_singular}.{f.name}" for t in SCHEMA_OBJECTS for f in t.custom_fields}
    assert set(first.created) == wanted
    second = sync_schema(client, SCHEMA_OBJECTS)
    assert not second.changed and set(second.existing) == wanted

    company = fields_of(client, "company")
    assert company["cpPracticeId"]["type"] == "TEXT" and company["cpPracticeId"]["isUnique"] is True
    plan = fields_of(client, "treatmentPlan")
    assert {o["value"] for o in plan["treatmentStatus"]["options"]} == {
        "PROPOSED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "DECLINED"}
    assert plan["patient"]["type"] == "RELATION"
    assert "treatmentPlans" in fields_of(client, "person")  # the inverse side of the relation


def test_missing_select_options_are_added_not_replaced(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    sync_schema(client, SCHEMA_OBJECTS)
    extra = TwentyField("patientStatus", "SELECT", "Patient status",
                        options=({"value": "MOVED_AWAY", "label": "Moved away", "position": 0, "color": "gray"},))
    people = next(t for t in SCHEMA_OBJECTS if t.name_singular == "person")
    widened = TargetObject("person", "people", "patients", "cpPatientId", (extra,))
    result = sync_schema(client, [widened])
    assert result.options_added == ["person.patientStatus:MOVED_AWAY"]
    values = {o["value"] for o in fields_of(client, "person")["patientStatus"]["options"]}
    assert values == set(people.field("patientStatus").option_values) | {"MOVED_AWAY"}


def test_a_conflicting_existing_field_is_reported_not_overwritten(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    sync_schema(client, [COMPANIES])
    clash = TargetObject("company", "companies", "practices", "cpPracticeId",
                         (TwentyField("cpPracticeId", "NUMBER", "Core Practice ID", is_unique=True),))
    with pytest.raises(SchemaConflictError, match="company.cpPracticeId exists in Twenty as TEXT"):
        sync_schema(client, [clash])
