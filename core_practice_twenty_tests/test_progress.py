"""A long step tells how far it is: at least every few seconds, the first and the last piece, with rate and ETA."""

from __future__ import annotations

from core_practice_twenty.model.progress import Progress


def test_progress_lines_come_at_most_once_per_interval_and_always_at_the_start_and_the_end() -> None:
    now = [0.0]
    lines: list[str] = []
    progress = Progress("attachments", 100, lines.append, unit="files", every_s=5.0, clock=lambda: now[0])
    for _ in range(100):  # one file every 0.2 s: 20 s in all
        now[0] += 0.2
        progress.advance(1)
    assert len(lines) == 5  # the first, one at each 5 s, and the last
    assert lines[0].startswith("attachments: 1/100 files") and lines[-1].startswith("attachments: 100/100 files")
    assert "300 files/min" in lines[-1] and lines[-1].endswith("ETA 0s")
    assert "ETA 15s" in lines[1]  # 25 done at 5 s: 75 to go at 5 per second


def test_landing_a_large_file_tells_how_far_duckdb_is_and_a_workbook_how_many_rows(tmp_path, monkeypatch) -> None:
    """One DuckDB statement lands a CSV: its own estimate is told while it runs; a workbook, row by row, its count."""
    import csv

    from core_practice_twenty.source.export_spec import EXPORT_SPEC
    from core_practice_twenty.store import raw, warehouse
    from core_practice_twenty.store.warehouse import Warehouse

    monkeypatch.setattr(warehouse, "EVERY_S", 0.05)
    monkeypatch.setattr(raw, "CHUNK_ROWS", 1_000)
    spec = EXPORT_SPEC["appointments"]
    export = tmp_path / "export"
    export.mkdir()
    with (export / "appointments.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("Core Practice - Appointments Report\r\n")
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(spec.column_names)
        for i in range(250_000):  # a practice's book of years, as the CSV its PC saved
            writer.writerow([f"AP{i}" if c == "appointment_id" else f"{c} {i % 97}" for c in spec.column_names])
    lines: list[str] = []
    stats = raw.land_object(Warehouse(tmp_path / "w.duckdb"), spec, export, wave="full", snapshot_id="s",
                            log=lines.append)
    assert stats.rows_read == 250_000 and stats.path == "duckdb"
    told = [line for line in lines if line.startswith("landing appointments.csv")]
    assert len(told) >= 2, lines  # told while the statement ran, not only once it ended
    assert all("/100 %" in line and "ETA" in line for line in told)
    assert not any("AP1" in line for line in lines)  # counts only, never a cell

    # the same book saved as Windows-1252 (a `é` in it): only the Python reader knows its lines, chunk by chunk
    text = (export / "appointments.csv").read_text(encoding="utf-8").replace("status 5", "statué 5")
    (export / "appointments.csv").write_bytes(text[:2_000_000].rsplit("\r\n", 1)[0].encode("cp1252") + b"\r\n")
    lines.clear()
    stats = raw.land_object(Warehouse(tmp_path / "w.duckdb"), spec, export, wave="full", snapshot_id="s",
                            log=lines.append)
    assert stats.path == "python" and stats.rows_read > 5_000
    assert lines[0].startswith("landing appointments.csv: 1,000 rows") and "rows/min" in lines[0]


def test_a_long_piece_of_work_in_flight_is_told_every_interval() -> None:
    """One statement of a compiled plan runs ~15 s at a group's size with nothing newly done: `tick` still says so."""
    now = [0.0]
    lines: list[str] = []
    progress = Progress("mapping people", 2, lines.append, unit="statements", every_s=5.0, clock=lambda: now[0])
    for _ in range(30):  # 15 s of one statement, ticked every 0.5 s
        now[0] += 0.5
        progress.tick("working")
    progress.advance(1)
    assert len(lines) == 3  # at 0.5 s, 5.5 s and 10.5 s; the advance at 15 s came too soon after to be told
    assert lines[0] == "mapping people: 0/2 statements, working, 0 statements/min, ETA 0s"


def test_a_quick_part_of_a_step_says_nothing_and_a_slow_one_is_told() -> None:
    """A small wave's plans each take a fraction of a second: no line per part; a group's take minutes: told."""
    now = [0.0]
    lines: list[str] = []
    quick = Progress("mapping practices", 2, lines.append, unit="statements", clock=lambda: now[0], quiet_if_quick=True)
    now[0] += 0.1
    quick.advance(1)
    quick.tick("working")
    quick.advance(1)
    assert lines == []
    slow = Progress("mapping patients", 1, lines.append, unit="statements", clock=lambda: now[0], quiet_if_quick=True)
    now[0] += 6.0
    slow.tick("working")
    slow.advance(1)
    assert len(lines) == 2 and lines[-1].startswith("mapping patients: 1/1 statements")
