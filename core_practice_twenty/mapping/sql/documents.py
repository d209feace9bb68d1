"""Documents → attachments, as a compiled plan: which file the loader uploads, and the record on the patient.

The upload itself is the loader's (Twenty's Files flow differs by server version); the staged row says which file
(`$file`, a loader directive, see model/staged.py), its checksum and whether to upload it. A path that leaves
documents/ is held back, as is a document whose patient was not staged; a file over the upload limit (validation's
`document_too_large`, or a listed size over the limit) is staged with `upload: false` and the `document_too_large`
note, so the attachment carries a reference and a person can move the file by hand. The path, its file name and
the category are read in Python once per distinct cell (a group's 135,000 documents have as many paths; they stay
in DuckDB).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from core_practice_twenty.mapping.field_map.model import FieldMap
from core_practice_twenty.mapping.options import MappingOptions
from core_practice_twenty.mapping.sql import context as ctx
from core_practice_twenty.mapping.sql.cells import SqlCells
from core_practice_twenty.mapping.sql.compile import STAGED_ROWS, ObjectPlan, StagedSelect, accepted, missing, warned
from core_practice_twenty.mapping.sql.payload import Member, dependency, json_list, json_object, ref, value
from core_practice_twenty.mapping.target_model import ATTACHMENTS, DEFAULT_TARGET_FIELDS, PEOPLE
from core_practice_twenty.source.documents import unsafe_path
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR
from core_practice_twenty.validation.sql_values import sql_string

SOURCE = "documents"
TOO_LARGE = "document_too_large"
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


def _safe(raw: str) -> str | None:
    """The path with `/` separators, or None when it would leave documents/."""
    relative = raw.replace("\\", "/")
    return None if not relative or unsafe_path(relative) else relative


def _size(raw: str) -> str | None:
    """A listed size in bytes (any script's digits), else None."""
    return str(int(raw)) if raw.isdecimal() else None


def documents_plan(wave: str, options: MappingOptions, context: ctx.MappingContext,
                   field_map: FieldMap | None = None,
                   target_field_names: Mapping[str, str] | None = None) -> ObjectPlan:
    """Documents → attachments targeting the patient."""
    cells = SqlCells(SOURCE, options)
    patient = cells["patient_id"]
    relative = cells.lookup("path", "relative_path", _safe)
    hold = (f"case when ({relative}) is null then 'path_traversal: file path leaves documents/' else "
            f"{missing(PEOPLE.name_plural, patient, wave)} end")
    size = cells.lookup("size", "size_bytes", _size)
    too_large = (f"({warned(SOURCE, 'r.document_id', wave, TOO_LARGE)} or "
                 f"coalesce(({size})::hugeint > {context.max_upload_bytes}, false))")
    rows = (f"select r.*, r.document_id as _key, {relative} as _path, {size} as _size, {too_large} as _too_large, "
            f"{hold} as _hold {accepted(SOURCE, wave, context.sample)}")
    base = cells.lookup("file_name", "relative_path", lambda raw: PurePosixPath(_safe(raw) or "").name)
    name = f"coalesce({cells['file_name']}, {base})"
    category = cells.lookup_many("category", ("mime_type", "file_name", "relative_path"),
                                 lambda mime, file_name, path: file_category(
                                     mime, file_name or PurePosixPath((path or "").replace("\\", "/")).name))
    directory = sql_string(f"{DOCUMENTS_DIR}/")
    file = json_object([
        Member("documentId", value("r._key")),
        Member("path", value(f"{directory} || ltrim(r._path, '/')")),
        Member("mimeType", value(cells["mime_type"])),
        Member("sizeBytes", value("r._size::hugeint")),
        Member("sha256", value(f"nullif(lower({cells['sha256']}), '')")),
        Member("category", value(cells["category"])),
        Member("uploadedAt", value(f"strftime({cells.parsed('uploaded_at')}, '%Y-%m-%dT%H:%M')")),
        Member("upload", "case when r._too_large then 'false' else 'true' end"),
        Member("reason", value(f"case when r._too_large then '{TOO_LARGE}' end")),
    ])
    fields = {**DEFAULT_TARGET_FIELDS, **(target_field_names or {})}
    payload = json_object([
        Member("name", value(name)),
        Member("fileCategory", value(category)),
        Member(fields["person"], ref(PEOPLE.name_plural, patient)),
        Member("$file", file),
    ])
    staged = StagedSelect(ATTACHMENTS.name_plural, (
        f"select r._key as source_key, r.source_line, {payload} as payload, "
        f"{json_list([dependency(PEOPLE.name_plural, patient)])} as depends_on, "
        f"{json_list([f'case when r._too_large then {sql_string(TOO_LARGE)} end'])} as notes "
        f"from plan_rows r where r._hold is null"))
    return ObjectPlan(SOURCE, ATTACHMENTS.name_plural, rows, [staged], [cells], counts={
        f"{SOURCE}.staged": STAGED_ROWS, "not_for_upload": f"{STAGED_ROWS} and r._too_large"})
