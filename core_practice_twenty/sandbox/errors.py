"""Errors raised inside the sandbox and rendered with Twenty's REST error body.

Twenty answers every REST failure with ``{"statusCode", "error", "messages"}``
(packages/twenty-server/src/engine/core-modules/exception-handler/utils/send-http-exception-response.util.ts),
so clients parse one shape; the sandbox raises :class:`ApiError` anywhere and the HTTP layer renders it.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error with Twenty's body shape."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Twenty sends for this error (some errors, like 429s, carry more keys)."""
        return {"statusCode": self.status, "error": self.error, "messages": [self.message], **self.extra}

    @classmethod
    def from_body(cls, body: dict[str, Any], headers: dict[str, str]) -> ApiError:
        """An error with a ready-made Twenty body (e.g. the 429 of the workspace's generation)."""
        extra = {k: v for k, v in body.items() if k not in ("statusCode", "error", "messages")}
        return cls(body["statusCode"], body["error"], body["messages"][0], extra, headers)


def bad_request(message: str) -> ApiError:
    """400 ``BadRequestException``: Twenty's answer to every validation and parser failure."""
    return ApiError(400, "BadRequestException", message)


def not_found(message: str = "Record not found") -> ApiError:
    """404 ``NotFoundException`` (newest Twenty; older versions used 400 for records)."""
    return ApiError(404, "NotFoundException", message)


def forbidden(message: str) -> ApiError:
    """403 ``ForbiddenException`` for a permission Twenty refuses to the API key."""
    return ApiError(403, "ForbiddenException", message)


def forbidden_missing_token() -> ApiError:
    """403 for a request without a bearer token (rest-api-core-authentication.integration-spec.ts)."""
    return ApiError(403, "FORBIDDEN_EXCEPTION", "Missing authentication token")


def unauthenticated() -> ApiError:
    """401 for a wrong token (same test suite)."""
    return ApiError(401, "UNAUTHENTICATED", "Token invalid.")
