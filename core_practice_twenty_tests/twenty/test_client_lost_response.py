"""A batch Twenty applied but whose answer never arrived: the client's retry must not duplicate it.

The sandbox's `lost_response` fault applies the request, then resets the connection instead of
answering; the client sees a dropped connection and retries (tenacity). With `upsert=True` the retry
matches the records the first attempt wrote by their unique `cp…Id` source key and updates them.
"""

from __future__ import annotations

import httpx

from core_practice_twenty.mapping.target_model import COMPANIES
from core_practice_twenty.twenty.metadata import sync_schema


def set_faults(sandbox, **faults) -> dict:
    response = httpx.post(f"{sandbox.url}/_sandbox/faults", json=faults,
                          headers={"Authorization": f"Bearer {sandbox.api_key}"})
    response.raise_for_status()
    return response.json()


def fault_stats(sandbox) -> dict:
    response = httpx.get(f"{sandbox.url}/_sandbox/faults", headers={"Authorization": f"Bearer {sandbox.api_key}"})
    return response.json()


def practices(n: int, start: int = 0) -> list[dict]:
    return [{"cpPracticeId": f"P{i:04d}", "name": f"Practice {i}"} for i in range(start, start + n)]


def test_a_lost_batch_response_retried_leaves_no_duplicates(twenty_sandbox) -> None:
    client = twenty_sandbox.client(batch_cap=60, max_backoff_s=0.05)
    sync_schema(client, [COMPANIES])
    set_faults(twenty_sandbox, script=["lost_response"], path_prefixes=["/rest/batch/"])

    records = practices(60)
    written = client.create_many("companies", records, upsert=True)

    assert client.stats.retries == 1  # the first answer was lost, the batch was sent again
    assert [r["cpPracticeId"] for r in written] == [r["cpPracticeId"] for r in records]
    assert client.count("companies") == 60
    keys = [c["cpPracticeId"] for c in client.find_many("companies", with_deleted=True)]
    assert sorted(keys) == sorted(r["cpPracticeId"] for r in records)  # zero duplicates


def test_many_lost_responses_over_a_load_still_no_duplicates(twenty_sandbox) -> None:
    """A third of all batch answers lost at random (seeded), over 600 records in batches of 50."""
    client = twenty_sandbox.client(batch_cap=50, max_backoff_s=0.02, max_attempts=10)
    sync_schema(client, [COMPANIES])
    set_faults(twenty_sandbox, seed=11, lost_response_rate=0.33, path_prefixes=["/rest/batch/"])

    ids: dict[str, str] = {}
    for start in range(0, 600, 50):
        for record in client.create_many("companies", practices(50, start), upsert=True):
            ids[record["cpPracticeId"]] = record["id"]

    assert fault_stats(twenty_sandbox)["stats"]["lost_responses"] > 0
    assert client.stats.retries == fault_stats(twenty_sandbox)["stats"]["lost_responses"]
    assert len(ids) == 600 and len(set(ids.values())) == 600
    assert client.count("companies") == 600
    # and the whole load sent again (a re-run after a crash) updates, never adds
    set_faults(twenty_sandbox)
    again = client.create_many("companies", practices(600), upsert=True)
    assert {r["cpPracticeId"]: r["id"] for r in again} == ids
    assert client.count("companies") == 600


def test_without_upsert_the_same_fault_would_duplicate(twenty_sandbox) -> None:
    """Why the loader upserts: a plain create of records without a unique key is applied twice."""
    client = twenty_sandbox.client(max_backoff_s=0.05)
    set_faults(twenty_sandbox, script=["lost_response"], path_prefixes=["/rest/batch/"])
    client.create_many("companies", [{"name": "No key"}])
    assert client.count("companies") == 2


def test_lost_answers_to_schema_creates_do_not_fail_the_schema_step(twenty_sandbox) -> None:
    """A custom object or field create whose answer was lost is retried, refused as a duplicate name,
    and recognised as made by the first attempt: the schema sync ends, each field exists once."""
    from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS

    client = twenty_sandbox.client(max_backoff_s=0.02, max_attempts=10)
    set_faults(twenty_sandbox, seed=5, lost_response_rate=0.3,
               path_prefixes=["/rest/metadata/objects", "/rest/metadata/fields"])

    result = sync_schema(client, SCHEMA_OBJECTS)

    assert fault_stats(twenty_sandbox)["stats"]["lost_responses"] > 0
    assert result.objects_created and result.created
    set_faults(twenty_sandbox)
    assert not sync_schema(client, SCHEMA_OBJECTS).changed  # nothing missing, nothing twice
    for obj in client.list_objects():
        names = [f["name"] for f in obj["fields"]]
        assert len(names) == len(set(names)), obj["nameSingular"]
