"""Update, delete, destroy, restore (rest-api-core-update, -delete, -restore integration specs; §2)."""

from __future__ import annotations

import uuid


def count(api, plural: str, filter_: str) -> int:
    response = api.get(f"/rest/{plural}", params={"filter": filter_})
    assert response.status_code == 200, response.text
    return response.json()["totalCount"]


def test_patch_is_partial(api, uid) -> None:
    company_id = api.post("/rest/companies", json={"name": uid}).json()["data"]["createCompany"]["id"]
    person = api.post("/rest/people", json={"companyId": company_id, "avatarUrl": uid}).json()["data"]["createPerson"]
    changes = {
        "name": {"firstName": "Updated", "lastName": "Person"},
        "emails": {"primaryEmail": f"updated-{uid}@example.com", "additionalEmails": [f"extra-{uid}@example.com"]},
    }
    response = api.patch(f"/rest/people/{person['id']}", json=changes)
    assert response.status_code == 200
    updated = response.json()["data"]["updatePerson"]
    assert updated["name"] == {"firstName": "Updated", "lastName": "Person"}
    assert updated["emails"]["primaryEmail"] == f"updated-{uid}@example.com"
    assert updated["emails"]["additionalEmails"] == [f"extra-{uid}@example.com"]
    assert updated["avatarUrl"] == uid
    assert updated["jobTitle"] == ""
    assert updated["companyId"] == company_id


def test_patch_sub_field_keeps_the_other_sub_fields(api, uid) -> None:
    person = api.post("/rest/people", json={"name": {"firstName": "Ana", "lastName": uid}}).json()["data"][
        "createPerson"
    ]
    updated = api.patch(f"/rest/people/{person['id']}", json={"name": {"firstName": "Ines"}}).json()
    assert updated["data"]["updatePerson"]["name"] == {"firstName": "Ines", "lastName": uid}


def test_update_depth_and_put_alias(api, uid) -> None:
    company_id = api.post("/rest/companies", json={"name": uid}).json()["data"]["createCompany"]["id"]
    person_id = api.post("/rest/people", json={"companyId": company_id}).json()["data"]["createPerson"]["id"]
    deep = api.patch(f"/rest/people/{person_id}", params={"depth": "1"}, json={"avatarUrl": uid})
    assert deep.json()["data"]["updatePerson"]["company"]["id"] == company_id
    assert api.patch(f"/rest/people/{person_id}", params={"depth": "2"}, json={"avatarUrl": uid}).status_code == 400
    put = api.put(f"/rest/people/{person_id}", json={"jobTitle": uid})
    assert put.status_code == 200
    assert put.json()["data"]["updatePerson"]["jobTitle"] == uid


def test_unknown_ids_are_404_and_malformed_ids_400(api) -> None:
    unknown = str(uuid.uuid4())
    patched = api.patch(f"/rest/people/{unknown}", json={"avatarUrl": "x"})
    for response in (patched, api.delete(f"/rest/people/{unknown}")):
        assert response.status_code == 404
        assert response.json()["error"] == "NotFoundException"
        assert response.json()["messages"][0] == "Record not found"
    assert api.delete("/rest/people/not-a-uuid").status_code == 400


def test_delete_destroys_by_default(api, uid) -> None:
    person_id = api.post("/rest/people", json={"avatarUrl": uid}).json()["data"]["createPerson"]["id"]
    response = api.delete(f"/rest/people/{person_id}")
    assert response.status_code == 200
    assert response.json()["data"]["deletePerson"] == {"id": person_id}
    assert count(api, "people", f"avatarUrl[eq]:{uid},deletedAt[is]:NOT_NULL") == 0
    assert api.patch(f"/rest/people/{person_id}/restore").status_code == 404


def test_soft_delete_then_restore_brings_every_field_back(api, uid) -> None:
    body = {"avatarUrl": uid, "jobTitle": "Hygienist", "name": {"firstName": "Ana", "lastName": uid}}
    person_id = api.post("/rest/people", json=body).json()["data"]["createPerson"]["id"]
    soft = api.delete(f"/rest/people/{person_id}", params={"soft_delete": "true"})
    assert soft.status_code == 200
    assert soft.json()["data"]["deletePerson"]["deletedAt"] is not None
    assert count(api, "people", f"avatarUrl[eq]:{uid}") == 0
    restored = api.patch(f"/rest/people/{person_id}/restore")
    assert restored.status_code == 200
    assert restored.json()["data"]["restorePerson"]["deletedAt"] is None
    fetched = api.get(f"/rest/people/{person_id}").json()["data"]["person"]
    assert {k: fetched[k] for k in body} == body


