"""Likely duplicate patients by record linkage, on patients typed the way a front desk types them twice.

Hand-made, not generated: the generator's duplicates are exact copies, which equal strings would find too.
"""

from pathlib import Path

import pytest

from core_practice_twenty.store.duplicates import DISTINCT, MERGE, pending_pairs, record_decision
from core_practice_twenty.validation.duplicate_review import report_path, write_duplicate_review
from core_practice_twenty_tests.mapping.hand_made import FIRST_LINE, stage_hand_made

PRACTICE = {"practice_id": "PR1", "practice_name": "Harbour Dental", "state": "NSW", "postcode": "2000",
            "timezone": "Australia/Sydney"}


def person(pid: str, first: str, last: str, born: str, **cells) -> dict:
    return {"patient_id": pid, "first_name": first, "last_name": last, "date_of_birth": born, "status": "Active",
            "practice_id": "PR1", "email": f"{pid.lower()}@example.com", **cells}


SAME_PEOPLE = [
    person("PT1", "Ngāio", "Tūhoe", "03/04/1985", mobile_phone="0412 345 678"),
    person("PT2", "Ngaio", "Tuhoe", "1985-04-03"),  # macrons dropped, the birth date typed the ISO way
    person("PT3", "Wiremu", "Parata", "12/11/1990"),
    person("PT4", "Parata", "Wiremu", "12/11/1990"),  # first and last name swapped
    person("PT5", "Catherine", "Macdonald", "07/07/1975", patient_postal_code="2040"),
    person("PT6", "Catherine", "McDonald", "07/07/1975", patient_postal_code="2040"),  # a typo
    person("PT7", "Priya", "Sharma", "05/09/1988", mobile_phone="+61 412 000 111"),
    person("PT8", "Priya", "Sharma", "09/05/1988", mobile_phone="0412000111"),  # day and month swapped
]
FAMILIES = [
    person("PT9", "Olivia", "Chen", "14/02/2012", email="chen.family@example.com", first_address="4 Bay St",
           patient_postal_code="2011"),
    person("PT10", "Emma", "Chen", "14/02/2012", email="chen.family@example.com", first_address="4 Bay St",
           patient_postal_code="2011"),  # her twin
    person("PT11", "James", "Brown", "02/03/1950", email="browns@example.com", patient_postal_code="2095"),
    person("PT12", "James", "Brown", "19/08/1985", email="browns@example.com", patient_postal_code="2095"),  # Jr
    person("PT13", "Sarah", "Wilson", "01/06/1980", email="wilsons@example.com", mobile_phone="0400 111 222"),
    person("PT14", "David", "Wilson", "23/10/1979", email="wilsons@example.com", mobile_phone="0400 111 222"),
]


def pairs_of(warehouse, wave: str = "w") -> set[frozenset[str]]:
    with warehouse.connect() as conn:
        return {frozenset((p.patient_id, p.other_id)) for p in pending_pairs(conn, wave)}


def test_the_same_person_typed_twice_is_found_and_families_are_not(tmp_path: Path, warehouse) -> None:
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": SAME_PEOPLE + FAMILIES})
    assert pairs_of(warehouse) == {frozenset(p) for p in (("PT1", "PT2"), ("PT3", "PT4"), ("PT5", "PT6"),
                                                          ("PT7", "PT8"))}
    with warehouse.connect() as conn:
        flagged = dict(conn.execute("select source_key, source_line from validation_issues where wave = 'w' and "
                                    "rule = 'likely_duplicate' and severity = 'warn'").fetchall())
    assert flagged == {f"PT{n}": FIRST_LINE + n - 1 for n in range(1, 9)}  # both lines of each pair
    people = staged.records["people"]
    assert len(people) == 14  # nothing merged on its own
    assert people["PT2"].payload["reviewReasons"] == "possible_duplicate_of:PT1"
    assert people["PT1"].payload["reviewReasons"] == "possible_duplicate_of:PT2"
    assert "possible_duplicate" not in (people["PT10"].payload["reviewReasons"] or "")


def test_the_review_sheet_shows_the_pairs_values_and_the_commands(tmp_path: Path, warehouse) -> None:
    stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": SAME_PEOPLE[:4]})
    with warehouse.connect() as conn:
        path, pending = write_duplicate_review(conn, "w", tmp_path / "reports")
    assert path == report_path(tmp_path / "reports", "w") and pending == 2
    sheet = path.read_text(encoding="utf-8")
    assert "| first_name | Ngāio | Ngaio |" in sheet or "| first_name | Ngaio | Ngāio |" in sheet
    assert "cpt duplicates decide --distinct" in sheet and "--merge" in sheet


