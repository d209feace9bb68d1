"""A wave killed with SIGKILL in the middle of the load, then run again: exact counts, no duplicates.

The first run is a real `cpt migrate` process (Dagster, DuckDB, HTTP to the local Twenty) paced at
600 requests/min so the load takes long enough to be interrupted; it is killed, without warning,
once Twenty holds some people but not all. The second run is the same command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from core_practice_twenty.cli import migrate
from core_practice_twenty.mapping.target_model import TARGET_OBJECTS
from core_practice_twenty.store.warehouse import Warehouse

pytestmark = pytest.mark.e2e(seconds=70)  # whole waves through Dagster: scheduled first (conftest)



def _wait_for_people(sandbox, process: subprocess.Popen, at_least: int, timeout_s: float = 240.0) -> int:
    deadline = time.monotonic() + timeout_s
    with sandbox.client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the run ended before it was interrupted: {process.stderr.read()[-2000:]!r}")
            people = client.count("people")
            if people >= at_least:
                return people
            time.sleep(0.05)
    raise AssertionError("the load never reached the people")


def test_a_run_killed_mid_load_resumes_with_exact_counts_and_no_duplicates(pipeline_env, sample_export,
                                                                           confirm_map) -> None:
    confirm_map(sample_export)
    env = dict(os.environ, TWENTY_REQUESTS_PER_MINUTE="600", TWENTY_BATCH_CAP="20")
    process = subprocess.Popen(
        [sys.executable, "-m", "core_practice_twenty.cli", "migrate", "--export", str(sample_export), "--wave", "full"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        people_at_kill = _wait_for_people(pipeline_env, process, at_least=40)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    warehouse = Warehouse(Path(os.environ["CPT_WAREHOUSE"]))
    with warehouse.connect() as conn:
        staged_people = conn.execute("select count(*) from stg_twenty_people where wave = 'full'").fetchone()[0]
    assert 0 < people_at_kill < staged_people  # really interrupted in the middle

    assert migrate(sample_export, "full") == 0  # would wait forever if the killed run kept the pool's slot
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"cpt/launched_by": "cpt migrate"}))
        assert sorted(r.status.value for r in runs) == ["FAILURE", "SUCCESS"]  # the killed one, released
    with pipeline_env.client() as client, warehouse.connect() as conn:
        for plural, target in TARGET_OBJECTS.items():
            staged = conn.execute(f"select count(*) from stg_twenty_{plural} where wave = 'full'").fetchone()[0]
            mapped = conn.execute("select count(*) from id_map where object = ?", [plural]).fetchone()[0]
            assert client.count(plural) == mapped == staged, plural  # nothing lost, nothing twice
            if target.source_key_field:
                keys = [r[target.source_key_field] for r in client.find_many(plural)
                        if r.get(target.source_key_field)]
                assert len(keys) == len(set(keys)), plural
