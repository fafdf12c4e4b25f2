"""Domain errors with stable codes, rendered by the API as RFC 9457 problem+json.

Services raise these and know nothing of HTTP; the status lives on the class so that the
mapping is in one place and every route answers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one input field (or one cell of an imported file)."""

    field: str
    reason: str
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.line is not None:
            d["line"] = self.line
        return d


@dataclass
class DomainError(Exception):
    """Base of every error a caller can act on."""

    message: str
    code: str = "domain_error"
    problems: list[FieldProblem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __post_init__(self) -> None:
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"

    def __init__(self, message: str, problems: list[FieldProblem] | None = None,
                 code: str = "invalid_input", extra: dict[str, Any] | None = None) -> None:
        super().__init__(message=message, code=code, problems=problems or [],
                         extra=extra or {})


class NotFound(DomainError):
    status = 404
    title = "Not found"

    def __init__(self, what: str, ident: object, code: str = "not_found",
                 message: str | None = None) -> None:
        super().__init__(message=message or f"{what} {ident} was not found", code=code)


class Conflict(DomainError):
    status = 409
    title = "Conflict"

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message=message, code=code)


class Unauthenticated(DomainError):
    status = 401
    title = "Not signed in"

    def __init__(self, message: str = "Sign in or send a valid API token",
                 code: str = "unauthenticated") -> None:
        super().__init__(message=message, code=code)


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"

    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message=message, code=code)


class ResidencyViolation(DomainError):
    """Personal data was about to be written outside its owner's regional store."""

    status = 500
    title = "Data residency violation"

    def __init__(self, message: str) -> None:
        super().__init__(message=message, code="residency_violation")