def test_a_merge_decision_sends_one_person_with_both_histories_and_holds_across_waves(tmp_path: Path,
                                                                                       warehouse) -> None:
    appointments = [
        {"appointment_id": "AP1", "patient_id": "PT1", "start_at": "15/07/2024 08:15", "status": "Completed"},
        {"appointment_id": "AP2", "patient_id": "PT2", "start_at": "16/07/2024 09:00", "status": "Booked"},
    ]
    notes = [{"note_id": "N1", "patient_id": "PT2", "note_date": "16/07/2024", "body": "Pain upper left."}]
    tables = {"practices": [PRACTICE], "patients": SAME_PEOPLE[:4], "appointments": appointments,
              "clinical_notes": notes}
    stage_hand_made(warehouse, tmp_path, tables, wave="w1")
    record_decision(warehouse, "PT2", "PT1", MERGE, "Dr Reviewer")  # keep PT1
    record_decision(warehouse, "PT3", "PT4", DISTINCT, "Dr Reviewer")

    staged = stage_hand_made(warehouse, tmp_path, tables, wave="w2")  # a later export: the decisions still hold
    assert "PT2" not in staged.records["people"]
    assert staged.held["PT2"][2] == "merged_into:PT1" and staged.held["PT2"][1] == FIRST_LINE + 1
    targets = staged.records["taskTargets"]
    assert {"$ref": ["people", "PT1"]} in targets["AP2|person"].payload.values()
    assert {"$ref": ["people", "PT1"]} in staged.records["noteTargets"]["N1|person"].payload.values()
    assert pairs_of(warehouse, "w2") == set()  # decided either way: not asked again
    assert staged.records["people"]["PT1"].payload["reviewReasons"] in (None, "")
    assert staged.summary.unbalanced == {}


def test_a_merge_cannot_undo_itself_into_nothing(warehouse) -> None:
    record_decision(warehouse, "PT2", "PT1", MERGE, "A")
    with pytest.raises(ValueError, match="PT2 is already merged into PT1"):
        record_decision(warehouse, "PT1", "PT2", MERGE, "B")
    record_decision(warehouse, "PT2", "PT1", DISTINCT, "B")  # a later decision on the pair replaces the first
    record_decision(warehouse, "PT1", "PT2", MERGE, "B")


def test_cpt_duplicates_decide_and_list(tmp_path: Path, warehouse, monkeypatch, capsys) -> None:
    from core_practice_twenty.cli import main as cpt

    stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": SAME_PEOPLE[:4]})
    monkeypatch.setenv("CPT_WAREHOUSE", str(warehouse.path))
    monkeypatch.setenv("CPT_REPORTS", str(tmp_path / "reports"))
    assert cpt(["duplicates", "list", "--wave", "w"]) == 0
    assert "2 likely duplicate pair(s) of wave w wait for a decision" in capsys.readouterr().out
    assert cpt(["duplicates", "decide", "--keep", "PT1", "--merge", "PT22", "--by", "Ana"]) == 2
    assert "no patient PT22 in any landed export" in capsys.readouterr().err
    assert cpt(["duplicates", "decide", "--distinct", "PT3", "PT4", "--by", "Ana"]) == 0
    assert "PT3 and PT4 are not the same person, said Ana" in capsys.readouterr().out
    assert cpt(["duplicates", "decide", "--keep", "PT1", "--merge", "PT2", "--by", "Ana"]) == 0
    assert "PT2 merged into PT1 by Ana" in capsys.readouterr().out
    assert cpt(["duplicates", "list", "--wave", "w"]) == 0
    assert "0 likely duplicate pair(s)" in capsys.readouterr().out
    assert "No pair waits for a decision." in report_path(tmp_path / "reports", "w").read_text(encoding="utf-8")


def test_a_merge_after_the_person_reached_twenty_says_what_is_left_to_do(tmp_path: Path, warehouse, monkeypatch,
                                                                         capsys) -> None:
    from core_practice_twenty.cli import main as cpt
    from core_practice_twenty.store.staging import WriteOutcome, record_outcomes

    stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": SAME_PEOPLE[:2]})
    record_outcomes(warehouse, "people", "w", "run-1", [WriteOutcome("PT2", "create", "tw-2", "h2")])
    monkeypatch.setenv("CPT_WAREHOUSE", str(warehouse.path))
    assert cpt(["duplicates", "decide", "--keep", "PT1", "--merge", "PT2", "--by", "Ana"]) == 0
    out = capsys.readouterr().out
    assert "PT2 is already in Twenty" in out and "does not delete PT2" in out and "cpt rollback" in out


def test_a_patient_is_merged_into_one_other_and_merges_never_close_a_circle(warehouse) -> None:
    from core_practice_twenty.store.duplicates import merges

    record_decision(warehouse, "P2", "P1", MERGE, "A")
    record_decision(warehouse, "P2", "P3", MERGE, "B")  # merged again: the later decision replaces the first
    record_decision(warehouse, "P4", "P2", MERGE, "A")
    with warehouse.connect() as conn:
        assert merges(conn) == {"P2": "P3", "P4": "P3"}  # chains end at the kept patient
    with pytest.raises(ValueError, match=r"P4 is already merged into P3 .*--distinct P4 P2"):
        record_decision(warehouse, "P3", "P4", MERGE, "C")  # P4 → P2 → P3 → P4 would keep no one


def test_a_merge_into_a_rejected_patient_is_not_applied(tmp_path: Path, warehouse) -> None:
    """The kept patient's row is rejected in this export (no last name): merging into it would lose both people."""
    record_decision(warehouse, "PT2", "PT1", MERGE, "A")
    rows = [{**SAME_PEOPLE[0], "last_name": ""}, SAME_PEOPLE[1]]
    staged = stage_hand_made(warehouse, tmp_path, {"practices": [PRACTICE], "patients": rows})
    assert "PT2" in staged.records["people"] and "PT2" not in staged.held
    assert "required" in " ".join(staged.rejected["PT1"])
