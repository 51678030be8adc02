"""One error hierarchy that a machine can read.

Every error the platform raises on purpose is a ``LedgerlineError``; the HTTP layer maps it
to Messenger's ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``
shape (bank-facing) or a plain ``{"error": {...}}`` (person-facing).

    LedgerlineError
     ├── InvalidParameter          (#100)      HTTP 400
     │    ├── NoMatchingUser       (#100/2018001)
     │    └── TooManyElements      (#100, a limit such as 13 quick replies)
     ├── InvalidToken              (#190)      HTTP 400 on the bank API, as Messenger; 401 on /api/v1
     ├── PermissionDenied          (#200)      HTTP 403
     │    ├── ConsentRequired      (#200/2018400) a write the person's consent does not cover
     │    └── PurposeNotAllowed    (#200/2018401) a read the purpose or consent does not allow
     ├── OutsideWindow             (#10/2018278)
     ├── NotThreadOwner            (#10/2018300)
     ├── PersonUnavailable         (#551/1545041)
     ├── RateLimited               (#613)      HTTP 400 on the bank API, as Graph; 429 on /api/v1
     ├── LinkingTokenExpired       (#10301)
     ├── NotFound                  (#803)      HTTP 404
     ├── UnknownPathComponents     (#2500)     an undocumented Graph version, e.g. /v99.0/
     ├── Conflict                  (#100)      HTTP 409
     └── ServiceUnavailable        (#2)        HTTP 503 with Retry-After (e.g. a busy database)
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerlineError(Exception):
    """Base of every deliberate error: a code, an optional subcode and an HTTP status."""

    code: ClassVar[int] = 1
    subcode: ClassVar[int | None] = None
    http_status: ClassVar[int] = 400
    error_type: ClassVar[str] = "OAuthException"
    default_message: ClassVar[str] = "An unknown error occurred"

    def __init__(self, message: str | None = None, *, subcode: int | None = None) -> None:
        self.message = message or self.default_message
        self.instance_subcode = subcode if subcode is not None else self.subcode
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"(#{self.code}) {self.message}"


class InvalidParameter(LedgerlineError):
    code = 100
    default_message = "Invalid parameter"


class NoMatchingUser(InvalidParameter):
    subcode = 2018001
    default_message = "No matching user found"


class TooManyElements(InvalidParameter):
    default_message = "The parameter has too many elements"


class InvalidToken(LedgerlineError):
    code = 190
    default_message = "Invalid OAuth access token."


class PermissionDenied(LedgerlineError):
    code = 200
    http_status = 403
    default_message = "Permissions error"


class ConsentRequired(PermissionDenied):
    subcode = 2018400
    default_message = "The person has not consented to share this category of data with you"


class PurposeNotAllowed(PermissionDenied):
    """A read of a person's records refused by the vault; ``reason`` says why
    (``not_linked``, ``scope_missing``, ``purpose_not_for_kind``, ``not_the_person``)."""

    subcode = 2018401
    default_message = "This purpose is not allowed to read this person's data"

    def __init__(self, message: str | None = None, *, reason: str = "purpose_not_allowed") -> None:
        super().__init__(message)
        self.reason = reason


class OutsideWindow(LedgerlineError):
    code = 10
    subcode = 2018278
    default_message = "This message is sent outside of allowed window."


class NotThreadOwner(LedgerlineError):
    code = 10
    subcode = 2018300
    default_message = "Message failed to send because another app is controlling this thread now."


class PersonUnavailable(LedgerlineError):
    code = 551
    subcode = 1545041
    default_message = "This person isn't available right now."


class RateLimited(LedgerlineError):
    code = 613
    http_status = 429
    default_message = "Calls to this api have exceeded the rate limit."

    def __init__(self, message: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LinkingTokenExpired(LedgerlineError):
    code = 10301
    default_message = "Account linking token expired"


class NotFound(LedgerlineError):
    code = 803
    http_status = 404
    default_message = "Some of the aliases you requested do not exist"


class UnknownPathComponents(LedgerlineError):
    """Graph's answer to a path it cannot route, e.g. a version that does not exist."""

    code = 2500
    default_message = "Unknown path components"


class Conflict(LedgerlineError):
    code = 100
    http_status = 409
    default_message = "The request conflicts with the current state"


class ServiceUnavailable(LedgerlineError):
    """Nothing wrong with the request: the platform cannot serve it right now (Messenger's
    ``(#2) Service temporarily unavailable``). Retry after ``retry_after`` seconds."""

    code = 2
    http_status = 503
    default_message = "Service temporarily unavailable. Please retry your request later."

    def __init__(self, message: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def bad_param(param: str, problem: str) -> InvalidParameter:
    """``(#100) param <param> <problem>``: names the field, never its value."""
    return InvalidParameter(f"param {param} {problem}")


def require_object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_param(param, "must be an object")
    return value
