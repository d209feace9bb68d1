"""The baseline: what Twenty held before the first wave, and whether it is back to it."""

from __future__ import annotations

import json

from core_practice_twenty.lifecycle.baseline import compare_to_baseline, take_baseline
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.twenty.metadata import sync_schema


def test_the_baseline_sees_new_changed_and_soft_deleted_records_but_not_volatile_fields(twenty_sandbox,
                                                                                      warehouse) -> None:
    with twenty_sandbox.client() as client:
        lab, clinic = client.create_many("companies", [
            {"name": "Existing Lab", "domainName": {"primaryLinkUrl": "lab.example"}}, {"name": "Clinic"}])
        contact = client.create_many("people", [{"name": {"firstName": "Sales", "lastName": "Contact"},
                                                 "emails": {"primaryEmail": "sales@lab.example"}}])[0]
        baseline = take_baseline(client, warehouse)
        assert baseline.taken_now
        assert baseline.objects["companies"].total_count == 2 and baseline.objects["people"].total_count == 1
        # the migration's custom objects are in the baseline though they do not exist yet
        assert baseline.objects["invoices"].present is False and baseline.objects["invoices"].total_count == 0
        assert "sales@lab.example" not in json.dumps(baseline.summary())

        # the schema step adds empty fields to every record and creates empty objects: still the baseline
        sync_schema(client, SCHEMA_OBJECTS)
        # a write with the same values moves updatedAt and position only
        client.update_one("people", contact["id"], {"name": {"firstName": "Sales", "lastName": "Contact"}})
        assert compare_to_baseline(client, warehouse).ok

        extra = client.create_many("people", [{"name": {"firstName": "New", "lastName": "Patient"}}])[0]
        client.update_one("companies", clinic["id"], {"name": "Clinic (renamed)"})
        client.request("DELETE", f"/rest/companies/{lab['id']}", params={"soft_delete": "true"})
        comparison = compare_to_baseline(client, warehouse)
        assert not comparison.ok and comparison.differing == ["companies", "people"]
        people, companies = comparison.objects["people"], comparison.objects["companies"]
        assert people.extra_ids == [extra["id"]] and people.current_count == 2
        assert sorted(companies.changed_ids) == sorted([lab["id"], clinic["id"]])
        assert companies.current_soft_deleted == 1 and companies.current_count == 1
        assert comparison.summary()["objects"]["people"]["extra"] == 1

        # the first baseline is the truth: taking it again keeps it
        again = take_baseline(client, warehouse)
        assert not again.taken_now and again.objects["people"].total_count == 1
        assert take_baseline(client, warehouse, replace=True).objects["people"].total_count == 2
