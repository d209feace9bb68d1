"""Uploads: size limit, the two generations' mutations, downloads, FILES fields on custom objects."""

from __future__ import annotations

import json

import httpx

CURRENT_QUERY = (
    "mutation U($file: Upload!, $fieldMetadataId: String!) "
    "{ uploadFilesFieldFile(file: $file, fieldMetadataId: $fieldMetadataId) { id url } }"
)
LEGACY_QUERY = "mutation U($file: Upload!) { uploadFile(file: $file, fileFolder: Attachment) }"


def post_upload(c: httpx.Client, endpoint: str, query: str, variables: dict, data: bytes, name: str = "scan.pdf"):
    return c.post(
        endpoint,
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (name, data, "application/pdf")},
    )


def file_field_id(c: httpx.Client, object_singular: str = "attachment", name: str = "file") -> str:
    objects = c.get("/rest/metadata/objects").json()["data"]["objects"]
    obj = next(o for o in objects if o["nameSingular"] == object_singular)
    return next(f["id"] for f in obj["fields"] if f["name"] == name)


def test_files_over_the_limit_are_refused_and_not_stored(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(max_upload_bytes=1000))
    field_id = file_field_id(c)
    too_big = post_upload(c, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": field_id}, b"x" * 1001)
    assert too_big.status_code == 413
    assert too_big.json()["errors"][0]["message"] == "File truncated as it exceeds the 1000 byte size limit."
    ok = post_upload(c, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": field_id}, b"x" * 1000)
    assert ok.status_code == 200
    assert set(ok.json()["data"]["uploadFilesFieldFile"]) == {"id", "url"}  # only the selected fields


def test_a_body_far_over_the_limit_is_cut_off_early(sandbox_factory, auth_headers) -> None:
    server = sandbox_factory(max_upload_bytes=1000)
    response = httpx.post(
        f"{server.url}/metadata",
        content=b"x" * 3_000_000,
        headers={**auth_headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 413


def test_each_generation_has_its_own_mutation(sandbox_factory, connect, tmp_path) -> None:
    current = connect(sandbox_factory(profile="current", db_path=tmp_path / "c.db"))
    legacy = connect(sandbox_factory(profile="legacy", db_path=tmp_path / "l.db"))
    wrong_current = post_upload(current, "/graphql", LEGACY_QUERY, {"file": None}, b"pdf")
    assert wrong_current.json()["errors"][0]["message"] == 'Cannot query field "uploadFile" on type "Mutation".'
    wrong_legacy = post_upload(legacy, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": "x"}, b"pdf")
    assert "uploadFilesFieldFile" in wrong_legacy.json()["errors"][0]["message"]
    path = post_upload(legacy, "/graphql", LEGACY_QUERY, {"file": None}, b"%PDF-1.4").json()["data"]["uploadFile"]
    assert path.startswith("attachment/") and path.endswith(".pdf")
    assert legacy.get(f"/files/{path}").content == b"%PDF-1.4"
    assert httpx.get(f"{str(legacy.base_url).rstrip('/')}/files/{path}").status_code == 403  # no token, no file


def test_file_urls_are_signed(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory())
    uploaded = post_upload(c, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": file_field_id(c)}, b"%PDF")
    url = uploaded.json()["data"]["uploadFilesFieldFile"]["url"]
    assert httpx.get(url).content == b"%PDF"
    assert httpx.get(url.split("?")[0]).status_code == 403
    assert httpx.get(url[:-4] + "0000").status_code == 403  # a token for another file does not open this one


def test_files_field_on_a_custom_object(sandbox_factory, connect, add_field) -> None:
    c = connect(sandbox_factory())
    field = add_field(c, "people", name="consentForm", type="FILES").json()["data"]["createOneField"]
    bad_target = post_upload(
        c, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": file_field_id(c, "person", "name")}, b"x"
    )
    assert bad_target.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    uploaded = post_upload(c, "/metadata", CURRENT_QUERY, {"file": None, "fieldMetadataId": field["id"]}, b"signed")
    file_id = uploaded.json()["data"]["uploadFilesFieldFile"]["id"]
    person = c.post("/rest/people", json={"consentForm": [{"fileId": file_id, "label": "consent.pdf"}]})
    assert person.status_code == 201, person.text
    assert person.json()["data"]["createPerson"]["consentForm"] == [
        {"fileId": file_id, "label": "consent.pdf", "extension": ".pdf"}
    ]
    malformed = c.post("/rest/people", json={"consentForm": [{"label": "no id"}]})
    assert malformed.status_code == 400


def test_graphql_is_only_for_uploads(client: httpx.Client) -> None:
    response = client.post("/graphql", json={"query": "{ people { edges { node { id } } } }"})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
