"""Find many / find one: paging, cursors, filters, ordering, errors (twenty-api.md §3)."""

from __future__ import annotations

import uuid

import httpx
import pytest


@pytest.fixture
def five_companies(client: httpx.Client) -> list[dict]:
    rows = [
        {"name": f"C{i}", "employees": i * 10, "domainName": {"primaryLinkUrl": f"https://c{i}.com"}} for i in range(5)
    ]
    return client.post("/rest/batch/companies", json=rows).json()["data"]["createCompanies"]


def test_paging_with_cursors(client: httpx.Client, five_companies: list[dict]) -> None:
    page1 = client.get("/rest/companies", params={"limit": "2"}).json()
    assert [c["name"] for c in page1["data"]["companies"]] == ["C0", "C1"]
    assert page1["totalCount"] == 5
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["pageInfo"]["hasPreviousPage"] is False
    cursor = page1["pageInfo"]["endCursor"]
    page2 = client.get("/rest/companies", params={"limit": "2", "starting_after": cursor}).json()
    assert [c["name"] for c in page2["data"]["companies"]] == ["C2", "C3"]
    assert page2["totalCount"] == 5
    page3 = client.get(
        "/rest/companies", params={"limit": "2", "starting_after": page2["pageInfo"]["endCursor"]}
    ).json()
    assert [c["name"] for c in page3["data"]["companies"]] == ["C4"]
    assert page3["pageInfo"]["hasNextPage"] is False
    back = client.get(
        "/rest/companies", params={"limit": "2", "ending_before": page3["pageInfo"]["startCursor"]}
    ).json()
    assert [c["name"] for c in back["data"]["companies"]] == ["C2", "C3"]
    assert back["pageInfo"]["hasPreviousPage"] is True


def test_paging_survives_deleting_seen_rows(client: httpx.Client, five_companies: list[dict]) -> None:
    page1 = client.get("/rest/companies", params={"limit": "2"}).json()
    for company in page1["data"]["companies"]:
        client.delete(f"/rest/companies/{company['id']}")
    page2 = client.get(
        "/rest/companies", params={"limit": "2", "starting_after": page1["pageInfo"]["endCursor"]}
    ).json()
    assert [c["name"] for c in page2["data"]["companies"]] == ["C2", "C3"]


def test_order_by_descending_with_cursor(client: httpx.Client, five_companies: list[dict]) -> None:
    page = client.get("/rest/companies", params={"order_by": "employees[DescNullsLast]", "limit": "3"}).json()
    assert [c["name"] for c in page["data"]["companies"]] == ["C4", "C3", "C2"]
    rest = client.get(
        "/rest/companies",
        params={
            "order_by": "employees[DescNullsLast]",
            "limit": "3",
            "starting_after": page["pageInfo"]["endCursor"],
        },
    ).json()
    assert [c["name"] for c in rest["data"]["companies"]] == ["C1", "C0"]
    bad = client.get("/rest/companies", params={"order_by": "employees[Sideways]"})
    assert bad.status_code == 400
    assert client.get("/rest/companies", params={"order_by": "domainName"}).status_code == 400
    ok = client.get("/rest/companies", params={"order_by": "domainName.primaryLinkUrl[DescNullsFirst]"})
    assert ok.json()["data"]["companies"][0]["name"] == "C4"


def test_filters(client: httpx.Client, five_companies: list[dict]) -> None:
    def names(filter_: str) -> list[str]:
        response = client.get("/rest/companies", params={"filter": filter_})
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["data"]["companies"]]

    assert names("name[eq]:C1") == ["C1"]
    assert names('name[eq]:"C1"') == ["C1"]
    assert names("name[in]:[C1,C3]") == ["C1", "C3"]
    assert names('name[in]:["C1","C4"]') == ["C1", "C4"]
    assert names("employees[gte]:20,employees[lt]:40") == ["C2", "C3"]
    assert names("domainName.primaryLinkUrl[eq]:https://c2.com") == ["C2"]
    assert names("or(name[eq]:C0,employees[gt]:30)") == ["C0", "C4"]
    assert names("and(employees[gte]:10,not(name[eq]:C2))") == ["C1", "C3", "C4"]
    assert names("name[like]:C%") == ["C0", "C1", "C2", "C3", "C4"]
    assert names("name[like]:c%") == []
    assert names("name[ilike]:c%") == ["C0", "C1", "C2", "C3", "C4"]
    assert names("name[startsWith]:C3") == ["C3"]
    assert names("employees[is]:NULL") == []
    assert names("address.addressCity[is]:NULL,name[neq]:C0") == ["C1", "C2", "C3", "C4"]
    assert names(f"id[eq]:{five_companies[2]['id']}") == ["C2"]


