"""Landing into a real DuckDB file: both readers give the same rows, lines and hashes; re-landing replaces."""

from pathlib import Path

from core_practice_twenty.source.export_spec import PRACTICES, PROVIDERS
from core_practice_twenty.source.readers import clean_cell
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


def land_both_ways(tmp_path: Path, warehouse, name: str, content: str) -> tuple[list[dict], list[dict]]:
    """The same content through DuckDB (UTF-8) and through Python (Windows-1252 makes DuckDB step aside)."""
    fast, fast_rows = land(tmp_path, warehouse, f"{name}-fast", content.encode("utf-8"), wave=f"{name}-a")
    slow, slow_rows = land(tmp_path, warehouse, f"{name}-slow", content.encode("cp1252"), wave=f"{name}-b")
    assert (fast.path, slow.path) == ("duckdb", "python")
    for row in fast_rows + slow_rows:
        row["extra"] = row["extra"].replace(" ", "") if row["extra"] else None
    return fast_rows, slow_rows


def test_multiline_cells_stay_in_duckdb_with_exact_lines(tmp_path: Path, warehouse) -> None:
    content = (CONTENT.replace("Bright, Dental", "Bright\r\nDental") + "PR4,\"Last\n\nOne\",Town,2000,\r\n"
               + "PR5,\"Tab\t\",Town,2000,\r\n")
    fast_rows, slow_rows = land_both_ways(tmp_path, warehouse, "multi", content)
    assert fast_rows == slow_rows
    assert [r["source_line"] for r in fast_rows] == [3, 4, 5, 7, 10]
    assert fast_rows[4]["practice_name"] == "Tab"  # trimmed like Python's str.strip(), tabs included


def test_full_name_columns_are_split_in_duckdb_as_in_python(tmp_path: Path, warehouse) -> None:
    content = ("Provider ID,Practice ID,Provider Name,Provider Type\r\n"
               "PV1,P,\"Smith, John\",Dentist\r\nPV2,P,Renée,Dentist\r\nPV3,P,\"Lee, \",Dentist\r\n"
               "PV4,P,\" , Ann, Marie\",Dentist\r\nPV5,P,n/a,Dentist\r\n")
    rows = {}
    for path, data, wave in (("duckdb", content.encode("utf-8"), "a"), ("python", content.encode("cp1252"), "b")):
        export = tmp_path / wave
        export.mkdir()
        (export / "providers.csv").write_bytes(data)
        assert land_object(warehouse, PROVIDERS, export, wave=wave, snapshot_id=wave).path == path
        rows[path] = [{k: r[k] for k in ("source_line", "row_hash", "last_name", "first_name")}
                      for r in read_raw(warehouse, PROVIDERS, wave).to_dict("records")]
    assert rows["duckdb"] == rows["python"]
    assert [(r["last_name"], r["first_name"]) for r in rows["duckdb"]] == [
        ("Smith", "John"), ("Renée", None), ("Lee", None), (None, "Ann, Marie"), (None, None)]


def test_blank_lines_fall_back_to_exact_python_lines(tmp_path: Path, warehouse) -> None:
    blank = CONTENT + "\r\nPR4,Late,Town,2000,\r\n"
    stats, rows = land(tmp_path, warehouse, "blank", blank.encode("utf-8"), wave="blank")
    assert stats.path == "python" and [r["source_line"] for r in rows] == [3, 4, 5, 7]


def test_a_bare_carriage_return_in_a_cell_counts_as_a_line_on_both_paths(tmp_path: Path, warehouse) -> None:
    content = CONTENT.replace("Bright, Dental", "Bright\rDental") + "PR4,Late,Town,2000,\r\n"
    fast_rows, slow_rows = land_both_ways(tmp_path, warehouse, "bare", content)
    assert fast_rows == slow_rows
    assert [r["source_line"] for r in fast_rows] == [3, 4, 5, 7]


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


def test_duckdb_cleans_cells_as_python_does(tmp_path: Path, warehouse) -> None:
    """Every whitespace Python's str.strip() removes, at either end, and the null spellings, on both paths."""
    cells = ["\t x \t", "\u00a0Café\u3000", "\x0bn/a\x0c", " - ", "N/A", "a\u2003b", "\u2028", "--", "é", "x\x1f"]
    body = "".join(f"P{n},\"{cell}\",Town,2000,\r\n" for n, cell in enumerate(cells))
    content = "Practice ID,Practice Name,City,Postcode,Note\r\n" + body
    stats, fast = land(tmp_path, warehouse, "clean", content.encode("utf-8"), wave="clean")
    assert stats.path == "duckdb"
    names = [r["practice_name"] for r in fast]
    assert names == ["x", "Café", None, None, None, "a\u2003b", None, "--", "é", "x"]
    assert names == [clean_cell(cell) for cell in cells]
