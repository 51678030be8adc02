"""The served model: the C-library booster scores as the lightgbm package does, model files
round-trip, and serving imports none of the training stack."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from ledgerline.fraud.errors import ModelFileError
from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.features import compute_features
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate
from ledgerline.fraud.offline.training import train_model
from ledgerline.fraud.online.booster import Booster, library_path
from ledgerline.fraud.online.features import ALL_FEATURES
from ledgerline.fraud.online.model import FraudModel, default_model_path

TRAINING_STACK = ("lightgbm", "pandas", "sklearn", "scipy", "pyarrow")


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# simulated frame and trained model built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("unit.fraud.online.test_model")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    simulated, _ = simulate(SimulationConfig(customers=150, terminals=300, days=40, seed=5))
    return normalize(simulated)


@pytest.fixture(scope="module")
def model(frame: pd.DataFrame) -> FraudModel:
    return train_model(frame, dt.date(2018, 5, 1))


def test_scores_are_the_lightgbm_packages_to_the_bit(
    frame: pd.DataFrame, model: FraudModel
) -> None:
    matrix = np.ascontiguousarray(compute_features(frame).to_numpy(np.float64))
    expected = lgb.Booster(model_str=model.booster_text).predict(matrix, raw_score=True)
    np.testing.assert_array_equal(model.raw_scores(matrix), expected)
    np.testing.assert_array_equal(model.raw_scores(matrix, num_threads=1), expected)
    rows = [model.raw_score_one(np.ascontiguousarray(row)) for row in matrix[:500]]
    np.testing.assert_array_equal(rows, expected[:500])
    assert model.trees == model.training["trees"]


def test_a_model_file_round_trips(tmp_path: Path, model: FraudModel) -> None:
    path = tmp_path / "m.json"
    model.save(path)
    loaded = FraudModel.load(path)
    assert loaded == model
    matrix = np.random.default_rng(0).uniform(0, 50, size=(200, len(model.features)))
    np.testing.assert_array_equal(loaded.raw_scores(matrix), model.raw_scores(matrix))


def test_damaged_model_files_are_clear_errors(tmp_path: Path, model: FraudModel) -> None:
    data = model.to_json()
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**data, "booster": "tree\nnot a model"}))
    with pytest.raises(ModelFileError, match="damaged model file"):
        FraudModel.load(path)
    path.write_text(json.dumps({**data, "features": data["features"][:-1]}))
    with pytest.raises(ModelFileError, match="damaged model file"):
        FraudModel.load(path)
    with pytest.raises(ValueError, match="columns"):
        model.raw_scores(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="row"):
        model.raw_score_one(np.zeros(3))


def test_the_library_is_found_without_importing_the_package() -> None:
    assert library_path().is_file()
    shipped = FraudModel.load(default_model_path())
    assert Booster(shipped.booster_text).width == len(shipped.features) == len(ALL_FEATURES)


SERVE_AND_SCORE = textwrap.dedent(
    """
    import datetime as dt, json, sys

    import ledgerline.api.app
    import ledgerline.bootstrap
    from ledgerline.fraud.online.scorer import InMemoryStateStore, Transaction
    from ledgerline.fraud.online.scoring import FraudEngine

    engine = FraudEngine.load(sys.argv[1])
    scorer = engine.scorer(InMemoryStateStore())
    when = dt.datetime(2026, 11, 29, 12)
    one = scorer.score(Transaction("t1", "card", "term", 42.0, when), threshold=0.5)
    batch = scorer.score_batch(
        [Transaction(f"t{i}", "card", "term", 10.0 + i, when) for i in range(2, 12)], 0.5
    )
    stack = json.loads(sys.argv[2])
    loaded = sorted({k.split(".")[0] for k in sys.modules} & set(stack))
    print(json.dumps({"loaded": loaded, "scores": [one.score] + [r.score for r in batch]}))
    """
)


@pytest.mark.parametrize("setting", ["default", "file"])
def test_serving_imports_none_of_the_training_stack(
    tmp_path: Path, model: FraudModel, setting: str
) -> None:
    if setting == "file":
        setting = str(tmp_path / "trained.json")
        model.save(Path(setting))
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_SCORE, setting, json.dumps(TRAINING_STACK)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert len(result["scores"]) == 11
    assert all(0.0 <= s <= 1.0 for s in result["scores"])
