"""Alert budgets: turn a business's policy into a score threshold.

A business sets one of

* ``FixedThreshold(value)``: alert when the calibrated score is at least ``value``;
* ``AlertBudget(per_thousand)``: at most that many alerts per 1,000 transactions;
* ``MinPrecision(precision)``: the most alerts whose precision stays at least ``precision``.

The last two are derived from the validation score distribution the model file stores as an
``AlertCurve`` (scores sorted high to low, with the alert rate and precision at each cut), so a
threshold can be derived at serve time without the validation data. Alerts are
``score >= threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ledgerline.fraud.errors import FraudInputError

NEVER_ALERT = float("inf")
_CURVE_POINTS = 4000


@dataclass(frozen=True)
class FixedThreshold:
    value: float


@dataclass(frozen=True)
class AlertBudget:
    per_thousand: float


@dataclass(frozen=True)
class MinPrecision:
    precision: float


AlertPolicy = FixedThreshold | AlertBudget | MinPrecision


@dataclass(frozen=True)
class AlertCurve:
    """Cut points of a validation score distribution: alerting on ``score >= thresholds[i]``
    raises ``alert_rates[i]`` alerts per transaction at ``precisions[i]`` precision."""

    thresholds: tuple[float, ...]
    alert_rates: tuple[float, ...]
    precisions: tuple[float, ...]
    transactions: int
    frauds: int

    def to_json(self) -> dict[str, Any]:
        return {
            "thresholds": list(self.thresholds),
            "alert_rates": list(self.alert_rates),
            "precisions": list(self.precisions),
            "transactions": self.transactions,
            "frauds": self.frauds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertCurve:
        return cls(
            thresholds=tuple(float(v) for v in data["thresholds"]),
            alert_rates=tuple(float(v) for v in data["alert_rates"]),
            precisions=tuple(float(v) for v in data["precisions"]),
            transactions=int(data["transactions"]),
            frauds=int(data["frauds"]),
        )


def build_curve(
    scores: npt.ArrayLike, labels: npt.ArrayLike, points: int = _CURVE_POINTS
) -> AlertCurve:
    """Summarise validation ``scores``/``labels`` at up to ``points`` cuts (dense at the top)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if s.shape != y.shape or s.ndim != 1:
        raise FraudInputError("scores and labels must be 1-D arrays of the same length")
    if len(s) == 0:
        return AlertCurve((), (), (), 0, 0)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    # A cut must not split tied scores: keep the last position of each run of equal scores.
    run_ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    grid = np.unique(
        np.concatenate(
            (
                np.geomspace(1, len(s), points // 2).astype(np.int64) - 1,
                np.linspace(0, len(s) - 1, points // 2).astype(np.int64),
            )
        )
    )
    cuts = np.unique(run_ends[np.searchsorted(run_ends, grid)])
    true_positives = np.cumsum(y)[cuts]
    alerts = cuts + 1
    return AlertCurve(
        thresholds=tuple(float(v) for v in s[cuts]),
        alert_rates=tuple(float(v) for v in alerts / len(s)),
        precisions=tuple(float(v) for v in true_positives / alerts),
        transactions=len(s),
        frauds=int(y.sum()),
    )


def derive_threshold(policy: AlertPolicy, curve: AlertCurve) -> float:
    """The score threshold that implements ``policy`` on the validation distribution.

    Returns ``NEVER_ALERT`` (infinity) when no cut satisfies the policy.
    """
    if isinstance(policy, FixedThreshold):
        if not 0.0 <= policy.value <= 1.0:
            raise FraudInputError("a fixed threshold must be between 0 and 1")
        return policy.value
    if isinstance(policy, AlertBudget):
        if not 0.0 <= policy.per_thousand <= 1000.0:
            raise FraudInputError("an alert budget must be between 0 and 1000 per 1,000")
        limit = policy.per_thousand / 1000.0
        best = NEVER_ALERT
        for threshold, rate in zip(curve.thresholds, curve.alert_rates, strict=True):
            if rate > limit + 1e-12:
                break
            best = threshold
        return best
    if not 0.0 < policy.precision <= 1.0:
        raise FraudInputError("a minimum precision must be in (0, 1]")
    best = NEVER_ALERT
    for threshold, precision in zip(curve.thresholds, curve.precisions, strict=True):
        if precision >= policy.precision:
            best = threshold
    return best


def expected_at(curve: AlertCurve, threshold: float) -> tuple[float, float | None]:
    """``(alerts per 1,000 transactions, precision)`` of ``threshold`` on the validation
    distribution; precision is None when nothing would alert."""
    best: tuple[float, float | None] = (0.0, None)
    for cut, rate, precision in zip(
        curve.thresholds, curve.alert_rates, curve.precisions, strict=True
    ):
        if cut < threshold:
            break
        best = (rate * 1000.0, precision)
    return best


def parse_policy(text: str) -> AlertPolicy:
    """``threshold=0.4``, ``per_thousand=2`` or ``precision=0.8`` (CLI and config form)."""
    key, sep, raw = text.partition("=")
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not sep or value != value:
        raise FraudInputError(
            f"alert policy {text!r}: expected threshold=X, per_thousand=N or precision=P"
        )
    key = key.strip().lower()
    if key == "threshold":
        return FixedThreshold(value)
    if key == "per_thousand":
        return AlertBudget(value)
    if key == "precision":
        return MinPrecision(value)
    raise FraudInputError(f"alert policy {text!r}: unknown kind {key!r}")
