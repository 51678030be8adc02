"""The handbook's chapter-3 evaluation protocol (``BaselineModeling.ipynb``).

* The test period is ``[test_start, test_start + test_days)``; the 7 days before it are the
  delay period, whose labels are unknown; the 7 days before those are the chapter-3 training
  week.
* Features are computed over the whole history with the 7-day label delay, so each one uses
  only what a live system would know at that transaction.
* Known-card exclusion: cards with a fraud in the training week are known compromised; on
  test day ``d`` the cards with a fraud on day ``test_start - 8 + d`` join them; known cards'
  transactions are removed from the test set.
* Metrics: ROC AUC and average precision over the test set, and card precision@100: each day,
  each card's max score and max label, precision of the 100 top cards, cards found on earlier
  test days removed, averaged over days.

Baselines trained in the same run, on the 15 handbook features: logistic regression (with a
standard scaler) and a depth-2 decision tree, once on the model's own training window (same
split) and once on the chapter-3 training week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import day_of
from ledgerline.fraud.offline.reports import (
    Reports,
    ReportSettings,
    compute_features_with_reports,
    simulate_reports,
)
from ledgerline.fraud.online.features import BASELINE_FEATURES, DELAY_DAYS, REPORT_FEATURES
from ledgerline.fraud.online.model import FraudModel

TOP_K = 100
CHAPTER3_TRAIN_DAYS = 7
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]


def _noop(_stage: str, _fraction: float) -> None:
    return None


def card_precision_top_k(
    days: npt.ArrayLike,
    cards: npt.ArrayLike,
    labels: npt.ArrayLike,
    scores: npt.ArrayLike,
    k: int = TOP_K,
) -> tuple[float, list[float]]:
    """The handbook's ``card_precision_top_k`` with detected cards removed on later days."""
    frame = pd.DataFrame(
        {
            "day": np.asarray(days),
            "card": np.asarray(cards),
            "label": np.asarray(labels),
            "score": np.asarray(scores, dtype=np.float64),
        }
    )
    detected: set[Any] = set()
    per_day: list[float] = []
    for _, today in frame.groupby("day", sort=True):
        today = today[~today["card"].isin(detected)]
        by_card = today.groupby("card").agg(score=("score", "max"), label=("label", "max"))
        top = by_card.sort_values("score", ascending=False, kind="stable").head(k)
        found = top.index[top["label"] == 1]
        per_day.append(len(found) / k)
        detected.update(found.tolist())
    return (float(np.mean(per_day)) if per_day else 0.0), per_day


def metrics(
    days: npt.ArrayLike, cards: npt.ArrayLike, labels: npt.ArrayLike, scores: FloatArray
) -> dict[str, Any]:
    y = np.asarray(labels)
    cp, per_day = card_precision_top_k(days, cards, y, scores)
    two_classes = 0 < int(y.sum()) < len(y)
    return {
        "auc_roc": float(roc_auc_score(y, scores)) if two_classes else None,
        "average_precision": float(average_precision_score(y, scores)) if two_classes else None,
        "card_precision_at_100": cp,
        "card_precision_at_100_per_day": per_day,
    }


def _baselines(
    features: pd.DataFrame,
    labels: npt.NDArray[np.int64],
    train: npt.NDArray[np.bool_],
    test: npt.NDArray[np.bool_],
    days: Any,
    cards: Any,
) -> dict[str, Any]:
    x_train = features.loc[train, list(BASELINE_FEATURES)].to_numpy(dtype=np.float64)
    x_test = features.loc[test, list(BASELINE_FEATURES)].to_numpy(dtype=np.float64)
    y_train = labels[train]
    if y_train.sum() == 0 or y_train.sum() == len(y_train):
        return {"error": "the baseline training rows need both classes"}
    out: dict[str, Any] = {
        "training_transactions": int(train.sum()),
        "training_frauds": int(y_train.sum()),
    }
    models = {
        "logistic_regression": make_pipeline(
            StandardScaler(), LogisticRegression(random_state=0, max_iter=1000)
        ),
        "decision_tree_depth2": DecisionTreeClassifier(max_depth=2, random_state=0),
    }
    for name, estimator in models.items():
        estimator.fit(x_train, y_train)
        scores = estimator.predict_proba(x_test)[:, 1]
        out[name] = metrics(days, cards, labels[test], scores)
    return out


def _report_summary(
    settings: ReportSettings, reports: Reports, day_index: npt.NDArray[np.int64]
) -> dict[str, Any]:
    """The settings, and how many of the test period's transactions (all of them, known
    cards included) were reported: frauds, and genuine ones by mistake."""
    in_test = day_index[reports.rows] >= 0
    return {
        "rate": settings.rate,
        "delay_minutes": settings.delay_minutes,
        "false_rate": settings.false_rate,
        "seed": settings.seed,
        "reported_frauds": int((reports.fraud & in_test).sum()),
        "false_reports": int((~reports.fraud & in_test).sum()),
    }


@dataclass(frozen=True)
class Split:
    """The protocol's periods over a table's rows (boolean masks, row order kept)."""

    day_index: npt.NDArray[np.int64]
    """Days from ``test_start`` (negative before it)."""
    chapter3_week: npt.NDArray[np.bool_]
    test: npt.NDArray[np.bool_]
    """Test days' rows, known compromised cards removed."""
    known_cards: frozenset[Any]


