"""Workflows → nothing in Twenty: JSON reference files plus one readable summary for the admin.

Core Practice automations (recall reminders, appointment confirmations, fund expiry notices) cannot
be copied into Twenty's workflow engine mechanically: triggers and actions differ, and SMS is not
built in. The admin rebuilds them by hand, so what they need is an exact record of each definition
and a page that says what each one did and what it could become in Twenty. Only the workflow
definitions are written (names, triggers, steps, templates): never patient data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from core_practice_twenty.mapping.core import Row, natural_key
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.result import MappingResult
from core_practice_twenty.mapping.transforms import boolean, clean, local_iso_datetime

SOURCE = "workflows"
SUMMARY_NAME = "README.md"


class Cells:
    """One workflow row read through the map's exclusions: an excluded column reads as null."""

    def __init__(self, row: Row, options: MappingOptions) -> None:
        self.row = row
        self.options = options

    def __getitem__(self, column: str) -> str | None:
        return clean(self.row.get(column)) if self.options.includes(SOURCE, column) else None

    def local_time(self, column: str) -> str | None:
        """A date-time cell as local ISO time, for a reference people read."""
        return local_iso_datetime(self[column], self.options.region, **self.options.date_reading(column))

    @property
    def line(self) -> int | None:
        value = self.row.get("source_line")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None


TRIGGER_HINTS = {
    "recall_due": "Scheduled (daily) trigger → search people whose recallDueDate is the given number of days ahead",
    "appointment_in_hours": "Scheduled (hourly) trigger → search tasks whose dueAt falls in the window",
    "appointment_completed": "Record updated trigger on task when appointmentStatus becomes COMPLETED",
    "health_fund_renewal": "Scheduled (daily) trigger; Twenty holds no fund renewal date unless one is mapped",
    "birthday": "Scheduled (daily) trigger → search people whose dateOfBirth has today's day and month",
    "invoice_overdue": "Scheduled (daily) trigger → search invoices with invoiceStatus OVERDUE",
}
ACTION_HINTS = {
    "send_email": "Send Email action (needs a connected mailbox)",
    "send_sms": "not built into Twenty: HTTP Request action to the practice's SMS provider",
    "wait": "a delay between steps, or a second scheduled workflow",
    "task": "Create Record action (task), assigned to the named team",
}


