"""Create, update, delete: envelopes, batch cap, atomicity, uniqueness, normalisation."""

from __future__ import annotations

import uuid

import httpx


def count(client: httpx.Client, plural: str, filter_: str | None = None) -> int:
    params = {"filter": filter_} if filter_ else {}
    return client.get(f"/rest/{plural}", params=params).json()["totalCount"]


def test_batch_create_returns_records_in_input_order(client: httpx.Client) -> None:
    names = [f"Practice {i}" for i in range(5)]
    response = client.post("/rest/batch/companies", json=[{"name": n} for n in names])
    assert response.status_code == 201
    created = response.json()["data"]["createCompanies"]
    assert [c["name"] for c in created] == names
    first = created[0]
    uuid.UUID(first["id"])
    assert first["deletedAt"] is None
    assert first["createdBy"]["source"] == "API"
    assert first["createdBy"]["workspaceMemberId"] is None
    assert first["idealCustomerProfile"] is False
    assert first["domainName"] == {"primaryLinkUrl": None, "primaryLinkLabel": None, "secondaryLinks": None}
    assert first["address"]["addressCity"] is None
    assert "accountOwnerId" in first and first["accountOwnerId"] is None
    assert first["createdAt"].endswith("Z")
    assert isinstance(first["position"], int | float)


def test_client_supplied_id_is_kept(client: httpx.Client) -> None:
    record_id = str(uuid.uuid4())
    created = client.post("/rest/batch/people", json=[{"id": record_id}]).json()["data"]["createPeople"]
    assert created[0]["id"] == record_id


def test_over_cap_is_400_and_writes_nothing(client: httpx.Client) -> None:
    response = client.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(201)])
    assert response.status_code == 400
    assert response.json()["messages"] == ["Maximum number of records to upsert is 200."]
    assert count(client, "companies") == 0


def test_batch_cap_follows_the_version_and_is_configurable(sandbox_factory, connect, tmp_path) -> None:
    old = connect(sandbox_factory(twenty_version="1.16", db_path=tmp_path / "old.db"))
    assert old.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(200)]).status_code == 201
    too_many = old.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(201)])
    assert too_many.json()["messages"] == ["Maximum number of records to upsert is 200."]
    sixty = connect(sandbox_factory(twenty_version="1.16", batch_cap=60, db_path=tmp_path / "sixty.db"))
    refused = sixty.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(61)])
    assert refused.json()["messages"] == ["Maximum number of records to upsert is 60."]
    for played in ("1.16", "2.38", "2.47"):
        c = connect(sandbox_factory(twenty_version=played, batch_cap=5, db_path=tmp_path / f"{played}-5.db"))
        assert c.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(5)]).status_code == 201
        assert c.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(6)]).status_code == 400
        assert len(c.get("/rest/companies", params={"limit": "50"}).json()["data"]["companies"]) == 5


def test_empty_and_non_array_bodies_are_400(client: httpx.Client) -> None:
    assert client.post("/rest/batch/companies", json=[]).status_code == 400
    assert client.post("/rest/batch/companies", json={"name": "A"}).status_code == 400


def test_one_bad_record_sinks_the_whole_batch(client: httpx.Client) -> None:
    response = client.post("/rest/batch/companies", json=[{"name": "good"}, {"name": "bad", "nope": 1}])
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequestException"
    assert "nope" in response.json()["messages"][0]
    assert count(client, "companies") == 0


def test_duplicate_id_is_400(client: httpx.Client) -> None:
    record_id = str(uuid.uuid4())
    assert client.post("/rest/companies", json={"id": record_id, "name": "A"}).status_code == 201
    response = client.post("/rest/batch/companies", json=[{"name": "B"}, {"id": record_id, "name": "C"}])
    assert response.status_code == 400
    assert "A duplicate entry was detected" in response.json()["messages"][0]
    assert count(client, "companies") == 1


