"""Documents uploaded the way the server does: the direct flow (createFileUpload, PUT, completeFileUpload), the
/metadata multipart mutations, the legacy /graphql uploadFile."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tenacity import Retrying, retry_if_exception, stop_after_attempt

from core_practice_twenty.model.twenty import FLOW_BY_ID, FLOW_BY_UID, FLOW_DIRECT, FLOW_LEGACY, UPLOAD_LIMIT_BY_FLOW
from core_practice_twenty.twenty import facts as server_facts
from core_practice_twenty.twenty.errors import FileTooLargeError, TwentyApiError, _upload_limit_from
from core_practice_twenty.twenty.metadata_api import MetadataApi
from core_practice_twenty.twenty.ratelimit import parse_retry_after
from core_practice_twenty.twenty.retry import is_transient

UPLOAD_FLOW_CURRENT = FLOW_BY_ID  # the names older callers and tests use


UPLOAD_FLOW_LEGACY = FLOW_LEGACY


CURRENT_UPLOAD_MUTATION = (
    "mutation UploadFilesFieldFile($file: Upload!, $fieldMetadataId: String!) "
    "{ uploadFilesFieldFile(file: $file, fieldMetadataId: $fieldMetadataId) { id path size } }"
)


BY_UID_UPLOAD_MUTATION = (
    "mutation UploadFilesFieldFileByUniversalIdentifier($file: Upload!, $fieldMetadataUniversalIdentifier: String!) "
    "{ uploadFilesFieldFileByUniversalIdentifier(file: $file, fieldMetadataUniversalIdentifier: "
    "$fieldMetadataUniversalIdentifier) { id path size } }"
)


CREATE_UPLOAD_MUTATION = (
    "mutation CreateFileUpload($filename: String!, $size: Float!, $fieldMetadataId: String) "
    "{ createFileUpload(filename: $filename, size: $size, fileFolder: FilesField, fieldMetadataId: $fieldMetadataId) "
    "{ fileId uploadUrl contentType } }"
)


COMPLETE_UPLOAD_MUTATION = (
    "mutation CompleteFileUpload($fileId: String!) { completeFileUpload(fileId: $fileId) { id path size } }"
)


_DIRECT_LIMIT_MESSAGE = re.compile(r"\(max (\d+) bytes\)")  # createFileUpload's "Invalid file size … (max N bytes)"


LEGACY_UPLOAD_MUTATION = (
    "mutation UploadFile($file: Upload!, $fileFolder: FileFolder) "
    "{ uploadFile(file: $file, fileFolder: $fileFolder) }"
)


LEGACY_UPLOAD_MUTATION_WITH_TOKEN = (  # a later legacy release answers an object {path, token}
    "mutation UploadFile($file: Upload!, $fileFolder: FileFolder) "
    "{ uploadFile(file: $file, fileFolder: $fileFolder) { path } }"
)


class FilesApi(MetadataApi):
    """Documents uploaded the way this Twenty does (direct, by field id or universal id, legacy)."""

    def upload_flow(self) -> str:
        """How this server takes a file (twenty/facts.py): `direct`, `by-id`, `by-uid` or `legacy`.

        `legacy` when the attachment object has no FILES field `file` (before Files v2, PR #17707);
        otherwise the best mutation /metadata's GraphQL validation does not call missing. Asked once."""
        if self._upload_flow is None:
            if not self._find_file_field():
                self._upload_flow = FLOW_LEGACY
            else:
                try:
                    self.request("POST", "/metadata", json={"query": server_facts.PROBE_QUERY}, paced=False)
                    errors: list[str] = []
                except TwentyApiError as exc:
                    errors = exc.messages
                self._upload_flow = server_facts.flow_from_probe(errors) or FLOW_BY_ID
        return self._upload_flow

    def _find_file_field(self) -> bool:
        """The attachment's FILES field `file` (Files v2): its id and universal identifier; False if none."""
        attachment = next((o for o in self._objects() if o.get("nameSingular") == "attachment"), {})
        field = next((f for f in attachment.get("fields") or []
                      if f.get("name") == "file" and f.get("type") == "FILES"), None)
        if field is None:
            return False
        self._file_field_id, self._file_field_uid = field["id"], field.get("universalIdentifier")
        return True

    def upload_limit(self) -> int:
        """Largest file (bytes) this client will send: configured, learned from a 413, or the flow's default."""
        return self.max_upload_bytes or UPLOAD_LIMIT_BY_FLOW[self.upload_flow()]

    def upload_file(self, path: Path, *, filename: str, mime_type: str,
                    field_metadata_id: str | None = None) -> dict:
        """Upload one file the way this server does; returns the attachment fields that reference it.

        `{"file": [{"fileId", "label"}]}` on Files v2 servers (the file stays temporary until a record
        references it), `{"fullPath": path}` on older ones. The direct flow (createFileUpload, PUT of the
        bytes to the URL it gives — presigned storage or Twenty's own /file-upload, with no API key —
        then completeFileUpload) and the /metadata mutations are not charged to the API throttle, so they
        are not paced. A file over the limit raises FileTooLargeError before anything is sent. A retried
        upload whose answer was lost leaves an unreferenced temporary file behind, never a second attachment.
        """
        flow = self.upload_flow()
        if field_metadata_id and flow == FLOW_LEGACY:
            flow = FLOW_BY_ID
        size = path.stat().st_size
        limit = self.max_upload_bytes or UPLOAD_LIMIT_BY_FLOW[flow]
        if size > limit:
            raise FileTooLargeError(size, limit)
        if flow != FLOW_LEGACY and not field_metadata_id and self._file_field_id is None:
            self._find_file_field()
        field_id = field_metadata_id or self._file_field_id
        if flow == FLOW_DIRECT:
            return {"file": [{"fileId": self._upload_direct(path, filename, size, field_id), "label": filename}]}
        if flow in (FLOW_BY_ID, FLOW_BY_UID):
            by_uid = flow == FLOW_BY_UID and not field_metadata_id
            query = BY_UID_UPLOAD_MUTATION if by_uid else CURRENT_UPLOAD_MUTATION
            variables = ({"file": None, "fieldMetadataUniversalIdentifier": self._file_field_uid} if by_uid
                         else {"file": None, "fieldMetadataId": field_id})
            data = self._upload_graphql("/metadata", query, variables, path, filename, mime_type, paced=False)
            return {"file": [{"fileId": next(iter(data.values()))["id"], "label": filename}]}
        variables = {"file": None, "fileFolder": "Attachment"}
        try:
            data = self._upload_graphql("/graphql", LEGACY_UPLOAD_MUTATION, variables, path, filename, mime_type)
        except TwentyApiError as exc:
            if "selection of subfields" not in exc.message:
                raise
            data = self._upload_graphql("/graphql", LEGACY_UPLOAD_MUTATION_WITH_TOKEN, variables, path, filename,
                                        mime_type)
        stored = data["uploadFile"]
        return {"fullPath": stored["path"] if isinstance(stored, dict) else stored}

    def _upload_direct(self, path: Path, filename: str, size: int, field_id: str | None) -> str:
        """createFileUpload → PUT → completeFileUpload (file-upload.resolver.ts, file-upload.controller.ts)."""
        try:
            variables = {"filename": filename, "size": size, "fieldMetadataId": field_id}
            answer = self.request("POST", "/metadata", paced=False,
                                  json={"query": CREATE_UPLOAD_MUTATION, "variables": variables})
            slot = answer["data"]["createFileUpload"]
        except TwentyApiError as exc:
            found = next((m for m in map(_DIRECT_LIMIT_MESSAGE.search, exc.messages) if m), None)
            if found is not None:
                self.max_upload_bytes = int(found.group(1))
                raise FileTooLargeError(size, self.max_upload_bytes) from None
            raise
        retrying = Retrying(retry=retry_if_exception(is_transient), stop=stop_after_attempt(self.retry.attempts),
                            wait=self._wait, before_sleep=self._before_sleep, reraise=True)
        retrying(self._put_bytes, slot["uploadUrl"], path, slot.get("contentType") or "application/octet-stream")
        try:
            done = self.request("POST", "/metadata", paced=False, json={
                "query": COMPLETE_UPLOAD_MUTATION, "variables": {"fileId": slot["fileId"]}})
        except TwentyApiError as exc:
            if exc.attempts > 1 and exc.status == 400:
                # the first attempt completed it and its answer was lost; the completed file keeps the id (if it
                # did not, Twenty refuses the attachment that names it: a reject with its reason, nothing lost)
                return slot["fileId"]
            raise
        return done["data"]["completeFileUpload"]["id"]

    def _put_bytes(self, url: str, path: Path, content_type: str) -> None:
        """The bytes to an upload URL: its token is the credential, so the API key is never sent there.
        A PUT the server already took (its answer lost) is refused as already uploaded: that is success."""
        self.stats.add("unpaced_requests")
        with path.open("rb") as fh:
            response = self._storage.put(url, content=fh.read(), headers={"Content-Type": content_type})
        if response.status_code < 300:
            return
        try:
            data = response.json()
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        messages = data.get("messages") or ([data["message"]] if "message" in data else [response.text[:200]])
        if response.status_code == 400 and any("already been uploaded" in str(m) for m in messages):
            return
        raise TwentyApiError(response.status_code, str(data.get("error", response.reason_phrase)),
                             [str(m) for m in messages], parse_retry_after(response.headers.get("Retry-After")))

    def _upload_graphql(self, endpoint: str, query: str, variables: dict, path: Path, filename: str,
                        mime_type: str, *, paced: bool = True) -> dict:
        """The graphql-multipart-request layout Twenty's own tests send: operations, map, then part 0."""
        form = {"operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps({"0": ["variables.file"]})}
        try:
            body = self.request("POST", endpoint, form=form, upload=("0", path, filename, mime_type), paced=paced)
        except TwentyApiError as exc:
            limit = _upload_limit_from(exc)
            if limit is not None:
                self.max_upload_bytes = limit
                raise FileTooLargeError(path.stat().st_size, limit) from None
            raise
        return body["data"]

