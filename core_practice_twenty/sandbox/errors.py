"""Errors raised inside the sandbox and rendered with Twenty's REST error body.

Twenty answers every REST failure with ``{"statusCode", "error", "messages"}``
(packages/twenty-server/src/engine/core-modules/exception-handler/utils/send-http-exception-response.util.ts),
so clients parse one shape; the sandbox raises :class:`ApiError` anywhere and the HTTP layer renders it.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error with Twenty's body shape."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Twenty sends for this error."""
        return {"statusCode": self.status, "error": self.error, "messages": [self.message]}


def bad_request(message: str) -> ApiError:
    """400 ``BadRequestException``: Twenty's answer to every validation and parser failure."""
    return ApiError(400, "BadRequestException", message)


def not_found(message: str = "Record not found") -> ApiError:
    """404 ``NotFoundException`` (newest Twenty; older versions used 400 for records)."""
    return ApiError(404, "NotFoundException", message)


def forbidden_missing_token() -> ApiError:
    """403 for a request without a bearer token (rest-api-core-authentication.integration-spec.ts)."""
    return ApiError(403, "FORBIDDEN_EXCEPTION", "Missing authentication token")


def unauthenticated() -> ApiError:
    """401 for a wrong token (same test suite)."""
    return ApiError(401, "UNAUTHENTICATED", "Token invalid.")
