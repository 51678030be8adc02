"""Training and calibration of the fraud model (``ledgerline fraud train``).

The model is LightGBM gradient-boosted trees on ``ALL_FEATURES``. The last 7 days of the
training window are the validation slice: they pick the number of trees (early stopping on
average precision), fit a Platt calibration of the raw margin (monotone, so rankings and
AUC/AP/CP@k are those of the trees) and give the score distribution kept for alert budgets.
The result is a ``FraudModel`` (``ledgerline.fraud.online.model``: the model file and serving).
Training needs pandas, scikit-learn and the ``lightgbm`` package; serving does not.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import day_of
from ledgerline.fraud.offline.reports import (
    ReportSettings,
    compute_features_with_reports,
    simulate_reports,
)
from ledgerline.fraud.online.booster import Booster
from ledgerline.fraud.online.budget import AlertCurve, build_curve
from ledgerline.fraud.online.features import ALL_FEATURES, REPORT_FEATURES
from ledgerline.fraud.online.model import FraudModel

VALIDATION_DAYS = 7
MIN_TRAIN_DAYS = 14
DEFAULT_HOLDOUT_DAYS = 14
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]

LGBM_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 100,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "seed": 0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
# With report features the trees also get a minimum hessian per leaf and a stronger L2
# penalty: a handful of compromised terminals carry the report signal, and unregularised
# trees fit them unstably across seeds (issue 20's prototype: AP 0.66 to 0.77). Compared on
# a validation week inside the training period (docs/fraud-model.md, "Chat-speed labels":
# stronger regularisation, fewer leaves, a smaller feature fraction, no bagging), no other
# setting beat these by more than the seeds' spread, so they stay. Without reports the
# parameters stay as they were, so results are unchanged.
REPORT_PARAMS: dict[str, Any] = {"min_sum_hessian_in_leaf": 5.0, "lambda_l2": 10.0}
MAX_ROUNDS = 800
EARLY_STOPPING = 60


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("lightgbm", "numpy", "pandas", "scikit-learn")},
    }


def _noop(_stage: str, _fraction: float) -> None:
    return None


def default_until(last_day: dt.date) -> dt.date:
    """All but the last ``DEFAULT_HOLDOUT_DAYS`` days (the delay and test weeks)."""
    return last_day - dt.timedelta(days=DEFAULT_HOLDOUT_DAYS)


def warmup_days(window_days: int) -> int:
    """Days at the start of the data left out of fitting: their 30-day windows are incomplete."""
    fit_days = window_days - VALIDATION_DAYS
    return min(30, max(0, (fit_days - MIN_TRAIN_DAYS) // 2))


def fit_platt(raw: FloatArray, labels: npt.NDArray[np.int64]) -> tuple[float, float]:
    """Platt scaling ``sigmoid(a * raw + b)`` fitted on validation margins."""
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(raw.reshape(-1, 1), labels)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def train_model(
    frame: pd.DataFrame,
    until: dt.date | None = None,
    progress: Progress | None = None,
    extra: tuple[FloatArray, npt.NDArray[np.int64]] | None = None,
    reports: ReportSettings | None = None,
) -> FraudModel:
    """Train on the transactions of ``frame`` up to and including ``until``.

    ``extra`` is more labelled rows (a matrix in ``ALL_FEATURES`` order and its labels), e.g.
    people's verdicts on platform alerts; they join the fitting rows (not the validation).
    ``reports``: simulated "Not me" reports on the window; with a rate above 0 the model
    also learns ``REPORT_FEATURES`` (``ledgerline.fraud.offline.reports``).
    """
    report = progress or _noop
    settings = reports or ReportSettings()
    settings.validate()
    with_reports = settings.used_by_training
    if with_reports and extra is not None and len(extra[1]):
        raise FraudInputError(
            "verdict labels (--with-verdicts) cannot be combined with --report-rate above 0: "
            "the stored alert features have no report features"
        )
    days = day_of(frame)
    first = days.iloc[0].date()
    last = days.iloc[-1].date()
    span = (last - first).days + 1
    if until is None:
        until = default_until(last)
        if (until - first).days + 1 < MIN_TRAIN_DAYS:
            raise FraudInputError(
                f"too little data to train: the data covers {span} day(s) ({first}..{last}); "
                f"training needs {MIN_TRAIN_DAYS} days up to --until, which defaults to all "
                f"but the last {DEFAULT_HOLDOUT_DAYS} days"
            )
    if until < first:
        raise FraudInputError(f"--until {until} is before the first transaction ({first})")
    until = min(until, last)
    window_days = (until - first).days + 1
    if window_days < MIN_TRAIN_DAYS:
        raise FraudInputError(
            f"too little data to train: {window_days} day(s) from {first} to {until}; "
            f"need at least {MIN_TRAIN_DAYS} days (the last {VALIDATION_DAYS} validate)"
        )
    in_window = (days <= pd.Timestamp(until)).to_numpy()
    window = frame.loc[in_window].reset_index(drop=True)
    report("features", 0.0)
    simulated = simulate_reports(window, settings) if with_reports else None
    features = compute_features_with_reports(window, simulated)
    report("features", 1.0)
    wdays = day_of(window)
    valid_start = until - dt.timedelta(days=VALIDATION_DAYS - 1)
    fit_start = first + dt.timedelta(days=warmup_days(window_days))
    is_valid = (wdays >= pd.Timestamp(valid_start)).to_numpy()
    is_fit = (~is_valid) & (wdays >= pd.Timestamp(fit_start)).to_numpy()
    labels = window["TX_FRAUD"].to_numpy(dtype=np.int64)
    for name, mask in (("training", is_fit), ("validation", is_valid)):
        positives = int(labels[mask].sum())
        if positives == 0 or positives == int(mask.sum()):
            raise FraudInputError(
                f"the {name} part of the window ({first}..{until}) needs both fraudulent "
                "and genuine transactions"
            )
    names = list(ALL_FEATURES + REPORT_FEATURES) if with_reports else list(ALL_FEATURES)
    matrix = features.to_numpy(dtype=np.float64)
    fit_matrix, fit_labels = matrix[is_fit], labels[is_fit]
    extra_rows = 0 if extra is None else len(extra[1])
    if extra is not None and extra_rows:
        if extra[0].shape != (extra_rows, len(names)):
            raise FraudInputError(f"extra rows must have {len(names)} feature columns")
        fit_matrix = np.vstack([fit_matrix, extra[0]])
        fit_labels = np.concatenate([fit_labels, extra[1].astype(np.int64)])
    train_set = lgb.Dataset(fit_matrix, fit_labels, feature_name=names, free_raw_data=True)
    valid_set = lgb.Dataset(matrix[is_valid], labels[is_valid], reference=train_set)

    def on_iteration(env: lgb.callback.CallbackEnv) -> None:
        if env.iteration % 20 == 0:
            report("trees", env.iteration / MAX_ROUNDS)

    # Small jobs run single-threaded: OpenMP threads only add overhead there.
    threads = LGBM_PARAMS["num_threads"] if int(is_fit.sum()) >= 200_000 else 1
    model_params = dict(LGBM_PARAMS, **REPORT_PARAMS) if with_reports else dict(LGBM_PARAMS)
    params = dict(model_params, metric="average_precision", num_threads=threads)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False), on_iteration],
    )
    report("trees", 1.0)
    best = booster.best_iteration or booster.current_iteration()
    text = booster.model_to_string(num_iteration=best)
    # Scored through the C library as the server scores: the calibration sees its margins.
    valid_raw = Booster(text).predict(matrix[is_valid], num_threads=threads)
    valid_labels = labels[is_valid]
    platt = fit_platt(valid_raw, valid_labels)
    model = FraudModel(
        booster_text=text,
        features=tuple(names),
        platt=platt,
        curve=AlertCurve((), (), (), 0, 0),
        training={},
        versions=library_versions(),
        params=model_params,
    )
    model.curve = build_curve(model.calibrate(valid_raw), valid_labels)
    model.training = {
        "data_start": first.isoformat(),
        "until": until.isoformat(),
        "fit_start": fit_start.isoformat(),
        "fit_end": (valid_start - dt.timedelta(days=1)).isoformat(),
        "validation_start": valid_start.isoformat(),
        "validation_end": until.isoformat(),
        "fit_transactions": int(is_fit.sum()),
        "fit_frauds": int(labels[is_fit].sum()),
        "validation_transactions": int(is_valid.sum()),
        "validation_frauds": int(valid_labels.sum()),
        "validation_average_precision": float(average_precision_score(valid_labels, valid_raw)),
        "trees": int(best),
        "verdict_labels": {
            "rows": extra_rows,
            "fraud": 0 if extra is None else int(extra[1].sum()),
        },
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if simulated is not None:
        model.training["reports"] = dict(
            settings.to_json(),
            reported_frauds=simulated.reported_frauds,
            false_reports=simulated.false_reports,
        )
    return model
