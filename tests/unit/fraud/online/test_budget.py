"""Alert budgets: a policy and a validation distribution give a threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.online.budget import (
    NEVER_ALERT,
    AlertBudget,
    AlertCurve,
    FixedThreshold,
    MinPrecision,
    build_curve,
    derive_threshold,
    parse_policy,
)


@pytest.fixture
def curve() -> AlertCurve:
    # 1,000 transactions: scores 0.999, 0.998, ... ; the top 10 are frauds, then 1 in 10
    # (positions 15, 25, ...).
    scores = np.linspace(0.999, 0.0, 1000)
    labels = np.zeros(1000, dtype=np.int64)
    labels[:10] = 1
    labels[15::10] = 1
    return build_curve(scores, labels)


def alerts(threshold: float) -> int:
    return int((np.linspace(0.999, 0.0, 1000) >= threshold).sum())


def test_budget_per_thousand(curve: AlertCurve) -> None:
    t = derive_threshold(AlertBudget(per_thousand=5), curve)
    assert alerts(t) == 5
    assert alerts(derive_threshold(AlertBudget(per_thousand=50), curve)) == 50
    assert derive_threshold(AlertBudget(per_thousand=0), curve) == NEVER_ALERT


def test_minimum_precision(curve: AlertCurve) -> None:
    t = derive_threshold(MinPrecision(1.0), curve)
    assert alerts(t) == 10
    t = derive_threshold(MinPrecision(0.5), curve)
    n = alerts(t)
    precision = (10 + (n - 15 + 9) // 10) / n
    assert precision >= 0.5
    assert n > 10
    assert derive_threshold(MinPrecision(0.5), build_curve([0.9, 0.8], [0, 0])) == NEVER_ALERT


def test_fixed_threshold(curve: AlertCurve) -> None:
    assert derive_threshold(FixedThreshold(0.3), curve) == 0.3
    with pytest.raises(FraudInputError):
        derive_threshold(FixedThreshold(1.5), curve)


def test_ties_are_never_split() -> None:
    curve = build_curve([0.9, 0.5, 0.5, 0.5, 0.1], [1, 0, 1, 0, 0])
    assert curve.thresholds == (0.9, 0.5, 0.1)
    assert curve.alert_rates == (0.2, 0.8, 1.0)
    assert derive_threshold(AlertBudget(per_thousand=500), curve) == 0.9


def test_curve_round_trips_through_json(curve: AlertCurve) -> None:
    assert AlertCurve.from_json(curve.to_json()) == curve
    assert len(curve.thresholds) <= 4000


def test_bad_policies_are_refused(curve: AlertCurve) -> None:
    for policy in (AlertBudget(-1), AlertBudget(2000), MinPrecision(0), MinPrecision(1.1)):
        with pytest.raises(FraudInputError):
            derive_threshold(policy, curve)
    with pytest.raises(FraudInputError):
        build_curve([0.1, 0.2], [1])


def test_parse_policy() -> None:
    assert parse_policy("per_thousand=2") == AlertBudget(2.0)
    assert parse_policy("precision=0.8") == MinPrecision(0.8)
    assert parse_policy("threshold=0.4") == FixedThreshold(0.4)
    for text in ("", "per_thousand", "budget=3", "precision=abc"):
        with pytest.raises(FraudInputError):
            parse_policy(text)


def test_empty_curve_never_alerts() -> None:
    empty = build_curve([], [])
    assert derive_threshold(AlertBudget(10), empty) == NEVER_ALERT
    assert math.isinf(derive_threshold(MinPrecision(0.1), empty))
