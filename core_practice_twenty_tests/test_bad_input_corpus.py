"""A corpus of broken export files as practices produce them: each is named with its file and line and what
to do, before a run starts (exit 2), or lands with every row accounted for. Twenty is never touched.

Made by hand from a generated export: a workbook that is really a web page (some systems save HTML with an
.xlsx name), NUL bytes from a damaged copy, two exports joined into one file (a byte-order mark mid-file),
a header naming one column twice, a file with only its header, and a row with cells beyond the header.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from core_practice_twenty.cli import main
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import object_counts, replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.run import row_issues_of


def _xlsx_that_is_html(export: Path) -> tuple[str, str]:
    (export / "practices.csv").unlink()
    (export / "practices.xlsx").write_text("<html><body><table><tr><td>Practice ID</td></tr></table></body></html>")
    return "practices.xlsx", "not a readable XLSX workbook"


def _nul_bytes(export: Path) -> tuple[str, str]:
    path = export / "invoices.csv"
    lines = path.read_bytes().split(b"\n")
    lines[5] = lines[5][:10] + b"\x00\x00\x00" + lines[5][10:]
    path.write_bytes(b"\n".join(lines))
    return "invoices.csv", "line 6: NUL bytes"


def _two_files_joined(export: Path) -> tuple[str, str]:
    path = export / "providers.csv"
    data = path.read_bytes()
    lines = data.count(b"\n")
    path.write_bytes(data + data)  # the second copy starts with its own byte-order mark
    return "providers.csv", f"line {lines + 1}: a byte-order mark inside the file"


def _duplicate_header(export: Path) -> tuple[str, str]:
    path = export / "patients.csv"
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    lines[1] = lines[1].replace("home_phone", "mobile_phone", 1)  # two columns headed Mobile
    path.write_text("\n".join(lines), encoding="utf-8")
    return "patients.csv", "both mean 'mobile_phone'"


@pytest.mark.parametrize("damage", [_xlsx_that_is_html, _nul_bytes, _two_files_joined, _duplicate_header])
def test_a_damaged_file_is_refused_before_any_run(pipeline_env, sample_export, confirm_map, capsys, damage) -> None:
    confirm_map(sample_export)
    file_name, message = damage(sample_export)
    assert main(["migrate", "--export", str(sample_export), "--wave", "full"]) == 2
    err = capsys.readouterr().err
    assert file_name in err and message in err, err
    assert "run again" in err and "Traceback" not in err
    with pipeline_env.client() as client:
        assert client.count("people") == 0 and client.count("companies") == 0


def _land_and_validate(export: Path, warehouse, name: str) -> tuple[dict, list]:
    spec = EXPORT_SPEC[name]
    land_object(warehouse, spec, export, wave="w", snapshot_id="s")
    ctx = ValidationContext.for_export(export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        issues = list(row_issues_of(conn, spec, "w", ctx))
        replace_issues(conn, "w", "row", issues, {name: spec})
        return object_counts(conn, spec, "w"), issues


def test_a_file_with_only_its_header_lands_empty(sample_export, warehouse) -> None:
    path = sample_export / "insurance_claims.csv"
    path.write_text("\n".join(path.read_text(encoding="utf-8-sig").split("\n")[:2]) + "\n", encoding="utf-8")
    counts, issues = _land_and_validate(sample_export, warehouse, "insurance_claims")
    assert (counts["read"], counts["accepted"], counts["rejected"], issues) == (0, 0, 0, [])


def test_a_ragged_row_keeps_its_extra_cells_and_is_flagged_on_its_line(sample_export, warehouse) -> None:
    path = sample_export / "appointments.csv"
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    lines[4] += ",stray,cells"
    path.write_text("\n".join(lines), encoding="utf-8")
    counts, issues = _land_and_validate(sample_export, warehouse, "appointments")
    assert counts["read"] == counts["accepted"] + counts["rejected"]
    assert [(i.rule, i.source_line) for i in issues if i.rule == "ragged_row"] == [("ragged_row", 5)]
