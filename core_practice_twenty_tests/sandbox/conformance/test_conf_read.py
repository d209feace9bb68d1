"""Find many / find one (rest-api-core-find-many and -find-one integration specs; §3)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def four_people(api, uid) -> dict:
    """A company and four people of it, positions 0..3, all marked with the test's uid."""
    company = api.post("/rest/companies", json={"name": uid, "domainName": {"primaryLinkUrl": f"https://{uid}.com/"}})
    company_id = company.json()["data"]["createCompany"]["id"]
    people = []
    for index in range(4):
        body = {
            "avatarUrl": f"{uid}-{index}",
            "jobTitle": uid,
            "position": index,
            "companyId": company_id,
            "name": {"firstName": f"F{index}", "lastName": uid},
        }
        response = api.post("/rest/people", json=body)
        assert response.status_code == 201, response.text
        people.append(response.json()["data"]["createPerson"])
    return {"company_id": company_id, "people": people, "filter": f"jobTitle[eq]:{uid}"}


def page(api, **params) -> dict:
    response = api.get("/rest/people", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_envelope_total_count_and_has_next_page(api, four_people) -> None:
    body = page(api, filter=four_people["filter"])
    assert set(body) >= {"data", "totalCount", "pageInfo"}
    assert body["totalCount"] == 4
    assert body["pageInfo"]["hasNextPage"] is False
    assert body["pageInfo"]["startCursor"] and body["pageInfo"]["endCursor"]
    limited = page(api, filter=four_people["filter"], limit="3")
    assert len(limited["data"]["people"]) == 3
    assert limited["totalCount"] == 4
    assert limited["pageInfo"]["hasNextPage"] is True


def test_filtered_total_count(api, four_people) -> None:
    body = page(api, filter=f"{four_people['filter']},position[lte]:1")
    assert len(body["data"]["people"]) == 2
    assert body["totalCount"] == 2
    assert body["pageInfo"]["hasNextPage"] is False


def test_starting_after_resumes_after_the_cursor_row(api, four_people) -> None:
    first = page(api, filter=four_people["filter"], limit="2", order_by="position")
    people = first["data"]["people"]
    after_start = page(
        api,
        filter=four_people["filter"],
        limit="1",
        order_by="position",
        starting_after=first["pageInfo"]["startCursor"],
    )
    assert [p["id"] for p in after_start["data"]["people"]] == [people[1]["id"]]
    rest = page(
        api, filter=four_people["filter"], limit="5", order_by="position", starting_after=first["pageInfo"]["endCursor"]
    )
    assert [p["position"] for p in rest["data"]["people"]] == [2, 3]


def test_ending_before_pages_backwards_in_forward_order(api, four_people) -> None:
    everyone = page(api, filter=four_people["filter"], limit="4", order_by="position")
    people = everyone["data"]["people"]
    before = page(
        api,
        filter=four_people["filter"],
        limit="2",
        order_by="position",
        ending_before=everyone["pageInfo"]["endCursor"],
    )
    assert [p["id"] for p in before["data"]["people"]] == [people[1]["id"], people[2]["id"]]


def test_order_by_directions_and_paging_with_ordering(api, four_people) -> None:
    desc = page(api, filter=four_people["filter"], order_by="position[DescNullsLast]", limit="2")
    assert [p["position"] for p in desc["data"]["people"]] == [3, 2]
    assert desc["pageInfo"]["hasNextPage"] is True
    more = page(
        api,
        filter=four_people["filter"],
        order_by="position[DescNullsLast]",
        limit="2",
        starting_after=desc["pageInfo"]["endCursor"],
    )
    assert [p["position"] for p in more["data"]["people"]] == [1, 0]
    by_avatar = page(api, filter=four_people["filter"], order_by="avatarUrl[DescNullsFirst]")
    cities = [p["avatarUrl"] for p in by_avatar["data"]["people"]]
    assert cities == sorted(cities, reverse=True)
    by_sub_field = page(api, filter=four_people["filter"], order_by="name.firstName[AscNullsLast]")
    assert [p["name"]["firstName"] for p in by_sub_field["data"]["people"]] == ["F0", "F1", "F2", "F3"]


def test_order_by_a_whole_composite_is_400(api) -> None:
    assert api.get("/rest/people", params={"order_by": "name[AscNullsFirst]"}).status_code == 400


def test_invalid_cursor_is_400(api) -> None:
    response = api.get("/rest/people", params={"starting_after": "invalid-cursor"})
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequestException"
    assert "Invalid cursor" in response.json()["messages"][0]


def test_invalid_limit_is_400_and_large_limit_is_clamped(api, target, four_people) -> None:
    for bad in ("abc", "-1"):
        response = api.get("/rest/people", params={"limit": bad})
        assert response.status_code == 400
        assert response.json()["messages"][0] == f"limit '{bad}' is invalid. Should be an integer"
    clamped = api.get("/rest/people", params={"limit": str(target.batch_cap * 50)})
    assert clamped.status_code == 200
    assert len(clamped.json()["data"]["people"]) <= target.batch_cap


def test_filters(api, four_people, uid) -> None:
    def positions(filter_: str) -> list[int]:
        body = page(api, filter=f"{four_people['filter']},{filter_}", order_by="position")
        return [p["position"] for p in body["data"]["people"]]

    assert positions(f"avatarUrl[eq]:{uid}-1") == [1]
    assert positions(f'avatarUrl[eq]:"{uid}-1"') == [1]
    assert positions(f"avatarUrl[neq]:{uid}-1") == [0, 2, 3]
    assert positions(f"avatarUrl[in]:[{uid}-0,{uid}-3]") == [0, 3]
    assert positions("position[gt]:0,position[lt]:3") == [1, 2]
    assert positions("position[gte]:2") == [2, 3]
    assert positions(f"or(avatarUrl[eq]:{uid}-0,position[gte]:3)") == [0, 3]
    assert positions(f"and(position[gte]:1,not(avatarUrl[eq]:{uid}-2))") == [1, 3]
    assert positions(f"avatarUrl[startsWith]:{uid}-") == [0, 1, 2, 3]
    assert positions(f"avatarUrl[like]:%{uid}-2") == [2]
    assert positions(f"avatarUrl[ilike]:%{uid.upper()}-2") == [2]
    assert positions("name.firstName[eq]:F3") == [3]
    assert positions(f"name.lastName[eq]:{uid}") == [0, 1, 2, 3]
    assert positions("jobTitle[is]:NOT_NULL,position[eq]:0") == [0]
    assert positions("companyId[is]:NULL") == []
    assert positions(f'companyId[in]:["{four_people["company_id"]}"]') == [0, 1, 2, 3]
    assert positions(f"companyId[eq]:{uuid.uuid4()}") == []


def test_unknown_filter_field_or_operator_is_400(api) -> None:
    for bad in ("notAField[eq]:1", "avatarUrl[zz]:1", "not(avatarUrl[eq]:a,avatarUrl[eq]:b)"):
        response = api.get("/rest/people", params={"filter": bad})
        assert response.status_code == 400, bad
        assert response.json()["error"] == "BadRequestException"


def test_find_one_and_its_errors(api, four_people) -> None:
    person = four_people["people"][0]
    found = api.get(f"/rest/people/{person['id']}")
    assert found.status_code == 200
    assert found.json()["data"]["person"]["avatarUrl"] == person["avatarUrl"]
    missing = api.get(f"/rest/people/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["error"] == "NotFoundException"
    assert missing.json()["messages"][0] == "Record not found"
    malformed = api.get("/rest/people/malformed-uuid")
    assert malformed.status_code == 400
    assert "'malformed-uuid' is not a valid UUID" in malformed.json()["messages"][0]


def test_depth_zero_one_and_two(api, four_people) -> None:
    person_id = four_people["people"][0]["id"]
    shallow = api.get(f"/rest/people/{person_id}", params={"depth": "0"}).json()["data"]["person"]
    assert shallow["companyId"] == four_people["company_id"]
    assert "company" not in shallow
    deep = api.get(f"/rest/people/{person_id}", params={"depth": "1"}).json()["data"]["person"]
    assert deep["company"]["id"] == four_people["company_id"]
    assert "people" not in deep["company"]
    assert api.get(f"/rest/people/{person_id}", params={"depth": "2"}).status_code == 400
    listed = page(api, filter=four_people["filter"], depth="1")
    assert all(p["company"]["id"] == four_people["company_id"] for p in listed["data"]["people"])


def test_depth_one_lists_one_to_many_relations(api, four_people) -> None:
    company = api.get(f"/rest/companies/{four_people['company_id']}", params={"depth": "1"}).json()["data"]["company"]
    assert sorted(p["id"] for p in company["people"]) == sorted(p["id"] for p in four_people["people"])
    assert all("company" not in p for p in company["people"])


def test_soft_deleted_rows_are_hidden_until_asked_for(api, four_people) -> None:
    person_id = four_people["people"][0]["id"]
    assert api.delete(f"/rest/people/{person_id}", params={"soft_delete": "true"}).status_code == 200
    assert page(api, filter=four_people["filter"])["totalCount"] == 3
    assert api.get(f"/rest/people/{person_id}").status_code == 404
    deleted = page(api, filter=f"{four_people['filter']},deletedAt[is]:NOT_NULL")
    assert [p["id"] for p in deleted["data"]["people"]] == [person_id]
