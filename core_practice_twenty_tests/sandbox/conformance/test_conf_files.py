"""File upload then an attachment pointing at it (§11; files-field.resolver.ts, file-upload.resolver.ts,
file-upload.controller.ts, make-graphql-api-request-with-file-upload.util.ts). A server with the direct flow
(`createFileUpload` → PUT → `completeFileUpload`, in 2.38's schema and the only one left from 2.40) is driven
through it; older ones through their multipart mutation."""

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


CREATE = ("mutation C($filename: String!, $size: Float!, $uid: String!) { createFileUpload(filename: $filename, "
          "size: $size, fileFolder: FilesField, fieldMetadataUniversalIdentifier: $uid) "
          "{ fileId uploadUrl contentType } }")
COMPLETE = "mutation F($fileId: String!) { completeFileUpload(fileId: $fileId) { id path size createdAt url } }"
FILE_UID = "20202020-15db-460e-8166-c7b5d87ad4be"  # attachment.file's universal identifier (twenty-shared)


def create_upload(api, filename: str, size: int) -> dict:
    response = api.post("/metadata", json={"query": CREATE, "variables": {"filename": filename, "size": size,
                                                                           "uid": FILE_UID}})
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"]["createFileUpload"]


def complete_upload(api, file_id: str) -> httpx.Response:
    return api.post("/metadata", json={"query": COMPLETE, "variables": {"fileId": file_id}})


def upload(api, target, filename: str = "xray.png", data: bytes = PNG) -> dict:
    """Upload as the target's Twenty generation does; returns what the attachment needs."""
    if target.direct_upload:
        slot = create_upload(api, filename, len(data))
        put = httpx.put(slot["uploadUrl"], content=data, headers={"Content-Type": slot["contentType"]}, timeout=60)
        assert put.status_code in (200, 204), put.text
        response = complete_upload(api, slot["fileId"])
        assert "errors" not in response.json(), response.text
        uploaded = response.json()["data"]["completeFileUpload"]
        return {"file": [{"fileId": uploaded["id"], "label": filename}], "_uploaded": uploaded}
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
    person_id = api.post("/rest/people", json={"jobTitle": uid}).json()["data"]["createPerson"]["id"]
    stored = upload(api, target)
    uploaded = stored.pop("_uploaded", None)
    column = target.target_column("person")
    response = api.post("/rest/attachments", json={"name": "xray.png", column: person_id, **stored})
    assert response.status_code == 201, response.text
    attachment = response.json()["data"]["createAttachment"]
    assert attachment[column] == person_id
    if uploaded is not None:
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


def test_direct_upload_puts_exactly_the_declared_bytes_once(api, target, uid) -> None:
    """file-upload.controller.ts / receiveFileStream: the token is the only credential; more bytes than declared
    413, fewer 400, a second PUT 400; a file not PUT cannot be completed or attached."""
    if not target.direct_upload:
        target.require_sandbox("older servers have no direct upload")
        return
    slot = create_upload(api, f"{uid}.png", len(PNG))
    forged = slot["uploadUrl"].split("?")[0] + "?token=forged"
    assert httpx.put(forged, content=PNG, timeout=30).status_code == 403
    assert "errors" in complete_upload(api, slot["fileId"]).json()
    assert httpx.put(slot["uploadUrl"], content=PNG + b"x", timeout=30).status_code == 413
    assert httpx.put(slot["uploadUrl"], content=PNG[:-1], timeout=30).status_code == 400
    assert httpx.put(slot["uploadUrl"], content=PNG, timeout=30).status_code in (200, 204)
    assert httpx.put(slot["uploadUrl"], content=PNG, timeout=30).status_code == 400
    done = complete_upload(api, slot["fileId"]).json()["data"]["completeFileUpload"]
    assert done["id"] == slot["fileId"] and done["size"] == len(PNG)
    assert httpx.get(done["url"], timeout=30).content == PNG


def test_a_server_names_the_upload_mutations_it_lacks(api, target) -> None:
    """GraphQL validation runs before anything: an absent mutation is "Cannot query field", a present one with
    its arguments left out names the missing argument. The client learns the upload flow from this."""
    body = api.post("/metadata", json={"query": "mutation { createFileUpload { fileId } }"}).json()
    messages = " ".join(e["message"] for e in body["errors"])
    if target.direct_upload:
        assert 'argument "filename" of type "String!" is required' in messages
    else:
        assert 'Cannot query field "createFileUpload" on type "Mutation"' in messages
