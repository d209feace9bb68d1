"""The sandbox plays each Twenty version of sandbox/versions.py: what differs is what a client meets."""

from __future__ import annotations

import json

import httpx

from core_practice_twenty.sandbox import RateLimitConfig
from core_practice_twenty.sandbox.versions import ATTACHMENT_FILE_UID

BY_ID = ("mutation U($file: Upload!, $fieldMetadataId: String!) "
         "{ uploadFilesFieldFile(file: $file, fieldMetadataId: $fieldMetadataId) { id } }")


def fields_of(c: httpx.Client, singular: str) -> dict[str, dict]:
    objects = c.get("/rest/metadata/objects", params={"limit": "1000"}).json()["data"]["objects"]
    return {f["name"]: f for f in next(o for o in objects if o["nameSingular"] == singular)["fields"]}


def test_2_47_has_its_own_standard_fields_types_and_uploads(sandbox_factory, connect, add_field, tmp_path) -> None:
    newest = connect(sandbox_factory(twenty_version="2.47", db_path=tmp_path / "n.db"))
    person, company = fields_of(newest, "person"), fields_of(newest, "company")
    assert "city" not in person and "xLink" not in person
    assert "annualRevenue" in company and not {"employees", "xLink", "idealCustomerProfile"} & set(company)
    assert fields_of(newest, "note")["bodyV2"]["type"] == "RICH_TEXT"
    assert fields_of(newest, "attachment")["file"]["universalIdentifier"] == ATTACHMENT_FILE_UID
    # a practice's own `city` is a custom field there, refused on a version that has the standard one
    assert add_field(newest, "people", name="city", type="TEXT").status_code == 201
    older = connect(sandbox_factory(twenty_version="2.38", db_path=tmp_path / "o.db"))
    assert add_field(older, "people", name="city", type="TEXT").status_code == 400
    assert fields_of(older, "note")["bodyV2"]["type"] == "RICH_TEXT"
    note = newest.post("/rest/notes", json={"title": "t", "bodyV2": {"markdown": "**x**"}}).json()
    assert note["data"]["createNote"]["bodyV2"]["blocknote"]  # RICH_TEXT fills the other side as V2 did
    # uploadFilesFieldFile (by id) is gone from 2.40: GraphQL validation says so before anything runs
    refused = newest.post("/metadata", data={"operations": json.dumps({"query": BY_ID, "variables": {
        "file": None, "fieldMetadataId": fields_of(newest, "attachment")["file"]["id"]}}),
        "map": json.dumps({"0": ["variables.file"]})}, files={"0": ("a.png", b"png", "image/png")})
    assert refused.json()["errors"][0]["message"] == 'Cannot query field "uploadFilesFieldFile" on type "Mutation".'


def test_the_count_is_checked_after_every_record_is_validated(sandbox) -> None:
    """common-create-many-query-runner: validate and process the records, then count them in run()."""
    c = httpx.Client(base_url=sandbox.url, headers={"Authorization": "Bearer test-key"}, timeout=30)
    bad = c.post("/rest/batch/people", json=[{"id": "not-a-uuid"}] * 201)
    assert bad.status_code == 400 and "Maximum number" not in bad.text
    same = "6f1c8c1e-8a44-4c1e-9d5b-0d7e7a0c7c11"
    over = c.post("/rest/batch/people", json=[{"id": same}] * 201)
    assert over.json()["messages"] == ["Maximum number of records to upsert is 200."]
    under = c.post("/rest/batch/people", json=[{"id": same}] * 2)
    assert under.status_code == 400 and "duplicate" in under.text.lower()
    assert c.get("/rest/people").json()["totalCount"] == 0  # none of the three wrote anything


def test_a_malformed_limit_costs_no_token(sandbox_factory, connect, tmp_path) -> None:
    limited = RateLimitConfig(short_limit=2, short_window_ms=60_000, long_limit=100, long_window_ms=60_000)
    c = connect(sandbox_factory(db_path=tmp_path / "l.db", rate_limit=limited))
    for _ in range(5):
        assert c.get("/rest/people", params={"limit": "abc"}).status_code == 400
    assert [c.get("/rest/people").status_code for _ in range(3)] == [200, 200, 429]


def test_a_unique_phone_is_unique_with_its_country_from_pr_20261(sandbox_factory, connect, add_field, tmp_path) -> None:
    """1.16: the number alone; 2.38 and 2.47: number, country code and calling code (PR #20261)."""
    same_number = [{"workPhone": {"primaryPhoneNumber": "21555123", "primaryPhoneCountryCode": "NZ",
                                  "primaryPhoneCallingCode": "+64"}},
                   {"workPhone": {"primaryPhoneNumber": "21555123", "primaryPhoneCountryCode": "AU",
                                  "primaryPhoneCallingCode": "+61"}}]
    for played, both_fit in (("1.16", False), ("2.47", True)):
        c = connect(sandbox_factory(twenty_version=played, db_path=tmp_path / f"{played}.db"))
        assert add_field(c, "people", name="workPhone", type="PHONES", isUnique=True).status_code == 201
        created = c.post("/rest/batch/people", json=same_number)
        assert (created.status_code == 201) is both_fit, created.text
        if not both_fit:  # the refused batch wrote nothing
            assert c.post("/rest/people", json=same_number[0]).status_code == 201
        again = c.post("/rest/people", json=same_number[0])  # the very same phone twice is a duplicate on both
        assert again.status_code == 400 and "duplicate" in again.text.lower()
