"""The likely-duplicates review sheet: each pair no one has decided on, side by side, and the commands that decide.

The one place the pairs' values appear (names, birth dates, contacts): a report file a person opens, never a log
or Dagster's metadata. Decisions are kept by source key, so they hold for later exports and delta waves too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from core_practice_twenty.store.duplicates import PendingPair, patient_cells, pending_pairs

SHOWN = ("first_name", "last_name", "date_of_birth", "email", "mobile_phone", "first_address", "patient_postal_code",
         "medicare_no", "practice_id", "created_at")
"""The cells shown for each patient of a pair (whatever the export has of them)."""


def report_path(reports: Path, wave: str) -> Path:
    return reports / f"likely-duplicates-{wave}.md"


def write_duplicate_review(conn: duckdb.DuckDBPyConnection, wave: str, reports: Path) -> tuple[Path, int]:
    """Write the wave's review sheet; return its path and how many pairs wait for a decision."""
    pairs = pending_pairs(conn, wave)
    cells = patient_cells(conn, wave, sorted({k for p in pairs for k in (p.patient_id, p.other_id)}),
                          ["patient_id", "source_line", *SHOWN])
    lines = [f"# Likely duplicate patients — wave {wave}", "",
             "Record linkage compared every patient with those sharing a birth date, a name, an email, a mobile or a "
             "Medicare number (names folded for accents, typos and swapped first/last names; birth dates as read, "
             "not as typed). A pair is listed when its match weight is at least 6 (odds of 64 to 1 that it is one "
             "person). Nothing is merged until a person decides: until then both are loaded, each flagged "
             "`possible_duplicate_of` the other in Twenty's review reason.", "",
             "Decide each pair (a decision holds for every later export and delta wave):", "",
             "- the same person: `cpt duplicates decide --keep KEPT --merge OTHER --by YOUR_NAME` — OTHER is not "
             "created; its appointments, notes, plans, invoices and documents go to KEPT;",
             "- not the same person: `cpt duplicates decide --distinct P1 P2 --by YOUR_NAME`.", "",
             "Then run the wave again (`cpt migrate`): the map reads the decisions.", ""]
    if not pairs:
        lines.append("No pair waits for a decision.")
    for n, pair in enumerate(pairs, 1):
        lines += _pair(n, pair, cells)
    path = report_path(reports, wave)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(pairs)


def _pair(n: int, pair: PendingPair, cells: dict[str, dict[str, str | None]]) -> list[str]:
    left, right = cells.get(pair.patient_id, {}), cells.get(pair.other_id, {})
    rows = [f"| {column} | {_cell(left.get(column))} | {_cell(right.get(column))} |" for column in SHOWN
            if left.get(column) or right.get(column)]
    return [f"## {n}. {pair.patient_id} and {pair.other_id} — match weight {pair.match_weight:.1f}", "",
            f"| | {pair.patient_id} (line {left.get('source_line')}) | {pair.other_id} (line "
            f"{right.get('source_line')}) |", "|---|---|---|", *rows, "",
            f"`cpt duplicates decide --keep {pair.patient_id} --merge {pair.other_id} --by YOUR_NAME` · "
            f"`cpt duplicates decide --distinct {pair.patient_id} {pair.other_id} --by YOUR_NAME`", ""]


def _cell(value: str | None) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
