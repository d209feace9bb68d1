"""Cross-table rules, run in DuckDB over a wave's raw tables (and on disk for documents).

These need more than one row at a time: keys unique across the whole file, references that resolve,
duplicate patients, shared emails, documents present with the right checksum and a safe path. SQL
keeps them streaming over millions of rows; results are `Issue`s with line and key, never values.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath, PureWindowsPath

import duckdb

from core_practice_twenty.model.issues import Issue, Severity
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR, EXPORT_SPEC, ObjectSpec
from core_practice_twenty.store.raw import create_raw_table_sql, raw_table
from core_practice_twenty.validation.context import ValidationContext
from core_practice_twenty.validation.schemas import severity_of

DOCUMENT_CHUNK = 20_000
DOCUMENT_BATCH = 500
ISSUE_FETCH = 50_000
SMALL_FILE_BYTES = 1 << 20


def _key_sql(spec: ObjectSpec, alias: str = "r") -> str:
    return " || '|' || ".join(f'{alias}."{k}"' for k in spec.key)


def _issues(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, sql: str, params: list, rule: str,
            column: str | None, severity: Severity) -> Iterator[Issue]:
    """The rule's rows as issues, fetched in chunks (a warning can hold for most patients of a group)."""
    conn.execute(sql, params)
    while rows := conn.fetchmany(ISSUE_FETCH):
        for key, file, line in rows:
            yield Issue(spec.name, key, file, line, rule, column, severity)


