"""Workspace members: readable by the API, created by invitation only (§7; issue #15841)."""

from __future__ import annotations


def test_members_are_listed_and_filterable_by_email(api) -> None:
    body = api.get("/rest/workspaceMembers").json()
    assert "workspaceMembers" in body["data"]
    for member in body["data"]["workspaceMembers"][:3]:
        assert set(member) >= {"id", "name", "userEmail"}
        found = api.get("/rest/workspaceMembers", params={"filter": f"userEmail[eq]:{member['userEmail']}"}).json()
        assert [m["id"] for m in found["data"]["workspaceMembers"]] == [member["id"]]


def test_members_cannot_be_created_through_the_api(api, target, uid) -> None:
    # against a real workspace this could invite nobody but still create a member row: sandbox only
    target.require_sandbox("a real Twenty that allowed it would get a stray workspace member")
    response = api.post("/rest/workspaceMembers", json={"userEmail": f"{uid}@example.org"})
    assert response.status_code == 403
    assert response.json()["messages"][0] == "Entity performing the request does not have permission"
