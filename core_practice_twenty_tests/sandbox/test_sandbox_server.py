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


def test_many_full_batches_over_one_keep_alive_connection(client: httpx.Client) -> None:
    """34 full batches of 60 on one connection all land (speed is benchmarks/sandbox_throughput.py's job)."""
    for batch in range(34):
        rows = [
            {
                "name": {"firstName": f"F{batch}-{i}", "lastName": "L"},
                "emails": {"primaryEmail": f"p{batch}-{i}@example.org"},
                "phones": {"primaryPhoneNumber": f"+61 4{batch:02d} {i:03d} 000"},
            }
            for i in range(60)
        ]
        assert client.post("/rest/batch/people", json=rows).status_code == 201
    assert client.get("/rest/people").json()["totalCount"] == 34 * 60


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


def test_a_file_from_an_older_sandbox_is_upgraded_in_place(sandbox_factory, connect, tmp_path) -> None:
    """A demo or rehearsal file written before attachments / updatedBy / read-only members existed
    gains them on the next start, keeping its records."""
    import json
    import sqlite3

    first = sandbox_factory()
    created = connect(first).post("/rest/companies", json={"name": "Kept"}).json()["data"]["createCompany"]
    first.stop()
    with sqlite3.connect(tmp_path / "twenty.db") as db:  # make it look like a schema-1 file
        (attachment_id,) = db.execute("SELECT id FROM objects WHERE name_singular = 'attachment'").fetchone()
        db.execute("DELETE FROM fields WHERE object_id = ? OR name IN ('updatedBy', 'attachments')", (attachment_id,))
        db.execute("DELETE FROM fields WHERE body LIKE ?", (f'%"relationTargetObjectMetadataId": "{attachment_id}"%',))
        db.execute("DELETE FROM objects WHERE id = ?", (attachment_id,))
        (member_id, body) = db.execute(
            "SELECT id, body FROM objects WHERE name_singular = 'workspaceMember'"
        ).fetchone()
        db.execute(
            "UPDATE objects SET body = ? WHERE id = ?",
            (json.dumps({**json.loads(body), "_readOnly": False}), member_id),
        )
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    c = connect(sandbox_factory())
    assert c.get(f"/rest/companies/{created['id']}").json()["data"]["company"]["name"] == "Kept"
    assert c.get("/rest/attachments").status_code == 200
    assert "updatedBy" in c.get("/rest/companies").json()["data"]["companies"][0]
    assert c.post("/rest/workspaceMembers", json={"userEmail": "x@y.org"}).status_code == 403
