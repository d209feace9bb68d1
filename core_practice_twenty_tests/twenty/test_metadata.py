"""Schema sync against the local Twenty."""

import pytest

from core_practice_twenty.mapping.target_model import COMPANIES, TargetObject, TwentyField
from core_practice_twenty.twenty.metadata import SchemaConflictError, sync_custom_fields


def test_sync_creates_once_then_changes_nothing(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    first = sync_custom_fields(client, [COMPANIES])
    assert first.created == ["company.cpPracticeId"]
    second = sync_custom_fields(client, [COMPANIES])
    assert second.created == [] and second.existing == ["company.cpPracticeId"]
    company = next(o for o in client.list_objects() if o["nameSingular"] == "company")
    (field,) = [f for f in company["fields"] if f["name"] == "cpPracticeId"]
    assert field["type"] == "TEXT" and field["isUnique"] is True


def test_a_conflicting_existing_field_is_reported_not_overwritten(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    sync_custom_fields(client, [COMPANIES])
    clash = TargetObject("company", "companies", "practices", "cpPracticeId",
                         (TwentyField("cpPracticeId", "NUMBER", "Core Practice ID", is_unique=True),))
    with pytest.raises(SchemaConflictError, match="company.cpPracticeId exists in Twenty as TEXT"):
        sync_custom_fields(client, [clash])
