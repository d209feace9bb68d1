"""Delta pickup during the cutover window: when to look, what is a new snapshot, what left the source.

During cutover the practice keeps working in Core Practice and drops a fresh export into the drop
folder now and then; each new snapshot becomes a `delta-…` wave carrying only new and changed rows.
This module holds the decisions a sensor makes, without Dagster:

* `CutoverWindow`: the sensor looks only inside [start, start + hours); outside it says why.
* `find_new_snapshots`: a snapshot is a sub-folder holding an export; it counts only when every
  export file is there and nothing in the folder changed for `settle_seconds` (a copy in progress
  is not a snapshot yet). The cursor is a small high-water mark: the newest taken snapshot's
  (mtime, name), so the sensor's cursor never grows with the number of snapshots.
* `gone_from_source`: keys in the previous wave's raw tables and missing from the new one, per
  object. They are reported for a person, never deleted in Twenty (an export filter or a merge in
  Core Practice looks the same as a deletion).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from core_practice_twenty.settings import Settings
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.readers import ExportStructureError, find_export_file
from core_practice_twenty.store.raw_reads import keys_gone, landed_objects, rows_between, wave_rows

MAX_WINDOW_HOURS = 7 * 24.0
DEFAULT_SETTLE_SECONDS = 60.0


@dataclass(frozen=True)
class WindowState:
    open: bool
    reason: str


@dataclass(frozen=True)
class CutoverWindow:
    """The cutover window: delta snapshots are picked up from `start` for `hours` (24–48 h is usual)."""

    start: datetime
    hours: float = Settings().cutover_hours

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("the cutover start needs a time zone (e.g. 2025-03-01T18:00:00+11:00)")
        if not 0 < self.hours <= MAX_WINDOW_HOURS:
            raise ValueError(f"the cutover window must last between 0 and {MAX_WINDOW_HOURS:g} hours, "
                             f"not {self.hours:g}")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

    def is_open(self, now: datetime) -> WindowState:
        """Open from start (inclusive) to end (exclusive); when closed, a reason a person can act on."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if now < self.start:
            return WindowState(False, f"cutover window opens at {self.start.isoformat()} "
                                      f"(in {_duration(self.start - now)})")
        if now >= self.end:
            return WindowState(False, f"cutover window closed at {self.end.isoformat()} "
                                      f"({_duration(now - self.end)} ago)")
        return WindowState(True, f"cutover window open until {self.end.isoformat()} "
                                 f"({_duration(self.end - now)} left)")

    @classmethod
    def from_settings(cls, settings: Settings) -> CutoverWindow | None:
        """`CPT_CUTOVER_START` and `CPT_CUTOVER_HOURS`; None when no start is set."""
        if settings.cutover_start is None:
            return None
        return cls(settings.cutover_start, settings.cutover_hours)


def window_state(window: CutoverWindow | None, now: datetime) -> WindowState:
    """The sensor's question, including "no window configured"."""
    if window is None:
        return WindowState(False, "no cutover window configured: set CPT_CUTOVER_START (and CPT_CUTOVER_HOURS)")
    return window.is_open(now)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# -- snapshots in the drop folder ------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A complete, settled export snapshot in the drop folder."""

    name: str
    path: Path
    mtime: float  # newest modification time of anything in the snapshot

    @property
    def wave(self) -> str:
        """The wave partition key for this snapshot (`delta-<folder name>`)."""
        return "delta-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", self.name).strip("-")


@dataclass(frozen=True)
class SnapshotScan:
    new: list[Snapshot]
    cursor: str | None  # the next cursor (unchanged when nothing new)
    waiting: dict[str, str]  # snapshot folder → why it is not taken yet (incomplete, still being written)


def _cursor_key(cursor: str | None) -> tuple[float, str]:
    if not cursor:
        return (float("-inf"), "")
    data = json.loads(cursor)
    return (float(data["mtime"]), str(data["name"]))


def make_cursor(snapshot: Snapshot) -> str:
    return json.dumps({"mtime": snapshot.mtime, "name": snapshot.name}, separators=(",", ":"))


