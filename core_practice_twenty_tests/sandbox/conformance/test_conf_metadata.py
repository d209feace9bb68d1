"""Metadata REST API (object-metadata, field-metadata, metadata-list-contract integration specs; §10)."""

from __future__ import annotations

import pytest

NON_EXISTENT_UUID = "00000000-0000-4000-8000-000000000000"


def object_input(uid: str, **overrides) -> dict:
    return {
        "nameSingular": f"confObj{uid}",
        "namePlural": f"confObj{uid}s",
        "labelSingular": f"Conf Obj {uid}",
        "labelPlural": f"Conf Objs {uid}",
        "icon": "IconTestPipe",
        "isLabelSyncedWithName": False,
        **overrides,
    }


@pytest.fixture
def custom_object(api, uid) -> dict:
    response = api.post("/rest/metadata/objects", json=object_input(uid))
    assert response.status_code == 201, response.text
    return response.json()["data"]["createOneObject"]


def test_list_objects_envelope_with_fields_inlined(api) -> None:
    response = api.get("/rest/metadata/objects")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["data"]["objects"], list)
    assert {"hasNextPage", "startCursor", "endCursor"} <= set(body["pageInfo"])
    assert isinstance(body["totalCount"], int)
    by_name = {o["nameSingular"]: o for o in body["data"]["objects"]}
    for name in ("company", "person", "opportunity", "task", "taskTarget", "note", "noteTarget", "attachment",
                 "workspaceMember"):  # fmt: skip
        assert name in by_name, name
        assert isinstance(by_name[name]["fields"], list) and by_name[name]["fields"]
    people = {f["name"]: f for f in by_name["person"]["fields"]}
    assert people["emails"]["type"] == "EMAILS" and people["emails"]["isUnique"] is True
    assert people["company"]["type"] == "RELATION"
    assert by_name["company"]["namePlural"] == "companies"


def test_list_paging_is_stable(api) -> None:
    first = api.get("/rest/metadata/objects", params={"limit": "2"}).json()
    assert len(first["data"]["objects"]) == 2
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["data"]["objects"][-1]["id"]
    second = api.get("/rest/metadata/objects", params={"limit": "2", "starting_after": first["pageInfo"]["endCursor"]})
    first_ids = {o["id"] for o in first["data"]["objects"]}
    assert not first_ids & {o["id"] for o in second.json()["data"]["objects"]}
    assert second.json()["totalCount"] == first["totalCount"]
    back = api.get(
        "/rest/metadata/objects", params={"limit": "2", "ending_before": second.json()["pageInfo"]["startCursor"]}
    )
    assert {o["id"] for o in back.json()["data"]["objects"]} <= first_ids
    both = api.get(
        "/rest/metadata/objects", params={"starting_after": NON_EXISTENT_UUID, "ending_before": NON_EXISTENT_UUID}
    )
    assert both.status_code == 400
    everything = api.get("/rest/metadata/objects", params={"limit": "200"}).json()
    assert len(everything["data"]["objects"]) == everything["totalCount"]
    assert everything["pageInfo"]["hasNextPage"] is False


def test_fields_list_and_item(api, target) -> None:
    body = api.get("/rest/metadata/fields", params={"limit": "1"}).json()
    assert len(body["data"]["fields"]) == 1 and body["pageInfo"]["hasNextPage"] is True
    field_id = target.field("person", "emails")["id"]
    item = api.get(f"/rest/metadata/fields/{field_id}")
    assert item.status_code == 200
    assert item.json()["data"]["field"]["objectMetadataId"] == target.objects["person"]["id"]
    assert api.get("/rest/metadata/fields/not-a-uuid").status_code == 400
    assert api.get(f"/rest/metadata/fields/{NON_EXISTENT_UUID}").status_code == 404


def test_object_item_errors(api) -> None:
    assert api.get("/rest/metadata/objects/not-a-uuid").status_code == 400
    missing = api.get(f"/rest/metadata/objects/{NON_EXISTENT_UUID}")
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404
    assert api.patch(f"/rest/metadata/objects/{NON_EXISTENT_UUID}", json={"labelSingular": "X"}).status_code == 404
    assert api.delete(f"/rest/metadata/objects/{NON_EXISTENT_UUID}").status_code == 404


