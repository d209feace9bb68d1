"""Field-type details beyond the conformance suite: rich text shapes, phone lists, domain edge cases."""

from __future__ import annotations

import json

import httpx


def test_markdown_structure_becomes_blocknote_blocks(client: httpx.Client) -> None:
    markdown = "# Plan\n\n- scale\n  - polish\n1. x-ray\n- [x] consent\n\n```\ncode\n```\n\n> quote with *style*"
    task = client.post("/rest/tasks", json={"bodyV2": {"markdown": markdown}}).json()["data"]["createTask"]
    blocks = json.loads(task["bodyV2"]["blocknote"])
    assert [b["type"] for b in blocks] == [
        "heading", "bulletListItem", "numberedListItem", "checkListItem", "codeBlock", "quote",
    ]  # fmt: skip
    assert blocks[0]["props"]["level"] == 1
    assert blocks[1]["children"][0]["content"][0]["text"] == "polish"
    assert blocks[3]["props"]["checked"] is True
    assert blocks[5]["content"][1] == {"type": "text", "text": "style", "styles": {"italic": True}}


def test_blocknote_lists_become_markdown(client: httpx.Client) -> None:
    def block(kind: str, text: str, **props) -> dict:
        return {"type": kind, "props": props, "content": [{"type": "text", "text": text, "styles": {}}], "children": []}

    blocks = [block("heading", "Plan", level=2), block("bulletListItem", "scale"), block("numberedListItem", "x-ray")]
    note = client.post("/rest/notes", json={"bodyV2": {"blocknote": json.dumps(blocks)}}).json()["data"]["createNote"]
    assert note["bodyV2"]["markdown"] == "## Plan\n\n* scale\n\n1. x-ray"
    not_json = client.post("/rest/notes", json={"bodyV2": {"blocknote": "plain words"}}).json()["data"]["createNote"]
    assert not_json["bodyV2"]["markdown"] == "plain words"


def test_additional_phones_are_parsed_too(client: httpx.Client) -> None:
    phones = {
        "primaryPhoneNumber": "0412 345 678",
        "primaryPhoneCountryCode": "AU",
        "additionalPhones": [{"number": "+64 21 123 4567"}, {"number": "02 9999 1234", "countryCode": "AU"}],
    }
    person = client.post("/rest/people", json={"phones": phones}).json()["data"]["createPerson"]
    assert person["phones"]["primaryPhoneNumber"] == "412345678"
    assert person["phones"]["primaryPhoneCallingCode"] == "+61"
    assert person["phones"]["additionalPhones"] == [
        {"number": "211234567", "callingCode": "+64", "countryCode": "NZ"},
        {"number": "299991234", "callingCode": "+61", "countryCode": "AU"},
    ]


def test_domain_edge_cases_in_the_current_profile(client: httpx.Client) -> None:
    stored = client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "https://www.Zahnärzte.DE/team"}})
    assert stored.json()["data"]["createCompany"]["domainName"]["primaryLinkUrl"] == "xn--zahnrzte-3za.de"
    assert client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "not a domain"}}).status_code == 400
    assert client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "zahnärzte.de"}}).status_code == 400
    found = client.get("/rest/companies", params={"filter": "domainName.primaryLinkUrl[eq]:https://zahnärzte.de/"})
    assert found.json()["totalCount"] == 1
    blank = client.post("/rest/companies", json={"domainName": {"primaryLinkUrl": ""}})
    assert blank.json()["data"]["createCompany"]["domainName"]["primaryLinkUrl"] is None


def test_legacy_profile_keeps_domains_as_urls(sandbox_factory, connect, tmp_path) -> None:
    c = connect(sandbox_factory(profile="legacy", db_path=tmp_path / "legacy.db"))
    company = c.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "HTTPS://Smile.COM/"}}).json()
    assert company["data"]["createCompany"]["domainName"]["primaryLinkUrl"] == "https://smile.com"
    assert c.post("/rest/companies", json={"domainName": {"primaryLinkUrl": "smile.com"}}).status_code == 201
