"""Sandbox-only controls under /_sandbox/: reset, info, and who may use them."""

from __future__ import annotations

import httpx

MEMBERS = [{"email": "dr.smith@smile.example", "firstName": "Jo", "lastName": "Smith"}]


def test_reset_returns_a_freshly_seeded_workspace(sandbox_factory, connect, add_field) -> None:
    c = connect(sandbox_factory(workspace_members=MEMBERS))
    add_field(c, "companies", name="cpPracticeId", type="TEXT", isUnique=True)
    c.post("/rest/metadata/objects", json={"nameSingular": "pet", "namePlural": "pets", "labelSingular": "Pet",
                                           "labelPlural": "Pets"})  # fmt: skip
    c.post("/rest/batch/companies", json=[{"name": "A", "cpPracticeId": "P1"}])
    c.post("/_sandbox/rate-limit", json={"short_limit": 50})
    assert c.post("/_sandbox/reset").json() == {"status": "reset"}
    assert c.get("/rest/companies").json()["totalCount"] == 0
    objects = {o["nameSingular"]: o for o in c.get("/rest/metadata/objects").json()["data"]["objects"]}
    assert "pet" not in objects
    assert "cpPracticeId" not in {f["name"] for f in objects["company"]["fields"]}
    assert c.get("/rest/pets").status_code == 400
    members = c.get("/rest/workspaceMembers").json()["data"]["workspaceMembers"]
    assert [m["userEmail"] for m in members] == ["dr.smith@smile.example"]
    # the pipeline can set its schema up again from scratch
    assert add_field(c, "companies", name="cpPracticeId", type="TEXT", isUnique=True).status_code == 201


def test_info_tells_what_the_sandbox_plays(sandbox_factory, connect, tmp_path) -> None:
    c = connect(sandbox_factory(profile="legacy", db_path=tmp_path / "l.db", max_upload_bytes=1000))
    assert c.get("/_sandbox/info").json() == {
        "profile": "legacy",
        "twentyVersion": "1.16",
        "rateLimiter": "legacy",
        "uploadMutations": ["uploadFile"],
        "batchCap": 200,
        "defaultPageSize": 60,
        "maxUploadBytes": 1000,
    }
    newest = connect(sandbox_factory(twenty_version="2.47", rate_limiter="usage-engine", db_path=tmp_path / "n.db"))
    assert newest.get("/_sandbox/info").json() == {
        "profile": "current",
        "twentyVersion": "2.47",
        "rateLimiter": "usage-engine",
        "uploadMutations": ["uploadFilesFieldFileByUniversalIdentifier", "createFileUpload", "completeFileUpload"],
        "batchCap": 200,
        "defaultPageSize": 60,
        "maxUploadBytes": 100 * 1024 * 1024,
    }


def test_controls_need_the_api_key(sandbox) -> None:
    assert httpx.post(f"{sandbox.url}/_sandbox/reset").status_code == 403
    wrong = httpx.post(f"{sandbox.url}/_sandbox/reset", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401


def test_controls_can_be_switched_off(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(control=False))
    assert c.post("/_sandbox/reset").status_code == 404
    assert c.post("/_sandbox/faults", json={"error_rate": 1}).status_code == 404
    assert c.get("/rest/companies").status_code == 200
