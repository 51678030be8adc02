"""The shipped intent model (numpy) is the scikit-learn pipeline's: same parameters as
training on the shipped utterances gives, same probabilities on every utterance and on odd
inputs; and a server classifies without importing scikit-learn, scipy or pandas."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ledgerline.customer_service.assistant import build
from ledgerline.customer_service.assistant.model import IntentModel
from ledgerline.customer_service.assistant.nlu import (
    DATA_VERSION,
    Intent,
    classify,
    features_text,
    model_file,
)
from ledgerline.customer_service.assistant.training import (
    data_sha256,
    load_utterances,
    train,
    train_model,
)
from tests.support.built_once import built_once

ROOT = Path(__file__).resolve().parents[4]
TRAINING_STACK = ("sklearn", "scipy", "pandas")

ODD = [
    "",
    " ",
    "\n\t ",
    "🙂",
    "🙂🙂🙂",
    "💳❄️ pls",
    "a" * 5000,
    "Số dư của tôi là bao nhiêu? " * 300,
    "cho em check balance tài khoản với",
    "pls khoa the giup em, I lost my card o quan cafe",
    "so du tai khoan con bao nhieu",
    "mo khoa the",
    "MỞ KHÓA THẺ!!!",
    unicodedata.normalize("NFD", "Số dư của tôi"),  # decomposed diacritics
    "so\tdu\n\n  tai   khoan",
    "chuyển 125.000đ cho 0912345678 hôm 28/11",
    "what was the $12.50 at 7-eleven on 2026-11-28?",
    "余额多少",
    "ما هو رصيدي",
    "zero\u200bwidth\u00a0space",
    "x",
    "ok",
    "?",
    "asdf qwerty zxcv",
]


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# trained intent model built once, not in every process that draws one of them. Under
# pytest 9.2 loadgroup does not group (pytest-dev/pytest-xdist#1386): the two trainings are
# built once a run whatever the distribution (built_once), then read by the other processes.
pytestmark = pytest.mark.xdist_group("unit.customer_service.assistant.test_model")


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return built_once(tmp_path_factory, "intent-pipeline", lambda: train(load_utterances()))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> IntentModel:
    """What the build command trains: the serving model of the shipped utterances."""
    return built_once(tmp_path_factory, "intent-model", train_model)


@pytest.fixture(scope="module")
def shipped() -> IntentModel:
    return IntentModel.load(model_file())


def test_the_shipped_file_is_what_training_on_the_shipped_utterances_gives(
    trained: IntentModel, shipped: IntentModel
) -> None:
    assert shipped.data_version == DATA_VERSION
    assert shipped.data_sha256 == data_sha256()  # the utterances did not change since
    assert trained.differences(shipped) == []
    assert shipped.classes == tuple(sorted(Intent))
    assert model_file().stat().st_size < 2_000_000


@pytest.mark.parametrize("inputs", ["utterances", "odd"])
def test_probabilities_are_the_scikit_learn_pipelines(
    fitted: Any, shipped: IntentModel, inputs: str
) -> None:
    said = [u.text for u in load_utterances()] if inputs == "utterances" else ODD
    texts = [features_text(t) for t in said]
    if inputs == "odd":  # also what features_text never makes: capitals, runs of spaces
        texts += [*ODD, "MỞ  KHÓA   THẺ", "Balance\u3000PLEASE"]
    expected = fitted.predict_proba(texts)
    got = shipped.predict_proba(texts)
    assert shipped.classes == tuple(fitted.classes_)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert got.argmax(axis=1).tolist() == expected.argmax(axis=1).tolist()


def test_classify_gives_the_pipelines_intent_and_confidence(fitted: Any) -> None:
    for text in ["Số dư của tôi là bao nhiêu?", "mở khóa thẻ", *ODD]:
        expected = fitted.predict_proba([features_text(text)])[0]
        intent, confidence = classify(text)
        assert intent == fitted.classes_[expected.argmax()], text
        assert confidence == pytest.approx(expected.max(), abs=1e-9), text


def test_the_build_command_writes_and_checks_a_model_file(
    tmp_path: Path, trained: IntentModel, shipped: IntentModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command trains with ``train_model``, as ``trained`` did (the first test checks it
    # against the shipped file): three runs of the command without three more trainings.
    monkeypatch.setattr(build, "train_model", lambda version: trained)
    out = tmp_path / "model.json.gz"
    assert build.main(["--check", "--out", str(out)]) == 1  # no file yet
    assert build.main(["--out", str(out)]) == 0
    assert IntentModel.load(out).differences(shipped) == []
    data = json.loads(gzip.decompress(out.read_bytes()))
    data["coef"][0][0] += 1e-6
    out.write_bytes(gzip.compress(json.dumps(data).encode()))
    assert build.main(["--check", "--out", str(out)]) == 1


def test_damaged_model_files_are_clear_errors(tmp_path: Path, shipped: IntentModel) -> None:
    path = tmp_path / "m.json.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="damaged intent model file"):
        IntentModel.load(path)
    data = shipped.to_json()
    for damaged in (
        {**data, "format": "something-else/1"},
        {**data, "intercept": data["intercept"][:-1]},
        {**data, "coef": [row[:-1] for row in data["coef"]]},
        {**data, "vectorisers": [{**data["vectorisers"][0], "analyser": "char"}]},
        {**data, "vectorisers": [{**data["vectorisers"][0], "idf": [1.0]}]},
    ):
        path.write_bytes(gzip.compress(json.dumps(damaged).encode()))
        with pytest.raises(ValueError, match="damaged intent model file"):
            IntentModel.load(path)


SERVE_AND_CLASSIFY = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path

    from ledgerline.customer_service.assistant import nlu
    from tests.support.server import running_platform

    with tempfile.TemporaryDirectory() as tmp, running_platform(
        f"sqlite:///{tmp}/ledgerline.db", Path(tmp)
    ) as live:
        bank = live.create_business("Ngân hàng Demo")
        user = live.create_user(locale="vi")
        with live.client() as http:
            on = http.post(
                "/v2.6/me/assistant",
                params={"access_token": bank["page_access_token"]},
                json={"enabled": True},
            )
            assert on.json() == {"success": True}, on.text
            thread = f"/api/v1/threads/{bank['page_id']}/messages"
            auth = {"Authorization": f"Bearer {user['access_token']}"}
            for text in ("xin chào", "số dư của tôi là bao nhiêu?", "cảm ơn"):
                said = http.post(thread, json={"text": text}, headers=auth)
                assert said.status_code == 201, said.text
            messages = http.get(thread, headers=auth).json()["data"]
    stack = json.loads(sys.argv[1])
    print(json.dumps({
        "loaded": sorted({k.split(".")[0] for k in sys.modules} & set(stack)),
        "models_loaded": nlu._loaded.cache_info().currsize,
        "answers": sum(1 for m in messages if m["from"] == "page"),
    }))
    """
)


def test_a_server_with_the_assistant_on_imports_none_of_the_training_stack() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_AND_CLASSIFY, json.dumps(TRAINING_STACK)],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        cwd=ROOT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert result["models_loaded"] == 1  # the classifier did run
    assert result["answers"] >= 3
