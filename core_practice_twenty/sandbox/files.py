"""File upload as Twenty does it: a GraphQL multipart request, then a record that points at the file.

Twenty has no REST upload (twenty-api.md §11). Two generations:

* ``current`` (Files v2, PR #17707): ``POST /metadata`` with the mutation
  ``uploadFilesFieldFile(file: Upload!, fieldMetadataId: String!)`` (packages/twenty-server/src/engine/
  core-modules/file/files-field/resolvers/files-field.resolver.ts), answering ``{id, path, size,
  createdAt, url}`` (files-field.service.ts); the file is temporary until a record's FILES field
  references it: ``POST /rest/attachments {"name", "file": [{"fileId", "label"}], "targetPersonId"}``.
* ``legacy``: ``POST /graphql`` with ``uploadFile(file: Upload!, fileFolder: FileFolder)`` returning the
  stored path as a string (core-modules/file/resolvers/file-upload.resolver.ts); the attachment then
  carries ``fullPath`` and ``personId``-style targets.

The multipart layout is the graphql-multipart-request spec that Twenty's own tests send
(test/integration/graphql/utils/make-graphql-api-request-with-file-upload.util.ts): parts
``operations`` (JSON ``{query, variables}``), ``map`` (``{"0": ["variables.file"]}``) and ``0`` (the bytes).
The sandbox does not run a GraphQL engine: it recognises these two mutations by name, resolves their
arguments from literals or variables, and answers the selected fields.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import re
import uuid
from dataclasses import dataclass
from typing import Any

from core_practice_twenty.sandbox.db import Database
from core_practice_twenty.sandbox.values import is_uuid, now_iso

FILE_FIELDS = ("id", "path", "size", "createdAt", "url")
_DISPOSITION_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class Part:
    """One multipart part: a form field (``filename`` None) or a file."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


class GraphqlError(Exception):
    """A GraphQL error answered as ``{"errors": [...], "data": null}``."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}], "data": None}


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """multipart/form-data → parts by name (small, strict parser: the sandbox only needs uploads)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type.lower().startswith("multipart/form-data") or not match:
        raise GraphqlError("Expected a multipart/form-data request (graphql-multipart-request spec)", "BAD_USER_INPUT")
    delimiter = b"--" + match.group(1).encode()
    parts: dict[str, Part] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise GraphqlError("Malformed multipart part", "BAD_USER_INPUT")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip().lower()] = value.strip()
        attributes = dict(_DISPOSITION_RE.findall(headers.get("content-disposition", "")))
        if "name" not in attributes:
            raise GraphqlError("Multipart part without a name", "BAD_USER_INPUT")
        parts[attributes["name"]] = Part(
            attributes["name"],
            attributes.get("filename"),
            headers.get("content-type", "application/octet-stream"),
            data,
        )
    return parts


def _mutation(query: str, name: str) -> tuple[dict[str, str], list[str]] | None:
    """Find ``name(args) { selection }`` in a GraphQL document; ``None`` when absent."""
    match = re.search(rf"\b{name}\s*\(([^)]*)\)\s*(\{{[^{{}}]*\}})?", query)
    if match is None:
        return None
    args = dict(re.findall(r"(\w+)\s*:\s*(\$\w+|\"(?:[^\"\\]|\\.)*\"|\w+)", match.group(1)))
    selection = re.findall(r"\w+", match.group(2) or "")
    return args, selection


def _argument(raw: str | None, variables: dict[str, Any]) -> Any:
    if raw is None:
        return None
    if raw.startswith("$"):
        return variables.get(raw[1:])
    if raw.startswith('"'):
        return json.loads(raw)
    return raw  # enum literal, e.g. fileFolder: Attachment


def file_token(api_key: str, file_id: str) -> str:
    """Signed-URL token for one file (stands in for Twenty's signed file URLs)."""
    return hmac.new(api_key.encode(), file_id.encode(), hashlib.sha256).hexdigest()[:32]


