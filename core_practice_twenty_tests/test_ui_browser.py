"""A person's first look at the project: the Dagster UI shows the practices path.

Headless Debian Chromium (installed by `make test`) driven by Playwright against `cpt ui` on loopback,
then stopped with SIGTERM as a service manager stops it. Missing Chromium fails the test: set
CPT_SKIP_BROWSER=1 to opt out knowingly.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.e2e(seconds=40)  # whole waves through Dagster: scheduled first (conftest)



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningUi:
    url: str
    proc: subprocess.Popen
    ports: tuple[int, int]  # Dagster UI, local Twenty


@pytest.fixture
def dagster_ui(pipeline_env, tmp_path) -> RunningUi:
    """`cpt ui` as a person starts it: the local Twenty and `dagster dev` on the same state."""
    port, sandbox_port = free_port(), free_port()
    log = (tmp_path / "cpt-ui.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "core_practice_twenty.cli", "ui", "--port", str(port),
                             "--sandbox-port", str(sandbox_port), "--sandbox-db", str(tmp_path / "ui-twenty.sqlite")],
                            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"cpt ui exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/server_info", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"dagster dev did not start; see {log.name}")
        yield RunningUi(url, proc, (port, sandbox_port))
    finally:
        if proc.poll() is None:  # the test failed before stopping it: SIGTERM lets cpt ui stop its children
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.wait()
        log.close()


def wave_waiting_for_the_map(tmp_path: Path) -> Path:
    """A wave registered with a map proposed but not confirmed, then `cpt status` run as a person runs it: its
    gates are reported to Dagster. Returns the map's path."""
    import dagster as dg

    from core_practice_twenty.launcher import register_wave
    from core_practice_twenty.mapping.field_map import save_map
    from core_practice_twenty.mapping.proposer import propose
    from core_practice_twenty.settings import Settings, field_map_path
    from core_practice_twenty.source.generator import generate_export
    from core_practice_twenty.store.warehouse import Warehouse

    export = generate_export(tmp_path / "exports" / "2026-12-07", practices=1, patients=10, seed=5)
    save_map(propose(export), field_map_path())
    with dg.DagsterInstance.get() as instance:
        register_wave(instance, Warehouse.from_settings(Settings.from_env()), "full", export)
    shown = subprocess.run([sys.executable, "-m", "core_practice_twenty.cli", "status"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "Next: review field-map-review.md, then cpt map confirm" in shown.stdout
    return field_map_path()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.browser
def test_asset_graph_shows_the_practices_path(dagster_ui, tmp_path) -> None:
    if os.environ.get("CPT_SKIP_BROWSER") == "1":
        pytest.skip("CPT_SKIP_BROWSER=1")
    assert Path(CHROMIUM).exists(), "Chromium is needed for the UI test: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    waiting = wave_waiting_for_the_map(tmp_path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # Downstream of raw_practices is the whole practices path, and nothing else to crowd it.
            page.goto(f"{dagster_ui.url}/assets/raw_practices?view=lineage&lineageScope=downstream&lineageDepth=5")
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

            # what waits for a person: the map's gate, failed for wave `full`, with the command that opens it
            page.goto(f"{dagster_ui.url}/assets/field_map?view=checks")
            try:
                page.get_by_text("wave 'full': waits for a person").first.wait_for(timeout=60_000)
                assert page.get_by_text("Failed").count() >= 1
                assert page.get_by_text(f"cpt map confirm --map {waiting}").count() >= 1
            finally:
                page.screenshot(path=str(tmp_path / "waiting.png"))
        finally:
            browser.close()

    # a service manager stops it with SIGTERM: everything is gone within 10 s, no port left held
    started = time.monotonic()
    dagster_ui.proc.send_signal(signal.SIGTERM)
    dagster_ui.proc.wait(timeout=20)
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    assert not any(_listening(p) for p in dagster_ui.ports), "a child of cpt ui still holds its port"
