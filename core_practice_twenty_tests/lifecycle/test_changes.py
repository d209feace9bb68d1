"""The change guard: a wave that would rewrite who patients are stops for a person, and only the changes
the person saw are approved. Records are loaded into the local Twenty the way the pipeline loads them."""

from __future__ import annotations

from lifecycle_waves import load_wave, patient, practice

from core_practice_twenty.lifecycle.changes import (
    approve_changes,
    change_gate,
    looks_garbled,
    plan_changes,
    write_change_report,
)
from core_practice_twenty.mapping.target_model import SCHEMA_OBJECTS
from core_practice_twenty.store.staging import write_staged
from core_practice_twenty.twenty.metadata import sync_schema

NAMES = ["José", "Zoë", "Ana", "Mārama", "Bob", "Lee", "Kim", "Noa", "Eve", "Max"]


def _people(names: list[str], mobile: str = "491570156") -> list:
    return [patient(f"PT{i}", "PR1", f"p{i}@example.com", last=name,
                    phones={"primaryPhoneNumber": mobile if i else "491570156", "primaryPhoneCountryCode": "AU",
                            "primaryPhoneCallingCode": "+61", "additionalPhones": None})
            for i, name in enumerate(names)]


def _full_wave(twenty_sandbox, warehouse) -> None:
    with twenty_sandbox.client() as client:
        sync_schema(client, SCHEMA_OBJECTS)
        load_wave(client, warehouse, "full", {"companies": [practice("PR1")], "people": _people(NAMES)})


def test_a_delta_that_garbles_accents_stops_even_when_few_records_change(twenty_sandbox, warehouse, tmp_path) -> None:
    _full_wave(twenty_sandbox, warehouse)
    garbled = [n.encode("utf-8").decode("cp1252", errors="replace") if not n.isascii() else n for n in NAMES]
    write_staged(warehouse, "people", "delta-1", _people(garbled))
    plan = plan_changes(warehouse, "delta-1")
    assert plan.existing["people"] == 10 and plan.changed["people"] == 3 and plan.garbled == 3
    reason = change_gate(warehouse, plan, max_rate=0.5)  # 30 % is under this limit: garbling alone stops it
    assert reason and "decoded with the wrong encoding" in reason and "approve-changes" in reason
    assert "José" not in reason and "Ã" not in reason  # counts in the message, values only in the report
    _, report = write_change_report(plan, tmp_path / "reports")
    text = report.read_text(encoding="utf-8")
    assert "| people | PT0 |" in text and "José" in text and "JosÃ©" in text


def test_many_changed_phones_stop_until_approved_and_the_approval_covers_only_what_was_seen(
        twenty_sandbox, warehouse) -> None:
    _full_wave(twenty_sandbox, warehouse)
    write_staged(warehouse, "people", "delta-1", _people(NAMES, mobile="412345678"))  # 9 of 10 change
    plan = plan_changes(warehouse, "delta-1")
    assert plan.changed["people"] == 9 and plan.garbled == 0
    assert "9 of 10 people" in change_gate(warehouse, plan, max_rate=0.05)
    approve_changes(warehouse, "delta-1", "Dr Lee")
    assert change_gate(warehouse, plan_changes(warehouse, "delta-1"), max_rate=0.05) is None
    write_staged(warehouse, "people", "delta-1", _people(NAMES, mobile="413000111"))  # other changes now
    assert change_gate(warehouse, plan_changes(warehouse, "delta-1"), max_rate=0.05) is not None


def test_a_wave_that_changes_nothing_or_little_passes(twenty_sandbox, warehouse) -> None:
    _full_wave(twenty_sandbox, warehouse)
    write_staged(warehouse, "people", "delta-1", _people(NAMES))
    assert plan_changes(warehouse, "delta-1").changes == []
    one_moved = _people(NAMES)
    one_moved[4] = patient("PT4", "PR1", "new-address@example.com", last="Bob")
    write_staged(warehouse, "people", "delta-1", one_moved)
    plan = plan_changes(warehouse, "delta-1")
    assert plan.changed["people"] == 1 and change_gate(warehouse, plan, max_rate=0.2) is None


def test_garbled_means_mis_decoded_not_merely_different() -> None:
    assert looks_garbled("José", "JosÃ©") and looks_garbled("Zoë", "Zo\ufffd")
    assert not looks_garbled("José", "Jose") and not looks_garbled("Ann", "Anne") and not looks_garbled(None, "x")
