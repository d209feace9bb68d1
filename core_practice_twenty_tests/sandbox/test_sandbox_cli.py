"""`cpt sandbox`: every setting reachable from the command line, the key from --api-key or the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from running import cpt_sandbox


def test_options_reach_the_sandbox(tmp_path: Path) -> None:
    members = tmp_path / "members.json"
    members.write_text(json.dumps([{"email": "dr.lee@smile.example", "firstName": "Sam", "lastName": "Lee"}]))
    args = ["--api-key", "cli-key", "--profile", "legacy", "--batch-cap", "7", "--page-size", "3",
            "--members", str(members), "--max-upload-mb", "0.5", "--rate-limit-short", "5/60000",
            "--fault-seed", "9", "--fault-latency-ms", "1"]  # fmt: skip
    with cpt_sandbox(tmp_path, *args) as url:
        c = httpx.Client(base_url=url, headers={"Authorization": "Bearer cli-key"})
        assert c.get("/_sandbox/info").json() == {
            "profile": "legacy",
            "twentyVersion": "1.16",
            "rateLimiter": "legacy",
            "uploadMutations": ["uploadFile"],
            "batchCap": 7,
            "defaultPageSize": 3,
            "maxUploadBytes": 524288,
        }
        assert c.get("/_sandbox/faults").json()["faults"]["latency_ms"] == 1
        members_seen = c.get("/rest/workspaceMembers").json()["data"]["workspaceMembers"]
        assert [m["userEmail"] for m in members_seen] == ["dr.lee@smile.example"]
        assert c.post("/rest/batch/companies", json=[{"name": "x"}] * 8).status_code == 400
        statuses = [c.get("/rest/companies").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]  # 5 per minute, two already spent
        assert "Retry-After" not in c.get("/rest/companies").headers  # legacy 429


def test_key_from_the_environment_and_switches(tmp_path: Path) -> None:
    with cpt_sandbox(tmp_path, "--no-rate-limit", "--no-control", env={"TWENTY_API_KEY": "env-key"}) as url:
        c = httpx.Client(base_url=url, headers={"Authorization": "Bearer env-key"})
        assert {c.get("/rest/companies?limit=1").status_code for _ in range(120)} == {200}
        assert c.get("/_sandbox/info").status_code == 404


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TWENTY_API_KEY"}
    base = [sys.executable, "-m", "core_practice_twenty.cli", "sandbox", "--db", str(tmp_path / "x.sqlite")]
    no_key = subprocess.run(base, env=env, capture_output=True, text=True, timeout=30)
    assert no_key.returncode == 2 and "--api-key" in no_key.stderr
    bad_limit = subprocess.run([*base, "--api-key", "k", "--rate-limit-long", "lots"], capture_output=True, text=True,
                               timeout=30)  # fmt: skip
    assert bad_limit.returncode == 2 and "REQUESTS/WINDOW_MS" in bad_limit.stderr
    bad_rate = subprocess.run([*base, "--api-key", "k", "--fault-error-rate", "3"], capture_output=True, text=True,
                              timeout=30)  # fmt: skip
    assert bad_rate.returncode == 2 and "between 0 and 1" in bad_rate.stderr
