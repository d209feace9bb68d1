"""Field types and Twenty's own normalisation on write (§8; emails-domain-canonicalization spec,
transform-phones-value / transform-links-value / transform-rich-text-v2 utils)."""

from __future__ import annotations

import json
import uuid

import pytest


def create_person(api, **body):
    response = api.post("/rest/people", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["createPerson"]


def add_field(api, target, object_singular: str, **body) -> dict:
    body.setdefault("label", body["name"])
    response = api.post(
        "/rest/metadata/fields", json={"objectMetadataId": target.objects[object_singular]["id"], **body}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["createOneField"]


def test_emails_are_canonicalised_on_create_update_and_filter(api, uid) -> None:
    person = create_person(
        api, emails={"primaryEmail": f"Ana.{uid}@München.DE.", "additionalEmails": [f"X.{uid}@Example.COM"]}
    )
    assert person["emails"]["primaryEmail"] == f"ana.{uid}@xn--mnchen-3ya.de"
    assert person["emails"]["additionalEmails"] == [f"x.{uid}@example.com"]
    updated = api.patch(f"/rest/people/{person['id']}", json={"emails": {"primaryEmail": f"NEW.{uid}@Example.ORG"}})
    assert updated.json()["data"]["updatePerson"]["emails"]["primaryEmail"] == f"new.{uid}@example.org"
    found = api.get("/rest/people", params={"filter": f"emails.primaryEmail[eq]:new.{uid}@example.org"})
    assert found.json()["totalCount"] == 1


def test_phones_are_split_into_number_country_and_calling_code(api, uid) -> None:
    person = create_person(api, avatarUrl=uid, phones={"primaryPhoneNumber": "+14155552671"})
    assert person["phones"]["primaryPhoneNumber"] == "4155552671"
    assert person["phones"]["primaryPhoneCallingCode"] == "+1"
    assert person["phones"]["primaryPhoneCountryCode"] == "US"
    local = create_person(
        api,
        avatarUrl=uid,
        phones={"primaryPhoneNumber": "4155552671", "primaryPhoneCallingCode": "+1", "primaryPhoneCountryCode": "US"},
    )
    assert local["phones"]["primaryPhoneNumber"] == "4155552671"


def test_invalid_phone_values_are_400(api, uid) -> None:
    for phones in (
        {"primaryPhoneNumber": "not a phone", "primaryPhoneCountryCode": "AU"},
        {"primaryPhoneNumber": "4155552671", "primaryPhoneCountryCode": "ZZZ"},
        {"primaryPhoneNumber": "+61 2 9999 1234", "primaryPhoneCountryCode": "US"},
    ):
        response = api.post("/rest/people", json={"avatarUrl": uid, "phones": phones})
        assert response.status_code == 400, phones
    assert api.get("/rest/people", params={"filter": f"avatarUrl[eq]:{uid}"}).json()["totalCount"] == 0


def test_blank_phone_parts_become_null(api, uid) -> None:
    person = create_person(
        api, avatarUrl=uid,
        phones={"primaryPhoneNumber": "", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": ""}
    )
    phones = person["phones"]
    assert (phones["primaryPhoneNumber"], phones["primaryPhoneCountryCode"], phones["primaryPhoneCallingCode"]) == (
        None,
        None,
        None,
    )


def test_links_lower_case_origin_and_lose_trailing_slashes(api, uid) -> None:
    person = create_person(
        api, avatarUrl=uid,
        linkedinLink={"primaryLinkUrl": f"HTTPS://WWW.LinkedIn.COM/in/{uid}/", "primaryLinkLabel": "L"}
    )
    assert person["linkedinLink"]["primaryLinkUrl"] == f"https://www.linkedin.com/in/{uid}"
    plain = create_person(api, avatarUrl=uid, linkedinLink={"primaryLinkUrl": f"linkedin.com/in/{uid}"})
    assert plain["linkedinLink"]["primaryLinkUrl"] == f"linkedin.com/in/{uid}"


def test_company_domain_normalisation(api, target, uid) -> None:
    created = api.post("/rest/companies", json={"domainName": {"primaryLinkUrl": f"HTTPS://{uid}.Example.COM/"}})
    assert created.status_code == 201, created.text
    stored = created.json()["data"]["createCompany"]["domainName"]["primaryLinkUrl"]
    if target.profile == "current":
        assert stored == f"{uid}.example.com"  # bare host (PR #24911)
    else:
        assert stored == f"https://{uid}.example.com"


def money_field(target) -> str:
    """Company's CURRENCY field: `annualRevenue` from 2.43, `annualRecurringRevenue` before."""
    return "annualRevenue" if target.field("company", "annualRevenue") else "annualRecurringRevenue"


def test_missing_composites_come_back_with_every_sub_field_null(api, target, uid) -> None:
    money = money_field(target)
    company = api.post("/rest/companies", json={"name": uid}).json()["data"]["createCompany"]
    assert company["address"]["addressCity"] is None
    assert set(company["address"]) >= {
        "addressStreet1", "addressStreet2", "addressCity", "addressPostcode", "addressState", "addressCountry",
    }  # fmt: skip
    assert set(company[money]) >= {"amountMicros", "currencyCode"}
    assert company[money]["amountMicros"] is None


def test_address_and_currency(api, target, uid) -> None:
    money = money_field(target)
    body = {
        "name": uid,
        "address": {
            "addressStreet1": "1 Hay St",
            "addressCity": "Perth",
            "addressPostcode": "6000",
            "addressCountry": "Australia",
        },
        money: {"amountMicros": 1_500_000_000, "currencyCode": "AUD"},
    }
    company = api.post("/rest/companies", json=body).json()["data"]["createCompany"]
    assert company["address"]["addressCity"] == "Perth"
    assert company["address"]["addressStreet2"] in (None, "")
    assert float(company[money]["amountMicros"]) == 1_500_000_000
    assert company[money]["currencyCode"] == "AUD"
    found = api.get("/rest/companies", params={"filter": f"name[eq]:{uid},address.addressCity[eq]:Perth"})
    assert found.json()["totalCount"] == 1


def test_rich_text_markdown_gets_its_blocknote_side(api, uid) -> None:
    markdown = f"Recall **{uid}** in six months"
    task = api.post("/rest/tasks", json={"title": uid, "bodyV2": {"markdown": markdown}}).json()["data"]["createTask"]
    assert task["bodyV2"]["markdown"] == markdown
    blocks = json.loads(task["bodyV2"]["blocknote"])
    texts = [item["text"] for block in blocks for item in block["content"] if item.get("type") == "text"]
    assert uid in texts


def test_rich_text_blocknote_gets_its_markdown_side(api, uid) -> None:
    blocks = [
        {
            "id": str(uuid.uuid4()),
            "type": "paragraph",
            "props": {"textColor": "default", "backgroundColor": "default", "textAlignment": "left"},
            "content": [{"type": "text", "text": f"Note {uid}", "styles": {}}],
            "children": [],
        }
    ]
    note = api.post("/rest/notes", json={"title": uid, "bodyV2": {"blocknote": json.dumps(blocks)}})
    assert note.status_code == 201, note.text
    assert f"Note {uid}" in note.json()["data"]["createNote"]["bodyV2"]["markdown"]


@pytest.fixture
def typed_fields(api, target, uid) -> dict[str, str]:
    """Custom fields of the scalar types on people, named with the test's uid."""
    names = {}
    for kind, field_type in (
        ("dob", "DATE"),
        ("seen", "DATE_TIME"),
        ("flag", "BOOLEAN"),
        ("visits", "NUMBER"),
        ("extra", "RAW_JSON"),
        ("ref", "UUID"),
    ):
        names[kind] = add_field(api, target, "person", name=f"{kind}{uid}", type=field_type)["name"]
    names["status"] = add_field(
        api, target, "person", name=f"status{uid}", type="SELECT",
        options=[{"value": "ACTIVE", "label": "Active", "color": "green", "position": 0},
                 {"value": "ON_HOLD", "label": "On hold", "color": "gray", "position": 1}],
    )["name"]  # fmt: skip
    names["tags"] = add_field(
        api, target, "person", name=f"tags{uid}", type="MULTI_SELECT",
        options=[{"value": "ORTHO", "label": "Ortho", "color": "blue", "position": 0},
                 {"value": "PERIO", "label": "Perio", "color": "red", "position": 1}],
    )["name"]  # fmt: skip
    return names


def test_scalar_custom_fields_round_trip_and_filter(api, typed_fields, uid) -> None:
    f = typed_fields
    ref = str(uuid.uuid4())
    body = {
        "avatarUrl": uid,
        f["dob"]: "1980-02-29",
        f["seen"]: "2024-05-01T10:00:00+08:00",
        f["flag"]: True,
        f["visits"]: 3,
        f["extra"]: {"items": [{"code": "011", "fee": 55.5}]},
        f["ref"]: ref,
        f["status"]: "ON_HOLD",
        f["tags"]: ["ORTHO", "PERIO"],
    }
    person = create_person(api, **body)
    assert person[f["dob"]] == "1980-02-29"
    assert person[f["seen"]].startswith("2024-05-01T02:00:00")
    assert person[f["flag"]] is True
    assert person[f["visits"]] == 3
    assert person[f["extra"]] == {"items": [{"code": "011", "fee": 55.5}]}
    assert person[f["ref"]] == ref
    assert person[f["status"]] == "ON_HOLD"
    assert sorted(person[f["tags"]]) == ["ORTHO", "PERIO"]
    found = api.get("/rest/people", params={"filter": f"avatarUrl[eq]:{uid},{f['flag']}[eq]:true,{f['visits']}[gte]:3"})
    assert found.json()["totalCount"] == 1


def test_wrongly_typed_values_are_400(api, typed_fields, uid) -> None:
    f = typed_fields
    for field, value in (
        (f["dob"], "29/02/1980"),
        (f["seen"], "yesterday"),
        (f["flag"], "yes"),
        (f["ref"], "not-a-uuid"),
        (f["status"], "GONE"),
        (f["tags"], ["ORTHO", "GONE"]),
    ):
        response = api.post("/rest/people", json={"avatarUrl": uid, field: value})
        assert response.status_code == 400, (field, value)
    unknown = api.post("/rest/people", json={"avatarUrl": uid, f["status"]: "GONE"})
    assert "GONE" in unknown.json()["messages"][0]
    assert api.get("/rest/people", params={"filter": f"avatarUrl[eq]:{uid}"}).json()["totalCount"] == 0
