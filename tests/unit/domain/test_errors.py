"""The error hierarchy: Messenger's codes and subcodes, HTTP statuses, "(#code) message"."""

from __future__ import annotations

import pytest

from ledgerline.domain import errors


@pytest.mark.parametrize(
    ("error", "code", "subcode", "status"),
    [
        (errors.InvalidParameter, 100, None, 400),
        (errors.NoMatchingUser, 100, 2018001, 400),
        (errors.TooManyElements, 100, None, 400),
        (errors.InvalidToken, 190, None, 400),
        (errors.PermissionDenied, 200, None, 403),
        (errors.ConsentRequired, 200, 2018400, 403),
        (errors.OutsideWindow, 10, 2018278, 400),
        (errors.NotThreadOwner, 10, 2018300, 400),
        (errors.PersonUnavailable, 551, 1545041, 400),
        (errors.RateLimited, 613, None, 429),
        (errors.LinkingTokenExpired, 10301, None, 400),
        (errors.NotFound, 803, None, 404),
        (errors.UnknownPathComponents, 2500, None, 400),
        (errors.Conflict, 100, None, 409),
    ],
)
def test_each_error_has_messengers_code(
    error: type[errors.LedgerlineError], code: int, subcode: int | None, status: int
) -> None:
    raised = error()
    assert isinstance(raised, errors.LedgerlineError)
    assert (raised.code, raised.instance_subcode, raised.http_status) == (code, subcode, status)
    assert raised.message == error.default_message
    assert str(raised) == f"(#{code}) {error.default_message}"


def test_a_message_and_a_subcode_of_ones_own() -> None:
    raised = errors.InvalidParameter("param x is required", subcode=2018047)
    assert str(raised) == "(#100) param x is required"
    assert raised.instance_subcode == 2018047
    assert errors.LedgerlineError().code == 1


def test_rate_limited_and_unavailable_say_when_to_retry() -> None:
    assert errors.RateLimited(retry_after=3).retry_after == 3
    assert errors.RateLimited("slow down").retry_after is None
    busy = errors.ServiceUnavailable()
    assert (busy.code, busy.http_status, busy.retry_after) == (2, 503, 1)
    assert errors.ServiceUnavailable(retry_after=5).retry_after == 5


def test_bad_params_and_objects_name_the_field() -> None:
    assert str(errors.bad_param("message[text]", "is required")) == (
        "(#100) param message[text] is required"
    )
    body = {"a": 1}
    assert errors.require_object(body, "body") is body
    with pytest.raises(errors.InvalidParameter, match="param body must be an object"):
        errors.require_object([1], "body")
