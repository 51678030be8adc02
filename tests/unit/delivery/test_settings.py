"""delivery.settings: a change of webhook batching read by its field specs."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerline.delivery.settings import SETTINGS_CHANGE, parse_settings_change
from ledgerline.domain.errors import InvalidParameter


def test_batching_and_max_events_in_messenger_clients_spellings() -> None:
    assert parse_settings_change({"batching": " Yes ", "max_events": " 50 "}) == {
        "batching": True,
        "max_events": 50,
    }
    assert parse_settings_change({"batching": False}) == {"batching": False}
    assert parse_settings_change({"max_events": 100}) == {"max_events": 100}


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "Give batching (true or false) and/or max_events"),
        ({"batching": "maybe"}, "param batching must be a boolean"),
        ({"max_events": True}, "param max_events must be an integer"),
        ({"max_events": 0}, "param max_events must be an integer from 1 to 100"),
        ({"max_events": "²"}, "param max_events must be an integer from 1 to 100"),
    ],
)
def test_a_bad_change_is_a_parameter_error(params: dict[str, Any], says: str) -> None:
    """ "²" is a digit to str.isdigit that int() cannot read: a 400, not a ValueError."""
    with pytest.raises(InvalidParameter) as caught:
        parse_settings_change(params)
    assert caught.value.message == says


def test_the_documented_words_are_the_accepted_ones() -> None:
    batching = SETTINGS_CHANGE.fields["batching"].schema({})
    for word in batching["anyOf"][1]["enum"]:
        assert parse_settings_change({"batching": word})["batching"] in (True, False)
