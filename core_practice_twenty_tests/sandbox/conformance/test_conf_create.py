"""Create one / create many (rest-api-core-create-one and -create-many integration specs; §9)."""

from __future__ import annotations

import uuid

from conformance_target import is_duplicate_error


def count(api, plural: str, filter_: str) -> int:
    response = api.get(f"/rest/{plural}", params={"filter": filter_})
    assert response.status_code == 200, response.text
    return response.json()["totalCount"]


def test_create_one_returns_201_and_the_api_actor(api, uid) -> None:
    person_id = str(uuid.uuid4())
    response = api.post("/rest/people", json={"id": person_id, "avatarUrl": uid})
    assert response.status_code == 201
    created = response.json()["data"]["createPerson"]
    assert created["id"] == person_id
    assert created["avatarUrl"] == uid
    assert created["createdBy"]["source"] == "API"
    assert created["createdBy"]["workspaceMemberId"] is None
    assert created["deletedAt"] is None


def test_supplied_created_by_source_is_kept(api, uid) -> None:
    created = api.post("/rest/people", json={"avatarUrl": uid, "createdBy": {"source": "IMPORT"}}).json()
    assert created["data"]["createPerson"]["createdBy"]["source"] == "IMPORT"
    rows = [{"avatarUrl": uid, "createdBy": {"source": "EMAIL"}}, {"avatarUrl": uid}]
    batch = api.post("/rest/batch/people", json=rows)
    actors = [p["createdBy"]["source"] for p in batch.json()["data"]["createPeople"]]
    assert actors == ["EMAIL", "API"]


def test_create_many_keeps_input_order(api, uid) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    response = api.post("/rest/batch/companies", json=[{"id": i, "name": f"{uid}-{n}"} for n, i in enumerate(ids)])
    assert response.status_code == 201
    created = response.json()["data"]["createCompanies"]
    assert [c["id"] for c in created] == ids
    assert [c["name"] for c in created] == [f"{uid}-{n}" for n in range(5)]


def test_empty_or_non_array_batch_is_400(api, uid) -> None:
    assert api.post("/rest/batch/companies", json=[]).status_code == 400
    assert api.post("/rest/batch/companies", json={"name": uid}).status_code == 400
    assert count(api, "companies", f"name[eq]:{uid}") == 0


def test_existing_id_is_a_duplicate_and_nothing_is_written(api, uid) -> None:
    person_id = str(uuid.uuid4())
    assert api.post("/rest/people", json={"id": person_id, "avatarUrl": uid}).status_code == 201
    again = api.post("/rest/people", json={"id": person_id, "avatarUrl": uid})
    assert is_duplicate_error(again), again.text
    batch = api.post("/rest/batch/people", json=[{"avatarUrl": uid}, {"id": person_id, "avatarUrl": uid}])
    assert is_duplicate_error(batch), batch.text
    assert count(api, "people", f"avatarUrl[eq]:{uid}") == 1


def test_over_the_batch_cap_is_400_and_nothing_is_written(api, target, uid) -> None:
    rows = [{"name": uid} for _ in range(target.batch_cap + 1)]
    response = api.post("/rest/batch/companies", json=rows)
    assert response.status_code == 400
    assert response.json()["messages"][0] == f"Maximum number of records to upsert is {target.batch_cap}."
    assert count(api, "companies", f"name[eq]:{uid}") == 0
    exactly = api.post("/rest/batch/companies", json=rows[:-1])
    assert exactly.status_code == 201
    assert len(exactly.json()["data"]["createCompanies"]) == target.batch_cap


def test_invalid_select_value_is_400_naming_the_value(api, uid) -> None:
    response = api.post("/rest/opportunities", json={"name": uid, "stage": "INVALID_ENUM_VALUE"})
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequestException"
    assert "INVALID_ENUM_VALUE" in response.json()["messages"][0]
    created = api.post("/rest/opportunities", json={"name": uid}).json()["data"]["createOpportunity"]
    assert created["stage"] == "NEW"


def test_one_bad_record_sinks_the_batch(api, uid) -> None:
    rows = [{"name": uid}, {"name": uid, "stage": "NOT_A_STAGE"}]
    assert api.post("/rest/batch/opportunities", json=rows).status_code == 400
    assert count(api, "opportunities", f"name[eq]:{uid}") == 0


def test_unknown_field_is_400(api, uid) -> None:
    response = api.post("/rest/companies", json={"name": uid, "notAFieldAtAll": 1})
    assert response.status_code == 400
    assert "notAFieldAtAll" in response.json()["messages"][0]


def test_relation_to_a_missing_record_is_refused(api, uid) -> None:
    response = api.post("/rest/people", json={"avatarUrl": uid, "companyId": str(uuid.uuid4())})
    assert response.status_code == 400
    assert count(api, "people", f"avatarUrl[eq]:{uid}") == 0


def test_object_name_must_be_the_plural(api) -> None:
    response = api.get("/rest/person")
    assert response.status_code == 400
    assert response.json()["messages"][0] == "object 'person' not found. Did you mean 'people'?"
