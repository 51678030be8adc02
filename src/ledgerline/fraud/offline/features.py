"""The fraud features: one definition, computed here offline (vectorised) and in
``ledgerline.fraud.online.scorer`` incrementally. ``tests/unit/fraud/online/test_features.py``
proves both give the same values.

Time is whole seconds (``TX_DATETIME`` floored to the second, naive = UTC). Amount windows sum
integer cents, so both implementations are exact. ``D`` = 7 days is the label delay.

Card and terminal windows count whole UTC hours and days, so that the online state of a card
or a terminal is totals per hour and per day rather than one entry per transaction (under
1 KB at any realistic volume: ``ledgerline.fraud.online.state``).

A card's windows, with ``hour(t)`` and ``day(t)`` the UTC hour and day holding ``t``, include
the current transaction and what came before it in the same hour or day: its *1-day window*
is the hours ``hour(t) - 23`` to ``hour(t)`` (23 to 24 hours), its *n-day window* (n = 7, 30)
the days ``day(t) - n`` to ``day(t)`` (n to n + 1 days), its *lagged window* the days
``day(t) - 30`` to ``day(t) - 15`` (everything in it is more than 14 days old). Until
2026-11-29 they were ``(t - n days, t]`` and ``(t - 30 days, t - 14 days]`` to the second.

With ``E`` the start of the hour that holds ``t - D`` (labels are known for what happened
before ``E``) and ``day(E)`` its day, a terminal's *known window* of n days is its
transactions from the start of day ``day(E) - n`` to ``E``: n to n + 1 days, ending at most
an hour before ``t - D``. (The handbook's windows are ``(t - D - n, t - D]`` to the second;
measured on the chapter-3 week, the whole-hour version scores the same: docs/fraud-model.md.)

Handbook baseline (15 inputs, ``BaselineFeatureTransformation.ipynb``):

* ``TX_AMOUNT``; ``TX_DURING_WEEKEND`` (weekday >= 5); ``TX_DURING_NIGHT`` (hour <= 6);
* ``CUSTOMER_ID_NB_TX_nDAY_WINDOW`` / ``CUSTOMER_ID_AVG_AMOUNT_nDAY_WINDOW``, n in 1, 7, 30:
  the card's transactions in its n-day window (the current one included);
* ``TERMINAL_ID_NB_TX_nDAY_WINDOW`` / ``TERMINAL_ID_RISK_nDAY_WINDOW``: the terminal's
  transactions in its known window of n days and the fraction of them labelled fraud (0 when
  none).

Ledgerline additions:

* ``CUSTOMER_AMOUNT_RATIO_7DAY`` / ``_30DAY``: amount / the card's average over the window;
* ``CUSTOMER_AMOUNT_ZSCORE_30DAY``: (amount - mean) / (std + 1) of the card's *previous*
  transactions in its 30-day window (0 with fewer than 2 of them);
* ``CUSTOMER_SECONDS_SINCE_PREV``: seconds since the card's previous transaction, at most 30
  days (30 days when none);
* ``CUSTOMER_AMOUNT_RATIO_LAGGED`` / ``CUSTOMER_AMOUNT_ZSCORE_LAGGED``: the amount against the
  card's transactions in its lagged window (ratio -1 and z 0 without them): a compromise lasts
  at most 14 days, so this baseline is not inflated by the fraud itself;
* ``CUSTOMER_NB_HIGH_RATIO_7DAY``: the card's transactions in its 7-day window whose lagged
  ratio was above 2.5 (the current one included);
* ``TERMINAL_NB_TX_LIVE_1DAY`` / ``_7DAY``: the terminal's volume in the hour of ``t`` and the
  24 n - 1 hours before it, up to and including this transaction (no labels);
* ``TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS`` / ``TERMINAL_LAST_KNOWN_FRAUD_AGE_DAYS``: days from the
  start of the (UTC) day of the first / last fraud in the terminal's known window of 30 days
  to ``t`` (-1 when none);
* ``TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD``: the terminal's transactions after that last
  known fraud and before ``E`` (-1 when none);
* ``TERMINAL_NB_KNOWN_FRAUDS_30DAY``: the known frauds in the terminal's known window of 30
  days;
* ``TERMINAL_RISK_SINCE_FIRST_KNOWN_FRAUD``: the fraction of the terminal's transactions from
  that first known fraud up to ``E`` that were fraud (-1 when none): 1 on a compromised
  terminal, small where one card's fraud happened to pass by.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledgerline.fraud.online.features import (
    ALL_FEATURES,
    CUSTOMER_WINDOWS,
    DELAY_DAYS,
    HIGH_RATIO,
    HISTORY_DAYS,
    HOURS_PER_DAY,
    LAG_DAYS,
    LIVE_WINDOWS,
    NO_PREVIOUS_SECONDS,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    TERMINAL_WINDOWS,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_KEY_STRIDE = np.int64(1) << np.int64(40)
_KEY_OFFSET = np.int64(1) << np.int64(30)


def _zscore_vector(
    amount: FloatArray, count: IntArray, total: IntArray, total_sq: IntArray
) -> FloatArray:
    safe = np.maximum(count, 1)
    mean = total / safe
    variance = total_sq / safe - mean * mean
    std = np.sqrt(np.where(variance > 0, variance, 0.0))
    z = (amount * 100 - mean) / (std + 100.0)
    return np.where(count >= 2, z, 0.0)


def _grouped_keys(groups: pd.Series, seconds: IntArray) -> tuple[IntArray, IntArray]:
    """Sort rows by (group, stream position); return the order and monotone int64 sort keys."""
    codes, _ = pd.factorize(groups, sort=False)
    order = np.argsort(codes, kind="stable").astype(np.int64)
    relative = seconds - seconds.min()
    if relative.max(initial=0) >= (_KEY_STRIDE >> 1) - _KEY_OFFSET:
        raise ValueError("the time span of the data is too long")
    keys = codes[order].astype(np.int64) * _KEY_STRIDE + _KEY_OFFSET + relative[order]
    return order, keys


def epoch_seconds(when: pd.Series) -> IntArray:
    """Whole seconds since 1970 (naive date-times are taken as UTC)."""
    values = when.to_numpy(dtype="datetime64[ns]").astype("datetime64[s]")
    return values.astype(np.int64)


class _Rows:
    """The rows sorted by (group, stream position) — a group is a card or a terminal — and,
    per row, where its group's rows of a given hour or day start."""

    def __init__(self, groups: pd.Series, seconds: IntArray) -> None:
        hours = np.floor_divide(seconds, SECONDS_PER_HOUR)
        days = np.floor_divide(seconds, SECONDS_PER_DAY)
        self.order, self.hour_keys = _grouped_keys(groups, hours)
        _, self.day_keys = _grouped_keys(groups, days)
        self.position = np.arange(len(self.order), dtype=np.int64)
        self.seconds, self.hour, self.day = seconds[self.order], hours[self.order], days[self.order]

    def first_from_hour(self, target: IntArray) -> IntArray:
        """Per row: the first row of its group in hour ``target`` or later."""
        return np.searchsorted(self.hour_keys, self.hour_keys + (target - self.hour), side="left")

    def first_from_day(self, target: IntArray) -> IntArray:
        return np.searchsorted(self.day_keys, self.day_keys + (target - self.day), side="left")

    def first_of_group(self) -> IntArray:
        return self.first_from_hour(np.full_like(self.hour, self.hour.min()))

    def unsort(self, result: dict[str, FloatArray], out: dict[str, FloatArray]) -> None:
        """Write the sorted ``result`` columns into ``out`` in the frame's row order."""
        for name, values in result.items():
            column = np.empty(len(self.order), dtype=np.float64)
            column[self.order] = values
            out[name] = column