def test_soft_delete_only_for_the_literal_true(api, uid) -> None:
    person_id = api.post("/rest/people", json={"avatarUrl": uid}).json()["data"]["createPerson"]["id"]
    assert api.delete(f"/rest/people/{person_id}", params={"soft_delete": "1"}).status_code == 200
    assert api.get(f"/rest/people/{person_id}").status_code == 404
    assert count(api, "people", f"avatarUrl[eq]:{uid},deletedAt[is]:NOT_NULL") == 0


def test_bulk_delete_and_destroy_need_a_filter(api) -> None:
    soft = api.delete("/rest/people", params={"soft_delete": "true"})
    assert soft.status_code == 400
    assert "Filters are mandatory for bulk delete operations" in soft.json()["messages"][0]
    hard = api.delete("/rest/people", params={"soft_delete": "false"})
    assert hard.status_code == 400
    assert "Filters are mandatory for bulk destroy operations" in hard.json()["messages"][0]


def test_bulk_soft_delete_restore_and_destroy_by_filter(api, uid) -> None:
    api.post("/rest/batch/companies", json=[{"name": uid, "position": n} for n in range(3)])
    deleted = api.delete(
        "/rest/companies", params={"filter": f"name[eq]:{uid},position[lte]:1", "soft_delete": "true"}
    )
    assert deleted.status_code == 200
    assert len(deleted.json()["data"]["deleteCompanies"]) == 2
    assert count(api, "companies", f"name[eq]:{uid}") == 1
    restored = api.patch("/rest/companies/restore", params={"filter": f"name[eq]:{uid},position[eq]:0"})
    assert restored.status_code == 200
    assert [c["position"] for c in restored.json()["data"]["restoreCompanies"]] == [0]
    destroyed = api.delete("/rest/companies", params={"filter": f"name[eq]:{uid},position[gte]:0"})
    assert destroyed.status_code == 200
    assert count(api, "companies", f"name[eq]:{uid}") == 0


def test_destroying_more_than_the_cap_by_filter_is_refused(api, target, uid) -> None:
    cap = target.batch_cap
    rows = [{"name": uid} for _ in range(cap)]
    assert api.post("/rest/batch/companies", json=rows).status_code == 201
    assert api.post("/rest/companies", json={"name": uid}).status_code == 201
    response = api.delete("/rest/companies", params={"filter": f"name[eq]:{uid}"})
    assert response.status_code == 400
    assert count(api, "companies", f"name[eq]:{uid}") == cap + 1


def test_bulk_update_by_filter(api, uid) -> None:
    api.post("/rest/batch/companies", json=[{"name": uid}, {"name": uid}, {"name": f"{uid}-other"}])
    response = api.patch("/rest/companies", params={"filter": f"name[eq]:{uid}"}, json={"position": 7})
    assert response.status_code == 200
    assert [c["position"] for c in response.json()["data"]["updateCompanies"]] == [7, 7]
    assert count(api, "companies", f"name[eq]:{uid}-other,position[neq]:7") == 1


def test_destroying_a_company_clears_its_people(api, uid) -> None:
    company_id = api.post("/rest/companies", json={"name": uid}).json()["data"]["createCompany"]["id"]
    person_id = api.post("/rest/people", json={"companyId": company_id}).json()["data"]["createPerson"]["id"]
    assert api.delete(f"/rest/companies/{company_id}").status_code == 200
    assert api.get(f"/rest/people/{person_id}").json()["data"]["person"]["companyId"] is None


def test_task_targets_follow_the_profile_naming_and_cascade(api, target, uid) -> None:
    person_id = api.post("/rest/people", json={"avatarUrl": uid}).json()["data"]["createPerson"]["id"]
    task_id = api.post("/rest/tasks", json={"title": uid}).json()["data"]["createTask"]["id"]
    column = target.target_column("person")
    created = api.post("/rest/taskTargets", json={"taskId": task_id, column: person_id})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["createTaskTarget"][column] == person_id
    task = api.get(f"/rest/tasks/{task_id}", params={"depth": "1"}).json()["data"]["task"]
    assert [t["id"] for t in task["taskTargets"]] == [created.json()["data"]["createTaskTarget"]["id"]]
    assert api.delete(f"/rest/tasks/{task_id}").status_code == 200
    assert count(api, "taskTargets", f"{column}[eq]:{person_id}") == 0
    assert api.get(f"/rest/people/{person_id}").status_code == 200
