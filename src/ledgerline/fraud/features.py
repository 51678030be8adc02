"""The fraud features: one definition, computed here offline (vectorised) and in
``ledgerline.fraud.online`` incrementally. ``tests/unit/fraud`` proves both give the same values.

Time is whole seconds (``TX_DATETIME`` floored to the second, naive = UTC). Amount windows sum
integer cents, so both implementations are exact. ``D`` = 7 days is the label delay.

Terminal windows count whole UTC hours and days, so that the online state of a terminal is a
count per hour and per day rather than one entry per transaction (under 1 KB whatever its
volume). With ``E`` the start of the hour that holds ``t - D`` (labels are known for what
happened before ``E``) and ``day(E)`` its day, a terminal's *known window* of n days is its
transactions from the start of day ``day(E) - n`` to ``E``: n to n + 1 days, ending at most
an hour before ``t - D``. (The handbook's windows are ``(t - D - n, t - D]`` to the second;
measured on the chapter-3 week, the whole-hour version scores the same: docs/fraud-model.md.)

Handbook baseline (15 inputs, ``BaselineFeatureTransformation.ipynb``):

* ``TX_AMOUNT``; ``TX_DURING_WEEKEND`` (weekday >= 5); ``TX_DURING_NIGHT`` (hour <= 6);
* ``CUSTOMER_ID_NB_TX_nDAY_WINDOW`` / ``CUSTOMER_ID_AVG_AMOUNT_nDAY_WINDOW``, n in 1, 7, 30:
  the card's transactions in ``(t - n days, t]``, the current one included;
* ``TERMINAL_ID_NB_TX_nDAY_WINDOW`` / ``TERMINAL_ID_RISK_nDAY_WINDOW``: the terminal's
  transactions in its known window of n days and the fraction of them labelled fraud (0 when
  none).

Ledgerline additions:

* ``CUSTOMER_AMOUNT_RATIO_7DAY`` / ``_30DAY``: amount / the card's average over the window;
* ``CUSTOMER_AMOUNT_ZSCORE_30DAY``: (amount - mean) / (std + 1) of the card's *previous*
  transactions in ``(t - 30 days, t)`` (0 with fewer than 2 of them);
* ``CUSTOMER_SECONDS_SINCE_PREV``: seconds since the card's previous transaction, 30 days when
  none in the last 30 days;
* ``CUSTOMER_AMOUNT_RATIO_LAGGED`` / ``CUSTOMER_AMOUNT_ZSCORE_LAGGED``: the amount against the
  card's transactions in ``(t - 30 days, t - 14 days]`` (ratio -1 and z 0 without them): a
  compromise lasts at most 14 days, so this baseline is not inflated by the fraud itself;
* ``CUSTOMER_NB_HIGH_RATIO_7DAY``: the card's transactions in ``(t - 7 days, t]`` whose lagged
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

from ledgerline.fraud.feature_spec import (
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


def _customer_features(frame: pd.DataFrame, seconds: IntArray, out: dict[str, FloatArray]) -> None:
    amount = frame["TX_AMOUNT"].to_numpy(dtype=np.float64)
    cents = np.round(amount * 100).astype(np.int64)
    order, keys = _grouped_keys(frame["CUSTOMER_ID"], seconds)
    position = np.arange(len(order), dtype=np.int64)
    sorted_cents = cents[order]
    cum = np.concatenate(([0], np.cumsum(sorted_cents)))
    cum_sq = np.concatenate(([0], np.cumsum(sorted_cents * sorted_cents)))
    sorted_amount = amount[order]
    result: dict[str, FloatArray] = {}
    starts: dict[int, IntArray] = {}
    for n in CUSTOMER_WINDOWS:
        start = np.searchsorted(keys, keys - n * SECONDS_PER_DAY, side="right")
        starts[n] = start
        count = position - start + 1
        total = cum[position + 1] - cum[start]
        average = total / count / 100
        result[f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"] = count.astype(np.float64)
        result[f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"] = average
        if n in (7, 30):
            result[f"CUSTOMER_AMOUNT_RATIO_{n}DAY"] = _ratio(sorted_amount, average)
        if n == HISTORY_DAYS:
            prev_count = count - 1
            prev_total = cum[position] - cum[start]
            prev_sq = cum_sq[position] - cum_sq[start]
            result["CUSTOMER_AMOUNT_ZSCORE_30DAY"] = _zscore_vector(
                sorted_amount, prev_count, prev_total, prev_sq
            )
            previous = np.where(prev_count > 0, np.roll(keys, 1), keys)
            gap = (keys - previous).astype(np.float64)
            result["CUSTOMER_SECONDS_SINCE_PREV"] = np.where(
                prev_count > 0, gap, NO_PREVIOUS_SECONDS
            )
            lag_end = np.searchsorted(keys, keys - LAG_DAYS * SECONDS_PER_DAY, side="right")
            lag_count = lag_end - start
            lag_total = cum[lag_end] - cum[start]
            lag_sq = cum_sq[lag_end] - cum_sq[start]
            lag_mean = lag_total / np.maximum(lag_count, 1) / 100
            result["CUSTOMER_AMOUNT_RATIO_LAGGED"] = np.where(
                (lag_count > 0) & (lag_mean > 0),
                sorted_amount / np.where(lag_mean > 0, lag_mean, 1.0),
                -1.0,
            )
            result["CUSTOMER_AMOUNT_ZSCORE_LAGGED"] = _zscore_vector(
                sorted_amount, lag_count, lag_total, lag_sq
            )
    high = (result["CUSTOMER_AMOUNT_RATIO_LAGGED"] > HIGH_RATIO).astype(np.int64)
    cum_high = np.concatenate(([0], np.cumsum(high)))
    high_7 = cum_high[position + 1] - cum_high[starts[7]]
    result["CUSTOMER_NB_HIGH_RATIO_7DAY"] = high_7.astype(np.float64)
    for name, values in result.items():
        column = np.empty(len(order), dtype=np.float64)
        column[order] = values
        out[name] = column


def _ratio(amount: FloatArray, average: FloatArray) -> FloatArray:
    return np.where(average > 0, amount / np.where(average > 0, average, 1.0), 1.0)


def _terminal_features(frame: pd.DataFrame, seconds: IntArray, out: dict[str, FloatArray]) -> None:
    fraud = frame["TX_FRAUD"].to_numpy(dtype=np.int64)
    hours = np.floor_divide(seconds, SECONDS_PER_HOUR)
    days = np.floor_divide(seconds, SECONDS_PER_DAY)
    order, hour_keys = _grouped_keys(frame["TERMINAL_ID"], hours)
    _, day_keys = _grouped_keys(frame["TERMINAL_ID"], days)
    position = np.arange(len(order), dtype=np.int64)
    sorted_seconds, hour, day = seconds[order], hours[order], days[order]
    boundary = np.floor_divide(sorted_seconds - DELAY_DAYS * SECONDS_PER_DAY, SECONDS_PER_HOUR)
    boundary_day = np.floor_divide(boundary, HOURS_PER_DAY)

    def first_from_hour(target: IntArray) -> IntArray:
        """Per row: the first row of its terminal in hour ``target`` or later."""
        return np.searchsorted(hour_keys, hour_keys + (target - hour), side="left")

    def first_from_day(target: IntArray) -> IntArray:
        return np.searchsorted(day_keys, day_keys + (target - day), side="left")

    sorted_fraud = fraud[order]
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
    sentinel = np.full(len(order), -1.0)
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
    for name, values in result.items():
        column = np.empty(len(order), dtype=np.float64)
        column[order] = values
        out[name] = column


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
