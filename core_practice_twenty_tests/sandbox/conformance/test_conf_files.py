"""File upload then an attachment pointing at it (§11; files-field.resolver.ts, file-upload.resolver.ts,
make-graphql-api-request-with-file-upload.util.ts)."""

from __future__ import annotations

import json

import httpx

PNG = b"\x89PNG\r\n\x1a\n" + b"conformance-bytes" * 4


def multipart_upload(api, endpoint: str, query: str, variables: dict, filename: str, data: bytes) -> httpx.Response:
    """The graphql-multipart-request layout Twenty's own tests send."""
    return api.post(
        endpoint,
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (filename, data, "image/png")},
    )


def upload(api, target, filename: str = "xray.png", data: bytes = PNG) -> dict:
    """Upload as the target's Twenty generation does; returns what the attachment needs."""
    if target.profile == "current":
        field_id = target.field("attachment", "file")["id"]
        query = (
            "mutation UploadFilesFieldFile($file: Upload!, $fieldMetadataId: String!) "
            "{ uploadFilesFieldFile(file: $file, fieldMetadataId: $fieldMetadataId) { id path size url } }"
        )
        response = multipart_upload(
            api, "/metadata", query, {"file": None, "fieldMetadataId": field_id}, filename, data
        )
        assert response.status_code == 200, response.text
        uploaded = response.json()["data"]["uploadFilesFieldFile"]
        return {"file": [{"fileId": uploaded["id"], "label": filename}], "_uploaded": uploaded}
    query = "mutation UploadFile($file: Upload!) { uploadFile(file: $file, fileFolder: Attachment) }"
    response = multipart_upload(api, "/graphql", query, {"file": None}, filename, data)
    assert response.status_code == 200, response.text
    return {"fullPath": response.json()["data"]["uploadFile"]}


def test_upload_then_attach_to_a_person(api, target, uid) -> None:
    person_id = api.post("/rest/people", json={"city": uid}).json()["data"]["createPerson"]["id"]
    stored = upload(api, target)
    uploaded = stored.pop("_uploaded", None)
    column = target.target_column("person")
    response = api.post("/rest/attachments", json={"name": "xray.png", column: person_id, **stored})
    assert response.status_code == 201, response.text
    attachment = response.json()["data"]["createAttachment"]
    assert attachment[column] == person_id
    if target.profile == "current":
        assert attachment["file"][0]["fileId"] == uploaded["id"]
        assert uploaded["size"] == len(PNG)
        assert httpx.get(uploaded["url"], timeout=30).content == PNG
    else:
        assert attachment["fullPath"] == stored["fullPath"]
    person = api.get(f"/rest/people/{person_id}", params={"depth": "1"}).json()["data"]["person"]
    assert [a["id"] for a in person["attachments"]] == [attachment["id"]]


def test_attachment_cannot_point_at_a_file_never_uploaded(api, target, uid) -> None:
    if target.profile != "current":
        target.require_sandbox("legacy fullPath is free text")
        return
    body = {"name": uid, "file": [{"fileId": "00000000-0000-4000-8000-000000000000", "label": "ghost.pdf"}]}
    assert api.post("/rest/attachments", json=body).status_code == 400


def test_upload_needs_a_token(anonymous, target) -> None:
    endpoint = "/metadata" if target.profile == "current" else "/graphql"
    query = "mutation U($file: Upload!) { uploadFile(file: $file) }"
    response = multipart_upload(anonymous, endpoint, query, {"file": None}, "a.png", PNG)
    body = response.json()
    assert response.status_code in (200, 401, 403)
    assert "errors" in body or body.get("statusCode") in (401, 403)
    assert "data" not in body or not body["data"]
