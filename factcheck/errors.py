"""The one domain error type services raise; `factcheck.exceptions` turns it into a 4xx."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken by the caller's input. Maps to a 4xx response."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.default_code
        self.extra = extra or {}

    def as_body(self) -> dict[str, Any]:
        key = self.field or "detail"
        body: dict[str, Any] = {key: [self.message] if self.field else self.message}
        body["code"] = self.code
        body.update(self.extra)
        return body


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    default_code = "permission_denied"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class PreconditionFailed(DomainError):
    status_code = 412
    default_code = "precondition_failed"


class PreconditionRequired(DomainError):
    status_code = 428
    default_code = "precondition_required"
