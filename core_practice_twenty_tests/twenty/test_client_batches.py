"""Batch cap of the Twenty client: configured, learned from the server's 400, or discovered up front.

A sandbox playing a server whose cap (60, the legacy `QUERY_MAX_RECORDS`) is below what the client was
configured with (200, the newer one), as happens when a newer default meets an older server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core_practice_twenty.sandbox import RateLimitConfig, SandboxConfig, SandboxServer
from core_practice_twenty.twenty.client import TwentyApiError, TwentyClient, server_batch_cap


class Cap60Sandbox:
    def __init__(self, server: SandboxServer) -> None:
        self.url = server.url

    def client(self, **kwargs) -> TwentyClient:
        return TwentyClient(self.url, "k", requests_per_minute=0, **kwargs)


@pytest.fixture
def cap60_sandbox(tmp_path: Path) -> Iterator[Cap60Sandbox]:
    config = SandboxConfig(db_path=tmp_path / "cap60.sqlite", api_key="k", port=0, batch_cap=60,
                           rate_limit=RateLimitConfig.disabled())
    with SandboxServer(config) as server:
        yield Cap60Sandbox(server)


def test_a_batch_over_the_servers_cap_is_resplit_transparently(cap60_sandbox) -> None:
    client = cap60_sandbox.client(batch_cap=200)
    records = [{"name": f"Clinic {i:04d}"} for i in range(250)]
    written = client.create_many("companies", records)
    assert [r["name"] for r in written] == [r["name"] for r in records]  # one result per record, in order
    assert client.batch_cap == 60
    assert client.stats.batch_cap_lowered == 1
    assert client.count("companies") == 250
    # 1 refused request of 200, then 60 + 60 + 60 + 60 + 10
    assert client.stats.requests == 1 + 5 + 1


def test_upserts_are_resplit_too_and_never_duplicate(cap60_sandbox) -> None:
    client = cap60_sandbox.client(batch_cap=100)
    records = [{"name": f"Lab {i:03d}", "domainName": {"primaryLinkUrl": f"https://lab{i}.example"}}
               for i in range(90)]
    first = client.create_many("companies", records, upsert=True)
    again = client.create_many("companies", records, upsert=True)
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert client.count("companies") == 90


def test_the_configured_cap_is_used_when_the_server_allows_it(twenty_sandbox) -> None:
    client = twenty_sandbox.client(batch_cap=50)
    client.create_many("companies", [{"name": f"C {i}"} for i in range(120)])
    assert client.stats.requests == 3 and client.batch_cap == 50


def test_destroy_many_learns_the_cap_as_well(cap60_sandbox) -> None:
    client = cap60_sandbox.client(batch_cap=60)
    ids = [r["id"] for r in client.create_many("companies", [{"name": f"D {i}"} for i in range(130)])]
    client.batch_cap = 150
    assert client.destroy_many("companies", ids) == 130
    assert client.batch_cap == 60
    assert client.count("companies") == 0


def test_other_400s_are_not_mistaken_for_the_cap(cap60_sandbox) -> None:
    client = cap60_sandbox.client(batch_cap=200)
    with pytest.raises(TwentyApiError) as error:
        client.create_many("companies", [{"name": "ok"}, {"name": "bad", "noSuchField": 1}])
    assert error.value.status == 400
    assert client.batch_cap == 200 and client.stats.batch_cap_lowered == 0


def test_the_cap_can_be_discovered_up_front(cap60_sandbox) -> None:
    client = cap60_sandbox.client(batch_cap=60)
    assert client.discover_batch_cap("companies") is None  # an empty object tells nothing
    client.create_many("companies", [{"name": f"E {i}"} for i in range(61)])
    client.batch_cap = 10
    assert client.discover_batch_cap("companies") == 60
    assert client.batch_cap == 60


def test_cap_messages_of_twenty() -> None:
    def error(message: str, status: int = 400) -> TwentyApiError:
        return TwentyApiError(status, "BadRequestException", [message])

    assert server_batch_cap(error("Maximum number of records to upsert is 60.")) == 60
    assert server_batch_cap(error("Cannot destroy more than 200 records at once")) == 200
    assert server_batch_cap(error("Invalid value 'X' for field \"stage\"")) is None
    assert server_batch_cap(error("Maximum number of records to upsert is 60.", status=500)) is None
