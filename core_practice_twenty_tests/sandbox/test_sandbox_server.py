"""Server life cycle: persistence across restarts, concurrency, throughput."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


def test_state_survives_restart(sandbox_factory, connect, add_field) -> None:
    first = sandbox_factory()
    c = connect(first)
    assert add_field(c, "companies", name="cpPracticeId", type="TEXT", isUnique=True).status_code == 201
    created = c.post("/rest/companies", json={"name": "Smile", "cpPracticeId": "P1"}).json()["data"]["createCompany"]
    first.stop()

    second = sandbox_factory()
    c2 = connect(second)
    assert c2.get(f"/rest/companies/{created['id']}").json()["data"]["company"]["cpPracticeId"] == "P1"
    assert c2.post("/rest/companies", json={"cpPracticeId": "P1"}).status_code == 400
    again = c2.post("/rest/batch/companies", params={"upsert": "true"}, json=[{"cpPracticeId": "P1", "employees": 3}])
    assert again.json()["data"]["createCompanies"][0]["id"] == created["id"]
    names = [f["name"] for o in c2.get("/rest/metadata/objects").json()["data"]["objects"] for f in o["fields"]]
    assert names.count("cpPracticeId") == 1


def test_stop_is_idempotent_and_frees_the_port(sandbox_factory) -> None:
    server = sandbox_factory()
    url = server.url
    server.stop()
    server.stop()
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.TransportError:
        pass
    else:  # pragma: no cover - port reuse by another process is the only way to get here
        raise AssertionError("server still answering after stop")


def test_concurrent_upserts_never_duplicate(client: httpx.Client, sandbox, add_field) -> None:
    add_field(client, "people", name="cpPatientId", type="TEXT", isUnique=True)
    headers = dict(client.headers)

    def send(worker: int) -> int:
        rows = [{"cpPatientId": f"PT{i}", "jobTitle": f"w{worker}"} for i in range(30)]
        with httpx.Client(base_url=sandbox.url, headers=headers, timeout=10) as c:
            return c.post("/rest/batch/people", params={"upsert": "true"}, json=rows).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(16)))
    assert statuses == [201] * 16
    assert client.get("/rest/people").json()["totalCount"] == 30


def test_batch_create_throughput(client: httpx.Client) -> None:
    """Loose guard for the ≥2,000 records/s goal (batches of 60 over keep-alive HTTP)."""
    started = time.perf_counter()
    for batch in range(34):
        rows = [
            {
                "name": {"firstName": f"F{batch}-{i}", "lastName": "L"},
                "emails": {"primaryEmail": f"p{batch}-{i}@example.org"},
                "phones": {"primaryPhoneNumber": f"4{batch:03d}{i:04d}"},
            }
            for i in range(60)
        ]
        assert client.post("/rest/batch/people", json=rows).status_code == 201
    elapsed = time.perf_counter() - started
    assert client.get("/rest/people").json()["totalCount"] == 34 * 60
    assert 34 * 60 / elapsed > 2000, f"{34 * 60 / elapsed:.0f} records/s"


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """The `cpt sandbox` contract: blocking serve(), readiness via /healthz, SIGTERM → exit 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "from pathlib import Path\n"
        "from core_practice_twenty.sandbox import SandboxConfig, serve\n"
        f"serve(SandboxConfig(db_path=Path({str(tmp_path / 'cli.db')!r}), api_key='k', port={port}))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "sandbox did not come up"
            assert proc.poll() is None, "sandbox process died"
            time.sleep(0.1)
        created = httpx.post(
            f"http://127.0.0.1:{port}/rest/companies", json={"name": "A"}, headers={"Authorization": "Bearer k"}
        )
        assert created.status_code == 201
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