def test_filter_errors(client: httpx.Client) -> None:
    for bad in (
        "nope[eq]:1",
        "name[zz]:1",
        "name:1",
        "name[in]:C1",
        "not(name[eq]:a,name[eq]:b)",
        "name[eq]:(x",
    ):
        response = client.get("/rest/companies", params={"filter": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"] == "BadRequestException"


def test_relation_filter_by_join_column(client: httpx.Client) -> None:
    company_id = client.post("/rest/companies", json={"name": "A"}).json()["data"]["createCompany"]["id"]
    client.post("/rest/batch/people", json=[{"companyId": company_id}, {}])
    response = client.get("/rest/people", params={"filter": f'companyId[in]:["{company_id}"]'})
    assert response.json()["totalCount"] == 1


def test_soft_deleted_rows_hidden_unless_filter_mentions_deleted_at(
    client: httpx.Client, five_companies: list[dict]
) -> None:
    client.delete(f"/rest/companies/{five_companies[0]['id']}", params={"soft_delete": "true"})
    assert client.get("/rest/companies").json()["totalCount"] == 4
    deleted = client.get("/rest/companies", params={"filter": "deletedAt[is]:NOT_NULL"}).json()
    assert [c["name"] for c in deleted["data"]["companies"]] == ["C0"]


def test_invalid_cursor_and_limit(client: httpx.Client, five_companies: list[dict]) -> None:
    bad_cursor = client.get("/rest/companies", params={"starting_after": "not-a-cursor!"})
    assert bad_cursor.status_code == 400
    assert "Invalid cursor" in bad_cursor.json()["messages"][0]
    for limit in ("abc", "-1", "1.5"):
        response = client.get("/rest/companies", params={"limit": limit})
        assert response.status_code == 400
        assert response.json()["messages"] == [f"limit '{limit}' is invalid. Should be an integer"]
    clamped = client.get("/rest/companies", params={"limit": "100000"})
    assert clamped.status_code == 200
    assert len(clamped.json()["data"]["companies"]) == 5


def test_limit_is_clamped_to_the_batch_cap(sandbox_factory, connect) -> None:
    c = connect(sandbox_factory(batch_cap=3))
    c.post("/rest/batch/companies", json=[{"name": str(i)} for i in range(3)])
    c.post("/rest/batch/companies", json=[{"name": "x"}])
    page = c.get("/rest/companies", params={"limit": "50"}).json()
    assert len(page["data"]["companies"]) == 3
    assert page["totalCount"] == 4
    assert page["pageInfo"]["hasNextPage"] is True


def test_find_one(client: httpx.Client, five_companies: list[dict]) -> None:
    target = five_companies[3]
    response = client.get(f"/rest/companies/{target['id']}")
    assert response.status_code == 200
    assert response.json()["data"]["company"] == target
    missing = client.get(f"/rest/companies/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "error": "NotFoundException",
        "messages": ["Record not found"],
    }
    malformed = client.get("/rest/companies/123")
    assert malformed.status_code == 400
    assert malformed.json()["messages"] == ["'123' is not a valid UUID"]


def test_unknown_object_names(client: httpx.Client) -> None:
    singular = client.get("/rest/person")
    assert singular.status_code == 400
    assert singular.json()["messages"] == ["object 'person' not found. Did you mean 'people'?"]
    unknown = client.get("/rest/patients")
    assert unknown.json()["messages"] == ["object 'patients' not found."]


def test_quoted_filter_values_may_hold_commas_and_quotes(client: httpx.Client) -> None:
    names = ["Smith, Jones & Co", 'The "Best" Dental', "Plain"]
    client.post("/rest/batch/companies", json=[{"name": n} for n in names])
    quoted = "[" + ",".join(['"Smith, Jones & Co"', '"The \\"Best\\" Dental"']) + "]"
    response = client.get("/rest/companies", params={"filter": f"name[in]:{quoted}"})
    assert response.status_code == 200, response.text
    assert [c["name"] for c in response.json()["data"]["companies"]] == names[:2]
