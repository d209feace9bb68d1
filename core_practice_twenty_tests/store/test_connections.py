"""A process keeps its warehouse connection only while busy: another process gets the file within a moment."""

from __future__ import annotations

import subprocess
import sys
import time

from core_practice_twenty.store.warehouse import IDLE_CLOSE_S


def test_another_process_gets_the_warehouse_soon_after_this_one_is_idle(warehouse) -> None:
    with warehouse.connect() as conn:
        conn.execute("create table t as select 1 as x")
    started = time.monotonic()  # this process is idle now, its connection still open for a moment
    child = subprocess.run(
        [sys.executable, "-c", "import sys; from core_practice_twenty.store.warehouse import Warehouse\n"
         f"with Warehouse({str(warehouse.path)!r}).connect(timeout_s=20) as c:\n"
         "    print(c.execute('select x from t').fetchone()[0])"],
        capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-1000:]
    assert child.stdout.strip() == "1"  # and it sees what this process wrote
    assert time.monotonic() - started < IDLE_CLOSE_S + 10  # waited for the idle close, not for a timeout
    with warehouse.connect() as conn:  # and this process gets it back
        assert conn.execute("select count(*) from t").fetchone()[0] == 1
