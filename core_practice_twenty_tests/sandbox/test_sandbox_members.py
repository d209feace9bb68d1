"""Workspace members come from the sandbox's configuration, as invited users do in a real Twenty."""

from __future__ import annotations

import uuid

MEMBERS = [
    {"email": "Dr.Smith@Smile.example", "firstName": "Jo", "lastName": "Smith"},
    {"email": "nurse@smile.example", "firstName": "Ana", "lastName": "Ruiz", "locale": "es"},
]


def members(c) -> dict[str, dict]:
    return {m["userEmail"]: m for m in c.get("/rest/workspaceMembers").json()["data"]["workspaceMembers"]}


def test_members_are_seeded_and_usable_as_owners(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(workspace_members=MEMBERS))
    seeded = members(c)
    assert set(seeded) == {"dr.smith@smile.example", "nurse@smile.example"}
    assert seeded["dr.smith@smile.example"]["name"] == {"firstName": "Jo", "lastName": "Smith"}
    assert seeded["nurse@smile.example"]["locale"] == "es"
    uuid.UUID(seeded["nurse@smile.example"]["userId"])
    owner = seeded["dr.smith@smile.example"]["id"]
    task = c.post("/rest/tasks", json={"title": "Recall", "assigneeId": owner})
    assert task.status_code == 201
    found = c.get("/rest/workspaceMembers", params={"filter": "userEmail[eq]:nurse@smile.example"}).json()
    assert found["totalCount"] == 1


def test_restart_keeps_ids_and_refreshes_names(sandbox_factory, connect) -> None:
    first = sandbox_factory(workspace_members=MEMBERS)
    before = members(connect(first))
    first.stop()
    renamed = [{**MEMBERS[0], "lastName": "Smith-Jones"}, MEMBERS[1], {"email": "new@smile.example"}]
    after = members(connect(sandbox_factory(workspace_members=renamed)))
    assert after["dr.smith@smile.example"]["id"] == before["dr.smith@smile.example"]["id"]
    assert after["dr.smith@smile.example"]["name"]["lastName"] == "Smith-Jones"
    assert len(after) == 3


def test_the_api_cannot_create_change_or_delete_members(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(workspace_members=MEMBERS))
    member_id = members(c)["nurse@smile.example"]["id"]
    refused = [
        c.post("/rest/workspaceMembers", json={"userEmail": "x@y.org"}),
        c.post("/rest/batch/workspaceMembers", json=[{"userEmail": "x@y.org"}]),
        c.patch(f"/rest/workspaceMembers/{member_id}", json={"locale": "fr"}),
        c.delete(f"/rest/workspaceMembers/{member_id}"),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.json() == {
            "statusCode": 403,
            "error": "ForbiddenException",
            "messages": ["Entity performing the request does not have permission"],
        }
    assert len(members(c)) == 2
