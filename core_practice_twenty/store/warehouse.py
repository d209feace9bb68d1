"""The DuckDB warehouse: one file, one writer process at a time, connections that never idle for long.

DuckDB allows one read-write process per file, and several processes use it (a run, the UI's sensors,
`cpt` commands), so a connection is taken under a file lock (as Dagster's ETL tutorial does) for one
piece of work and closed when the process has been idle for `IDLE_CLOSE_S`.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from filelock import FileLock

from core_practice_twenty.model.progress import EVERY_S, Progress
from core_practice_twenty.model.regions import DEFAULT_REGION
from core_practice_twenty.settings import Settings
from core_practice_twenty.store.schema import apply_migrations

"""DuckDB spills to disk beyond CPT_DUCKDB_MEMORY (default 1GB) instead of growing with the export."""



@dataclass(frozen=True)
class WaveExport:
    """The export snapshot a wave migrates and how to read it."""

    wave: str
    export_dir: Path
    snapshot_id: str
    region: str
    export_date: date


IDLE_CLOSE_S = 0.3
"""How long an idle connection stays open for the next piece of work of the same process."""


class _SharedConnection:
    """One process's connection to one warehouse file, closed (and its file lock released) when idle."""

    def __init__(self, path: Path, memory_limit: str) -> None:
        self.path = path
        self.memory_limit = memory_limit  # DuckDB's limit when the file is next opened
        self.lock = threading.Lock()
        # not thread-local: the idle timer's thread releases what the working thread acquired
        self.file_lock = FileLock(f"{path}.lock", thread_local=False)
        self.conn: duckdb.DuckDBPyConnection | None = None
        self.timer: threading.Timer | None = None
        self.generation = 0

    @contextmanager
    def use(self, timeout_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            self.generation += 1
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.conn is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.file_lock.acquire(timeout=timeout_s)
                try:
                    self.conn = duckdb.connect(str(self.path), config={
                        "memory_limit": self.memory_limit})
                    apply_migrations(self.conn)
                except BaseException:
                    self._close()
                    raise
            try:
                yield self.conn
            except BaseException:
                self._close()  # a failed piece of work: nothing of it stays open (transactions roll back)
                raise
            if self.conn is not None:
                generation = self.generation
                self.timer = threading.Timer(IDLE_CLOSE_S, self._close_if_idle, args=(generation,))
                self.timer.daemon = True
                self.timer.start()

    def _close_if_idle(self, generation: int) -> None:
        with self.lock:
            if generation == self.generation:
                self._close()

    def _close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
                self.file_lock.release()

    def close(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            self._close()


_CONNECTIONS: dict[str, _SharedConnection] = {}
_CONNECTIONS_LOCK = threading.Lock()


def _shared(path: Path, memory_limit: str) -> _SharedConnection:
    key = os.path.abspath(path)
    with _CONNECTIONS_LOCK:
        if key not in _CONNECTIONS:
            _CONNECTIONS[key] = _SharedConnection(Path(key), memory_limit)
        _CONNECTIONS[key].memory_limit = memory_limit
        return _CONNECTIONS[key]


def close_connections() -> None:
    """Close every idle connection of this process now (at exit, before a file is deleted or copied)."""
    for shared in list(_CONNECTIONS.values()):
        shared.close()


atexit.register(close_connections)


@contextmanager
def in_transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on an open connection: committed on exit, rolled back on error (all or none). For work that
    must run part outside it first (landing parses a file before it replaces the wave's rows)."""
    conn.execute("begin transaction")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def existing_tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables the file holds (raw and staging tables appear as waves land and map)."""
    return {name for (name,) in conn.execute(
        "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}


def table_exists(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Asked of the catalog: a query on a missing table would make DuckDB look for a Python variable of that name."""
    # fetchall, not fetchone: a result left open blocks registering a view on the connection next
    return conn.execute("select count(*) from duckdb_tables() where schema_name = 'main' and table_name = ?",
                        [name]).fetchall()[0][0] > 0


class WaveFolderChanged(Exception):
    """A registered wave was pointed at another export folder without `--replace`."""

    def __init__(self, wave: str, registered: str, given: str) -> None:
        super().__init__(
            f"wave {wave!r} migrates {registered}, not {given}. Its loads, id map and audit log belong to that "
            f"export: use a new wave name for this folder (e.g. delta-YYYY-MM-DD), or pass --replace to re-point "
            f"{wave!r} (recorded in the audit log)."
        )


class Warehouse:
    """Access to the DuckDB file with cross-process locking."""

    def __init__(self, path: Path | str, *, memory_limit: str = Settings().duckdb_memory) -> None:
        """`memory_limit`: DuckDB's (CPT_DUCKDB_MEMORY); beyond it DuckDB spills to disk."""
        self.path = Path(path)
        self.memory_limit = memory_limit

    @classmethod
    def from_settings(cls, settings: Settings) -> Warehouse:
        """The warehouse the settings name (CPT_WAREHOUSE, CPT_DUCKDB_MEMORY)."""
        return cls(settings.warehouse, memory_limit=settings.duckdb_memory)

    @contextmanager
    def connect(self, *, timeout_s: float = 300.0) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection held under the file lock, for one short piece of work.

        Opening the file costs DuckDB ~20-40 ms (catalog, checkpoint on close), more than a load's batch of
        outcomes takes to write, so a process keeps its connection (and the lock) for `IDLE_CLOSE_S` after
        the last use and reuses it; then it is closed and the lock released for other processes. A piece of
        work that fails leaves no transaction open behind it.
        """
        with _shared(self.path, self.memory_limit).use(timeout_s) as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """`connect`, inside one transaction: committed on exit, rolled back on error (all or none)."""
        with self.connect() as conn, in_transaction(conn):
            yield conn

    def register_wave(self, wave: str, export_dir: Path, snapshot_id: str, *, region: str,
                      export_date: date, replace: bool = False) -> None:
        """Record which export snapshot a wave migrates (and its region), so a UI run needs no config.

        A wave's folder is fixed once registered: its rows, id map and audit log belong to that export.
        Pointing it at another folder needs `replace`, and is written to the audit log (action `repoint`).
        """
        folder = str(Path(export_dir).resolve())
        with self.transaction() as conn:
            row = conn.execute("select export_dir from migration_waves where wave = ?", [wave]).fetchone()
            if row and row[0] != folder:
                if not replace:
                    raise WaveFolderChanged(wave, row[0], folder)
                conn.execute(
                    "insert into audit_log (seq, wave, run_id, object, source_key, action, message) "
                    "values (nextval('audit_seq'), ?, 'register', 'migration_waves', ?, 'repoint', ?)",
                    [wave, wave, f"export folder {row[0]} -> {folder}"])
            conn.execute(
                "insert or replace into migration_waves (wave, export_dir, snapshot_id, region, export_date) "
                "values (?, ?, ?, ?, ?)",
                [wave, folder, snapshot_id, region, export_date],
            )

    def wave_export(self, wave: str) -> WaveExport:
        """The export registered for `wave`."""
        with self.connect() as conn:
            row = conn.execute(
                "select export_dir, snapshot_id, region, export_date, registered_at from migration_waves "
                "where wave = ?", [wave]
            ).fetchone()
        if row is None:
            raise LookupError(
                f"wave {wave!r} has no export registered. Run `cpt migrate --export DIR --wave {wave}` "
                f"(or `cpt wave add`) to register its export folder first."
            )
        export_date = row[3] or row[4].date()
        return WaveExport(wave, Path(row[0]), row[1], row[2] or DEFAULT_REGION.value, export_date)

    def waves(self) -> list[WaveExport]:
        """Every registered wave, first registered first."""
        with self.connect() as conn:
            rows = conn.execute("select wave, export_dir, snapshot_id, region, export_date, registered_at "
                                "from migration_waves order by registered_at").fetchall()
        return [WaveExport(wave, Path(folder), snapshot, region or DEFAULT_REGION.value, day or at.date())
                for wave, folder, snapshot, region, day, at in rows]

    def previous_wave(self, wave: str, *, skip: tuple[str, ...] = ("sample",)) -> str | None:
        """The wave registered last before `wave` (a delta's predecessor), ignoring `skip` (the sample)."""
        with self.connect() as conn:
            row = conn.execute(
                "select wave from migration_waves where registered_at < (select registered_at from migration_waves "
                "where wave = ?) and not list_contains(?, wave) order by registered_at desc limit 1",
                [wave, list(skip)],
            ).fetchone()
        return row[0] if row else None


@contextmanager
def _every(interval_s: float, work: Callable[[], None], name: str) -> Iterator[None]:
    """`work()` every `interval_s` on a thread of its own while the block runs (it ends with the block)."""
    done = threading.Event()

    def repeat() -> None:
        while not done.wait(interval_s):
            work()

    thread = threading.Thread(target=repeat, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextmanager
def watched(conn: duckdb.DuckDBPyConnection, what: str, log: Callable[[str], None],
            every_s: float | None = None) -> Iterator[None]:
    """Tell `log` how far DuckDB is with the statement running on `conn` (its own estimate, in percent of the
    statement's work), at most every `every_s` (5 s): one long statement (a group's appointments file landed) is
    otherwise silent for its whole length. A new statement starts again from 0 %."""
    every_s = EVERY_S if every_s is None else every_s
    progress = Progress(what, 100, log, unit="%", every_s=every_s)
    last = [-1.0]

    def look() -> None:
        percent = conn.query_progress()
        if percent < 0:  # between statements
            return
        if percent < last[0]:
            progress.restart()  # the next statement of the block
        last[0] = percent
        if int(percent) > progress.done and percent < 100:
            progress.advance(int(percent) - progress.done)

    conn.execute("set enable_progress_bar = true")
    conn.execute("set enable_progress_bar_print = false")
    try:
        with _every(min(1.0, every_s), look, "duckdb-progress"):
            yield
    finally:
        conn.execute("reset enable_progress_bar")
        conn.execute("reset enable_progress_bar_print")


@contextmanager
def ticking(progress: Progress) -> Iterator[None]:
    """`progress.tick()` every second while the block runs (statements whose progress DuckDB cannot estimate)."""
    with _every(1.0, lambda: progress.tick("working"), "progress-tick"):
        yield