class FileService:
    """Uploads (both generations) and downloads over one :class:`Database`."""

    def __init__(self, db: Database, api_key: str, profile: str, max_bytes: int) -> None:
        self.db = db
        self.api_key = api_key
        self.profile = profile
        self.max_bytes = max_bytes

    def upload(self, endpoint: str, content_type: str, body: bytes, base_url: str) -> dict[str, Any]:
        """Handle one multipart GraphQL request to ``/metadata`` or ``/graphql``."""
        parts = parse_multipart(content_type, body)
        try:
            operations = json.loads(parts["operations"].data)
            mapping = json.loads(parts["map"].data)
        except (KeyError, ValueError):
            raise GraphqlError("Missing or invalid 'operations' / 'map' multipart fields", "BAD_USER_INPUT") from None
        if not isinstance(operations, dict) or not isinstance(operations.get("query"), str):
            raise GraphqlError("'operations' must be a JSON object with a query", "BAD_USER_INPUT")
        variables = dict(operations.get("variables") or {})
        for part_name, paths in (mapping or {}).items():
            part = parts.get(part_name)
            if part is None:
                raise GraphqlError(f"File part '{part_name}' named in 'map' is missing", "BAD_USER_INPUT")
            for path in paths:
                if not path.startswith("variables."):
                    raise GraphqlError(f"Unsupported map path '{path}'", "BAD_USER_INPUT")
                variables[path.removeprefix("variables.")] = part
        query = operations["query"]
        if endpoint == "/metadata":
            found = _mutation(query, "uploadFilesFieldFile")
            if found is None or self.profile != "current":
                raise self._unknown_mutation(query)
            return {"data": {"uploadFilesFieldFile": self._files_field_upload(*found, variables, base_url)}}
        found = _mutation(query, "uploadFile")
        if found is None or self.profile != "legacy":
            raise self._unknown_mutation(query)
        return {"data": {"uploadFile": self._legacy_upload(found[0], variables)}}

    @staticmethod
    def _unknown_mutation(query: str) -> GraphqlError:
        name = re.search(r"\b(upload\w*)\s*\(", query)
        shown = name.group(1) if name else "?"
        return GraphqlError(f'Cannot query field "{shown}" on type "Mutation".', "GRAPHQL_VALIDATION_FAILED")

    def _file_argument(self, args: dict[str, str], variables: dict[str, Any]) -> Part:
        part = _argument(args.get("file"), variables)
        if not isinstance(part, Part) or part.filename is None:
            raise GraphqlError("Variable 'file' must be an uploaded file (Upload!)", "BAD_USER_INPUT")
        if len(part.data) > self.max_bytes:
            # graphql-upload's wording when maxFileSize (settings.storage.maxFileSize) is exceeded
            raise GraphqlError(
                f"File truncated as it exceeds the {self.max_bytes} byte size limit.", "PAYLOAD_TOO_LARGE", 413
            )
        return part

    def _store(self, part: Part, path: str, file_id: str, field_id: str | None) -> dict[str, Any]:
        mime = part.content_type or mimetypes.guess_type(part.filename or "")[0] or "application/octet-stream"
        created = now_iso()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO files(id, path, name, mime_type, size, field_id, temporary, created_at, data) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (file_id, path, part.filename, mime, len(part.data), field_id, created, part.data),
            )
        return {"id": file_id, "path": path, "size": len(part.data), "createdAt": created}

    def _files_field_upload(
        self, args: dict[str, str], selection: list[str], variables: dict[str, Any], base_url: str
    ) -> dict[str, Any]:
        part = self._file_argument(args, variables)
        field_id = _argument(args.get("fieldMetadataId"), variables)
        field = self.db.fields_by_id.get(field_id) if isinstance(field_id, str) else None
        if field is None or field.type != "FILES":
            raise GraphqlError("Field metadata not found (fieldMetadataId must name a FILES field)", "NOT_FOUND")
        file_id = str(uuid.uuid4())
        extension = part.filename.rsplit(".", 1)[1].lower() if part.filename and "." in part.filename else ""
        name = f"{file_id}.{extension}" if extension else file_id
        stored = self._store(part, f"files-field/{field.id}/{name}", file_id, field.id)
        stored["url"] = f"{base_url}/files-field/{file_id}?token={file_token(self.api_key, file_id)}"
        wanted = [f for f in selection if f in FILE_FIELDS] or list(FILE_FIELDS)
        return {key: stored[key] for key in wanted}

    def _legacy_upload(self, args: dict[str, str], variables: dict[str, Any]) -> str:
        part = self._file_argument(args, variables)
        folder = _argument(args.get("fileFolder"), variables) or "Attachment"
        folder = re.sub(r"(?<!^)([A-Z])", r"-\1", str(folder)).lower()
        file_id = str(uuid.uuid4())
        extension = part.filename.rsplit(".", 1)[1].lower() if part.filename and "." in part.filename else ""
        path = f"{folder}/{file_id}{'.' + extension if extension else ''}"
        return self._store(part, path, file_id, None)["path"]

    def download(self, *, file_id: str | None = None, path: str | None = None) -> tuple[str, bytes] | None:
        """``(mime type, bytes)`` of a stored file, by id (current) or path (legacy)."""
        if file_id is not None:
            if not is_uuid(file_id):
                return None
            row = self.db.conn.execute("SELECT mime_type, data FROM files WHERE id = ?", (file_id,)).fetchone()
        else:
            row = self.db.conn.execute("SELECT mime_type, data FROM files WHERE path = ?", (path,)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def token_ok(self, file_id_or_path: str, token: str | None) -> bool:
        """True when ``token`` signs this file (current ids, or legacy paths)."""
        if not token:
            return False
        return hmac.compare_digest(token, file_token(self.api_key, file_id_or_path))
