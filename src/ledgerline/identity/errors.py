"""The identity errors, readable by people (pages) and machines (the API's error shape)."""

from __future__ import annotations

from ledgerline.domain.errors import (
    Conflict,
    InvalidParameter,
    InvalidToken,
    PermissionDenied,
    RateLimited,
)


class SignUpInvalid(InvalidParameter):
    """A sign-up field is missing or malformed; ``field`` names it, ``key`` the message."""

    def __init__(self, field: str, key: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.key = key


class LoginTaken(Conflict):
    # Says no more than a wrong password would: the name may or may not exist.
    default_message = "No account could be created with this sign-in name and password"


class WrongCredentials(InvalidToken):
    default_message = "Wrong sign-in name or password"


class TooManyAttempts(RateLimited):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


class SessionExpired(InvalidToken):
    default_message = "Your session has expired or was ended. Please sign in again."


class CsrfRejected(PermissionDenied):
    default_message = (
        "This request was refused because its security token (CSRF) is missing or invalid. "
        "Reload the page and try again."
    )
