"""Properties of the times a bank gives (issue 17 part 1): inside the documented range a
time is exact, outside it (year 9999, any offset) a 400 — never an overflow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, strategies as st

from ledgerline.domain.clock import EARLIEST_MS, LATEST_MS, to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import Moment

moment = Moment().parse

offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
any_time = st.datetimes(
    min_value=datetime(1, 1, 2),  # noqa: DTZ001 - the offset is drawn below
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=offsets,
)


@given(any_time, st.sampled_from(["seconds", "milliseconds", "microseconds"]))
def test_a_time_is_exact_inside_the_range_and_a_400_outside(when: datetime, precision: str) -> None:
    text = when.isoformat(timespec=precision)
    exact = to_ms(when.replace(microsecond=0 if precision == "seconds" else when.microsecond))
    inside = datetime(1970, 1, 1, tzinfo=UTC) <= when < datetime(2100, 1, 1, tzinfo=UTC)
    if not inside:
        with pytest.raises(InvalidParameter, match="between 1970-01-01 and 2099-12-31"):
            moment(text, "booked_at")
        return
    ms = moment(text, "booked_at")
    assert ms is not None
    assert EARLIEST_MS <= ms < LATEST_MS
    assert abs(ms - exact) <= 1  # to the millisecond


@given(st.one_of(st.text(max_size=45), st.integers(), st.floats(), st.none(), st.booleans()))
def test_anything_else_is_a_400_naming_the_field(value: Any) -> None:
    error: InvalidParameter | None = None
    try:
        ms = moment(value, "booked_at")
    except InvalidParameter as exc:
        error = exc
    if error is not None:
        assert "booked_at" in error.message
        return
    assert ms is not None
    assert EARLIEST_MS <= ms < LATEST_MS


@given(any_time)
def test_a_time_without_an_offset_is_refused(when: datetime) -> None:
    with pytest.raises(InvalidParameter, match="as_of"):
        moment(when.replace(tzinfo=None).isoformat(), "as_of")
