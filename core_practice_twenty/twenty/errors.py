"""Errors a Twenty answers with, as the client raises them: status, Twenty's error name and messages, never a value."""

from __future__ import annotations

import re


class TwentyConfigError(Exception):
    """Twenty's URL or API key is missing from the environment."""


class TwentyApiError(Exception):
    """Twenty answered with an error status. `messages` may quote record values: keep them out of logs."""

    def __init__(self, status: int, error: str, messages: list[str], retry_after_s: float | None = None) -> None:
        self.status = status
        self.error = error
        self.messages = messages
        self.retry_after_s = retry_after_s
        self.attempts = 1  # set by TwentyClient.request: >1 means an earlier attempt may have been applied
        super().__init__(f"Twenty API {status} {error}")

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

    @property
    def message(self) -> str:
        return "; ".join(self.messages)


class FileTooLargeError(Exception):
    """A file is larger than the server accepts for upload; nothing was sent. Carries sizes, not names."""

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes
        super().__init__(f"file of {size_bytes} bytes exceeds the server's upload limit of {limit_bytes} bytes")


_CAP_MESSAGE = re.compile(
    r"Maximum number of records to \w+ is (\d+)"  # create/upsert many (common-create-many-query-runner)
    r"|Cannot \w+ more than (\d+) records at once"  # update/delete/destroy/restore many by filter
)


def server_batch_cap(exc: BaseException) -> int | None:
    """The cap a 400 "too many records" names, else None."""
    if not isinstance(exc, TwentyApiError) or exc.status != 400:
        return None
    for message in exc.messages:
        found = _CAP_MESSAGE.search(message)
        if found:
            return int(found.group(1) or found.group(2))
    return None


_GRAPHQL_CODE_STATUS = {"BAD_USER_INPUT": 400, "GRAPHQL_VALIDATION_FAILED": 400, "UNAUTHENTICATED": 401,
                        "FORBIDDEN": 403, "NOT_FOUND": 404, "PAYLOAD_TOO_LARGE": 413, "RATE_LIMITED": 429,
                        "INTERNAL_SERVER_ERROR": 500}


def _graphql_error(body: dict, status: int | None, retry_after: float | None) -> TwentyApiError:
    """A GraphQL `{"errors": [...]}` answer as a TwentyApiError, status from the first error's code."""
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    code = str(((errors[0].get("extensions") or {}).get("code")) if errors else "GRAPHQL_ERROR")
    messages = [str(e.get("message", "")) for e in errors]
    return TwentyApiError(status or _GRAPHQL_CODE_STATUS.get(code, 400), code, messages, retry_after)


_UPLOAD_LIMIT_MESSAGE = re.compile(r"exceeds the (\d+) byte size limit")  # graphql-upload's maxFileSize wording


def _upload_limit_from(exc: TwentyApiError) -> int | None:
    if exc.status != 413 and exc.error != "PAYLOAD_TOO_LARGE":
        return None
    for message in exc.messages:
        found = _UPLOAD_LIMIT_MESSAGE.search(message)
        if found:
            return int(found.group(1))
    return None


def _is_not_found(exc: TwentyApiError) -> bool:
    """404, or the 400 "Record not found" some older servers answered for an unknown id (§4)."""
    return exc.status == 404 or (exc.status == 400 and any("Record not found" in m for m in exc.messages))

