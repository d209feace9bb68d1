"""File upload as Twenty does it: GraphQL on /metadata or /graphql, then a record that points at the file.

Twenty has no REST upload (twenty-api.md §11). Which mutations a workspace serves is a row of
``sandbox/versions.py``; the flows are:

* ``direct`` (in 2.38's schema, the only non-deprecated one from 2.40): ``createFileUpload(filename, size,
  fileFolder: FilesField, fieldMetadataId | fieldMetadataUniversalIdentifier)`` → ``{fileId, uploadUrl,
  contentType, expiresAt}`` (core-modules/file/file-upload/resolvers/file-upload.resolver.ts,
  services/file-upload-target.service.ts: without presigned storage the URL is the server's own
  ``/file-upload/{fileId}?token=…``); ``PUT`` of the bytes there, no API key, answered 204
  (controllers/file-upload.controller.ts, guards/file-upload-token.guard.ts; more bytes than declared → 413
  "Upload exceeds declared size of N bytes", fewer → 400 "Uploaded X bytes but N were declared", twice → 400
  "This file has already been uploaded."); then ``completeFileUpload(fileId)`` → ``{id, path, size,
  createdAt, url}``. None of the three draws on the API throttle: only the record query runners charge a
  token (common-base-query-runner.service.ts), and neither resolver nor controller has a throttler.
* ``uploadFilesFieldFileByUniversalIdentifier(file, fieldMetadataUniversalIdentifier)``: multipart on
  /metadata (files-field.resolver.ts), deprecated in 2.43's client.

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
from core_practice_twenty.sandbox.errors import ApiError
from core_practice_twenty.sandbox.values import is_uuid, now_iso
from core_practice_twenty.sandbox.versions import (
    MUTATION_BY_ID,
    MUTATION_BY_UID,
    MUTATION_COMPLETE,
    MUTATION_CREATE,
    MUTATION_LEGACY,
    TwentyVersion,
)

FILE_FIELDS = ("id", "path", "size", "createdAt", "url")
TARGET_FIELDS = ("fileId", "uploadUrl", "contentType", "expiresAt")
UPLOAD_EXPIRES_S = 900  # STORAGE_S3_PRESIGNED_URL_EXPIRES_IN's default

ENDPOINTS = {MUTATION_LEGACY: "/graphql", MUTATION_BY_ID: "/metadata", MUTATION_BY_UID: "/metadata",
             MUTATION_CREATE: "/metadata", MUTATION_COMPLETE: "/metadata"}
REQUIRED_ARGS = {  # GraphQL validation: a missing non-null argument is refused before anything runs
    MUTATION_LEGACY: (("file", "Upload!"),),
    MUTATION_BY_ID: (("file", "Upload!"), ("fieldMetadataId", "String!")),
    MUTATION_BY_UID: (("file", "Upload!"), ("fieldMetadataUniversalIdentifier", "String!")),
    MUTATION_CREATE: (("filename", "String!"), ("size", "Float!"), ("fileFolder", "FileFolder!")),
    MUTATION_COMPLETE: (("fileId", "String!"),),
}
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

    def __init__(self, message: str, code: str, status: int = 200, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.messages = errors or [message]

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": m, "extensions": {"code": self.code}} for m in self.messages], "data": None}


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


def upload_token(api_key: str, file_id: str) -> str:
    """The ``FILE_UPLOAD`` token of one pending upload (Twenty signs a JWT bound to the file id)."""
    return file_token(api_key, f"upload:{file_id}")


def _selection(query: str, name: str) -> list[str]:
    found = _mutation(query, name)
    return found[1] if found else []


class FileService:
    """Uploads (every flow of the version played) and downloads over one :class:`Database`."""

    def __init__(self, db: Database, api_key: str, played: TwentyVersion, max_bytes: int) -> None:
        self.db = db
        self.api_key = api_key
        self.played = played
        self.max_bytes = max_bytes

    def validate(self, endpoint: str, query: str) -> None:
        """GraphQL validation of the upload mutations a document names: a mutation this version (or this
        endpoint) does not serve, or a required argument left out, is refused before anything runs, with
        graphql-js's wording. A client learns what the server offers from exactly these answers."""
        errors = []
        for name, required in REQUIRED_ARGS.items():
            if not re.search(rf"\b{name}\s*[({{]", query):
                continue
            if name not in self.played.upload_mutations or ENDPOINTS[name] != endpoint:
                errors.append(f'Cannot query field "{name}" on type "Mutation".')
                continue
            args = (_mutation(query, name) or ({}, []))[0]
            errors += [f'Field "{name}" argument "{arg}" of type "{kind}" is required, but it was not provided.'
                       for arg, kind in required if arg not in args]
        if errors:
            raise GraphqlError("; ".join(errors), "GRAPHQL_VALIDATION_FAILED", errors=errors)

    def operation(self, endpoint: str, body: bytes, base_url: str) -> dict[str, Any]:
        """A JSON GraphQL request to /metadata: ``createFileUpload`` / ``completeFileUpload``."""
        try:
            operations = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise GraphqlError("Request body is not valid JSON", "BAD_USER_INPUT") from None
        if not isinstance(operations, dict) or not isinstance(operations.get("query"), str):
            raise GraphqlError("Expected a JSON object with a query", "BAD_USER_INPUT")
        query, variables = operations["query"], dict(operations.get("variables") or {})
        self.validate(endpoint, query)
        data: dict[str, Any] = {}
        if (found := _mutation(query, MUTATION_CREATE)) is not None:
            data[MUTATION_CREATE] = self._create_upload(found[0], found[1], variables, base_url)
        if (found := _mutation(query, MUTATION_COMPLETE)) is not None:
            data[MUTATION_COMPLETE] = self._complete_upload(found[0], found[1], variables, base_url)
        if not data:
            raise GraphqlError(
                "The sandbox serves only the file-upload mutations on /graphql and /metadata "
                f"({', '.join(self.played.upload_mutations)}); use the REST API for everything else",
                "GRAPHQL_VALIDATION_FAILED",
            )
        return {"data": data}

    def _files_field(self, field_id: Any, universal_id: Any) -> Any:
        field = None
        if isinstance(field_id, str):
            field = self.db.fields_by_id.get(field_id)
        elif isinstance(universal_id, str):
            field = next((f for f in self.db.fields_by_id.values()
                          if f.dto.get("universalIdentifier") == universal_id), None)
        if field is None or field.type != "FILES":
            raise GraphqlError("Field metadata not found (it must name a FILES field)", "NOT_FOUND")
        return field

    def _create_upload(self, args: dict[str, str], selection: list[str], variables: dict[str, Any],
                       base_url: str) -> dict[str, Any]:
        filename = _argument(args.get("filename"), variables)
        size = _argument(args.get("size"), variables)
        folder = _argument(args.get("fileFolder"), variables)
        if folder != "FilesField":
            raise GraphqlError(f"Direct upload is not supported for file folder {folder}", "BAD_USER_INPUT")
        if not isinstance(filename, str) or not filename.strip():
            raise GraphqlError("filename must not be empty", "BAD_USER_INPUT")
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        if not isinstance(size, int | float) or size != int(size) or size <= 0 or size > self.max_bytes:
            raise GraphqlError(f"Invalid file size {size} (max {self.max_bytes} bytes)", "BAD_USER_INPUT")
        field = self._files_field(_argument(args.get("fieldMetadataId"), variables),
                                  _argument(args.get("fieldMetadataUniversalIdentifier"), variables))
        file_id = str(uuid.uuid4())
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO pending_uploads(id, name, size, field_id, created_at, data) "
                         "VALUES (?, ?, ?, ?, ?, NULL)", (file_id, filename, int(size), field.id, now_iso()))
        target = {"fileId": file_id, "contentType": "application/octet-stream",
                  "uploadUrl": f"{base_url}/file-upload/{file_id}?token={upload_token(self.api_key, file_id)}",
                  "expiresAt": now_iso(offset_s=UPLOAD_EXPIRES_S)}
        wanted = [f for f in selection if f in TARGET_FIELDS] or list(TARGET_FIELDS)
        return {key: target[key] for key in wanted}

    def receive(self, file_id: str, token: str | None, data: bytes) -> None:
        """``PUT /file-upload/{fileId}?token=…``: the bytes of a pending upload (file-upload.controller.ts)."""
        if not is_uuid(file_id) or not token or not hmac.compare_digest(token, upload_token(self.api_key, file_id)):
            raise ApiError(403, "Forbidden", "Forbidden resource")
        with self.db.transaction() as conn:
            row = conn.execute("SELECT size, data IS NOT NULL FROM pending_uploads WHERE id = ?", (file_id,)).fetchone()
            if row is None:
                done = conn.execute("SELECT 1 FROM files WHERE id = ?", (file_id,)).fetchone()
                if done is None:
                    raise ApiError(404, "NotFoundException", "File not found")
            if row is None or row[1]:
                raise ApiError(400, "BadRequestException", "This file has already been uploaded.")
            declared = int(row[0])
            if len(data) > declared:
                raise ApiError(413, "PayloadTooLargeException", f"Upload exceeds declared size of {declared} bytes")
            if len(data) < declared:
                raise ApiError(400, "BadRequestException", f"Uploaded {len(data)} bytes but {declared} were declared")
            conn.execute("UPDATE pending_uploads SET data = ? WHERE id = ?", (data, file_id))

    def _complete_upload(self, args: dict[str, str], selection: list[str], variables: dict[str, Any],
                         base_url: str) -> dict[str, Any]:
        file_id = _argument(args.get("fileId"), variables)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT name, field_id, data FROM pending_uploads WHERE id = ?",
                               (file_id,)).fetchone() if isinstance(file_id, str) else None
            if row is None and isinstance(file_id, str) and conn.execute(
                    "SELECT 1 FROM files WHERE id = ?", (file_id,)).fetchone():
                raise GraphqlError("This file upload has already been completed.", "BAD_USER_INPUT")
            if row is None or row[2] is None:
                raise GraphqlError("File has not been uploaded", "BAD_USER_INPUT")
            conn.execute("DELETE FROM pending_uploads WHERE id = ?", (file_id,))
        name, field_id, data = row
        part = Part("file", name, mimetypes.guess_type(name)[0] or "application/octet-stream", bytes(data))
        stored = self._store(part, self._files_field_path(field_id, file_id, name), file_id, field_id)
        stored["url"] = f"{base_url}/files-field/{file_id}?token={file_token(self.api_key, file_id)}"
        wanted = [f for f in selection if f in FILE_FIELDS] or list(FILE_FIELDS)
        return {key: stored[key] for key in wanted}

    @staticmethod
    def _files_field_path(field_id: str, file_id: str, filename: str | None) -> str:
        extension = filename.rsplit(".", 1)[1].lower() if filename and "." in filename else ""
        return f"files-field/{field_id}/{file_id}.{extension}" if extension else f"files-field/{field_id}/{file_id}"

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
        self.validate(endpoint, query)
        for name in (MUTATION_BY_ID, MUTATION_BY_UID):
            if (found := _mutation(query, name)) is not None:
                return {"data": {name: self._files_field_upload(*found, variables, base_url)}}
        if (found := _mutation(query, MUTATION_LEGACY)) is not None:
            return {"data": {MUTATION_LEGACY: self._legacy_upload(found[0], variables)}}
        raise self._unknown_mutation(query)

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
        field = self._files_field(_argument(args.get("fieldMetadataId"), variables),
                                  _argument(args.get("fieldMetadataUniversalIdentifier"), variables))
        file_id = str(uuid.uuid4())
        stored = self._store(part, self._files_field_path(field.id, file_id, part.filename), file_id, field.id)
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
