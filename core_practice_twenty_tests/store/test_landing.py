"""Landing into a real DuckDB file: both readers give the same rows, lines and hashes; re-landing replaces."""

from pathlib import Path

from core_practice_twenty.source.export_spec import PRACTICES
from core_practice_twenty.store.raw import land_object, read_raw

CONTENT = ("Core Practice - Practice Locations Report\r\n"
           "Practice ID,Practice Name,City,Postcode,Referral Partner\r\n"
           "PR1,Café Smile, Fitzroy ,3065,Dr A\r\n"
           "PR2,n/a,-,0800,\r\n"
           "PR3,\"Bright, Dental\",Geelong,3220,x\r\n")


def land(tmp_path: Path, warehouse, name: str, data: bytes, wave: str = "w"):
    export = tmp_path / name
    export.mkdir()
    (export / "practices.csv").write_bytes(data)
    stats = land_object(warehouse, PRACTICES, export, wave=wave, snapshot_id=name)
    columns = ["source_line", "row_hash", "practice_id", "practice_name", "city", "postcode", "extra"]
    return stats, [{k: r[k] for k in columns} for r in read_raw(warehouse, PRACTICES, wave).to_dict("records")]


def test_duckdb_and_python_readers_agree(tmp_path: Path, warehouse) -> None:
    fast, fast_rows = land(tmp_path, warehouse, "fast", CONTENT.encode("utf-8"), wave="a")
    slow, slow_rows = land(tmp_path, warehouse, "slow", CONTENT.encode("cp1252"), wave="b")
    assert (fast.path, slow.path) == ("duckdb", "python")
    for row in fast_rows + slow_rows:  # JSON spacing differs between the writers, not the content
        row["extra"] = row["extra"].replace(" ", "") if row["extra"] else None
    assert fast_rows == slow_rows
    assert [r["source_line"] for r in fast_rows] == [3, 4, 5]
    assert fast_rows[1]["practice_name"] is None and fast_rows[1]["city"] is None
    assert fast_rows[1]["postcode"] == "0800"
    assert fast_rows[0]["city"] == "Fitzroy"
    assert fast.rows_read == slow.rows_read == 3
    assert fast.null_counts["practice_name"] == 1


def test_multiline_cells_take_the_python_path_with_exact_lines(tmp_path: Path, warehouse) -> None:
    data = CONTENT.replace("Bright, Dental", "Bright\r\nDental").encode("utf-8") + b"PR4,Last,Town,2000,\r\n"
    stats, rows = land(tmp_path, warehouse, "multi", data)
    assert stats.path == "python"
    assert [r["source_line"] for r in rows] == [3, 4, 5, 7]


def test_relanding_a_wave_replaces_only_that_wave(tmp_path: Path, warehouse) -> None:
    land(tmp_path, warehouse, "one", CONTENT.encode(), wave="full")
    land(tmp_path, warehouse, "two", CONTENT.encode(), wave="delta-1")
    export = tmp_path / "one"
    (export / "practices.csv").write_bytes(CONTENT.encode() + b"PR9,New,Town,2000,\r\n")
    land_object(warehouse, PRACTICES, export, wave="full", snapshot_id="one")
    assert len(read_raw(warehouse, PRACTICES, "full")) == 4
    assert len(read_raw(warehouse, PRACTICES, "delta-1")) == 3


def test_ambiguous_dates_are_counted_for_the_metadata(tmp_path: Path, warehouse) -> None:
    data = b"practice_id,practice_name,created_at\r\nP1,A,03/04/2025\r\nP2,B,24/11/2026\r\nP3,C,05/05/2020\r\n"
    stats, _rows = land(tmp_path, warehouse, "dates", data)
    assert stats.ambiguous_dates == {"created_at": 1}  # 24/11 is unambiguous; 05/05 reads the same either way


def test_a_header_wider_than_its_rows_falls_back_cleanly(tmp_path: Path, warehouse) -> None:
    data = CONTENT.replace("Referral Partner", "Referral Partner,Loyalty Tier").encode("utf-8")
    stats, rows = land(tmp_path, warehouse, "wide", data)
    assert stats.path == "python" and len(rows) == 3  # DuckDB refused the ragged file; nothing was lost
