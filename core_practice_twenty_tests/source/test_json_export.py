"""Core Practice writes its workflow definitions as JSON: a workflows.json in the export folder lands like the
CSV would, nested steps as one JSON cell, each record on the line it starts; a cut-off download is refused by
name and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core_practice_twenty.mapping.field_map import confirm, header_overrides
from core_practice_twenty.mapping.proposer import propose
from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.folder import export_folder_problems
from core_practice_twenty.source.generator import generate_export
from core_practice_twenty.source.readers import ExportStructureError, open_export_file
from core_practice_twenty.store.raw import land_object

WORKFLOWS_JSON = """[
  {
    "Workflow ID": "WF1",
    "Name": "Six-monthly recall",
    "Type": "recall",
    "Trigger": "recall_due",
    "Steps": [{"after_days": -14, "send": "sms"}, {"after_days": 0, "send": "email"}],
    "Enabled": true,
    "Created": "2024-02-01 09:00"
  },
  {"Workflow ID": "WF2", "Name": "Appointment reminder", "Type": "reminder", "Trigger": "appointment",
   "Steps": [{"after_days": -1, "send": "sms"}], "Enabled": false, "Created": "2024-02-01 09:05"}
]
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = generate_export(tmp_path / "export", practices=2, patients=20, seed=3, dirt="none")
    (folder / "workflows.csv").unlink()
    (folder / "workflows.json").write_text(WORKFLOWS_JSON, encoding="utf-8")
    return folder


def test_a_json_workflows_file_lands_like_the_csv(export: Path, warehouse) -> None:
    assert export_folder_problems(export, check_headers=True) == []
    field_map = propose(export)
    confirm(field_map, export, "Dr Test", accept_all=True)  # nothing a person must decide: known spellings
    rows = list(open_export_file(export / "workflows.json", EXPORT_SPEC["workflows"]).rows())
    assert [(r.source_line, r.values["workflow_id"], r.values["active"]) for r in rows] == [(2, "WF1", "TRUE"),
                                                                                     (11, "WF2", "FALSE")]
    assert json.loads(rows[0].values["steps"]) == [{"after_days": -14, "send": "sms"},
                                                   {"after_days": 0, "send": "email"}]
    stats = land_object(warehouse, EXPORT_SPEC["workflows"], export, wave="w", snapshot_id="s",
                        header_overrides=header_overrides(field_map).get("workflows"))
    assert stats.rows_read == 2 and stats.path == "python"
    with warehouse.connect() as conn:
        landed = conn.execute("select workflow_id, name, source_line from raw_workflows where wave = 'w' "
                              "order by source_line").fetchall()
    assert landed == [("WF1", "Six-monthly recall", 2), ("WF2", "Appointment reminder", 11)]


def test_minified_json_numbers_records_by_position(export: Path) -> None:
    # as json.dumps writes it: one line, no line break at the end, which for a CSV would mean a cut-off file
    (export / "workflows.json").write_text(json.dumps({"workflows": json.loads(WORKFLOWS_JSON)}), encoding="utf-8")
    assert export_folder_problems(export, check_headers=True) == []
    rows = list(open_export_file(export / "workflows.json", EXPORT_SPEC["workflows"]).rows())
    assert [(r.source_line, r.values["workflow_id"]) for r in rows] == [(1, "WF1"), (2, "WF2")]


def test_a_cut_off_json_download_is_refused_by_name(export: Path) -> None:
    for cut in (WORKFLOWS_JSON[:300], WORKFLOWS_JSON[:300] + "\n", WORKFLOWS_JSON[:150]):  # mid-string, mid-object
        (export / "workflows.json").write_text(cut, encoding="utf-8")
        problems = export_folder_problems(export, check_headers=True)
        assert any(p.startswith("workflows.json, line ") and "looks cut off (it ends before the JSON document does)"
                   in p and "line break" not in p for p in problems), problems
    broken = WORKFLOWS_JSON.replace('"Type": "recall",', '"Type": "recall",,')  # damaged, not cut off
    (export / "workflows.json").write_text(broken, encoding="utf-8")
    with pytest.raises(ExportStructureError, match=r"workflows\.json, line 5: not a readable JSON export"):
        list(open_export_file(export / "workflows.json", EXPORT_SPEC["workflows"]).rows())