def test_duplicate_unique_value_is_400_even_against_soft_deleted(client: httpx.Client) -> None:
    company = client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "https://acme.com"}}).json()
    company_id = company["data"]["createCompany"]["id"]
    assert client.delete(f"/rest/companies/{company_id}", params={"soft_delete": "true"}).status_code == 200
    response = client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "https://ACME.com/"}})
    assert response.status_code == 400
    assert "A duplicate entry was detected" in response.json()["messages"][0]


def test_duplicates_inside_one_batch_are_rejected(client: httpx.Client) -> None:
    rows = [{"emails": {"primaryEmail": "a@x.org"}}, {"emails": {"primaryEmail": "A@x.org"}}]
    response = client.post("/rest/batch/people", json=rows)
    assert response.status_code == 400
    assert "A duplicate entry was detected" in response.json()["messages"][0]
    assert count(client, "people") == 0


def test_blank_unique_values_do_not_collide(client: httpx.Client) -> None:
    rows = [{"name": {"firstName": "A", "lastName": "B"}}, {"emails": {"primaryEmail": ""}}]
    assert client.post("/rest/batch/people", json=rows).status_code == 201


def test_email_and_link_normalisation(client: httpx.Client) -> None:
    person = client.post(
        "/rest/people",
        json={"emails": {"primaryEmail": "Ana.Ruiz@Example.ORG.", "additionalEmails": ["X@Y.COM"]}},
    ).json()["data"]["createPerson"]
    assert person["emails"] == {"primaryEmail": "ana.ruiz@example.org", "additionalEmails": ["x@y.com"]}
    company = client.post(
        "/rest/companies", json={"domainName": {"primaryLinkUrl": "HTTPS://Smile.Dental.COM/"}}
    ).json()["data"]["createCompany"]
    assert company["domainName"]["primaryLinkUrl"] == "smile.dental.com"  # current profile: bare host
    found = client.get("/rest/people", params={"filter": "emails.primaryEmail[eq]:ANA.RUIZ@example.org"})
    assert found.json()["totalCount"] == 1


def test_invalid_select_value_is_400(client: httpx.Client) -> None:
    response = client.post("/rest/opportunities", json={"name": "Crown", "stage": "WON"})
    assert response.status_code == 400
    assert response.json()["messages"] == ["Invalid value 'WON' for field \"stage\""]
    ok = client.post("/rest/opportunities", json={"name": "Crown"}).json()["data"]["createOpportunity"]
    assert ok["stage"] == "NEW"


def test_relation_must_point_at_an_existing_record(client: httpx.Client) -> None:
    response = client.post("/rest/people", json={"companyId": str(uuid.uuid4())})
    assert response.status_code == 400
    company_id = client.post("/rest/companies", json={"name": "A"}).json()["data"]["createCompany"]["id"]
    person = client.post("/rest/people", json={"companyId": company_id}).json()["data"]["createPerson"]
    assert person["companyId"] == company_id
    expanded = client.get(f"/rest/people/{person['id']}", params={"depth": "1"}).json()["data"]["person"]
    assert expanded["company"]["id"] == company_id


def test_patch_is_partial(client: httpx.Client) -> None:
    person = client.post(
        "/rest/people", json={"name": {"firstName": "Ana", "lastName": "Ruiz"}, "jobTitle": "Dentist"}
    ).json()["data"]["createPerson"]
    response = client.patch(f"/rest/people/{person['id']}", json={"name": {"lastName": "Diaz"}, "city": "Perth"})
    assert response.status_code == 200
    updated = response.json()["data"]["updatePerson"]
    assert updated["name"] == {"firstName": "Ana", "lastName": "Diaz"}
    assert updated["jobTitle"] == "Dentist"
    assert updated["city"] == "Perth"
    missing = client.patch(f"/rest/people/{uuid.uuid4()}", json={"city": "x"})
    assert missing.status_code == 404


