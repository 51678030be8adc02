"""Training, calibration and the model file.

The model is LightGBM gradient-boosted trees on ``ALL_FEATURES``. The last 7 days of the
training window are the validation slice: they pick the number of trees (early stopping on
average precision), fit a Platt calibration of the raw margin (monotone, so rankings and
AUC/AP/CP@k are those of the trees) and give the score distribution kept for alert budgets.

The model file is JSON (no pickle): format tag, feature list, training window, library
versions, LightGBM parameters, the booster text, the calibration and the alert curve.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from ledgerline.fraud.budget import AlertCurve, AlertPolicy, build_curve, derive_threshold
from ledgerline.fraud.dataset import day_of
from ledgerline.fraud.errors import FraudInputError, ModelFileError
from ledgerline.fraud.features import ALL_FEATURES, compute_features

MODEL_FORMAT = "ledgerline-fraud-model/1"
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
MAX_ROUNDS = 800
EARLY_STOPPING = 60


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        **{name: version(name) for name in ("lightgbm", "numpy", "pandas", "scikit-learn")},
    }


@dataclass
class FraudModel:
    """A trained, calibrated fraud model and what it was trained on."""

    booster: lgb.Booster
    features: tuple[str, ...]
    platt: tuple[float, float]
    curve: AlertCurve
    training: dict[str, Any]
    versions: dict[str, str] = field(default_factory=library_versions)
    params: dict[str, Any] = field(default_factory=lambda: dict(LGBM_PARAMS))

    def raw_scores(self, matrix: FloatArray, num_threads: int = 0) -> FloatArray:
        """Raw margins for rows of ``matrix`` (columns in ``self.features`` order)."""
        kwargs: dict[str, Any] = {"raw_score": True}
        if num_threads:
            kwargs["num_threads"] = num_threads
        return np.asarray(self.booster.predict(matrix, **kwargs), dtype=np.float64)

    def calibrate(self, raw: FloatArray) -> FloatArray:
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * raw + b)))

    def calibrate_one(self, raw: float) -> float:
        a, b = self.platt
        z = a * raw + b
        if z < -700:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def predict_frame(self, features: pd.DataFrame) -> FloatArray:
        """Calibrated fraud probabilities for a features frame."""
        # C order: LightGBM would otherwise copy a column-major matrix before predicting.
        matrix = np.empty((len(features), len(self.features)), dtype=np.float64)
        for j, name in enumerate(self.features):
            matrix[:, j] = features[name].to_numpy(dtype=np.float64)
        return self.calibrate(self.raw_scores(matrix, num_threads=os.cpu_count() or 1))

    def threshold_for(self, policy: AlertPolicy) -> float:
        return derive_threshold(policy, self.curve)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "features": list(self.features),
            "training": self.training,
            "versions": self.versions,
            "params": self.params,
            "calibration": {"method": "platt", "a": self.platt[0], "b": self.platt[1]},
            "alert_curve": self.curve.to_json(),
            "booster": self.booster.model_to_string(),
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> FraudModel:
        """Read a model file (``.json``, or gzip-compressed ``.json.gz``)."""
        try:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            data = json.loads(raw.decode("utf-8"))
        except FileNotFoundError as exc:
            raise ModelFileError(f"{path}: no such model file") from exc
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: not a Ledgerline fraud model file ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{path}: not a Ledgerline fraud model file ({MODEL_FORMAT})")
        try:
            features = tuple(str(f) for f in data["features"])
            unknown = [f for f in features if f not in ALL_FEATURES]
            if unknown:
                raise ModelFileError(f"{path}: unknown features {unknown}")
            return cls(
                booster=lgb.Booster(model_str=data["booster"]),
                features=features,
                platt=(float(data["calibration"]["a"]), float(data["calibration"]["b"])),
                curve=AlertCurve.from_json(data["alert_curve"]),
                training=dict(data["training"]),
                versions=dict(data["versions"]),
                params=dict(data["params"]),
            )
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ModelFileError(f"{path}: damaged model file ({exc})") from exc


def default_model_path() -> Path:
    """The small demo model shipped with the package (``bench/fraud_default_model.py``)."""
    return Path(__file__).with_name("data") / "default-model.json.gz"


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
) -> FraudModel:
    """Train on the transactions of ``frame`` up to and including ``until``.

    ``extra`` is more labelled rows (a matrix in ``ALL_FEATURES`` order and its labels), e.g.
    people's verdicts on platform alerts; they join the fitting rows (not the validation).
    """
    report = progress or _noop
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
    features = compute_features(window)
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
    names = list(ALL_FEATURES)
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
    params = dict(LGBM_PARAMS, metric="average_precision", num_threads=threads)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False), on_iteration],
    )
    report("trees", 1.0)
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    valid_raw = np.asarray(booster.predict(matrix[is_valid], raw_score=True), dtype=np.float64)
    valid_labels = labels[is_valid]
    platt = fit_platt(valid_raw, valid_labels)
    model = FraudModel(
        booster=booster,
        features=ALL_FEATURES,
        platt=platt,
        curve=AlertCurve((), (), (), 0, 0),
        training={},
    )
    valid_scores = model.calibrate(valid_raw)
    model.curve = build_curve(valid_scores, valid_labels)
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
    return model
