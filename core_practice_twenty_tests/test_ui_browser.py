"""A person's first look at the project: the Dagster UI shows the practices path.

Headless Debian Chromium (installed by .ci/run) driven by Playwright against `dagster dev` on
loopback. Missing Chromium fails the test: set CPT_SKIP_BROWSER=1 to opt out knowingly.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core_practice_twenty.launcher import ensure_dagster_home

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e  # whole waves through Dagster: scheduled first (conftest)



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dagster_ui(pipeline_env, tmp_path):
    ensure_dagster_home()  # dagster dev refuses a DAGSTER_HOME that does not exist yet
    port = free_port()
    dagster = Path(sys.executable).with_name("dagster")
    log = (tmp_path / "dagster-dev.log").open("w")
    proc = subprocess.Popen([str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"dagster dev exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/server_info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"dagster dev did not start; see {log.name}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.browser
def test_asset_graph_shows_the_practices_path(dagster_ui, tmp_path) -> None:
    if os.environ.get("CPT_SKIP_BROWSER") == "1":
        pytest.skip("CPT_SKIP_BROWSER=1")
    assert Path(CHROMIUM).exists(), "Chromium is needed for the UI test: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # Downstream of raw_practices is the whole practices path, and nothing else to crowd it.
            page.goto(f"{dagster_ui}/assets/raw_practices?view=lineage&lineageScope=downstream&lineageDepth=5")
            skip = page.get_by_role("button", name="Skip")  # first-visit community dialog
            try:
                skip.wait_for(timeout=10_000)
                skip.click()
            except PlaywrightTimeout:  # the dialog is not shown on every version
                pass
            path = ("raw_practices", "validated_export", "field_map", "stg_twenty_companies", "twenty_companies")
            try:
                for name in path:  # long names are shortened in the node (`stg_twe…_companies`)
                    short = rf"{re.escape(name[:7])}.*….*{re.escape(name[-10:])}"
                    shown = re.compile(rf"^({re.escape(name)}|{short})$")
                    page.get_by_text(shown).first.wait_for(timeout=60_000)
            finally:
                page.screenshot(path=str(tmp_path / "asset-graph.png"))
            for group in ("landing", "validation", "mapping", "twenty"):
                assert page.get_by_text(group, exact=True).count() >= 1, f"group {group} not shown"
            page.screenshot(path=str(tmp_path / "asset-graph.png"))
        finally:
            browser.close()