def test_delete_destroys_by_default_and_soft_deletes_on_request(client: httpx.Client) -> None:
    a, b = client.post(
        "/rest/batch/companies",
        json=[{"domainName": {"primaryLinkUrl": "a.com"}}, {"domainName": {"primaryLinkUrl": "b.com"}}],
    ).json()["data"]["createCompanies"]
    destroyed = client.delete(f"/rest/companies/{a['id']}")
    assert destroyed.status_code == 200
    assert destroyed.json() == {"data": {"deleteCompany": {"id": a["id"]}}}
    # destroy frees the unique value
    assert client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "a.com"}}).status_code == 201
    soft = client.delete(f"/rest/companies/{b['id']}", params={"soft_delete": "true"})
    assert soft.json()["data"]["deleteCompany"]["deletedAt"] is not None
    assert client.get(f"/rest/companies/{b['id']}").status_code == 404
    restored = client.patch(f"/rest/companies/{b['id']}/restore")
    assert restored.json()["data"]["restoreCompany"]["domainName"]["primaryLinkUrl"] == "b.com"
    assert client.get(f"/rest/companies/{b['id']}").status_code == 200


def test_destroying_a_company_nulls_people_company_id(client: httpx.Client) -> None:
    company_id = client.post("/rest/companies", json={"name": "A"}).json()["data"]["createCompany"]["id"]
    person_id = client.post("/rest/people", json={"companyId": company_id}).json()["data"]["createPerson"]["id"]
    client.delete(f"/rest/companies/{company_id}")
    assert client.get(f"/rest/people/{person_id}").json()["data"]["person"]["companyId"] is None


def test_bulk_destroy_needs_a_filter_and_respects_the_cap(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(batch_cap=3))
    c.post("/rest/batch/companies", json=[{"name": "x"} for _ in range(3)])
    c.post("/rest/batch/companies", json=[{"name": "x"}])
    assert c.delete("/rest/companies").status_code == 400
    too_many = c.delete("/rest/companies", params={"filter": "name[eq]:x"})
    assert too_many.status_code == 400
    assert c.get("/rest/companies").json()["totalCount"] == 4
    ids = [r["id"] for r in c.get("/rest/companies", params={"limit": "2"}).json()["data"]["companies"]]
    done = c.delete("/rest/companies", params={"filter": f"id[in]:[{','.join(ids)}]"})
    assert done.status_code == 200
    assert len(done.json()["data"]["deleteCompanies"]) == 2
    assert c.get("/rest/companies").json()["totalCount"] == 2


def test_destroying_a_task_cascades_to_its_targets(client: httpx.Client) -> None:
    person_id = client.post("/rest/people", json={}).json()["data"]["createPerson"]["id"]
    task_id = client.post("/rest/tasks", json={"title": "Recall"}).json()["data"]["createTask"]["id"]
    target = client.post("/rest/taskTargets", json={"taskId": task_id, "targetPersonId": person_id})
    assert target.status_code == 201, target.text
    client.delete(f"/rest/tasks/{task_id}")
    assert client.get("/rest/taskTargets").json()["totalCount"] == 0
    assert client.get(f"/rest/people/{person_id}").status_code == 200


def test_bulk_update_put_alias_and_bulk_restore(client: httpx.Client) -> None:
    rows = client.post("/rest/batch/companies", json=[{"name": "x"}, {"name": "x"}, {"name": "y"}]).json()
    ids = [r["id"] for r in rows["data"]["createCompanies"]]
    updated = client.patch("/rest/companies", params={"filter": "name[eq]:x"}, json={"employees": 7})
    assert [r["employees"] for r in updated.json()["data"]["updateCompanies"]] == [7, 7]
    assert client.put(f"/rest/companies/{ids[2]}", json={"employees": 1}).status_code == 200
    client.delete("/rest/companies", params={"filter": "employees[gte]:1", "soft_delete": "true"})
    assert client.get("/rest/companies").json()["totalCount"] == 0
    restored = client.patch("/rest/companies/restore", params={"filter": "name[eq]:x"})
    assert len(restored.json()["data"]["restoreCompanies"]) == 2
    assert client.get("/rest/companies").json()["totalCount"] == 2