def duplicate_keys(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> Iterator[Issue]:
    """Every copy of a key that occurs more than once: the export cannot say which one is real."""
    key = _key_sql(spec)
    sql = (f"select {key}, r.source_file, r.source_line from {raw_table(spec)} r where r.wave = ? and {key} in ("
           f"select {key} from {raw_table(spec)} r where r.wave = ? group by all having count(*) > 1) "
           f"order by r.source_line")
    yield from _issues(conn, spec, sql, [wave, wave], "duplicate_key", None, Severity.REJECT)


def orphan_references(conn: duckdb.DuckDBPyConnection, spec: ObjectSpec, wave: str) -> Iterator[Issue]:
    """A reference to a key that is not in the export (an appointment of a patient that is not there)."""
    for column in spec.references:
        target_object, target_key = column.references.split(".")
        target = EXPORT_SPEC[target_object]
        sql = (f"select {_key_sql(spec)}, r.source_file, r.source_line from {raw_table(spec)} r "
               f"where r.wave = ? and r.\"{column.name}\" is not null and not exists ("
               f"select 1 from {raw_table(target)} t where t.wave = ? and t.\"{target_key}\" = r.\"{column.name}\") "
               f"order by r.source_line")
        rule = f"orphan_reference:{column.name}"
        yield from _issues(conn, spec, sql, [wave, wave], rule, column.name, severity_of(spec, column, rule))


def patient_rules(conn: duckdb.DuckDBPyConnection, wave: str) -> Iterator[Issue]:
    patients = EXPORT_SPEC["patients"]
    links = raw_table(EXPORT_SPEC["patient_practices"])
    table = raw_table(patients)
    key = _key_sql(patients)
    w = Severity.WARN
    yield from _issues(conn, patients, (
        f"select {key}, source_file, source_line from (select *, row_number() over (partition by "
        f"lower(first_name), lower(last_name), date_of_birth order by source_line) as copy from {table} r "
        f"where wave = ? and first_name is not null and last_name is not null and date_of_birth is not null) r "
        f"where copy > 1 order by source_line"), [wave], "duplicate_patient", None, w)
    yield from _issues(conn, patients, (
        f"select {key}, source_file, source_line from {table} r where wave = ? and lower(email) in ("
        f"select lower(email) from {table} where wave = ? and email is not null group by all "
        f"having count(distinct patient_id) > 1) order by source_line"),
        [wave, wave], "shared_email", "email", w)
    yield from _issues(conn, patients, (
        f"select {key}, source_file, source_line from {table} r where wave = ? and email is null "
        f"order by source_line"), [wave], "missing_email", "email", w)
    yield from _issues(conn, patients, (
        f"select {key}, source_file, source_line from {table} r where wave = ? and lower(is_deleted) in "
        f"('true', 'yes', 'y', '1', 't') order by source_line"), [wave], "soft_deleted", "is_deleted", w)
    yield from _issues(conn, patients, (
        f"select {key}, source_file, source_line from {table} r where wave = ? and practice_id is null and "
        f"not exists (select 1 from {links} l where l.wave = ? and l.patient_id = r.patient_id) "
        f"order by source_line"), [wave, wave], "orphan_patient", "practice_id", w)


def unsafe_path(relative_path: str) -> bool:
    """Absolute, drive-qualified or `..` paths could read or overwrite files outside documents/."""
    if ".." not in relative_path and ":" not in relative_path and not relative_path.startswith(("/", "\\")):
        return False  # none of the three can hold: skip the pathlib parse (135k documents in a group export)
    for flavour in (PurePosixPath(relative_path), PureWindowsPath(relative_path)):
        if flavour.is_absolute() or flavour.drive or ".." in flavour.parts:
            return True
    return False


def _links_out(root: str, relative: str, checked_dirs: dict[str, bool]) -> os.stat_result | None | bool:
    """`lstat` each folder of `relative` below `root`, then the file, never following a link.

    Returns True when any of them is a symbolic link (its target may lie outside documents/: refused
    before the target is opened or stat'ed), None when something is missing, else the file's own status.
    `checked_dirs` remembers folders already seen to be real ones (documents share a few folders).
    """
    current = root
    for part in relative.split("/")[:-1]:
        if not part or part == ".":
            continue
        current = os.path.join(current, part)
        if current not in checked_dirs:
            try:
                checked_dirs[current] = stat.S_ISLNK(os.lstat(current).st_mode)
            except (OSError, ValueError):
                return None
        if checked_dirs[current]:
            return True
    try:
        status = os.lstat(os.path.join(root, relative))
    except (OSError, ValueError):
        return None
    return True if stat.S_ISLNK(status.st_mode) else status


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
    root = os.path.join(ctx.export_dir, DOCUMENTS_DIR)
    checked_dirs: dict[str, bool] = {}

    def inspect(row: tuple) -> list[Issue]:
        key, file, line, relative, expected = row
        if relative is None:
            return []
        if unsafe_path(relative):
            return [Issue(spec.name, key, file, line, "path_traversal", "relative_path", Severity.REJECT)]
        path = os.path.join(root, relative)
        status = _links_out(root, relative, checked_dirs)
        if status is True:
            return [Issue(spec.name, key, file, line, "path_outside_export", "relative_path", Severity.REJECT)]
        if status is None or not stat.S_ISREG(status.st_mode):
            return [Issue(spec.name, key, file, line, "document_missing", "relative_path", Severity.REJECT)]
        found = []
        if expected and _sha256(path, status.st_size) != expected:
            found.append(Issue(spec.name, key, file, line, "document_checksum", "sha256", Severity.REJECT))
        if status.st_size > ctx.max_upload_bytes:
            found.append(Issue(spec.name, key, file, line, "document_too_large", "size_bytes", Severity.WARN))
        return found

    def inspect_batch(rows: list[tuple]) -> list[Issue]:
        return [issue for row in rows for issue in inspect(row)]

    conn.execute(
        f"select {_key_sql(spec)}, source_file, source_line, relative_path, lower(sha256) from {raw_table(spec)} r "
        f"where wave = ? order by source_line", [wave]
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        while rows := conn.fetchmany(DOCUMENT_CHUNK):
            batches = [rows[i:i + DOCUMENT_BATCH] for i in range(0, len(rows), DOCUMENT_BATCH)]
            for found in pool.map(inspect_batch, batches):
                yield from found


def cross_table_issues(conn: duckdb.DuckDBPyConnection, wave: str, ctx: ValidationContext) -> Iterator[Issue]:
    """Every cross-table rule for a wave (duplicate keys are run with the row rules, per object), as a stream.

    Reads through its own cursor, so `store.issues.replace_issues(conn, …)` can write each chunk on `conn`
    while the next one is fetched: the issues of a 5-million-patient group never sit in memory together.
    """
    for spec in EXPORT_SPEC.values():
        conn.execute(create_raw_table_sql(spec))
    cursor = conn.cursor()
    try:
        for spec in EXPORT_SPEC.values():
            yield from orphan_references(cursor, spec, wave)
        yield from patient_rules(cursor, wave)
        yield from document_rules(cursor, wave, ctx)
    finally:
        cursor.close()
