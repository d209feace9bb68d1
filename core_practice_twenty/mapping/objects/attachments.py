"""Documents → attachment staging rows: which file to upload, and the attachment record targeting the patient.

The upload itself is the loader's (Twenty's Files flow differs by server version); the staged row
says which file (`$file`, a loader directive, see mapping/staging.py), its checksum and whether to
upload it. A file over the server's upload limit is not uploaded: it is staged with `upload: false`
and the `document_too_large` note, so the attachment can carry a reference and a person can move
the file by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from core_practice_twenty.mapping.objects.common import (
    DEFAULT_TARGET_FIELDS,
    Available,
    Cells,
    MappingResult,
    Row,
    Warnings,
    first_missing,
    warnings_of,
)
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.target_model import ATTACHMENTS, PEOPLE
from core_practice_twenty.model.staged import make_staged_record, ref
from core_practice_twenty.source.documents import unsafe_path
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR
from core_practice_twenty.validation.context import DEFAULT_MAX_UPLOAD_BYTES

SOURCE = "documents"

MIME_CATEGORIES = (
    ("image/", "IMAGE"), ("video/", "VIDEO"), ("audio/", "AUDIO"),
    ("application/pdf", "TEXT_DOCUMENT"), ("application/msword", "TEXT_DOCUMENT"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml", "TEXT_DOCUMENT"), ("text/csv", "SPREADSHEET"),
    ("text/", "TEXT_DOCUMENT"), ("application/rtf", "TEXT_DOCUMENT"),
    ("application/vnd.ms-excel", "SPREADSHEET"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml", "SPREADSHEET"),
    ("application/vnd.ms-powerpoint", "PRESENTATION"),
    ("application/vnd.openxmlformats-officedocument.presentationml", "PRESENTATION"),
    ("application/zip", "ARCHIVE"), ("application/x-7z", "ARCHIVE"), ("application/x-tar", "ARCHIVE"),
    ("application/gzip", "ARCHIVE"),
)
EXTENSION_CATEGORIES = {"png": "IMAGE", "jpg": "IMAGE", "jpeg": "IMAGE", "tif": "IMAGE", "tiff": "IMAGE",
                        "dcm": "IMAGE", "pdf": "TEXT_DOCUMENT", "doc": "TEXT_DOCUMENT", "docx": "TEXT_DOCUMENT",
                        "txt": "TEXT_DOCUMENT", "xls": "SPREADSHEET", "xlsx": "SPREADSHEET", "csv": "SPREADSHEET",
                        "zip": "ARCHIVE"}


def file_category(mime_type: str | None, file_name: str | None) -> str:
    """Twenty's attachment fileCategory (IMAGE, TEXT_DOCUMENT, …) from the MIME type, else the extension."""
    mime = (mime_type or "").strip().lower()
    for prefix, category in MIME_CATEGORIES:
        if mime.startswith(prefix):
            return category
    extension = (file_name or "").rsplit(".", 1)[-1].lower() if file_name and "." in file_name else ""
    return EXTENSION_CATEGORIES.get(extension, "OTHER")


def map_documents(rows: Sequence[Row], warnings: Warnings | None = None, options: MappingOptions | None = None,
                  available: Available | None = None, target_field_names: Mapping[str, str] | None = None,
                  max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> MappingResult:
    """Accepted document rows → attachment staging rows targeting the patient.

    Too large (`document_too_large` warning, or size over `max_upload_bytes`) → staged, not for upload.
    A path that leaves documents/ (validation rejects those; checked again because the loader will
    open the file) or a patient not staged → held back.
    """
    options = options or MappingOptions()
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    result = MappingResult(target=ATTACHMENTS.name_plural, source_object=SOURCE)
    result.count(f"{SOURCE}.rows", len(rows))
    for row in rows:
        cells = Cells(row, SOURCE, options)
        key = str(row["document_id"])
        patient = cells["patient_id"]
        relative = (cells["relative_path"] or "").replace("\\", "/")
        if not relative or unsafe_path(relative):
            result.hold(SOURCE, key, cells.line, "path_traversal: file path leaves documents/")
            continue
        missing = first_missing(available, [(PEOPLE.name_plural, patient)])
        if missing:
            result.hold(SOURCE, key, cells.line, missing)
            continue
        size = cells["size_bytes"]
        size_bytes = int(size) if size and size.isdecimal() else None  # isdigit takes `²`, which int() refuses
        too_large = ("document_too_large" in warnings_of(warnings, SOURCE, key)
                     or (size_bytes is not None and size_bytes > max_upload_bytes))
        name = cells["file_name"] or PurePosixPath(relative).name
        payload: dict = {
            "name": name,
            "fileCategory": file_category(cells["mime_type"], name),
            fields["person"]: ref(PEOPLE.name_plural, patient),
            "$file": {
                "documentId": key,
                "path": f"{DOCUMENTS_DIR}/{relative.lstrip('/')}",
                "mimeType": cells["mime_type"],
                "sizeBytes": size_bytes,
                "sha256": (cells["sha256"] or "").lower() or None,
                "category": cells["category"],
                "uploadedAt": cells.local_time("uploaded_at"),
                "upload": not too_large,
                "reason": "document_too_large" if too_large else None,
            },
        }
        notes = ["document_too_large"] if too_large else []
        if too_large:
            result.count("not_for_upload")
        result.stage(SOURCE, make_staged_record(source_key=key, source_line=cells.line, payload=payload, notes=notes))
    return result
