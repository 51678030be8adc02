"""The intent classifier: its shipped data, its held-out accuracy, and what it understands.

(That the shipped numpy model is the scikit-learn pipeline's: ``test_assistant_model.py``.)"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from ledgerline.customer_service.assistant.nlu import (
    DATA_VERSION,
    THRESHOLD,
    Intent,
    features_text,
    understand,
)
from ledgerline.customer_service.assistant.text import fold
from ledgerline.customer_service.assistant.training import evaluate, load_utterances


def test_the_shipped_data_covers_every_intent_in_both_languages() -> None:
    utterances = load_utterances()
    assert DATA_VERSION == "intents-v2"
    assert len(utterances) >= 750
    assert len(load_utterances("intents-v1")) == 689  # earlier versions stay as shipped
    per_intent = Counter(u.intent for u in utterances)
    assert set(per_intent) == set(Intent)
    assert min(per_intent.values()) >= 35
    for intent in Intent:
        langs = {u.lang for u in utterances if u.intent is intent}
        assert langs == {"vi", "en"}, intent
        vi = [u.text for u in utterances if u.intent is intent and u.lang == "vi"]
        with_marks = [t for t in vi if fold(t) != t.lower()]
        assert with_marks, f"{intent}: no Vietnamese with diacritics"
        assert len(with_marks) < len(vi), f"{intent}: no Vietnamese typed without diacritics"


def test_no_utterance_is_listed_twice_under_different_intents() -> None:
    intents_of: dict[str, set[Intent]] = {}
    for u in load_utterances():
        intents_of.setdefault(features_text(u.text), set()).add(u.intent)
    assert {text: i for text, i in intents_of.items() if len(i) > 1} == {}


def test_held_out_accuracy_is_at_least_90_percent() -> None:
    result = evaluate(all_folds=True)
    assert result.test_size >= 180
    assert result.train_size + result.test_size == len(load_utterances())
    assert result.accuracy >= 0.90, result.errors  # the documented split
    assert result.fold_accuracies[0] == result.accuracy
    assert len(result.fold_accuracies) == 4
    assert result.mean_accuracy >= 0.90, result.fold_accuracies
    assert set(result.accuracy_by_lang) == {"vi", "en"}


def test_words_that_undo_a_lock_are_marked_for_the_classifier() -> None:
    for said in ("mở khóa thẻ", "bỏ tạm khóa thẻ", "gỡ chặn thẻ", "lift the block on my card"):
        assert features_text(said).endswith(" undolockcue"), said
    for said in ("khóa thẻ lại giúp em", "tạm khóa thẻ", "block my card", "hủy giúp tôi"):
        assert "undolockcue" not in features_text(said), said


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("Số dư của tôi là bao nhiêu?", Intent.BALANCE),
        ("so du tai khoan", Intent.BALANCE),
        ("What's my balance?", Intent.BALANCE),
        ("what was the 125.000 ₫ yesterday?", Intent.PAYMENT_LOOKUP),
        ("khoản 125k hôm qua là gì", Intent.PAYMENT_LOOKUP),
        ("show me my recent transactions", Intent.RECENT_TRANSACTIONS),
        ("khóa thẻ giúp tôi", Intent.CARD_FREEZE),
        ("mở khóa thẻ", Intent.CARD_UNFREEZE),
        ("tôi bị mất thẻ", Intent.LOST_CARD),
        ("I want to dispute a payment", Intent.DISPUTE),
        ("cây ATM gần nhất ở đâu", Intent.BRANCH_ATM),
        ("talk to a person", Intent.HUMAN),
        ("cho tôi gặp nhân viên", Intent.HUMAN),
        ("xin chào", Intent.GREETING),
        ("cảm ơn", Intent.THANKS),
    ],
)
def test_understands_the_common_requests(said: str, intent: Intent) -> None:
    heard = understand(said, date(2026, 11, 29))
    assert heard.intent is intent
    assert heard.understood
    assert heard.confidence >= THRESHOLD


def test_gibberish_is_not_understood() -> None:
    for said in ("asdf qwerty zxcv", "🙂🙂🙂"):
        assert not understand(said, date(2026, 11, 29)).understood
