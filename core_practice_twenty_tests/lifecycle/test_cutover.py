"""Delta pickup: the cutover window, new snapshots in the drop folder, records gone from the source."""

from __future__ import annotations

import csv
import os
import shutil
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from core_practice_twenty.lifecycle.cutover import CutoverWindow, find_new_snapshots, gone_from_source, window_state
from core_practice_twenty.settings import Settings
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.readers import find_export_file
from core_practice_twenty.store.raw import land_object

AEDT = timezone(timedelta(hours=11))


def _window(env: dict[str, str]) -> CutoverWindow | None:
    return CutoverWindow.from_settings(Settings.from_env(env))


def test_the_window_is_open_for_its_length_and_says_why_when_closed() -> None:
    window = _window({"CPT_CUTOVER_START": "2025-03-01T18:00:00+11:00"})
    assert window.hours == 48 and window.end == datetime(2025, 3, 3, 18, tzinfo=AEDT)
    assert not window.is_open(datetime(2025, 3, 1, 17, 30, tzinfo=AEDT)).open
    assert "opens at 2025-03-01T18:00:00+11:00 (in 0 h 30 min)" in window.is_open(
        datetime(2025, 3, 1, 17, 30, tzinfo=AEDT)).reason
    assert window.is_open(datetime(2025, 3, 1, 7, tzinfo=UTC)).open  # 18:00 AEDT exactly
    assert window.is_open(datetime(2025, 3, 3, 17, 59, tzinfo=AEDT)).open
    closed = window.is_open(datetime(2025, 3, 3, 20, tzinfo=AEDT))
    assert not closed.open and "closed at 2025-03-03T18:00:00+11:00 (2 h 00 min ago)" in closed.reason

    short = _window({"CPT_CUTOVER_START": "2025-03-01T07:00:00Z", "CPT_CUTOVER_HOURS": "24"})
    assert not short.is_open(datetime(2025, 3, 2, 7, tzinfo=UTC)).open

    assert _window({}) is None
    assert "set CPT_CUTOVER_START" in window_state(None, datetime.now(UTC)).reason
    with pytest.raises(ValueError, match="time zone"):
        _window({"CPT_CUTOVER_START": "2025-03-01T18:00:00"})
    with pytest.raises(ValueError, match="CPT_CUTOVER_HOURS=.two days. cannot be read: expected a number of hours"):
        _window({"CPT_CUTOVER_START": "2025-03-01T18:00:00Z", "CPT_CUTOVER_HOURS": "two days"})


def _touch(folder: Path, mtime: float) -> None:
    for root, dirs, files in os.walk(folder):
        for name in [*files, *dirs]:
            os.utime(Path(root) / name, (mtime, mtime))
    os.utime(folder, (mtime, mtime))


def _drop(export: Path, drop: Path, name: str, mtime: float) -> Path:
    target = shutil.copytree(export, drop / name)
    _touch(target, mtime)
    return target


def test_new_snapshots_are_complete_settled_and_newer_than_a_small_cursor(sample_export, tmp_path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    now = time.time()
    _drop(sample_export, drop, "2025-03-01T1800", now - 3600)
    _drop(sample_export, drop, "2025-03-02T0900", now - 1800)
    (drop / "notes-from-it").mkdir()  # not an export at all
    _touch(drop / "notes-from-it", now - 7200)

    first = find_new_snapshots(drop, None, now=now)
    assert [s.name for s in first.new] == ["2025-03-01T1800", "2025-03-02T0900"]
    assert first.new[0].wave == "delta-2025-03-01T1800"
    assert "incomplete" in first.waiting["notes-from-it"]
    assert len(first.cursor) < 80
    assert find_new_snapshots(drop, first.cursor, now=now).new == []

    # two snapshots being copied: one still lacks a file; neither is taken, the cursor stays
    copying = _drop(sample_export, drop, "2025-03-02T1200", now - 5)
    payments = find_export_file(copying, EXPORT_SPEC["payments"])
    payments.unlink()
    _touch(copying, now - 5)
    _drop(sample_export, drop, "2025-03-02T1300", now - 2)
    scan = find_new_snapshots(drop, first.cursor, now=now)
    assert scan.new == [] and scan.cursor == first.cursor
    assert "still being written" in scan.waiting["2025-03-02T1200"]
    assert "still being written" in scan.waiting["2025-03-02T1300"]

    # the copies finish and settle: both are taken in the order they were completed
    shutil.copy2(find_export_file(sample_export, EXPORT_SPEC["payments"]), payments)
    _touch(copying, now + 10)
    done = find_new_snapshots(drop, first.cursor, now=now + 120)
    assert [s.name for s in done.new] == ["2025-03-02T1300", "2025-03-02T1200"]
    assert find_new_snapshots(drop, done.cursor, now=now + 120).new == []


def test_records_gone_from_the_source_are_listed_per_object(sample_export, tmp_path, warehouse) -> None:
    later = shutil.copytree(sample_export, tmp_path / "snap-002")
    patients_file = find_export_file(later, EXPORT_SPEC["patients"])
    with patients_file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    at = next(i for i, row in enumerate(rows) if "patient_id" in row)  # after the report's banner rows
    head, body = rows[:at + 1], [r for r in rows[at + 1:] if r]
    dropped = sorted(r[rows[at].index("patient_id")] for r in body[-2:])
    with patients_file.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([*head, *body[:-2]])
    find_export_file(later, EXPORT_SPEC["workflows"]).unlink()

    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, sample_export, wave="full", snapshot_id="snap-001")
        if spec.name != "workflows":
            land_object(warehouse, spec, later, wave="delta-1", snapshot_id="snap-002")
    with warehouse.connect() as conn:
        gone = gone_from_source(conn, "full", "delta-1")
    assert gone == {"patients": dropped}


def test_a_delta_file_that_lost_a_fifth_of_its_rows_is_named_with_both_counts(tmp_path, warehouse) -> None:
    from core_practice_twenty.lifecycle.cutover import shrunk_files
    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.store.raw import land_object

    spec = EXPORT_SPEC["practices"]
    header = "practice_id,practice_name\n"
    for wave, rows in (("full", 10), ("delta-1", 9), ("delta-2", 7), ("delta-3", 0)):
        export = tmp_path / wave
        export.mkdir()
        (export / "practices.csv").write_text(header + "".join(f"PR{i},Smile {i}\n" for i in range(rows)))
        land_object(warehouse, spec, export, wave=wave, snapshot_id=wave)
    with warehouse.connect() as conn:
        assert shrunk_files(conn, "full", "delta-1") == []  # one practice closed: a real change
        (cut,) = shrunk_files(conn, "full", "delta-2")
        assert (cut.source_file, cut.rows_before, cut.rows_now) == ("practices.csv", 10, 7)
        assert cut.describe() == "practices.csv has 7 rows, the previous snapshot 10 (30% fewer)"
        (empty,) = shrunk_files(conn, "full", "delta-3")  # only its header left
        assert (empty.rows_before, empty.rows_now) == (10, 0)
