"""The fraud model as the server uses it: the model file, calibrated scores, alert thresholds.

A model is LightGBM gradient-boosted trees on ``ALL_FEATURES`` with a Platt calibration of
the raw margin and the validation score distribution kept for alert budgets
(``ledgerline.fraud.offline.training`` makes one). The model file is JSON (no pickle): format tag,
feature list, training window, library versions, LightGBM parameters, the booster text, the
calibration and the alert curve.

Serving needs only numpy and LightGBM's shared library (``ledgerline.fraud.online.booster``): this
module, the online engine and the platform's scoring import neither pandas, scikit-learn nor
the ``lightgbm`` Python package (a test and an import-linter contract keep it so).
"""

from __future__ import annotations

import gzip
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ledgerline.fraud.errors import ModelFileError
from ledgerline.fraud.online.booster import Booster
from ledgerline.fraud.online.budget import AlertCurve, AlertPolicy, derive_threshold
from ledgerline.fraud.online.features import KNOWN_FEATURES

if TYPE_CHECKING:
    import pandas as pd

MODEL_FORMAT = "ledgerline-fraud-model/1"
FloatArray = npt.NDArray[np.float64]


@dataclass
class FraudModel:
    """A trained, calibrated fraud model and what it was trained on."""

    booster_text: str = field(repr=False)
    features: tuple[str, ...]
    platt: tuple[float, float]
    curve: AlertCurve
    training: dict[str, Any]
    versions: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    booster: Booster = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.booster = Booster(self.booster_text)
        if self.booster.width != len(self.features):
            raise ModelFileError(
                f"the trees use {self.booster.width} features, the model lists {len(self.features)}"
            )

    @property
    def trees(self) -> int:
        return self.booster.iterations

    def raw_scores(self, matrix: FloatArray, num_threads: int = 0) -> FloatArray:
        """Raw margins for rows of ``matrix`` (columns in ``self.features`` order)."""
        return self.booster.predict(matrix, num_threads=num_threads)

    def raw_score_one(self, row: FloatArray) -> float:
        """Raw margin of one C-contiguous float64 row (the fast single-row path)."""
        return self.booster.predict_row(row)

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
        """Calibrated fraud probabilities for a features frame (offline evaluation)."""
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
            "booster": self.booster_text,
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
            unknown = [f for f in features if f not in KNOWN_FEATURES]
            if unknown:
                raise ModelFileError(f"{path}: unknown features {unknown}")
            return cls(
                booster_text=str(data["booster"]),
                features=features,
                platt=(float(data["calibration"]["a"]), float(data["calibration"]["b"])),
                curve=AlertCurve.from_json(data["alert_curve"]),
                training=dict(data["training"]),
                versions=dict(data["versions"]),
                params=dict(data["params"]),
            )
        except ModelFileError as exc:
            if exc.message.startswith(str(path)):
                raise
            raise ModelFileError(f"{path}: damaged model file ({exc.message})") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{path}: damaged model file ({exc})") from exc


def default_model_path() -> Path:
    """The small demo model shipped with the package (``bench/fraud_default_model.py``)."""
    return Path(__file__).with_name("data") / "default-model.json.gz"