def test_create_object_serves_records_at_once(api, custom_object, uid) -> None:
    assert custom_object["nameSingular"] == f"confObj{uid}"
    assert {"id", "name", "createdAt", "updatedAt", "deletedAt", "position", "createdBy"} <= {
        f["name"] for f in custom_object["fields"]
    }
    plural = custom_object["namePlural"]
    created = api.post(f"/rest/{plural}", json={"name": "first"})
    assert created.status_code == 201, created.text
    assert created.json()["data"][f"createConfObj{uid}"]["name"] == "first"
    batch = api.post(f"/rest/batch/{plural}", json=[{"name": "second"}])
    assert batch.json()["data"][f"createConfObj{uid}s"][0]["name"] == "second"
    assert api.get(f"/rest/{plural}").json()["totalCount"] == 2


def test_custom_objects_can_be_task_note_and_attachment_targets(api, target, custom_object) -> None:
    singular = custom_object["nameSingular"]
    record_id = api.post(f"/rest/{custom_object['namePlural']}", json={"name": "x"}).json()["data"]
    record_id = record_id[f"create{singular[0].upper()}{singular[1:]}"]["id"]
    task_id = api.post("/rest/tasks", json={"title": "t"}).json()["data"]["createTask"]["id"]
    column = target.target_column(singular)
    response = api.post("/rest/taskTargets", json={"taskId": task_id, column: record_id})
    assert response.status_code == 201, response.text


def test_object_create_errors(api, custom_object, uid) -> None:
    assert api.post("/rest/metadata/objects", json=object_input(uid)).status_code == 400  # duplicate
    assert api.post("/rest/metadata/objects", json={"nameSingular": ""}).status_code == 400
    for bad in (
        object_input(uid, nameSingular="Bad Name", namePlural="badNames"),
        object_input(uid, nameSingular=f"same{uid}", namePlural=f"same{uid}"),
        object_input(uid, nameSingular="event", namePlural="events"),
    ):
        assert api.post("/rest/metadata/objects", json=bad).status_code == 400, bad


