"""Upsert and uniqueness (people-create-many.integration-spec.ts, get-matching-record-id.util.ts; §9;
issues #24227 / #26216 for soft-deleted rows holding unique values)."""

from __future__ import annotations

import uuid

import pytest
from conformance_target import is_duplicate_error


def upsert(api, plural: str, rows: list[dict]):
    return api.post(f"/rest/batch/{plural}", params={"upsert": "true"}, json=rows)


@pytest.fixture
def key_field(api, target, uid) -> str:
    """A custom unique TEXT field on companies, as the pipeline creates its source keys."""
    name = f"confKey{uid}"
    response = api.post(
        "/rest/metadata/fields",
        json={
            "objectMetadataId": target.objects["company"]["id"],
            "name": name,
            "label": f"Conf Key {uid}",
            "type": "TEXT",
            "isUnique": True,
        },
    )
    assert response.status_code == 201, response.text
    return name


def test_upsert_by_email_updates_instead_of_duplicating(api, uid) -> None:
    email = f"ana-{uid}@example.org"
    first = upsert(api, "people", [{"emails": {"primaryEmail": email}, "avatarUrl": "Perth", "jobTitle": uid}])
    assert first.status_code == 201
    original = first.json()["data"]["createPeople"][0]
    second = upsert(api, "people", [{"emails": {"primaryEmail": email.upper()}, "avatarUrl": "Bunbury"}])
    assert second.status_code == 201
    updated = second.json()["data"]["createPeople"][0]
    assert updated["id"] == original["id"]
    assert updated["avatarUrl"] == "Bunbury"
    assert updated["jobTitle"] == uid  # not supplied: kept
    assert updated["createdAt"] == original["createdAt"]


def test_upsert_by_id_may_change_the_unique_value(api, uid) -> None:
    old, new = f"old-{uid}@example.org", f"new-{uid}@example.org"
    person = api.post("/rest/people", json={"emails": {"primaryEmail": old}}).json()["data"]["createPerson"]
    rows = [{"id": person["id"], "emails": {"primaryEmail": new}}, {"emails": {"primaryEmail": f"other-{uid}@x.org"}}]
    response = upsert(api, "people", rows)
    assert response.status_code == 201, response.text
    updated, inserted = response.json()["data"]["createPeople"]
    assert updated["id"] == person["id"]
    assert updated["emails"]["primaryEmail"] == new
    assert inserted["id"] != person["id"]
    # the released address is free again
    assert api.post("/rest/people", json={"emails": {"primaryEmail": old}}).status_code == 201


def test_upsert_with_unknown_id_inserts_with_that_id(api, uid) -> None:
    new_id = str(uuid.uuid4())
    created = upsert(api, "people", [{"id": new_id, "jobTitle": uid}]).json()["data"]["createPeople"][0]
    assert created["id"] == new_id
    again = upsert(api, "people", [{"id": new_id, "avatarUrl": uid}]).json()["data"]["createPeople"][0]
    assert again["id"] == new_id and again["jobTitle"] == uid and again["avatarUrl"] == uid


def test_upsert_by_custom_unique_field_mixes_inserts_and_updates(api, key_field, uid) -> None:
    first = upsert(api, "companies", [{key_field: "P1", "name": uid}, {key_field: "P2", "name": uid}])
    assert first.status_code == 201
    p1 = first.json()["data"]["createCompanies"][0]
    second = upsert(api, "companies", [{key_field: "P3", "name": uid}, {key_field: "P1", "position": 12}])
    assert second.status_code == 201
    rows = second.json()["data"]["createCompanies"]
    assert [r[key_field] for r in rows] == ["P3", "P1"]
    assert rows[1]["id"] == p1["id"] and rows[1]["position"] == 12 and rows[1]["name"] == uid
    assert api.get("/rest/companies", params={"filter": f"name[eq]:{uid}"}).json()["totalCount"] == 3
    found = api.get("/rest/companies", params={"filter": f"{key_field}[in]:[P1,P3]"}).json()
    assert found["totalCount"] == 2