def _customer_features(frame: pd.DataFrame, seconds: IntArray, out: dict[str, FloatArray]) -> None:
    rows = _Rows(frame["CUSTOMER_ID"], seconds)
    amount = frame["TX_AMOUNT"].to_numpy(dtype=np.float64)[rows.order]
    cents = np.round(amount * 100).astype(np.int64)
    cum = np.concatenate(([0], np.cumsum(cents)))
    cum_sq = np.concatenate(([0], np.cumsum(cents * cents)))
    position = rows.position
    end = position + 1
    starts = {
        n: rows.first_from_hour(rows.hour - HOURS_PER_DAY + 1)
        if n == 1
        else rows.first_from_day(rows.day - n)
        for n in CUSTOMER_WINDOWS
    }
    result: dict[str, FloatArray] = {}
    for n, start in starts.items():
        count = end - start
        average = (cum[end] - cum[start]) / count / 100
        result[f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"] = count.astype(np.float64)
        result[f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"] = average
        if n != 1:
            result[f"CUSTOMER_AMOUNT_RATIO_{n}DAY"] = _ratio(amount, average)
    month = starts[HISTORY_DAYS]
    result["CUSTOMER_AMOUNT_ZSCORE_30DAY"] = _zscore_vector(
        amount, position - month, cum[position] - cum[month], cum_sq[position] - cum_sq[month]
    )
    has_previous = position > rows.first_of_group()
    gap = np.minimum(rows.seconds - np.roll(rows.seconds, 1), NO_PREVIOUS_SECONDS)
    result["CUSTOMER_SECONDS_SINCE_PREV"] = np.where(has_previous, gap, NO_PREVIOUS_SECONDS)
    lag_end = rows.first_from_day(rows.day - LAG_DAYS)
    lag_count = lag_end - month
    lag_total = cum[lag_end] - cum[month]
    lag_sq = cum_sq[lag_end] - cum_sq[month]
    lag_mean = lag_total / np.maximum(lag_count, 1) / 100
    result["CUSTOMER_AMOUNT_RATIO_LAGGED"] = np.where(
        (lag_count > 0) & (lag_mean > 0),
        amount / np.where(lag_mean > 0, lag_mean, 1.0),
        -1.0,
    )
    result["CUSTOMER_AMOUNT_ZSCORE_LAGGED"] = _zscore_vector(amount, lag_count, lag_total, lag_sq)
    high = (result["CUSTOMER_AMOUNT_RATIO_LAGGED"] > HIGH_RATIO).astype(np.int64)
    cum_high = np.concatenate(([0], np.cumsum(high)))
    result["CUSTOMER_NB_HIGH_RATIO_7DAY"] = (cum_high[end] - cum_high[starts[7]]).astype(np.float64)
    rows.unsort(result, out)


def _ratio(amount: FloatArray, average: FloatArray) -> FloatArray:
    return np.where(average > 0, amount / np.where(average > 0, average, 1.0), 1.0)


def _terminal_features(frame: pd.DataFrame, seconds: IntArray, out: dict[str, FloatArray]) -> None:
    rows = _Rows(frame["TERMINAL_ID"], seconds)
    fraud = frame["TX_FRAUD"].to_numpy(dtype=np.int64)
    position, sorted_seconds, hour, day = rows.position, rows.seconds, rows.hour, rows.day
    boundary = np.floor_divide(sorted_seconds - DELAY_DAYS * SECONDS_PER_DAY, SECONDS_PER_HOUR)
    boundary_day = np.floor_divide(boundary, HOURS_PER_DAY)
    first_from_hour, first_from_day = rows.first_from_hour, rows.first_from_day
    sorted_fraud = fraud[rows.order]
    cum_fraud = np.concatenate(([0], np.cumsum(sorted_fraud)))
    matured_end = first_from_hour(boundary)
    result: dict[str, FloatArray] = {}
    for n in TERMINAL_WINDOWS:
        tail = first_from_day(boundary_day - n)
        count = matured_end - tail
        frauds = cum_fraud[matured_end] - cum_fraud[tail]
        result[f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW"] = count.astype(np.float64)
        result[f"TERMINAL_ID_RISK_{n}DAY_WINDOW"] = np.where(
            count > 0, frauds / np.maximum(count, 1), 0.0
        )
    for n in LIVE_WINDOWS:
        start = first_from_hour(hour - n * HOURS_PER_DAY + 1)
        result[f"TERMINAL_NB_TX_LIVE_{n}DAY"] = (position - start + 1).astype(np.float64)
    tail = first_from_day(boundary_day - HISTORY_DAYS)
    fraud_positions = np.flatnonzero(sorted_fraud).astype(np.int64)
    sentinel = np.full(len(position), -1.0)
    first_age, last_age, since_last = sentinel.copy(), sentinel.copy(), sentinel.copy()
    risk_since_first = sentinel.copy()
    if len(fraud_positions):
        day_start = day * SECONDS_PER_DAY
        j = np.searchsorted(fraud_positions, tail, side="left")
        first = fraud_positions[np.minimum(j, len(fraud_positions) - 1)]
        has_first = (j < len(fraud_positions)) & (first < matured_end)
        first_age = np.where(has_first, (sorted_seconds - day_start[first]) / SECONDS_PER_DAY, -1.0)
        k = np.searchsorted(fraud_positions, matured_end, side="left") - 1
        last = fraud_positions[np.maximum(k, 0)]
        has_last = (k >= 0) & (last >= tail)
        last_age = np.where(has_last, (sorted_seconds - day_start[last]) / SECONDS_PER_DAY, -1.0)
        since_last = np.where(has_last, (matured_end - last - 1).astype(np.float64), -1.0)
        since_first = np.maximum(matured_end - first, 1)
        risk_since_first = np.where(
            has_first, (cum_fraud[matured_end] - cum_fraud[first]) / since_first, -1.0
        )
    result["TERMINAL_NB_KNOWN_FRAUDS_30DAY"] = (cum_fraud[matured_end] - cum_fraud[tail]).astype(
        np.float64
    )
    result["TERMINAL_RISK_SINCE_FIRST_KNOWN_FRAUD"] = risk_since_first
    result["TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS"] = first_age
    result["TERMINAL_LAST_KNOWN_FRAUD_AGE_DAYS"] = last_age
    result["TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD"] = since_last
    rows.unsort(result, out)


def compute_features(frame: pd.DataFrame) -> pd.DataFrame:
    """All features (``ALL_FEATURES`` order) for a normalised, time-sorted transactions frame."""
    seconds = epoch_seconds(frame["TX_DATETIME"])
    out: dict[str, FloatArray] = {
        "TX_AMOUNT": frame["TX_AMOUNT"].to_numpy(dtype=np.float64),
    }
    when = frame["TX_DATETIME"].dt.floor("s")
    out["TX_DURING_WEEKEND"] = (when.dt.day_of_week >= 5).to_numpy(dtype=np.float64)
    out["TX_DURING_NIGHT"] = (when.dt.hour <= 6).to_numpy(dtype=np.float64)
    if len(frame):
        _customer_features(frame, seconds, out)
        _terminal_features(frame, seconds, out)
    else:
        for name in ALL_FEATURES:
            out.setdefault(name, np.zeros(0))
    return pd.DataFrame({name: out[name] for name in ALL_FEATURES}, index=frame.index)
