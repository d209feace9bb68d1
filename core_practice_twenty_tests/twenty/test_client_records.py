"""Record-level client methods against the sandbox over real HTTP (find, update, destroy, restore)."""

from __future__ import annotations

import uuid

import pytest

from core_practice_twenty.twenty.client import TwentyApiError


def make_companies(client, n: int, prefix: str = "Co") -> list[dict]:
    created: list[dict] = []
    for start in range(0, n, client.batch_cap):
        batch = [{"name": f"{prefix} {i}"} for i in range(start, min(n, start + client.batch_cap))]
        created.extend(client.create_many("companies", batch))
    return created


def test_find_one_returns_the_record_or_none(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    (company,) = make_companies(client, 1)
    found = client.find_one("companies", company["id"])
    assert found is not None and found["name"] == "Co 0"
    assert client.find_one("companies", str(uuid.uuid4())) is None


def test_find_one_still_raises_on_a_malformed_id(twenty_sandbox) -> None:
    with pytest.raises(TwentyApiError) as error:
        twenty_sandbox.client().find_one("companies", "not-a-uuid")
    assert error.value.status == 400


def test_update_one_is_partial(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    (company,) = make_companies(client, 1)
    revenue = {"amountMicros": 12_000_000, "currencyCode": "AUD"}
    client.update_one("companies", company["id"], {"annualRevenue": revenue})
    updated = client.update_one("companies", company["id"], {"name": "Renamed"})
    assert updated["name"] == "Renamed"
    assert updated["annualRevenue"]["amountMicros"] == 12_000_000
    assert client.find_one("companies", company["id"])["name"] == "Renamed"


def test_destroy_one_hard_deletes_and_reports_already_gone(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    first, second = make_companies(client, 2)
    assert client.destroy_one("companies", first["id"]) is True
    assert client.destroy_one("companies", first["id"]) is False
    assert client.find_one("companies", first["id"]) is None
    assert [c["id"] for c in client.find_many("companies", with_deleted=True)] == [second["id"]]


def test_destroy_many_chunks_past_the_servers_cap(twenty_sandbox) -> None:
    """The sandbox refuses a destroy-by-filter above its cap: the client must chunk."""
    client = twenty_sandbox.client(batch_cap=60)
    created = make_companies(client, 150)
    keep = created[-5:]
    ids = [c["id"] for c in created[:-5]] + [str(uuid.uuid4())]  # one id that never existed
    # a small cap forces several requests; 145 records exist among the 146 ids
    client.batch_cap = 40
    assert client.destroy_many("companies", ids) == 145
    assert sorted(c["id"] for c in client.find_many("companies", with_deleted=True)) == sorted(c["id"] for c in keep)
    assert client.destroy_many("companies", []) == 0


def test_destroy_many_also_destroys_soft_deleted_records(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    (company,) = make_companies(client, 1)
    client.request("DELETE", f"/rest/companies/{company['id']}", params={"soft_delete": "true"})
    assert client.destroy_many("companies", [company["id"]]) == 1
    assert list(client.find_many("companies", with_deleted=True)) == []


def test_soft_deleted_records_are_listed_on_request_and_restored(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    live, gone = make_companies(client, 2)
    client.update_one("companies", gone["id"], {"linkedinLink": {"primaryLinkUrl": "linkedin.com/company/seven"}})
    client.request("DELETE", f"/rest/companies/{gone['id']}", params={"soft_delete": "true"})

    assert [c["id"] for c in client.find_many("companies")] == [live["id"]]
    assert client.find_one("companies", gone["id"]) is None
    assert [c["id"] for c in client.find_many("companies", only_deleted=True)] == [gone["id"]]
    assert {c["id"] for c in client.find_many("companies", with_deleted=True)} == {live["id"], gone["id"]}
    named = client.find_many("companies", filter='name[eq]:"Co 1"', with_deleted=True)
    assert [c["id"] for c in named] == [gone["id"]]

    restored = client.restore_one("companies", gone["id"])
    assert restored["deletedAt"] is None
    assert restored["linkedinLink"]["primaryLinkUrl"] == "linkedin.com/company/seven"
    assert client.find_one("companies", gone["id"])["linkedinLink"]["primaryLinkUrl"] == "linkedin.com/company/seven"


def test_find_many_walks_every_page(twenty_sandbox) -> None:
    client = twenty_sandbox.client()
    created = make_companies(client, 130)
    seen = [c["id"] for c in client.find_many("companies", page_size=50)]
    assert len(seen) == 130 and len(set(seen)) == 130
    assert set(seen) == {c["id"] for c in created}
    # a page size above the server's cap is clamped by the server; the cursor still covers everything
    assert len(list(client.find_many("companies", page_size=10_000))) == 130
