"""Rollback against a real (local) Twenty: preview, undo newest first, resume, prove the baseline, migrate again."""

from __future__ import annotations

import httpx
import pytest
from lifecycle_waves import load_wave, patient, practice

from core_practice_twenty.lifecycle.baseline import compare_to_baseline, take_baseline
from core_practice_twenty.lifecycle.rollback import (
    RollbackBlockedError,
    execute_rollback,
    plan_rollback,
    rollback,
)
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.store.lifecycle import created_schema, record_schema_changes
from core_practice_twenty.twenty.client import TwentyApiError
from core_practice_twenty.twenty.metadata import sync_schema


def sample_wave() -> dict:
    return {
        "companies": [practice("PR1", "smile-one.example"), practice("PR2", "smile-two.example"), practice("PR3")],
        "people": [
            patient("PT1", "PR1", "ann1@example.com"),
            patient("PT2", "PR1", "ann2@example.com"),
            patient("PT3", "PR2", None),
            patient("PT4", "PR3", "ann4@example.com"),
            # PT9's email belongs to a person the practice made by hand: Twenty's upsert updates that person
            patient("PT9", "PR2", "pilot@example.com", last="Migrated"),
        ],
    }


def full_wave() -> dict:
    return {"people": [patient("PT2", "PR1", "ann2.changed@example.com"), patient("PT5", "PR3", "ann5@example.com")]}


def existing_workspace(client) -> dict:
    """What the practice's Twenty held before the migration: records it must get back untouched."""
    sync_schema(client, SCHEMA_OBJECTS)
    company = client.create_many("companies", [{"name": "Existing Lab",
                                                "domainName": {"primaryLinkUrl": "lab.example"}}])[0]
    people = client.create_many("people", [
        {"name": {"firstName": "Pilot", "lastName": "Patient"}, "emails": {"primaryEmail": "pilot@example.com"},
         "jobTitle": "kept", "companyId": company["id"]},
        {"name": {"firstName": "Sales", "lastName": "Contact"}, "emails": {"primaryEmail": "sales@lab.example"}},
    ])
    return {"company": company, "pilot": people[0], "contact": people[1]}


def cp_keys(client, obj: str, field: str) -> list[str]:
    return sorted(r[field] for r in client.find_many(obj, with_deleted=True) if r.get(field))


def test_rollback_undoes_every_wave_resumes_after_interruption_and_the_migration_runs_again(
        twenty_sandbox, warehouse) -> None:
    with twenty_sandbox.client() as client:
        before = existing_workspace(client)
        assert take_baseline(client, warehouse).taken_now
        first = load_wave(client, warehouse, "sample", sample_wave())
        assert first["people"].created == 4 and first["people"].updated == 1
        load_wave(client, warehouse, "full", full_wave())
        assert client.count("people") == 2 + 5
        assert not compare_to_baseline(client, warehouse).ok

        # rolling back only the older wave would overwrite the newer wave's writes: blocked
        partial = plan_rollback(warehouse, ["sample"])
        assert partial.conflicts and "BLOCKED" in partial.preview()
        with pytest.raises(RollbackBlockedError):
            execute_rollback(client, warehouse, partial)

        plan = plan_rollback(warehouse, None)
        assert plan.waves == ["full", "sample"]
        # PT2 was created by sample and changed by full: destroyed once, never restored
        assert plan.counts() == {
            "full": {"people": {"destroy": 1}},
            "sample": {"people": {"destroy": 4, "restore": 1}, "companies": {"destroy": 3}},
        }
        assert "full" in plan.preview() and "ann" not in plan.preview()

    # interrupted: Twenty fails the second people request and the client does not retry
    httpx.post(f"{twenty_sandbox.url}/_sandbox/faults",
               json={"script": ["ok", "500"], "path_prefixes": ["/rest/people"]},
               headers={"Authorization": f"Bearer {twenty_sandbox.api_key}"}).raise_for_status()
    with twenty_sandbox.client(max_attempts=1) as flaky, pytest.raises(TwentyApiError):
        execute_rollback(flaky, warehouse, plan, run_id="rollback-1")
    resumed = plan_rollback(warehouse, None)
    assert resumed.counts() == {"full": {}, "sample": {"people": {"destroy": 4, "restore": 1},
                                                        "companies": {"destroy": 3}}}

    with twenty_sandbox.client() as client:
        result = rollback(client, warehouse, None, run_id="rollback-2")
        assert result.ok and result.proof.ok, result.summary()
        assert result.destroyed == {"people": 4, "companies": 3} and result.restored == {"people": 1}
        assert plan_rollback(warehouse, None).empty
        pilot = client.find_one("people", before["pilot"]["id"])
        assert pilot["name"] == {"firstName": "Pilot", "lastName": "Patient"}
        assert pilot["emails"]["primaryEmail"] == "pilot@example.com"
        assert pilot["companyId"] == before["company"]["id"] and pilot["jobTitle"] == "kept"
        assert pilot["cpPatientId"] is None
        assert cp_keys(client, "people", "cpPatientId") == []  # nothing soft-deleted left behind
        assert cp_keys(client, "companies", "cpPracticeId") == []
    with warehouse.connect() as conn:
        assert conn.execute("select count(*) from id_map").fetchone()[0] == 0
        undone = dict(conn.execute("select action, count(*) from audit_log where run_id like 'rollback-%' "
                                   "group by all").fetchall())
    assert undone == {"destroy": 8, "restore": 1}

    # the same migration runs again cleanly: freed emails and domains, exact counts, no duplicates
    with twenty_sandbox.client() as client:
        again = load_wave(client, warehouse, "sample", sample_wave(), run_id="run-sample-2")
        assert again["companies"].created == 3 and again["companies"].rejected == 0
        assert again["people"].created == 4 and again["people"].updated == 1 and again["people"].rejected == 0
        assert client.count("companies") == 1 + 3 and client.count("people") == 2 + 4
        assert cp_keys(client, "people", "cpPatientId") == ["PT1", "PT2", "PT3", "PT4", "PT9"]
        assert cp_keys(client, "companies", "cpPracticeId") == ["PR1", "PR2", "PR3"]

        # and can be rolled back again (its writes come after the first rollback's)
        second = rollback(client, warehouse, ["sample"], run_id="rollback-3")
        assert second.proof.ok and second.destroyed == {"people": 4, "companies": 3}