def _safe_name(workflow_id: str) -> str:
    """A file name from an id that cannot leave the reports folder."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", workflow_id).strip("._") or "workflow"


def parse_trigger(text: str | None) -> dict:
    """`recall_due_in_days=14` → `{"recall_due_in_days": 14}`; a bare word is an event name."""
    if not text:
        return {}
    parsed: dict = {}
    for part in re.split(r"[;,&]", text):
        name, sep, value = part.strip().partition("=")
        if not name:
            continue
        if not sep:
            parsed["event"] = name
            continue
        parsed[name] = int(value) if value.strip().lstrip("-").isdigit() else value.strip()
    return parsed


def parse_steps(text: str | None) -> tuple[list | dict | None, bool]:
    """The steps cell (JSON) → (steps, readable)."""
    if not text:
        return None, True
    try:
        return json.loads(text), True
    except ValueError:
        return None, False


def _trigger_hint(trigger: dict) -> str | None:
    keys = " ".join([*trigger, str(trigger.get("event", ""))])
    for prefix, hint in TRIGGER_HINTS.items():
        if prefix in keys:
            return hint
    return None


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _step_text(step: object) -> str:
    if not isinstance(step, dict):
        return str(step)
    action = str(step.get("action", "step"))
    details = ", ".join(f"{k} {v}" for k, v in step.items() if k != "action")
    return f"{action.replace('_', ' ')}" + (f" ({details})" if details else "")


def workflow_reference(row: Row, options: MappingOptions | None = None) -> dict:
    """One workflow's reference document: the definition as exported, parsed where possible, and rebuild hints."""
    options = options or MappingOptions()
    cells = Cells(row, options)
    trigger = parse_trigger(cells["trigger"])
    steps, readable = parse_steps(cells["steps"])
    actions = [s.get("action") for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []
    return {
        "workflowId": str(row["workflow_id"]),
        "name": cells["name"],
        "kind": cells["kind"],
        "active": boolean(cells["active"]),
        "trigger": {"raw": cells["trigger"], "parsed": trigger},
        "steps": steps if readable else {"raw": cells["steps"], "unreadable": True},
        "createdAt": cells.local_time("created_at"),
        "updatedAt": cells.local_time("updated_at"),
        "source": {"file": row.get("source_file"), "line": cells.line},
        "rebuildInTwenty": {
            "trigger": _trigger_hint(trigger),
            "actions": {str(a): ACTION_HINTS.get(str(a)) for a in actions if a},
        },
    }


def render_summary(references: Sequence[dict]) -> str:
    """The admin's page: what each automation did and what to build in Twenty (Markdown)."""
    active = sum(1 for r in references if r["active"])
    lines = [
        "# Core Practice automations to rebuild in Twenty",
        "",
        f"{len(references)} automation(s) in the export, {active} active. They were not migrated: Twenty",
        "workflows are built by hand. Each one has an exact JSON copy of its definition next to this file.",
        "Twenty's triggers and actions differ by version; the hints below are starting points to check.",
        "",
        "| id | name | kind | active | trigger | steps |",
        "|---|---|---|---|---|---|",
    ]
    for ref in references:
        steps = ref["steps"]
        count = len(steps) if isinstance(steps, list) else "unreadable" if isinstance(steps, dict) else 0
        active_text = {True: "yes", False: "no"}.get(ref["active"], "?")
        lines.append(f"| {_cell(ref['workflowId'])} | {_cell(ref['name'])} | {_cell(ref['kind'])} | {active_text} | "
                     f"`{_cell(ref['trigger']['raw'])}` | {count} |")
    for ref in references:
        lines += ["", f"## {ref['name'] or ref['workflowId']} ({ref['workflowId']})", ""]
        status = {True: "active", False: "inactive"}.get(ref["active"], "activity unknown")
        lines.append(f"- Kind: {ref['kind'] or 'not given'}; {status}.")
        lines.append(f"- Trigger: `{ref['trigger']['raw'] or 'none'}`")
        hint = ref["rebuildInTwenty"]["trigger"]
        if hint:
            lines.append(f"  - In Twenty: {hint}.")
        steps = ref["steps"]
        if isinstance(steps, list) and steps:
            lines.append("- Steps:")
            for number, step in enumerate(steps, start=1):
                lines.append(f"  {number}. {_step_text(step)}")
                action = step.get("action") if isinstance(step, dict) else None
                if action in ACTION_HINTS:
                    lines.append(f"     - In Twenty: {ACTION_HINTS[action]}.")
        elif isinstance(steps, dict):
            lines.append("- Steps: the export's definition is not valid JSON; see the raw text in the JSON file.")
        else:
            lines.append("- Steps: none in the export.")
        lines.append(f"- Reference file: `{_safe_name(ref['workflowId'])}.json`")
    return "\n".join(lines) + "\n"


def write_workflow_references(rows: Sequence[Row], reports_dir: Path,
                              options: MappingOptions | None = None) -> MappingResult:
    """Write `<workflow id>.json` per workflow and `README.md` under `reports_dir` (e.g. data/reports/workflows/).

    Rewritten whole each run: reference files of workflows no longer in the export are removed, so
    the folder always describes this export. Every row is counted `excluded` (nothing goes to
    Twenty); the files written are listed in `decisions`.
    """
    options = options or MappingOptions()
    result = MappingResult(target="", source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    references = [workflow_reference(row, options) for row in sorted(rows, key=lambda r: natural_key(
        str(r["workflow_id"])))]
    written = set()
    for ref in references:
        name = f"{_safe_name(ref['workflowId'])}.json"
        (reports_dir / name).write_text(json.dumps(ref, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.add(name)
        result.decisions.append({"kind": "workflow_reference", "workflow_id": ref["workflowId"], "file": name})
    for stale in reports_dir.glob("*.json"):
        if stale.name not in written:
            stale.unlink()
    (reports_dir / SUMMARY_NAME).write_text(render_summary(references), encoding="utf-8")
    result.count(f"{SOURCE}.excluded", len(rows))
    return result
