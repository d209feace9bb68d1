"""Cross-table rules on a small hand-written export, landed into a real DuckDB file."""

import csv
import hashlib
from datetime import date
from pathlib import Path

from core_practice_twenty.source.export_spec import EXPORT_SPEC
from core_practice_twenty.source.values import Region
from core_practice_twenty.store.issues import object_counts, replace_issues
from core_practice_twenty.store.raw import land_object
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.cross_table import cross_table_issues
from core_practice_twenty.validation.run import row_issues_of, validate_rows


def write(export: Path, name: str, rows: list[dict]) -> None:
    spec = EXPORT_SPEC[name]
    with (export / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(spec.column_names)
        for row in rows:
            writer.writerow([row.get(c, "") for c in spec.column_names])


def patient(pid: str, first: str, last: str, dob: str = "01/02/1980", **extra) -> dict:
    return {"patient_id": pid, "first_name": first, "last_name": last, "date_of_birth": dob, "status": "Active",
            "practice_id": "PR1", **extra}


def test_references_duplicates_emails_and_documents(tmp_path: Path, warehouse) -> None:
    export = tmp_path / "snap"
    (export / "documents" / "p1").mkdir(parents=True)
    good = b"%PDF-1.4 tiny"
    (export / "documents" / "p1" / "good.pdf").write_bytes(good)
    (export / "documents" / "p1" / "tampered.png").write_bytes(b"not what was listed")
    (export / "documents" / "p1" / "big.png").write_bytes(b"x" * 64)
    write(export, "practices", [{"practice_id": "PR1", "practice_name": "Smile"}])
    write(export, "patients", [
        patient("1", "Ana", "Ruiz", email="family@example.com"),
        patient("2", "Ben", "Ruiz", email="family@example.com"),
        patient("3", "Ana", "Ruiz"),  # same name + birth date as 1: linkage flags both of the pair
        patient("4", "Cy", "Lo", email="cy@example.com", practice_id="", is_deleted="Yes"),
        patient("5", "Di", "Wu", email="di@example.com", practice_id="PR9"),
    ])
    write(export, "appointments", [
        {"appointment_id": "A1", "patient_id": "1", "start_at": "01/03/2026 09:00", "status": "Completed"},
        {"appointment_id": "A2", "patient_id": "99", "start_at": "01/03/2026 10:00", "status": "FTA"},
    ])
    sha = hashlib.sha256(good).hexdigest()
    write(export, "documents", [
        {"document_id": "D1", "patient_id": "1", "file_name": "good.pdf", "relative_path": "p1/good.pdf",
         "sha256": sha},
        {"document_id": "D2", "patient_id": "1", "file_name": "gone.pdf", "relative_path": "p1/gone.pdf"},
        {"document_id": "D3", "patient_id": "1", "file_name": "t.png", "relative_path": "p1/tampered.png",
         "sha256": sha},
        {"document_id": "D4", "patient_id": "1", "file_name": "x", "relative_path": "../../etc/passwd"},
        {"document_id": "D5", "patient_id": "1", "file_name": "big.png", "relative_path": "p1/big.png"},
    ])
    for name in ("practices", "patients", "appointments", "documents"):
        land_object(warehouse, EXPORT_SPEC[name], export, wave="full", snapshot_id="snap")
    ctx = ValidationContext(Region.AU, export, date(2026, 11, 24), ValidationContext.for_export(
        export, Region.AU).date_order, max_upload_bytes=32)

    with warehouse.connect() as conn:
        issues = list(cross_table_issues(conn, "full", ctx))
        replace_issues(conn, "full", "cross", issues, EXPORT_SPEC)
        found = {(i.object, i.source_key, i.rule, i.severity.value) for i in issues}
        assert found == {
            ("patients", "1", "shared_email", "warn"),
            ("patients", "1", "likely_duplicate", "warn"),
            ("patients", "2", "shared_email", "warn"),
            ("patients", "3", "missing_email", "warn"),
            ("patients", "3", "likely_duplicate", "warn"),
            ("patients", "4", "soft_deleted", "warn"),
            ("patients", "4", "orphan_patient", "warn"),
            ("patients", "5", "orphan_reference:practice_id", "warn"),
            ("appointments", "A2", "orphan_reference:patient_id", "reject"),
            ("documents", "D2", "document_missing", "reject"),
            ("documents", "D3", "document_checksum", "reject"),
            ("documents", "D4", "path_traversal", "reject"),
            ("documents", "D5", "document_too_large", "warn"),
        }
        assert object_counts(conn, EXPORT_SPEC["documents"], "full") == {
            "read": 5, "accepted": 2, "rejected": 3, "warned": 1, "issues_without_row": 0}
        assert object_counts(conn, EXPORT_SPEC["appointments"], "full")["accepted"] == 1


def test_row_rules_reject_what_cannot_load_and_flag_what_mapping_repairs(tmp_path: Path, warehouse) -> None:
    export = tmp_path / "snap"
    export.mkdir()
    write(export, "patients", [
        patient("1", "Ana", "Ruiz", email="ana@example.com", patient_state="NSW", patient_postal_code="2150"),
        patient("2", "Ben", "", email="ben@"),                                  # no last name, bad email
        patient("3", "Cy", "Lo", dob="31/02/1980", patient_postal_code="800"),  # impossible date, lost zero
        patient("4", "Di", "Wu", dob="12/12/2030", patient_state="NSWW", created_at="01/01/2030 10:00"),
        patient("4", "Ed", "Ng"),                                               # duplicate key
    ])
    land_object(warehouse, EXPORT_SPEC["patients"], export, wave="full", snapshot_id="snap")
    ctx = ValidationContext(Region.AU, export, date(2026, 11, 24), ValidationContext.for_export(
        export, Region.AU).date_order)
    with warehouse.connect() as conn:
        result = validate_rows(conn, EXPORT_SPEC["patients"], "full", ctx)
        found = set(conn.execute(
            "select source_line, rule, severity from validation_issues where wave = 'full' and scope = 'row'"
        ).fetchall())
    assert found == {
        (3, "required:last_name", "reject"),
        (3, "email_format:email", "warn"),
        (4, "impossible_date:date_of_birth", "reject"),
        (4, "postcode_lost_zero:patient_postal_code", "warn"),
        (5, "impossible_date:date_of_birth", "reject"),  # born after the export was taken
        (5, "invalid_state:patient_state", "warn"),
        (5, "future_date:created_at", "warn"),
        (5, "duplicate_key", "reject"),
        (6, "duplicate_key", "reject"),
    }
    assert result.rows_checked == 5 and result.rejected_rows == 4 and result.issue_count == len(found)
    assert result.counts_by_rule()["duplicate_key (reject)"] == 2
    assert result.blocking_reasons(0.99) == ["duplicate_key"]
    assert result.blocking_reasons(0.5) == ["duplicate_key", "reject rate 80.0% above the 50.0% limit"]
    assert "Ruiz" not in result.describe() and "ben@" not in result.describe()


def test_cross_table_issues_stream_into_the_issues_table_chunk_by_chunk(sample_export: Path, warehouse,
                                                                       monkeypatch) -> None:
    """Issues are written while they are still being read (tiny chunks here): every one arrives, once.

    In a large group most patients share a household email, so the warnings must not sit in memory together.
    """
    from core_practice_twenty.store import issues as issues_table
    from core_practice_twenty.store import rule_reads

    for spec in EXPORT_SPEC.values():
        land_object(warehouse, spec, sample_export, wave="full", snapshot_id="snap")
    ctx = ValidationContext.for_export(sample_export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        listed = sorted((i.object, i.source_key, i.source_line, i.rule) for i in cross_table_issues(conn, "full", ctx))
        monkeypatch.setattr(issues_table, "ISSUE_CHUNK", 7)
        monkeypatch.setattr(rule_reads, "FETCH_ROWS", 5)
        written = replace_issues(conn, "full", "cross", cross_table_issues(conn, "full", ctx), EXPORT_SPEC)
        stored = sorted(conn.execute(
            "select object, source_key, source_line, rule from validation_issues "
            "where wave = 'full' and scope = 'cross'"
        ).fetchall())
    assert {rule for *_, rule in listed} >= {"shared_email", "missing_email"}
    assert written == len(listed) > 7 * 5
    assert stored == listed


def test_row_issues_stream_into_the_issues_table_and_the_tally_keeps_only_counts(sample_export: Path, warehouse,
                                                                                monkeypatch) -> None:
    """Row issues are written while pandera is still reading chunks; the result keeps counts and 8 lines a rule."""
    from core_practice_twenty.store import issues as issues_table
    from core_practice_twenty.store import rule_reads
    from core_practice_twenty.validation import run

    spec = EXPORT_SPEC["patients"]
    land_object(warehouse, spec, sample_export, wave="full", snapshot_id="snap")
    ctx = ValidationContext.for_export(sample_export, Region.AU, date(2026, 11, 24))
    with warehouse.connect() as conn:
        listed = sorted((i.source_line, i.rule) for i in row_issues_of(conn, spec, "full", ctx))
        monkeypatch.setattr(issues_table, "ISSUE_CHUNK", 3)
        monkeypatch.setattr(rule_reads, "RESULT_CHUNK_ROWS", 4)
        result = validate_rows(conn, spec, "full", ctx)
        stored = sorted(conn.execute(
            "select source_line, rule from validation_issues where wave = 'full' and scope = 'row'").fetchall())
    assert stored == listed and len(listed) > 3 * 4
    assert result.issue_count == len(listed)
    assert all(len(lines) <= run.SHOWN_LINES for lines in result.first_lines.values())
    assert result.rejected_rows == object_counts_rejected(warehouse, spec)


def object_counts_rejected(warehouse, spec) -> int:
    with warehouse.connect() as conn:
        return object_counts(conn, spec, "full")["rejected"]


def test_every_patient_question_the_store_answers_is_reported_under_a_rule() -> None:
    from core_practice_twenty.store.rule_reads import PATIENT_QUESTIONS
    from core_practice_twenty.validation.cross_table import PATIENT_RULES

    assert sorted(PATIENT_RULES) == sorted(PATIENT_QUESTIONS)
