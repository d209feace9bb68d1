"""Staging references, and the automations written as reference files (the one object Python maps itself)."""

import json
from pathlib import Path

from core_practice_twenty.mapping.workflows import write_workflow_references
from core_practice_twenty.model.staged import make_staged_record, payload_refs, ref, resolve_refs, twenty_fields


def test_refs_become_dependencies_and_resolve_at_load_time() -> None:
    record = make_staged_record(source_key="AP1|person", payload={
        "taskId": ref("tasks", "AP1"), "targetPersonId": ref("people", "PT1"), "$file": {"path": "x"}},
        depends_on=("companies:PR1",))
    assert record.depends_on == ("companies:PR1", "tasks:AP1", "people:PT1")
    assert list(payload_refs(record.payload)) == [("taskId", "tasks", "AP1"), ("targetPersonId", "people", "PT1")]
    ids = {("tasks", "AP1"): "uuid-task"}
    resolved, missing = resolve_refs(record.payload, lambda obj, key: ids.get((obj, key)))
    assert resolved["taskId"] == "uuid-task" and resolved["targetPersonId"] is None
    assert missing == [("targetPersonId", "people", "PT1")]
    assert twenty_fields(resolved) == {"taskId": "uuid-task", "targetPersonId": None}


def test_workflows_are_written_as_reference_files_and_a_summary(tmp_path: Path) -> None:
    rows = [
        {"workflow_id": "WF001", "name": "Recall reminder", "kind": "Recall", "trigger": "recall_due_in_days=14",
         "steps": '[{"action":"send_sms","template":"recall_due"}]', "active": "TRUE", "source_line": 2,
         "source_file": "workflows.csv"},
        {"workflow_id": "../WF|2", "name": "Odd | one", "kind": None, "trigger": None, "steps": "{not json",
         "active": "FALSE", "source_line": 3},
    ]
    reports = tmp_path / "reports" / "workflows"
    reports.mkdir(parents=True)
    (reports / "WF999.json").write_text("{}")  # from an earlier export
    result = write_workflow_references(rows, reports)
    assert sorted(p.name for p in reports.iterdir()) == ["README.md", "WF001.json", "WF_2.json"]
    recall = json.loads((reports / "WF001.json").read_text())
    assert recall["trigger"] == {"raw": "recall_due_in_days=14", "parsed": {"recall_due_in_days": 14}}
    assert recall["steps"] == [{"action": "send_sms", "template": "recall_due"}]
    assert recall["active"] is True and "SMS provider" in recall["rebuildInTwenty"]["actions"]["send_sms"]
    odd = json.loads((reports / "WF_2.json").read_text())
    assert odd["steps"] == {"raw": "{not json", "unreadable": True}
    summary = (reports / "README.md").read_text()
    assert "2 automation(s) in the export, 1 active" in summary and "Odd \\| one" in summary
    assert result.counts == {"workflows.rows": 2, "workflows.excluded": 2} and result.unbalanced() == {}
