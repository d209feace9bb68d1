"""Metadata API: listing, field creation and its immediate effect on records (twenty-api.md §10)."""

from __future__ import annotations

import uuid

import httpx


def objects_by_plural(client: httpx.Client) -> dict[str, dict]:
    body = client.get("/rest/metadata/objects").json()
    return {o["namePlural"]: o for o in body["data"]["objects"]}


def test_list_objects_envelope_and_standard_fields(client: httpx.Client) -> None:
    body = client.get("/rest/metadata/objects").json()
    assert set(body) == {"data", "pageInfo", "totalCount"}
    assert body["totalCount"] == len(body["data"]["objects"])
    assert set(body["pageInfo"]) == {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"}
    objects = objects_by_plural(client)
    assert {"companies", "people", "workspaceMembers"} <= set(objects)
    company = objects["companies"]
    assert company["nameSingular"] == "company"
    assert company["isCustom"] is False
    fields = {f["name"]: f for f in company["fields"]}
    assert fields["domainName"]["type"] == "LINKS"
    assert fields["domainName"]["isUnique"] is True
    assert fields["idealCustomerProfile"]["defaultValue"] is False
    assert fields["accountOwner"]["relation"]["targetObjectMetadata"]["nameSingular"] == "workspaceMember"
    people_fields = {f["name"]: f for f in objects["people"]["fields"]}
    assert people_fields["emails"]["isUnique"] is True
    assert people_fields["company"]["settings"]["joinColumnName"] == "companyId"
    member_fields = {f["name"]: f for f in objects["workspaceMembers"]["fields"]}
    assert member_fields["userEmail"]["isUnique"] is True


def test_get_object_by_id(client: httpx.Client) -> None:
    company = objects_by_plural(client)["companies"]
    response = client.get(f"/rest/metadata/objects/{company['id']}")
    assert response.status_code == 200
    assert response.json()["data"]["object"]["namePlural"] == "companies"
    assert client.get(f"/rest/metadata/objects/{uuid.uuid4()}").status_code == 404


def test_metadata_list_paging(client: httpx.Client) -> None:
    first = client.get("/rest/metadata/objects", params={"limit": "2"}).json()
    assert len(first["data"]["objects"]) == 2
    assert first["pageInfo"]["hasNextPage"] is True
    rest = client.get("/rest/metadata/objects", params={"starting_after": first["pageInfo"]["endCursor"]}).json()
    assert len(rest["data"]["objects"]) == first["totalCount"] - 2


def test_create_custom_unique_field_is_immediately_usable(client: httpx.Client, add_field) -> None:
    response = add_field(client, "companies", name="cpPracticeId", label="CP Practice Id", type="TEXT", isUnique=True)
    assert response.status_code == 201
    created = response.json()["data"]["createOneField"]
    assert created["name"] == "cpPracticeId"
    assert created["isCustom"] is True
    assert created["isUnique"] is True
    uuid.UUID(created["id"])
    assert client.post("/rest/companies", json={"cpPracticeId": "P1"}).status_code == 201
    found = client.get("/rest/companies", params={"filter": "cpPracticeId[eq]:P1"}).json()
    assert found["totalCount"] == 1
    duplicate = client.post("/rest/companies", json={"cpPracticeId": "P1"})
    assert duplicate.status_code == 400
    fields = {f["name"] for f in objects_by_plural(client)["companies"]["fields"]}
    assert "cpPracticeId" in fields
    # existing records show the new field as null
    assert "cpPracticeId" in client.get("/rest/companies").json()["data"]["companies"][0]


def test_duplicate_field_name_is_400(client: httpx.Client, add_field) -> None:
    assert add_field(client, "people", name="cpPatientId", type="TEXT").status_code == 201
    again = add_field(client, "people", name="cpPatientId", type="TEXT")
    assert again.status_code == 400
    assert again.json()["error"] == "BadRequestException"
    assert add_field(client, "people", name="emails", type="TEXT").status_code == 400
    assert add_field(client, "people", name="companyId", type="TEXT").status_code == 400


def test_bad_field_names_are_400(client: httpx.Client, add_field) -> None:
    for name in ("CpPatientId", "cp_patient_id", "1abc", "a" * 64, ""):
        assert add_field(client, "people", name=name, label="X", type="TEXT").status_code == 400, name


def test_unknown_object_or_type_is_rejected(client: httpx.Client) -> None:
    unknown_object = client.post(
        "/rest/metadata/fields",
        json={"objectMetadataId": str(uuid.uuid4()), "name": "foo", "label": "Foo", "type": "TEXT"},
    )
    assert unknown_object.status_code in (400, 404)
    company_id = objects_by_plural(client)["companies"]["id"]
    bad_type = client.post(
        "/rest/metadata/fields",
        json={"objectMetadataId": company_id, "name": "foo", "label": "Foo", "type": "BLOB"},
    )
    assert bad_type.status_code == 400


def test_select_field_options(client: httpx.Client, add_field) -> None:
    bad = add_field(
        client,
        "people",
        name="patientStatus",
        type="SELECT",
        options=[{"value": "active", "label": "Active"}],
    )
    assert bad.status_code == 400
    assert bad.json()["messages"] == ['Value must be in UPPER_CASE and follow snake_case "active"']
    options = [{"value": "ACTIVE", "label": "Active"}, {"value": "ON_HOLD", "label": "On hold"}]
    good = add_field(client, "people", name="patientStatus", type="SELECT", options=options)
    assert good.status_code == 201
    assert [o["value"] for o in good.json()["data"]["createOneField"]["options"]] == ["ACTIVE", "ON_HOLD"]
    assert client.post("/rest/people", json={"patientStatus": "ON_HOLD"}).status_code == 201
    wrong = client.post("/rest/people", json={"patientStatus": "GONE"})
    assert wrong.json()["messages"] == ["Invalid value 'GONE' for field \"patientStatus\""]


def test_typed_custom_fields(client: httpx.Client, add_field) -> None:
    for name, type_ in (
        ("dateOfBirth", "DATE"),
        ("lastVisitAt", "DATE_TIME"),
        ("needsReview", "BOOLEAN"),
        ("visitCount", "NUMBER"),
        ("lineItems", "RAW_JSON"),
        ("homeAddress", "ADDRESS"),
        ("balance", "CURRENCY"),
        ("sourceUuid", "UUID"),
    ):
        assert add_field(client, "people", name=name, type=type_).status_code == 201, name
    body = {
        "dateOfBirth": "1980-02-29",
        "lastVisitAt": "2024-05-01T10:00:00+08:00",
        "needsReview": True,
        "visitCount": 3,
        "lineItems": [{"code": "011", "fee": 55.5}],
        "homeAddress": {"addressCity": "Perth", "addressCountry": "AU"},
        "balance": {"amountMicros": 1_500_000, "currencyCode": "AUD"},
        "sourceUuid": str(uuid.uuid4()),
    }
    created = client.post("/rest/people", json=body).json()["data"]["createPerson"]
    assert created["lastVisitAt"] == "2024-05-01T02:00:00.000Z"
    assert created["homeAddress"]["addressCity"] == "Perth"
    assert created["homeAddress"]["addressStreet1"] is None
    assert created["lineItems"] == body["lineItems"]
    assert client.post("/rest/people", json={"needsReview": "yes"}).status_code == 400
    assert client.post("/rest/people", json={"dateOfBirth": "29/02/1980"}).status_code == 400
    found = client.get("/rest/people", params={"filter": "needsReview[eq]:true,visitCount[gte]:3"})
    assert found.json()["totalCount"] == 1


def test_relation_field_and_custom_object(client: httpx.Client) -> None:
    created = client.post(
        "/rest/metadata/objects",
        json={
            "nameSingular": "treatmentPlan",
            "namePlural": "treatmentPlans",
            "labelSingular": "Treatment Plan",
            "labelPlural": "Treatment Plans",
        },
    )
    assert created.status_code == 201
    plan_object = created.json()["data"]["createOneObject"]
    assert {"id", "name", "createdAt", "position"} <= {f["name"] for f in plan_object["fields"]}
    people_id = objects_by_plural(client)["people"]["id"]
    relation = client.post(
        "/rest/metadata/fields",
        json={
            "objectMetadataId": plan_object["id"],
            "name": "patient",
            "label": "Patient",
            "type": "RELATION",
            "relationCreationPayload": {
                "targetObjectMetadataId": people_id,
                "targetFieldLabel": "Treatment Plans",
                "targetFieldIcon": "IconList",
                "type": "MANY_TO_ONE",
            },
        },
    )
    assert relation.status_code == 201, relation.text
    assert relation.json()["data"]["createOneField"]["settings"]["joinColumnName"] == "patientId"
    person_id = client.post("/rest/people", json={}).json()["data"]["createPerson"]["id"]
    plan = client.post("/rest/treatmentPlans", json={"name": "Crown", "patientId": person_id})
    assert plan.status_code == 201
    assert plan.json()["data"]["createTreatmentPlan"]["patientId"] == person_id
    batch = client.post("/rest/batch/treatmentPlans", json=[{"name": "Filling"}])
    assert "createTreatmentPlans" in batch.json()["data"]
    dup = client.post(
        "/rest/metadata/objects",
        json={
            "nameSingular": "treatmentPlan",
            "namePlural": "plans",
            "labelSingular": "a",
            "labelPlural": "b",
        },
    )
    assert dup.status_code == 400


def test_toggling_unique_on_existing_data(client: httpx.Client, add_field) -> None:
    field = add_field(client, "people", name="cpPatientNo", type="TEXT").json()["data"]["createOneField"]
    client.post("/rest/batch/people", json=[{"cpPatientNo": "1"}, {"cpPatientNo": "1"}])
    clash = client.patch(f"/rest/metadata/fields/{field['id']}", json={"isUnique": True})
    assert clash.status_code == 400
    people = client.get("/rest/people").json()["data"]["people"]
    client.delete(f"/rest/people/{people[1]['id']}")
    assert client.patch(f"/rest/metadata/fields/{field['id']}", json={"isUnique": True}).status_code == 200
    assert client.post("/rest/people", json={"cpPatientNo": "1"}).status_code == 400