def test_rollback_with_schema_removal_leaves_the_workspace_as_before_the_schema(twenty_sandbox, warehouse) -> None:
    with twenty_sandbox.client() as client:
        client.create_many("people", [{"name": {"firstName": "Sales", "lastName": "Contact"}}])
        take_baseline(client, warehouse)
        result = sync_schema(client, SCHEMA_OBJECTS)
        record_schema_changes(warehouse, "sample", result)
        assert record_schema_changes(warehouse, "sample", sync_schema(client, SCHEMA_OBJECTS)) == 0
        load_wave(client, warehouse, "sample", sample_wave())
        invoice = client.create_many("invoices", [{"invoiceNumber": "INV-1", "cpInvoiceId": "IN1"}])[0]
        from core_practice_twenty.store.staging import WriteOutcome, record_outcomes
        record_outcomes(warehouse, "invoices", "sample", "run-sample",
                        [WriteOutcome("IN1", "create", invoice["id"], "h")])

        outcome = rollback(client, warehouse, None, remove_schema=True)
        assert outcome.ok, outcome.summary()
        assert {"treatmentPlan", "invoice", "insuranceClaim", "person.cpPatientId"} <= set(outcome.schema_removed)
        names = {o["nameSingular"]: o for o in client.list_objects()}
        assert "invoice" not in names and "treatmentPlan" not in names
        assert "cpPatientId" not in {f["name"] for f in names["person"]["fields"]}
        assert created_schema(warehouse) == []
        # the schema and the migration both come back cleanly
        sync_schema(client, SCHEMA_OBJECTS)
        again = load_wave(client, warehouse, "sample", sample_wave(), run_id="run-2")
        assert again["people"].created == 5 and client.count("people") == 6


def test_a_delta_knows_what_twenty_held_without_reading_each_batch_and_rollback_restores_exactly_that(
        twenty_sandbox, warehouse) -> None:
    """Before-states of a delta: Twenty's own copy for a record someone edited in Twenty after the last wave
    (one paged read by updatedAt), what the migration last sent for the rest (no read at all). Rolling the
    delta back puts back exactly those states: the receptionist's edit survives, the migration's values return."""
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        take_baseline(client, warehouse)
        first = {"companies": [practice("PR1", "smile-one.example")],
                 "people": [patient(f"PT{i}", "PR1", f"ann{i}@example.com") for i in range(1, 6)]}
        load_wave(client, warehouse, "full", first)
        ids = {r["cpPatientId"]: r["id"] for r in client.find_many("people")}
        # after the wave, the front desk corrects PT1's first name in Twenty itself
        client.update_one("people", ids["PT1"], {"name": {"firstName": "Anne", "lastName": "LeePT1"}})

        delta = {"people": [patient(f"PT{i}", "PR1", f"ann{i}.new@example.com") for i in range(1, 6)]}
        report = load_wave(client, warehouse, "delta-1", delta)["people"]
        assert report.updated == 5
        # the load sends its upsert batches and nothing else: no read of before-states per batch (the one
        # paged read of what Twenty changed since the last wave happens once, before the load)
        assert report.requests == report.batches == 1
        with warehouse.connect() as conn:
            befores = dict(conn.execute("select source_key, before_state::varchar from audit_log "
                                        "where wave = 'delta-1' and action = 'update'").fetchall())
        assert '"Anne"' in befores["PT1"] and '"ann2@example.com"' in befores["PT2"]

        result = rollback(client, warehouse, ["delta-1"], run_id="rollback-delta")
        assert result.restored == {"people": 5}
        pt1, pt2 = client.find_one("people", ids["PT1"]), client.find_one("people", ids["PT2"])
        assert pt1["name"]["firstName"] == "Anne" and pt1["emails"]["primaryEmail"] == "ann1@example.com"
        assert pt2["name"]["firstName"] == "Ann" and pt2["emails"]["primaryEmail"] == "ann2@example.com"
