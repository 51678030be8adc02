"""The demo bank's pure parts: texts, signatures, the bot, the simulated card activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from demobank import assistant, bot
from demobank.cards import FAR_MERCHANTS, CardActivity
from demobank.customers import CUSTOMERS, AccountRefused, authenticate, customer, open_account
from demobank.signature import sign, verify
from demobank.state import BankState, SharedTransaction
from demobank.texts import TEXTS, guess_locale, pick_locale, say

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def test_every_text_exists_in_vietnamese_and_english() -> None:
    assert set(TEXTS) == {"vi", "en"}
    assert set(TEXTS["vi"]) == set(TEXTS["en"])
    assert say("fr", "verdict_genuine") == TEXTS["vi"]["verdict_genuine"]


def test_language_guesses() -> None:
    assert guess_locale("Xin chào") == "vi"
    assert guess_locale("Hello there") == "en"
    assert guess_locale("ok", default="en") == "en"
    assert pick_locale("en-GB,en;q=0.9") == "en"
    assert pick_locale("en-GB", override="vi") == "vi"
    assert pick_locale(None) == "vi"


def test_signature_verification() -> None:
    body = b'{"object":"page"}'
    header = sign("s3cret", body)
    assert verify("s3cret", body, header)
    assert not verify("s3cret", body + b" ", header)
    assert not verify("other", body, header)
    assert not verify("s3cret", body, None)
    assert not verify("", body, sign("", body))  # no secret configured: nothing verifies


def test_customers_authenticate_only_with_their_password() -> None:
    assert authenticate("an.nguyen", "demo-1234") == customer("an.nguyen")
    assert authenticate(" AN.NGUYEN ", "demo-1234") == customer("an.nguyen")
    assert authenticate("an.nguyen", "demo-5678") is None
    assert authenticate("nobody", "demo-1234") is None


def test_the_bot_invites_strangers_and_helps_customers() -> None:
    link = "http://bank.test/link"
    invite = bot.answer(customer=None, locale="en", text="hi", payload=None, link_url=link)
    (message,) = invite.messages
    assert message["attachment"]["payload"]["buttons"] == [
        {"type": "account_link", "url": link, "scopes": bot.LINK_SCOPES}
    ]
    assert "customer_service" not in bot.LINK_SCOPES  # left to the person
    # Someone who is not linked yet gets suggested replies: why link, and a person.
    assert [q["payload"] for q in message["quick_replies"]] == [bot.HELP, bot.AGENT]
    assert [q["title"] for q in message["quick_replies"]] == ["Why link?", "Talk to a person"]
    why = bot.answer(customer=None, locale="vi", text=None, payload=bot.HELP, link_url=link)
    (explained,) = why.messages
    assert explained["attachment"]["payload"]["text"].startswith("Khi liên kết")
    assert explained["attachment"]["payload"]["buttons"][0]["type"] == "account_link"
    person = bot.answer(customer=None, locale="en", text=None, payload=bot.AGENT, link_url=link)
    assert person.hand_to_agents
    claire = customer("claire.martin")
    greeting = bot.answer(customer=claire, locale="en", text="hello", payload=None, link_url=link)
    assert greeting.messages[0]["text"] == "Hi Claire! What can I do for you today?"
    assert [q["payload"] for q in greeting.messages[0]["quick_replies"]] == [
        "BALANCE",
        "CARDS",
        "HELP",
    ]
    an = customer("an.nguyen")
    hello = bot.answer(customer=an, locale="vi", text="Xin chào", payload=None, link_url=link)
    assert hello.messages[0]["text"] == "Chào An! Bạn cần gì hôm nay?"
    assert bot.answer(customer=an, locale="vi", text=None, payload="BALANCE", link_url=link) == (
        bot.Answer(share_balance=True)
    )
    assert bot.intent("what is the time", None) is None  # "the" is not "thẻ"
    assert bot.intent("thẻ của tôi", None) == bot.CARDS
    frozen = bot.answer(
        customer=an, locale="vi", text="thẻ", payload=None, link_url=link, card_frozen=True
    )
    assert frozen.messages[0]["text"].startswith("Thẻ •••• 1234 đang bị khóa")
    for message in greeting.messages + frozen.messages:
        assert all(len(q["title"]) <= 20 for q in message["quick_replies"])


def test_card_activity_is_deterministic_and_suspicious_payments_stand_out() -> None:
    first, second = CardActivity(len(CUSTOMERS), seed=7), CardActivity(len(CUSTOMERS), seed=7)
    an = CUSTOMERS[0]
    ordinary = [first.payment(an, suspicious=False, now=NOW) for _ in range(20)]
    again = [second.payment(an, suspicious=False, now=NOW) for _ in range(20)]
    assert [p.amount for p in ordinary] == [p.amount for p in again]
    odd = first.payment(an, suspicious=True, now=NOW)
    assert odd.amount >= 220 * 25_000
    assert odd.amount > max(p.amount for p in ordinary)
    assert odd.body["merchant"]["country"] in {c for *_, c in FAR_MERCHANTS}
    assert all(p.body["merchant"]["country"] == "VN" for p in ordinary)
    assert all(p.amount % 1_000 == 0 and p.body["card_last4"] == "1234" for p in ordinary)
    spent = sum(p.amount for p in ordinary) + odd.amount
    balance = first.balance(an, now=NOW)
    assert balance["available"] == {"amount": str(an.opening_balance - spent), "currency": "VND"}


def test_a_receipt_is_followed_by_its_shipment_steps() -> None:
    activity = CardActivity(len(CUSTOMERS))
    claire = CUSTOMERS[2]
    assert activity.shipment(claire, now=NOW) is None
    receipt = activity.receipt(claire, now=NOW)
    steps = []
    while (step := activity.shipment(claire, now=NOW)) is not None:
        assert step["order_id"] == receipt["order_number"]
        steps.append(step["status"])
    assert steps == ["label_created", "in_transit", "out_for_delivery", "delivered"]


def test_payday_brings_the_balance_back() -> None:
    activity = CardActivity(len(CUSTOMERS))
    an = CUSTOMERS[0]
    for _ in range(30):
        activity.payment(an, suspicious=True, now=NOW)
    assert activity.current(an) < 0
    salary = activity.salary(an, now=NOW)
    assert salary.body["credit_debit"] == "credit"
    assert salary.amount > 0
    assert activity.current(an) == an.opening_balance


def test_the_bank_state_survives_a_restart_and_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = BankState.load(path)
    state.remember_code("code", "psid-1", "an.nguyen")
    assert state.confirm("code", "psid-2") is None  # a code is bound to its PSID
    state.remember_code("code", "psid-1", "an.nguyen")
    assert state.confirm("code", "psid-1") is not None
    assert state.confirm("code", "psid-1") is None  # used once
    state.freeze("1234")
    again = BankState.load(path)
    assert again.link_of("psid-1") is not None
    assert again.is_frozen("1234")
    path.write_text("{broken", encoding="utf-8")
    assert BankState.load(path).linked() == []


def test_transaction_ids_never_look_like_card_numbers() -> None:
    import re

    activity = CardActivity(len(CUSTOMERS))
    ids = [
        activity.payment(CUSTOMERS[1], suspicious=False, now=NOW).transaction_id for _ in range(200)
    ]
    assert len(set(ids)) == 200
    assert not any(re.search(r"\d{13,}", i) for i in ids)


def test_the_banks_answers_to_the_assistants_requests() -> None:
    an = customer("an.nguyen")
    claire = customer("claire.martin")
    assert an is not None
    assert claire is not None

    def handle(payload: str, details: dict[str, str], **kw: Any) -> assistant.Handled:
        values: dict[str, Any] = {
            "customer": an,
            "locale": "vi",
            "frozen": False,
            "case_number": "DB-000042",
        }
        return assistant.handle(payload, details, **{**values, **kw})

    frozen = handle(assistant.FREEZE, {"card_last4": "1234"})
    assert (frozen.freeze, frozen.text) == (
        "1234",
        "Ngân hàng Demo: thẻ •••• 1234 đã được tạm khóa. Khi cần dùng lại, bạn chỉ cần nhờ "
        "trợ lý mở khóa thẻ.",
    )
    assert handle(assistant.FREEZE, {}, frozen=True).text.endswith("vẫn đang tạm khóa.")
    other = handle(assistant.FREEZE, {"card_last4": "9999"})
    assert (other.freeze, "•••• 9999" in other.text) == (None, True)  # not theirs: nothing
    unfrozen = handle(assistant.UNFREEZE, {}, frozen=True, customer=claire, locale="en")
    assert unfrozen.unfreeze == "4321"
    assert unfrozen.text == "Demo Bank: card •••• 4321 is unfrozen and ready to use."
    assert handle(assistant.UNFREEZE, {}).unfreeze is None  # it was not frozen
    lost = handle(assistant.LOST, {}, customer=claire, locale="en")
    assert lost.freeze == "4321"
    assert "A new card is on its way" in lost.text
    tx = SharedTransaction("dbtx_1", "psid", "1234", "Highlands Coffee", 125_000, False)
    dispute = handle(assistant.DISPUTE, {"transaction_id": "dbtx_1"}, transaction=tx)
    assert dispute.text.startswith(
        "Ngân hàng Demo đã ghi nhận yêu cầu tra soát giao dịch 125.000 ₫ tại Highlands Coffee, "
        "mã hồ sơ "
        "DB-000042."
    )
    assert "case number DB-000042" in handle(assistant.DISPUTE, {}, locale="en").text
    branch = handle(assistant.BRANCH_ATM, {"text": "chi nhánh ở Sài Gòn mở cửa mấy giờ"})
    assert branch.text.splitlines()[1:] == [
        "• Chi nhánh Quận 1: 72 Lê Thánh Tôn, Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    ]
    everywhere = handle(assistant.BRANCH_ATM, {"text": "nearest ATM?"}, locale="en")
    assert len(everywhere.text.splitlines()) == 1 + len(assistant.BRANCHES)
    with pytest.raises(ValueError, match="not an assistant request"):
        handle("BALANCE", {})


def test_an_opened_account_is_checked_kept_hashed_and_survives_a_restart(tmp_path: Path) -> None:
    taken: set[str] = set()
    for fields, reason in [
        ({"name": " "}, "open_bad_name"),
        ({"name": "x" * 81}, "open_bad_name"),
        ({"username": "ab"}, "open_bad_username"),
        ({"username": "Hoa Le"}, "open_bad_username"),
        ({"username": "an.nguyen"}, "open_username_taken"),
        ({"password": "1234567"}, "open_bad_password"),
    ]:
        with pytest.raises(AccountRefused) as refused:
            open_account(
                **{"name": "Lê Thị Hoa", "username": "hoa.le", "password": "long enough",
                   "locale": "vi", **fields},
                taken=taken.__contains__,
            )  # fmt: skip
        assert refused.value.reason == reason
    hoa = open_account(
        name="  Lê   Thị Hoa ", username=" Hoa.Le ", password="long enough", locale="xx",
        taken=taken.__contains__,
    )  # fmt: skip
    assert (hoa.name, hoa.username, hoa.locale) == ("Lê Thị Hoa", "hoa.le", "vi")
    assert hoa.account_name == "Tài khoản thanh toán"
    assert re.fullmatch(r"DB-[0-9]{4}-[0-9]{4}", hoa.account_id)
    assert re.fullmatch(r"[0-9]{4}", hoa.card_last4)
    assert hoa.password == ""
    assert "long enough" not in hoa.password_hash
    state = BankState.load(tmp_path / "bank.json")
    state.add_customer(hoa)
    again = BankState.load(tmp_path / "bank.json")
    assert again.opened_customer("hoa.le") == hoa
    assert authenticate("HOA.LE", "long enough", again.opened_customer) == hoa
    assert authenticate("hoa.le", "long enougH", again.opened_customer) is None
    with pytest.raises(AccountRefused):
        open_account(
            name="Hoa", username="hoa.le", password="long enough", locale="vi",
            taken=lambda u: again.opened_customer(u) is not None,
        )  # fmt: skip