def chapter3_split(
    frame: pd.DataFrame, days: pd.Series, test_start: dt.date, test_days: int
) -> Split:
    """The chapter-3 training week and the test rows of ``frame`` (``days``: each row's day)."""
    week_start = test_start - dt.timedelta(days=DELAY_DAYS + CHAPTER3_TRAIN_DAYS)
    labels = frame["TX_FRAUD"].to_numpy(dtype=np.int64)
    cards = frame["CUSTOMER_ID"].to_numpy()
    day_index = np.asarray((days - pd.Timestamp(test_start)).dt.days, dtype=np.int64)
    week = (days >= pd.Timestamp(week_start)).to_numpy() & (day_index < -DELAY_DAYS)
    known: set[Any] = set(cards[week & (labels == 1)].tolist())
    test = np.zeros(len(frame), dtype=bool)
    for d in range(test_days):
        known.update(cards[(day_index == d - DELAY_DAYS - 1) & (labels == 1)].tolist())
        today = day_index == d
        test |= today & ~pd.Series(cards).isin(known).to_numpy()
    return Split(
        day_index=day_index,
        chapter3_week=week,
        test=test,
        known_cards=frozenset(known),
    )


def evaluate(
    frame: pd.DataFrame,
    model: FraudModel,
    test_start: dt.date | None = None,
    test_days: int = 7,
    progress: Progress | None = None,
    collect: dict[str, Any] | None = None,
    reports: ReportSettings | None = None,
) -> dict[str, Any]:
    """Run the protocol on ``frame`` for ``model``; the result is what ``eval --json`` prints.

    ``collect``, when given, receives the test rows' ``scores`` and ``labels`` (for charts).
    ``reports``: the simulated "Not me" reports (default: rate 0); a model trained with
    reports scores with the features they give, a model without them ignores them.
    """
    report = progress or _noop
    settings = reports or ReportSettings()
    settings.validate()
    if test_days < 1:
        raise FraudInputError("--test-days must be at least 1")
    days = day_of(frame)
    first, last = days.iloc[0].date(), days.iloc[-1].date()
    test_start = test_start or last - dt.timedelta(days=test_days - 1)
    test_end = test_start + dt.timedelta(days=test_days - 1)
    delay_start = test_start - dt.timedelta(days=DELAY_DAYS)
    week_start = delay_start - dt.timedelta(days=CHAPTER3_TRAIN_DAYS)
    if test_start > last or test_end < first:
        raise FraudInputError(
            f"the test period {test_start}..{test_end} has no data ({first}..{last})"
        )
    if week_start < first:
        raise FraudInputError(
            f"too little data before the test period: the protocol needs {CHAPTER3_TRAIN_DAYS} "
            f"training and {DELAY_DAYS} delay days from {week_start}, the data starts {first}"
        )
    keep = (days <= pd.Timestamp(test_end)).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    days = days[keep].reset_index(drop=True)
    split = chapter3_split(frame, days, test_start, test_days)
    labels = frame["TX_FRAUD"].to_numpy(dtype=np.int64)
    cards = frame["CUSTOMER_ID"].to_numpy()
    day_index, week, test = split.day_index, split.chapter3_week, split.test
    if not test.any():
        raise FraudInputError("no test transactions left after removing known compromised cards")
    report("features", 0.0)
    simulated = simulate_reports(frame, settings)
    uses_reports = any(name in REPORT_FEATURES for name in model.features)
    features = compute_features_with_reports(frame, simulated if uses_reports else None)
    report("features", 1.0)
    report("scoring", 0.0)
    scores = model.predict_frame(features.loc[test])
    report("scoring", 1.0)
    if collect is not None:
        collect["scores"] = scores
        collect["labels"] = labels[test]
    test_days_arr = day_index[test]
    test_cards = cards[test]
    result: dict[str, Any] = metrics(test_days_arr, test_cards, labels[test], scores)
    perfect = card_precision_top_k(test_days_arr, test_cards, labels[test], labels[test] * 1.0)
    train_end = dt.date.fromisoformat(str(model.training.get("until", delay_start.isoformat())))
    warnings = []
    if train_end >= delay_start:
        warnings.append(
            f"the model was trained on data up to {train_end}, inside the delay/test period "
            f"(delay starts {delay_start}): the metrics are optimistic"
        )
    result.update(
        {
            "test_start": test_start.isoformat(),
            "test_end": test_end.isoformat(),
            "delay_start": delay_start.isoformat(),
            "test_transactions": int(test.sum()),
            "test_frauds": int(labels[test].sum()),
            "known_compromised_cards": len(split.known_cards),
            "perfect_card_precision_at_100": perfect[0],
            "model_training_window": [model.training.get("fit_start"), model.training.get("until")],
            "warnings": warnings,
            "reports": _report_summary(settings, simulated, day_index),
        }
    )
    report("baselines", 0.0)
    fit_start = pd.Timestamp(str(model.training.get("fit_start", first.isoformat())))
    model_end = pd.Timestamp(min(train_end, delay_start - dt.timedelta(days=1)))
    same_split = (days >= fit_start).to_numpy() & (days <= model_end).to_numpy()
    result["baselines"] = _baselines(features, labels, same_split, test, test_days_arr, test_cards)
    report("baselines", 0.5)
    result["baselines_chapter3_week"] = _baselines(
        features, labels, week, test, test_days_arr, test_cards
    )
    report("baselines", 1.0)
    return result
