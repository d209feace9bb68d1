"""Stopping on a signal the way a service manager expects: soon, saying where, resumable (stopping.py).

The whole-wave test stops a real `cpt migrate` with SIGTERM mid-load (as `systemctl stop`, `docker stop` and `kill`
do) and runs the same command again. The others drive `StopSignals` in a small process of their own: the exit codes
of SIGTERM and SIGINT, the deadline when a run does not stop, and the second signal that ends it at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from test_resume import _wait_for_people

from core_practice_twenty.cli import migrate
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.store.warehouse import Warehouse

pytestmark = pytest.mark.e2e(seconds=90)  # the whole-wave test: scheduled first (conftest)

RUN = """
import sys, time
from core_practice_twenty.stopping import StopSignals, exit_code
stubborn = sys.argv[1] == "stubborn"
with StopSignals(lambda signum: f"last words after {signum}", grace_s=1.5) as stop:
    deadline, ready = time.monotonic() + 30, False
    while time.monotonic() < deadline:
        try:
            if not ready:  # said inside the try: a signal right after it lands in the handler below
                ready = print("ready", flush=True) or True
            time.sleep(0.05)
        except KeyboardInterrupt:
            if not stubborn:
                break  # a run that stops itself on the first signal
print(f"stopped by {stop.signum}", flush=True)
sys.exit(exit_code(stop.signum))
"""


def _started(mode: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", RUN, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_run_that_stops_on_the_signal_exits_with_the_signals_code(signum, code) -> None:
    process = _started("obedient")
    process.send_signal(signum)
    out, err = process.communicate(timeout=10)
    assert process.returncode == code and f"stopped by {signum}" in out and err == ""


def test_a_run_that_does_not_stop_is_ended_after_the_grace_period_and_a_second_signal_ends_it_at_once() -> None:
    process = _started("stubborn")
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    waited = time.monotonic() - sent
    assert process.returncode == 143 and err.strip() == "last words after 15" and "stopped by" not in out
    assert 1.0 < waited < 5.0  # the grace period (1.5 s here, 8 s in cpt), not the 30 s the run would take

    process = _started("stubborn")
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 130 and err.strip() == "last words after 2" and time.monotonic() - sent < 1.0


def test_sigterm_mid_load_stops_the_wave_within_10_s_and_the_same_command_resumes_it(
        pipeline_env, sample_export, confirm_map) -> None:
    """`systemctl stop`, `docker stop`, `kill` and Ctrl-C: the wave stops at once, says where and how to go on, the
    Dagster run is canceled (not left started), and running the same command again finishes the wave exactly."""
    confirm_map(sample_export)
    env = dict(os.environ, TWENTY_REQUESTS_PER_MINUTE="600", TWENTY_BATCH_CAP="20")
    process = subprocess.Popen(
        [sys.executable, "-m", "core_practice_twenty.cli", "migrate", "--export", str(sample_export), "--wave", "full"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        _wait_for_people(pipeline_env, process, at_least=40)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)  # to the process only, as a service manager does
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            raise AssertionError(f"still running 30 s after the signal: {err[-1500:]!r}") from None
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert stopped_after < 10, (stopped_after, err[-1500:])
    assert process.returncode == 143, err[-1500:]
    last = err.strip().splitlines()[-1]
    assert "run the same command to resume" in last and "wave 'full' stopped in step twenty_" in last, last
    assert "Traceback" not in err
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"cpt/launched_by": "cpt migrate"}))
        assert [r.status.value for r in runs] == ["CANCELED"]
    # the colleague in the morning, with Twenty unreachable: where it stopped, and what to run
    offline = dict(os.environ, TWENTY_API_URL="http://127.0.0.1:9")
    shown = subprocess.run([sys.executable, "-m", "core_practice_twenty.cli", "status"], env=offline,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "CANCELED, stopped at " in shown.stdout, shown.stdout
    assert f"Next: cpt migrate --export {sample_export} --wave full" in shown.stdout, shown.stdout

    assert migrate(sample_export, "full") == 0
    shown = subprocess.run([sys.executable, "-m", "core_practice_twenty.cli", "status", "--json"], env=offline,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-3000:]
    status = json.loads(shown.stdout)
    (wave,) = status["waves"]
    assert wave["last_run"]["status"] == "SUCCESS" and wave["last_run"]["stopped_at"] is None
    assert wave["twenty"]["people"]["mapped"] == wave["twenty"]["people"]["staged"] > 0
    assert status["map_state"].startswith("confirmed by ")
    warehouse = Warehouse(Path(os.environ["CPT_WAREHOUSE"]))
    with pipeline_env.client() as client, warehouse.connect() as conn:
        for plural in TARGET_OBJECTS:
            staged = conn.execute(f"select count(*) from stg_twenty_{plural} where wave = 'full'").fetchone()[0]
            mapped = conn.execute("select count(*) from id_map where object = ?", [plural]).fetchone()[0]
            assert client.count(plural) == mapped == staged, plural
        unfinished = conn.execute("select count(*) from audit_log where wave = 'full' and action = 'pending'"
                                  ).fetchone()[0]
    assert unfinished == 0
