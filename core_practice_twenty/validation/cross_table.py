"""Cross-table rules, run in DuckDB over a wave's raw tables (and on disk for documents).

These need more than one row at a time: keys unique across the whole file, references that resolve,
duplicate patients, shared emails, documents present with the right checksum and a safe path. The queries
(`store/rule_reads.py`) stream over millions of rows; here each is named as a rule with a severity, and results
are `Issue`s with line and key, never values.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import duckdb

from core_practice_twenty.model.identifiers import TEXT_CANDIDATE, identifiers_in_text
from core_practice_twenty.model.issues import Issue, Severity
from core_practice_twenty.source.documents import DocumentFolder, size_differs
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR, EXPORT_SPEC, FREE_TEXT_COLUMNS, ObjectSpec
from core_practice_twenty.store.duplicates import decided_pairs, replace_likely_duplicates
from core_practice_twenty.store.rule_reads import (
    LineRow,
    accepted_patient_columns,
    dangling_reference_rows,
    document_listing,
    duplicate_key_rows,
    ensure_raw_tables,
    patient_lines,
    patient_rows,
    text_candidates,
)
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.linkage import compared_columns_sql, likely_duplicates
from core_practice_twenty.validation.schemas import severity_of

DOCUMENT_CHUNK = 20_000
DOCUMENT_BATCH = 500
SMALL_FILE_BYTES = 1 << 20

PATIENT_RULES = {
    "email_of_another_patient": ("shared_email", "email"),
    "no_email": ("missing_email", "email"),
    "marked_deleted": ("soft_deleted", "is_deleted"),
    "no_practice": ("orphan_patient", "practice_id"),
}
"""The patient questions `store.rule_reads` answers → the rule (and column) each is reported under; all warn."""


def _issues(spec: ObjectSpec, rows: Iterator[LineRow], rule: str, column: str | None,
            severity: Severity) -> Iterator[Issue]:
    for key, file, line in rows:
        yield Issue(spec.name, key, file, line, rule, column, severity)


def duplicate_keys(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> Iterator[Issue]:
    """Every copy of a key that occurs more than once: the export cannot say which one is real."""
    yield from _issues(spec, duplicate_key_rows(conn, spec, wave), "duplicate_key", None, Severity.REJECT)


def orphan_references(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> Iterator[Issue]:
    """A reference to a key that is not in the export (an appointment of a patient that is not there)."""
    for column in spec.references:
        rule = f"orphan_reference:{column.name}"
        yield from _issues(spec, dangling_reference_rows(conn, spec, column, wave), rule, column.name,
                           severity_of(spec, column, rule))


def patient_rules(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """Patients to look at twice: likely duplicates, a shared or missing email, marked deleted, no practice."""
    patients = EXPORT_SPEC["patients"]
    yield from likely_duplicate_rules(conn, wave, ctx)
    for question, (rule, column) in PATIENT_RULES.items():
        yield from _issues(patients, patient_rows(conn, question, wave), rule, column, Severity.WARN)


def likely_duplicate_rules(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """Record linkage over the wave's accepted patients: each patient of a pair no one has decided on yet is
    flagged `likely_duplicate` on its line; the pairs (ids, weights) are kept for the review report and the map."""
    spec = EXPORT_SPEC["patients"]
    found = likely_duplicates(accepted_patient_columns(conn, wave, compared_columns_sql(ctx.date_order)))
    decided = decided_pairs(conn)
    pairs = [p for p in found if frozenset((p.patient_id, p.other_id)) not in decided]
    replace_likely_duplicates(conn, wave, [(p.patient_id, p.other_id, p.match_weight) for p in pairs])
    flagged = sorted({key for p in pairs for key in (p.patient_id, p.other_id)})
    yield from _issues(spec, patient_lines(conn, wave, flagged), "likely_duplicate", None, Severity.WARN)


def identifiers_in_text_rules(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """A free-text column, or one of the practice's own, that is sent but holds an identifier on some lines (a
    "Notes 2" cell with an SSN, a note quoting a Medicare number): each such line is flagged for a person, with
    the column and never the value. Columns the map keeps out (`ctx.held_out`) are not searched."""
    for spec in EXPORT_SPEC.values():
        columns = [c.name for c in spec.columns
                   if (spec.name, c.name) in FREE_TEXT_COLUMNS and (spec.name, c.name) not in ctx.held_out]
        for key, file, line, values, extra in text_candidates(conn, spec, wave, columns, TEXT_CANDIDATE):
            cells = dict(zip(columns, values, strict=True))
            own = json.loads(extra) if extra else {}
            cells.update({header: value for header, value in (own.items() if isinstance(own, dict) else ())
                          if not header.startswith("_") and (spec.name, header) not in ctx.held_out
                          and isinstance(value, str)})
            for column, text in cells.items():
                if text and identifiers_in_text(text):
                    yield Issue(spec.name, key, file, line, f"identifier_in_text:{column}", column, Severity.WARN)


def _sha256(path: str, size: int) -> str:
    """Small files (nearly all documents) in one read; large ones streamed."""
    if size <= SMALL_FILE_BYTES:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def document_rules(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """Documents on disk: a safe path, present, the listed checksum, within the upload limit.

    Disk-bound and mostly small files: one stat per document, string paths (pathlib costs more than the
    stat), batches of documents per pool task (a future per file cost 3x the work itself; threads still
    overlap disk waits on a cold cache), and rows fetched in chunks so a million documents never sit in
    memory at once.
    """
    spec = EXPORT_SPEC["documents"]
    folder = DocumentFolder(os.path.join(ctx.export_dir, DOCUMENTS_DIR))

    def inspect(row: tuple) -> list[Issue]:
        key, file, line, relative, expected, listed_size = row
        if relative is None:
            return []
        found = folder.find(relative)
        if found.problem is not None:
            return [Issue(spec.name, key, file, line, found.problem, "relative_path", Severity.REJECT)]
        if size_differs(found, listed_size):  # 0 bytes, or not the listed size: a cut-off or unfinished copy
            return [Issue(spec.name, key, file, line, "size_mismatch", "size_bytes", Severity.REJECT)]
        issues = []
        if expected and _sha256(found.path, found.size) != expected:
            issues.append(Issue(spec.name, key, file, line, "document_checksum", "sha256", Severity.REJECT))
        if found.size > ctx.max_upload_bytes:
            issues.append(Issue(spec.name, key, file, line, "document_too_large", "size_bytes", Severity.WARN))
        return issues

    def inspect_batch(rows: list[tuple]) -> list[Issue]:
        return [issue for row in rows for issue in inspect(row)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        for rows in document_listing(conn, wave, DOCUMENT_CHUNK):
            batches = [rows[i:i + DOCUMENT_BATCH] for i in range(0, len(rows), DOCUMENT_BATCH)]
            for found in pool.map(inspect_batch, batches):
                yield from found


def cross_table_issues(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """Every cross-table rule for a wave (duplicate keys are run with the row rules, per object), as a stream.

    Reads through its own cursor, so `store.issues.replace_issues(conn, …)` can write each chunk on `conn`
    while the next one is fetched: the issues of a 5-million-patient group never sit in memory together.
    """
    ensure_raw_tables(conn, list(EXPORT_SPEC.values()))
    cursor = conn.cursor()
    try:
        for spec in EXPORT_SPEC.values():
            yield from orphan_references(cursor, spec, wave)
        yield from patient_rules(cursor, wave, ctx)
        yield from identifiers_in_text_rules(cursor, wave, ctx)
        yield from document_rules(cursor, wave, ctx)
    finally:
        cursor.close()