def _newest_mtime(folder: Path) -> float:
    newest = folder.stat().st_mtime
    for root, _dirs, files in os.walk(folder):
        for name in files:
            newest = max(newest, (Path(root) / name).stat().st_mtime)
    return newest


def missing_export_files(folder: Path) -> list[str]:
    """Export objects whose file is not (exactly once) in `folder`."""
    missing = []
    for spec in EXPORT_SPEC.values():
        try:
            find_export_file(folder, spec)
        except ExportStructureError:
            missing.append(spec.name)
    return missing


def find_new_snapshots(drop_dir: Path, cursor: str | None, *, now: float | None = None,
                       settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> SnapshotScan:
    """Complete, settled snapshots newer than `cursor`, oldest first, and the cursor after them.

    Ordering is by (newest file mtime, folder name), so a folder still being copied sorts after
    every settled one: it is reported in `waiting`, the cursor stays before it, and it is taken once
    it settles. A settled folder without every export file is not a snapshot and blocks nothing
    (completing it later gives it a newer mtime). A copy that preserves old mtimes (`cp -p`,
    `rsync -t`) would hide behind the cursor: drop snapshots with a plain copy.
    """
    now = time.time() if now is None else now
    after = _cursor_key(cursor)
    if not drop_dir.is_dir():
        return SnapshotScan([], cursor, {})
    candidates = []
    for folder in sorted(p for p in drop_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        mtime = _newest_mtime(folder)
        if (mtime, folder.name) > after:
            candidates.append((mtime, folder))
    new: list[Snapshot] = []
    waiting: dict[str, str] = {}
    for mtime, folder in sorted(candidates, key=lambda c: (c[0], c[1].name)):
        if now - mtime < settle_seconds:  # so is every later one: the cursor stops before it
            waiting[folder.name] = f"still being written (last change {max(0.0, now - mtime):.0f}s ago)"
        elif missing := missing_export_files(folder):
            # settled but incomplete: not a snapshot (yet); completing it gives it a newer mtime
            waiting[folder.name] = f"incomplete: no file for {', '.join(missing)}"
        else:
            new.append(Snapshot(folder.name, folder, mtime))
    return SnapshotScan(new, make_cursor(new[-1]) if new else cursor, waiting)


# -- records gone from the source ------------------------------------------------------------------


def gone_from_source(conn: duckdb.DuckDBPyConnection, previous_wave: str, new_wave: str) -> dict[str, list[str]]:
    """Per source object, keys in `previous_wave`'s raw table but not in `new_wave`'s (sorted).

    Keys of several columns are joined with `|`, as validation reports them. Objects without a raw
    table, or absent from the new wave entirely (a file not exported this time), are left out: an
    empty file is not evidence that every record was deleted.
    """
    gone: dict[str, list[str]] = {}
    for name in landed_objects(conn):
        if not wave_rows(conn, name, new_wave):
            continue
        keys = keys_gone(conn, name, previous_wave, new_wave)
        if keys:
            gone[name] = keys
    return gone


DEFAULT_MAX_SHRINK = Settings().max_shrink
"""CPT_MAX_SHRINK: share of the previous snapshot's rows a file may lose before the wave stops for a person."""


@dataclass(frozen=True)
class ShrunkFile:
    object: str
    source_file: str
    rows_before: int
    rows_now: int

    def describe(self) -> str:
        return (f"{self.source_file} has {self.rows_now} rows, the previous snapshot {self.rows_before} "
                f"({1 - self.rows_now / self.rows_before:.0%} fewer)")


def shrunk_files(conn: duckdb.DuckDBPyConnection, previous_wave: str, new_wave: str,
                 max_share: float = DEFAULT_MAX_SHRINK) -> list[ShrunkFile]:
    """Files of `new_wave` that lost more than `max_share` of `previous_wave`'s rows (an empty file included).

    A delta is a later copy of the whole export: a practice loses a few records between snapshots, not a
    fifth of a file. A file that shrank that much was cut short, filtered, or exported from the wrong report.
    """
    found = []
    for name in landed_objects(conn):
        before, now, file = rows_between(conn, name, previous_wave, new_wave)
        if before and now < before * (1 - max_share):
            found.append(ShrunkFile(name, file or name, before, now))
    return found