def test_upsert_restores_a_soft_deleted_match(api, key_field, uid) -> None:
    created = upsert(api, "companies", [{key_field: "P1", "name": uid}]).json()["data"]["createCompanies"][0]
    api.delete(f"/rest/companies/{created['id']}", params={"soft_delete": "true"})
    again = upsert(api, "companies", [{key_field: "P1", "position": 3}])
    assert again.status_code == 201, again.text
    restored = again.json()["data"]["createCompanies"][0]
    assert restored["id"] == created["id"]
    assert restored["deletedAt"] is None
    assert restored["position"] == 3
    assert api.get(f"/rest/companies/{created['id']}").status_code == 200


def test_plain_create_colliding_with_a_soft_deleted_row_is_400(api, key_field, uid) -> None:
    email = f"gone-{uid}@example.org"
    person = api.post("/rest/people", json={"emails": {"primaryEmail": email}}).json()["data"]["createPerson"]
    api.delete(f"/rest/people/{person['id']}", params={"soft_delete": "true"})
    assert is_duplicate_error(api.post("/rest/people", json={"emails": {"primaryEmail": email}}))
    company = api.post("/rest/companies", json={key_field: "K1", "name": uid}).json()["data"]["createCompany"]
    api.delete(f"/rest/companies/{company['id']}", params={"soft_delete": "true"})
    assert is_duplicate_error(api.post("/rest/companies", json={key_field: "K1"}))
    # destroying the soft-deleted row frees the value
    api.delete(f"/rest/companies/{company['id']}")
    assert api.post("/rest/companies", json={key_field: "K1", "name": uid}).status_code == 201


def test_unique_company_domain(api, uid) -> None:
    domain = f"https://{uid}-dental.com"
    assert api.post("/rest/companies", json={"domainName": {"primaryLinkUrl": domain}}).status_code == 201
    assert is_duplicate_error(api.post("/rest/companies", json={"domainName": {"primaryLinkUrl": domain + "/"}}))


def test_only_the_literal_true_switches_upsert_on(api, key_field, uid) -> None:
    api.post("/rest/companies", json={key_field: "Q1", "name": uid})
    response = api.post("/rest/companies", params={"upsert": "1"}, json={key_field: "Q1"})
    assert is_duplicate_error(response)


def test_one_row_matching_two_records_is_400_and_nothing_changes(api, key_field, uid) -> None:
    first, second = upsert(
        api,
        "companies",
        [
            {key_field: "A1", "name": uid, "domainName": {"primaryLinkUrl": f"https://a-{uid}.com"}},
            {key_field: "A2", "name": uid, "domainName": {"primaryLinkUrl": f"https://b-{uid}.com"}},
        ],
    ).json()["data"]["createCompanies"]
    response = upsert(
        api, "companies", [{key_field: "A1", "name": "X", "domainName": {"primaryLinkUrl": f"https://b-{uid}.com"}}]
    )
    assert response.status_code == 400
    message = response.json()["messages"][0]
    assert message.startswith("Multiple records found with the same unique field values")
    assert message.endswith("Cannot determine which record to update.")
    assert api.get(f"/rest/companies/{first['id']}").json()["data"]["company"]["name"] == uid
    assert api.get(f"/rest/companies/{second['id']}").json()["data"]["company"]["name"] == uid


def test_create_one_with_upsert(api, uid) -> None:
    body = {"emails": {"primaryEmail": f"one-{uid}@example.org"}, "avatarUrl": "Perth"}
    first = api.post("/rest/people", params={"upsert": "true"}, json=body)
    second = api.post("/rest/people", params={"upsert": "true"}, json={**body, "avatarUrl": "Albany"})
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["createPerson"]["id"] == second.json()["data"]["createPerson"]["id"]
    assert second.json()["data"]["createPerson"]["avatarUrl"] == "Albany"
