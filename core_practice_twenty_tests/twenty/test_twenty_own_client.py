"""Twenty's own published client, `twenty-client-sdk` 2.43.0 from npm, against `cpt sandbox --twenty-version 2.47`.

The sandbox and this project's client share one author's reading of Twenty; Twenty's client does not. It is
called as it ships (node/drive_twenty_client.mjs: `MetadataApiClient.uploadFile`, which runs createFileUpload →
PUT → completeFileUpload, then `RestApiClient` for the person and the attachment), never copied. `make test`
installs it (scripts/ensure-test-deps); run alone, this file installs it the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from running import cpt_sandbox

SDK = "twenty-client-sdk@2.43.0"  # keep in step with scripts/ensure-test-deps
ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "node" / "drive_twenty_client.mjs"


@pytest.fixture(scope="module")
def sdk_dir() -> Path:
    """Where npm put the pinned SDK (ensure-test-deps); the driver runs from there so Node resolves it."""
    node_dir = Path(os.environ.get("CPT_NODE_CACHE") or ROOT / ".cache" / "node")
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed for this test: run `make test` (it installs Debian's nodejs/npm)"
    installed = node_dir / "node_modules" / "twenty-client-sdk" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != SDK.split("@")[1]:
        node_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix",
                        str(node_dir), SDK], check=True, timeout=300)
    shutil.copy(DRIVER, node_dir / DRIVER.name)
    return node_dir


def test_twentys_own_client_uploads_and_attaches_a_file(sdk_dir: Path, tmp_path: Path) -> None:
    scan = tmp_path / "Scan 2019.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(70_000))
    with cpt_sandbox(tmp_path, "--api-key", "referee-key", "--twenty-version", "2.47") as url:
        done = subprocess.run(["node", str(sdk_dir / DRIVER.name), str(scan)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "TWENTY_API_URL": url, "TWENTY_API_KEY": "referee-key"})
        assert done.returncode == 0, done.stderr[-2000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["size"] == scan.stat().st_size
        assert result["attachedTo"] == result["personId"]
        assert result["fileOnRecord"] == result["fileId"]
        assert httpx.get(result["url"], timeout=30).content == scan.read_bytes()  # byte for byte
        person = httpx.get(f"{url}/rest/people/{result['personId']}", params={"depth": "1"},
                           headers={"Authorization": "Bearer referee-key"}).json()["data"]["person"]
        assert [a["id"] for a in person["attachments"]] == [result["attachmentId"]]
