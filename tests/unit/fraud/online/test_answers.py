"""Typed answers to "Was it you?": sure ones in vi and en (with or without diacritics),
unsure ones that get a confirmation, and ordinary messages left alone."""

from __future__ import annotations

import pytest

from ledgerline.fraud.online.answers import (
    FRAUD,
    GENUINE,
    TypedAnswer,
    read_answer,
    read_confirmation,
)


@pytest.mark.parametrize(
    "text",
    [
        "Not me",
        "not me!",
        "it wasn't me",
        "It wasn’t me",
        "no, it wasn't me",
        "that was not me",
        "I didn't make this payment",
        "không phải tôi",
        "Không phải tôi!",
        "khong phai toi",
        "KHÔNG PHẢI TÔI",
        "Không, không phải tôi",
        "không phải của tôi",
        "tôi không mua cái này",
        "toi ko mua",
        "đây là lừa đảo",
    ],
)
def test_sure_answers_that_it_was_not_the_person(text: str) -> None:
    assert read_answer(text) == TypedAnswer(FRAUD, sure=True)


@pytest.mark.parametrize(
    "text",
    [
        "yes it was me",
        "Yes, it was me",
        "that was me",
        "no, it was me",
        "đúng là tôi",
        "Đúng là tôi",
        "dung la toi",
        "có, là tôi",
        "đó là tôi",
        "tôi có mua",
    ],
)
def test_sure_answers_that_it_was_the_person(text: str) -> None:
    assert read_answer(text) == TypedAnswer(GENUINE, sure=True)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("no", FRAUD),
        ("No.", FRAUD),
        ("không", FRAUD),
        ("không phải", FRAUD),
        ("khong phai", FRAUD),
        ("không ạ", FRAUD),
        ("ko", FRAUD),
        ("yes", GENUINE),
        ("có", GENUINE),
        ("đúng rồi", GENUINE),
        ("ok", GENUINE),
        ("vâng", GENUINE),
        ("is this a scam?", FRAUD),  # a question is never sure
        ("not me… or was it me?", FRAUD),  # both answers: ask
        (
            "it wasn't me who bought it, I think, but my son may have used my card yesterday",
            FRAUD,
        ),  # too long to be sure
    ],
)
def test_unsure_answers_are_confirmed_first(text: str, verdict: str) -> None:
    assert read_answer(text) == TypedAnswer(verdict, sure=False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "số dư của tôi",
        "what is my balance",
        "khóa thẻ đuôi 1234",
        "Tôi muốn gặp nhân viên",
        "cho tôi xem giao dịch",
        "not sure",
        "khoản 125k hôm qua là gì?",
    ],
)
def test_ordinary_messages_are_no_answer(text: str) -> None:
    assert read_answer(text) is None


def test_a_bare_yes_or_no_answers_a_confirmation() -> None:
    assert read_confirmation("Có") is True
    assert read_confirmation("yes please") is True
    assert read_confirmation("không ạ") is False
    assert read_confirmation("no") is False
    assert read_confirmation("maybe later") is None
