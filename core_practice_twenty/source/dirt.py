"""The kinds of dirt a real Core Practice export carries, and the outcome the pipeline owes each.

One table of truth shared by the generator (which injects each kind and lists it in its manifest)
and the validation tests (which prove each injected fault is found with the expected rule, and that
nothing else is flagged). `rule` is the validation rule name that must fire on the affected row
(None: the value is valid and is normalised later by the mapping, so no rule may fire); `severity`
is what happens to the row: `reject` (rejects table, not loaded) or `warn` (loaded, flagged for the
mapping and for review).
"""

from __future__ import annotations

from dataclasses import dataclass

from core_practice_twenty.model.issues import Severity


@dataclass(frozen=True)
class DirtKind:
    name: str
    object: str
    column: str | None
    rule: str | None
    severity: Severity | None
    description: str


def _d(name: str, obj: str, column: str | None, rule: str | None, severity: Severity | None, text: str) -> DirtKind:
    return DirtKind(name, obj, column, rule, severity, text)


R, W = Severity.REJECT, Severity.WARN

DIRT_KINDS: dict[str, DirtKind] = {d.name: d for d in (
    _d("duplicate_patient", "patients", None, "likely_duplicate", W,
       "a second patient id for the same person (record linkage finds the pair)"),
    _d("shared_family_email", "patients", "email", "shared_email", W,
       "household members share one email address"),
    _d("missing_email", "patients", "email", "missing_email", W, "no email at all"),
    _d("na_email", "patients", "email", "missing_email", W, "email cell holds `n/a` (read as null)"),
    _d("malformed_email", "patients", "email", "email_format:email", W,
       "email that is not an address (`john.smith@`, `jsmith at gmail.com`)"),
    _d("local_phone_format", "patients", "mobile_phone", None, None,
       "phone in local format with spaces, brackets or an extension (`(02) 9876 5432 ext 12`)"),
    _d("invalid_state", "patients", "patient_state", "invalid_state:patient_state", W,
       "state abbreviation that is not one of the region's (`NSWW`, `Vic.`, `XX`)"),
    _d("postcode_lost_zero", "patients", "patient_postal_code", "postcode_lost_zero:patient_postal_code", W,
       "postcode whose leading zero was dropped by a spreadsheet (`800` for `0800`)"),
    _d("international_address", "patients", "patient_country", "international_address", W,
       "address abroad, country written as a name (`New Zealand`, `United Kingdom`)"),
    _d("orphan_patient", "patients", "practice_id", "orphan_patient", W,
       "patient with no practice_id and no patient_practices row"),
    _d("dangling_appointment_patient", "appointments", "patient_id", "orphan_reference:patient_id", R,
       "appointment pointing at a patient id that is not in the export"),
    _d("dangling_note_patient", "clinical_notes", "patient_id", "orphan_reference:patient_id", R,
       "clinical note pointing at a patient id that is not in the export"),
    _d("dangling_invoice_patient", "invoices", "patient_id", "orphan_reference:patient_id", R,
       "invoice pointing at a patient id that is not in the export"),
    _d("archived_patient", "patients", "status", None, None, "patient with status Archived (valid, migrated)"),
    _d("soft_deleted_patient", "patients", "is_deleted", "soft_deleted", W,
       "patient marked deleted in Core Practice"),
    _d("future_date", "patients", "created_at", "future_date:created_at", W,
       "record created in the future (clock or import error)"),
    _d("impossible_date", "patients", "date_of_birth", "impossible_date:date_of_birth", R,
       "birth date that cannot be (31/02, year 1850, after the export date)"),
    _d("document_missing", "documents", "relative_path", "document_missing", R,
       "document listed but its file is not on disk"),
    _d("document_checksum_mismatch", "documents", "sha256", "document_checksum", R,
       "file on disk whose SHA-256 differs from the listed checksum"),
    _d("path_traversal", "documents", "relative_path", "path_traversal", R,
       "file path that escapes documents/ (`../../etc/passwd`, absolute paths)"),
    _d("large_file", "documents", "size_bytes", "document_too_large", W,
       "file larger than Twenty's upload limit (flagged, referenced, not uploaded)"),
)}