def test_update_put_and_delete_after_deactivation(api, uid) -> None:
    created = api.post("/rest/metadata/objects", json=object_input(uid)).json()["data"]["createOneObject"]
    patched = api.patch(f"/rest/metadata/objects/{created['id']}", json={"labelSingular": f"Updated {uid}"})
    assert patched.status_code == 200
    assert patched.json()["data"]["updateOneObject"]["labelSingular"] == f"Updated {uid}"
    assert isinstance(patched.json()["data"]["updateOneObject"]["fields"], list)
    put = api.put(f"/rest/metadata/objects/{created['id']}", json={"labelSingular": f"Put {uid}"})
    assert put.json()["data"]["updateOneObject"]["labelSingular"] == f"Put {uid}"
    assert api.patch(f"/rest/metadata/objects/{created['id']}", json={"isActive": False}).status_code == 200
    deleted = api.delete(f"/rest/metadata/objects/{created['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["deleteOneObject"]["id"] == created["id"]
    assert api.get(f"/rest/metadata/objects/{created['id']}").status_code == 404


def test_create_update_and_delete_a_field(api, custom_object, uid) -> None:
    body = {
        "objectMetadataId": custom_object["id"],
        "type": "TEXT",
        "name": f"note{uid}",
        "label": f"Note {uid}",
        "isLabelSyncedWithName": False,
    }
    created = api.post("/rest/metadata/fields", json=body)
    assert created.status_code == 201, created.text
    field = created.json()["data"]["createOneField"]
    assert field["name"] == body["name"] and field["objectMetadataId"] == custom_object["id"]
    assert api.post("/rest/metadata/fields", json=body).status_code == 400  # same name twice
    assert api.post("/rest/metadata/fields", json={"name": ""}).status_code == 400
    patched = api.patch(f"/rest/metadata/fields/{field['id']}", json={"label": f"Renamed {uid}"})
    assert patched.json()["data"]["updateOneField"]["label"] == f"Renamed {uid}"
    assert api.put(f"/rest/metadata/fields/{field['id']}", json={"label": "Put"}).status_code == 200
    assert api.patch(f"/rest/metadata/fields/{NON_EXISTENT_UUID}", json={"label": "x"}).status_code == 400
    deleted = api.delete(f"/rest/metadata/fields/{field['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["deleteOneField"]["id"] == field["id"]
    assert api.get(f"/rest/metadata/fields/{field['id']}").status_code == 404
    assert api.delete(f"/rest/metadata/fields/{NON_EXISTENT_UUID}").status_code == 404


def test_field_names_follow_twentys_rules(api, custom_object) -> None:
    for name in ("CapitalStart", "snake_case", "1digit", "a" * 64):
        body = {"objectMetadataId": custom_object["id"], "type": "TEXT", "name": name, "label": "X"}
        assert api.post("/rest/metadata/fields", json=body).status_code == 400, name


def test_select_options_must_be_upper_snake(api, custom_object, uid) -> None:
    body = {
        "objectMetadataId": custom_object["id"],
        "type": "SELECT",
        "name": f"stage{uid}",
        "label": "Stage",
        "options": [{"value": "active", "label": "Active", "color": "green", "position": 0}],
    }
    bad = api.post("/rest/metadata/fields", json=body)
    assert bad.status_code == 400
    assert "UPPER_CASE" in bad.json()["messages"][0]
    body["options"] = [{"value": "IN_TREATMENT", "label": "In treatment", "color": "green", "position": 0}]
    good = api.post("/rest/metadata/fields", json=body)
    assert good.status_code == 201, good.text
    assert [o["value"] for o in good.json()["data"]["createOneField"]["options"]] == ["IN_TREATMENT"]


def test_relation_creates_join_column_and_inverse(api, target, custom_object, uid) -> None:
    body = {
        "objectMetadataId": custom_object["id"],
        "type": "RELATION",
        "name": "patient",
        "label": "Patient",
        "relationCreationPayload": {
            "targetObjectMetadataId": target.objects["person"]["id"],
            "targetFieldLabel": f"Plans {uid}",
            "targetFieldIcon": "IconList",
            "type": "MANY_TO_ONE",
        },
    }
    response = api.post("/rest/metadata/fields", json=body)
    assert response.status_code == 201, response.text
    person = api.get(f"/rest/metadata/objects/{target.objects['person']['id']}").json()["data"]["object"]
    inverse = next(f for f in person["fields"] if f["label"] == f"Plans {uid}")
    assert inverse["type"] == "RELATION"
    assert inverse["name"].lower() == f"plans{uid}"
    person_id = api.post("/rest/people", json={"avatarUrl": uid}).json()["data"]["createPerson"]["id"]
    plural = custom_object["namePlural"]
    created = api.post(f"/rest/{plural}", json={"name": "Crown", "patientId": person_id})
    assert created.status_code == 201, created.text
    listed = api.get(f"/rest/{plural}", params={"filter": f"patientId[eq]:{person_id}", "depth": "1"}).json()
    assert listed["data"][plural][0]["patient"]["id"] == person_id
    dangling = api.post(f"/rest/{plural}", json={"name": "x", "patientId": NON_EXISTENT_UUID})
    assert dangling.status_code == 400


def test_unique_custom_field_is_enforced(api, target, uid) -> None:
    body = {
        "objectMetadataId": target.objects["person"]["id"],
        "type": "TEXT",
        "name": f"patientNo{uid}",
        "label": "Patient number",
        "isUnique": True,
    }
    created = api.post("/rest/metadata/fields", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["createOneField"]["isUnique"] is True
    assert api.post("/rest/people", json={f"patientNo{uid}": "PT1"}).status_code == 201
    assert api.post("/rest/people", json={f"patientNo{uid}": "PT1"}).status_code == 400
