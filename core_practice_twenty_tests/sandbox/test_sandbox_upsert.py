"""Upsert semantics (twenty-api.md §9; people-create-many.integration-spec.ts)."""

from __future__ import annotations

import uuid

import httpx
import pytest


@pytest.fixture
def practice_key(client: httpx.Client, add_field) -> None:
    """Custom unique source key on companies, as the pipeline creates it."""
    response = add_field(client, "companies", name="cpPracticeId", label="CP Practice Id", type="TEXT", isUnique=True)
    assert response.status_code == 201, response.text


def upsert(client: httpx.Client, plural: str, rows: list[dict]) -> httpx.Response:
    return client.post(f"/rest/batch/{plural}", params={"upsert": "true"}, json=rows)


def test_upsert_by_custom_unique_field_updates_instead_of_duplicating(client: httpx.Client, practice_key) -> None:
    first = upsert(client, "companies", [{"cpPracticeId": "P1", "name": "Old"}, {"cpPracticeId": "P2"}])
    assert first.status_code == 201
    original = first.json()["data"]["createCompanies"][0]
    second = upsert(client, "companies", [{"cpPracticeId": "P3"}, {"cpPracticeId": "P1", "employees": 12}])
    assert second.status_code == 201
    rows = second.json()["data"]["createCompanies"]
    assert [r["cpPracticeId"] for r in rows] == ["P3", "P1"]
    assert rows[1]["id"] == original["id"]
    assert rows[1]["name"] == "Old"  # untouched field kept
    assert rows[1]["employees"] == 12
    assert rows[1]["createdAt"] == original["createdAt"]
    assert client.get("/rest/companies").json()["totalCount"] == 3


def test_plain_create_with_existing_custom_key_is_duplicate(client: httpx.Client, practice_key) -> None:
    upsert(client, "companies", [{"cpPracticeId": "P1"}])
    response = client.post("/rest/batch/companies", json=[{"cpPracticeId": "P1"}])
    assert response.status_code == 400
    assert "A duplicate entry was detected" in response.json()["messages"][0]
    # only the literal "true" switches upsert on
    assert client.post("/rest/companies", params={"upsert": "1"}, json={"cpPracticeId": "P1"}).status_code == 400


def test_upsert_restores_a_soft_deleted_match(client: httpx.Client, practice_key) -> None:
    created = upsert(client, "companies", [{"cpPracticeId": "P1", "name": "A"}]).json()["data"]["createCompanies"][0]
    client.delete(f"/rest/companies/{created['id']}", params={"soft_delete": "true"})
    assert client.get("/rest/companies").json()["totalCount"] == 0
    again = upsert(client, "companies", [{"cpPracticeId": "P1", "name": "B"}]).json()["data"]["createCompanies"][0]
    assert again["id"] == created["id"]
    assert again["deletedAt"] is None
    assert again["name"] == "B"
    assert client.get("/rest/companies").json()["totalCount"] == 1


def test_ambiguous_match_is_400_and_writes_nothing(client: httpx.Client, practice_key) -> None:
    rows = upsert(
        client,
        "companies",
        [
            {"cpPracticeId": "P1", "domainName": {"primaryLinkUrl": "a.com"}},
            {"cpPracticeId": "P2", "domainName": {"primaryLinkUrl": "b.com"}},
        ],
    ).json()["data"]["createCompanies"]
    response = upsert(
        client, "companies", [{"cpPracticeId": "P1", "name": "X", "domainName": {"primaryLinkUrl": "b.com"}}]
    )
    assert response.status_code == 400
    message = response.json()["messages"][0]
    assert message.startswith("Multiple records found with the same unique field values for ")
    assert message.endswith("Cannot determine which record to update.")
    assert "cpPracticeId" in message and "domainName" in message
    assert client.get(f"/rest/companies/{rows[0]['id']}").json()["data"]["company"]["name"] == ""


def test_upsert_by_id_can_change_a_unique_value(client: httpx.Client) -> None:
    person = client.post("/rest/people", json={"emails": {"primaryEmail": "old@x.org"}}).json()["data"]["createPerson"]
    rows = upsert(
        client,
        "people",
        [
            {"id": person["id"], "emails": {"primaryEmail": "new@x.org"}},
            {"emails": {"primaryEmail": "other@x.org"}},
        ],
    ).json()["data"]["createPeople"]
    assert rows[0]["id"] == person["id"]
    assert rows[0]["emails"]["primaryEmail"] == "new@x.org"
    assert client.get("/rest/people").json()["totalCount"] == 2
    # the released address is free again
    assert client.post("/rest/people", json={"emails": {"primaryEmail": "old@x.org"}}).status_code == 201


def test_upsert_by_email_and_unknown_id_inserts(client: httpx.Client) -> None:
    new_id = str(uuid.uuid4())
    created = upsert(client, "people", [{"id": new_id, "jobTitle": "Hygienist"}]).json()["data"]["createPeople"]
    assert created[0]["id"] == new_id
    updated = upsert(client, "people", [{"id": new_id, "jobTitle": "Dentist"}]).json()["data"]["createPeople"]
    assert updated[0]["jobTitle"] == "Dentist"
    assert client.get("/rest/people").json()["totalCount"] == 1


def test_create_one_with_upsert(client: httpx.Client) -> None:
    body = {"emails": {"primaryEmail": "a@x.org"}, "city": "Perth"}
    first = client.post("/rest/people", params={"upsert": "true"}, json=body)
    second = client.post("/rest/people", params={"upsert": "true"}, json={**body, "city": "Bunbury"})
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["createPerson"]["id"] == second.json()["data"]["createPerson"]["id"]
    assert second.json()["data"]["createPerson"]["city"] == "Bunbury"
