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
