"""The assistant's words: the vi catalogue is complete, money and cards read as in the
financial updates, and the confirmation payloads carry only what they must."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import ledgerline.customer_service.assistant.replies as replies
from ledgerline.customer_service.assistant.replies import ASSISTANT, BankAction, Confirmation
from ledgerline.customer_service.assistant.slots import Amount

PLACEHOLDER = re.compile(r"\{(\w+)\}")
BALANCE = {
    "account_id": "acc-1",
    "account_name": "Tài khoản thanh toán",
    "available": {"amount": "1250000", "currency": "VND"},
    "current": {"amount": "1300000", "currency": "VND"},
    "as_of": 1_795_914_900_000,  # 08:15 in Hà Nội
}
TX = {
    "transaction_id": "tx-1",
    "card_last4": "1234",
    "amount": {"amount": "125000", "currency": "VND"},
    "credit_debit": "debit",
    "status": "booked",
    "booked_at": 1_795_914_900_000,
    "merchant": {"name": "Highlands Coffee"},
}


def test_every_text_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    found = extract_from_file("python", Path(replies.__file__), keywords={"_": None})
    texts = {str(message) for _line, message, _comments, _context in found}
    assert len(texts) > 30
    with (ASSISTANT.folder / "vi" / "LC_MESSAGES" / "assistant.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    for text in texts:
        entry = catalog.get(text)
        assert entry is not None, f"missing in vi: {text!r}"
        assert entry.string, f"untranslated: {text!r}"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(str(entry.string)))


def test_a_balance_reads_like_the_financial_updates() -> None:
    vi = replies.assistant_formatter("vi", "Asia/Ho_Chi_Minh")
    en = replies.assistant_formatter("en", "Asia/Ho_Chi_Minh")
    assert replies.balances(vi, "Ngân hàng Demo", [BALANCE])["text"] == (
        "Số dư Tài khoản thanh toán: khả dụng 1.250.000\xa0₫ "
        "(hiện tại 1.300.000\xa0₫) lúc 08:15 29/11/26."
    )
    assert "₫1,250,000 available" in replies.balances(en, "Demo Bank", [BALANCE])["text"]
    assert replies.balances(en, "Demo Bank", [])["text"] == (
        "Demo Bank has not shared a recent balance with me."
    )


def test_a_found_payment_names_card_amount_merchant_and_time() -> None:
    vi = replies.assistant_formatter("vi", "Asia/Ho_Chi_Minh")
    said = replies.payments_found(vi, [TX], Amount(Decimal(125000), None), None)["text"]
    assert said.startswith("Tôi tìm thấy khoản thanh toán này: ")
    for part in ("•••• 1234", "125.000\xa0₫", "Highlands Coffee", "08:15"):
        assert part in said
    none = replies.payments_found(vi, [], Amount(Decimal(125000), None), None)["text"]
    assert none == "Tôi không tìm thấy khoản thanh toán 125.000\xa0₫."


def test_confirmation_payloads_round_trip_and_hold_no_bank_reference() -> None:
    request = Confirmation(BankAction.DISPUTE, card_last4=None, record_id="rec_0123abcd")
    en = replies.assistant_formatter("en", "UTC")
    message = replies.confirm(en, "Demo Bank", request, TX)
    yes, no = message["quick_replies"]
    assert (yes["title"], no["title"]) == ("Yes", "No")
    assert Confirmation.parse(yes["payload"]) == ("yes", request)
    assert Confirmation.parse(no["payload"]) == ("no", request)
    assert "tx-1" not in yes["payload"]
    assert "tx-1" not in message["text"]  # the transaction's words, not its id
    assert Confirmation.parse("LEDGERLINE_FRAUD_ALERT:fa_1:fraud") is None
    assert Confirmation.parse("LEDGERLINE_ASSISTANT:yes:DROP_TABLES:-:-") is None
    assert Confirmation.parse("LEDGERLINE_ASSISTANT:yes:ASSISTANT_CARD_FREEZE:12ab:x") == (
        "yes",
        Confirmation(BankAction.CARD_FREEZE),
    )


def test_amounts_match_with_or_without_a_currency() -> None:
    assert replies.amount_matches(TX, Amount(Decimal(125000), None))
    assert replies.amount_matches(TX, Amount(Decimal(125000), "VND"))
    assert not replies.amount_matches(TX, Amount(Decimal(125000), "USD"))
    assert not replies.amount_matches(TX, Amount(Decimal(12500), None))
    assert not replies.amount_matches({"amount": None}, Amount(Decimal(1), None))
