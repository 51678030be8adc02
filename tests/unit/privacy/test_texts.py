"""The access log's sentences (vi and en): consent facts, values when the privacy centre
passes them, "since erased" when a record is gone, and never a value otherwise."""

from __future__ import annotations

from ledgerline.audit.entries import Actor, AuditEntry
from ledgerline.privacy.texts import describe, record_phrase

NAMES = {"p1": "Demo Bank"}


def entry(
    actor: Actor,
    action: str,
    *,
    purpose: str | None = None,
    kind: str | None = None,
    ids: tuple[str, ...] = (),
    outcome: str = "allowed",
    **detail: str,
) -> AuditEntry:
    return AuditEntry(
        seq=1,
        at=0,
        actor=actor,
        action=action,
        outcome=outcome,
        page_id="p1",
        user_id="u1",
        purpose=purpose,
        record_kind=kind,
        record_ids=ids,
        detail=detail,
        prev_hash="0" * 64,
        entry_hash="0" * 64,
    )


TX = {
    "amount": {"amount": "125000", "currency": "VND"},
    "merchant": {"name": "Highlands Coffee"},
}


def test_a_fraud_check_with_and_without_the_value() -> None:
    read = entry(
        Actor.component("fraud"), "read", purpose="fraud_detection", kind="transaction", ids=("r1",)
    )
    assert describe(read, locale="en", business_names=NAMES) == (
        "Demo Bank's fraud check read your transactions"
    )
    shown = [record_phrase("transaction", TX, "en") or ""]
    assert describe(read, locale="en", business_names=NAMES, shown=shown) == (
        "Demo Bank's fraud check read your transaction of ₫125,000 at Highlands Coffee"
    )
    vi = [record_phrase("transaction", TX, "vi") or ""]
    assert describe(read, locale="vi", business_names=NAMES, shown=vi) == (
        "Hệ thống kiểm tra gian lận của Demo Bank đã đọc giao dịch 125.000\xa0₫ tại "
        "Highlands Coffee của bạn"
    )


def test_an_erased_record_and_several_records() -> None:
    one = entry(Actor.business("p1"), "store", kind="transaction", ids=("r1",))
    assert describe(one, locale="en", business_names=NAMES, shown=[]) == (
        "Demo Bank shared a transaction (since erased)"
    )
    assert describe(one, locale="vi", business_names=NAMES, shown=[]) == (
        "Demo Bank đã chia sẻ một giao dịch (đã bị xóa)"
    )
    many = entry(
        Actor.component("notify"), "read", purpose="notify", kind="balance", ids=("a", "b", "c")
    )
    text = describe(many, locale="en", business_names=NAMES, shown=["₫1", "₫2"])
    assert text == (
        "Ledgerline read 3 of your balances (₫1; ₫2; 1 since erased) to send you an update"
    )


def test_consent_facts_read_as_sentences() -> None:
    person = Actor.person("u1")
    link = entry(person, "link", scopes="balances+transactions")
    names = {"balances": "Account balances", "transactions": "Transactions"}
    assert describe(link, locale="en", business_names=NAMES, scope_names=names) == (
        "You linked your account at Demo Bank (sharing: Account balances, Transactions)"
    )
    by_bank = entry(Actor.business("p1"), "unlink", by="business")
    assert describe(by_bank, locale="vi", business_names=NAMES) == (
        "Demo Bank đã hủy liên kết tài khoản của bạn"
    )
    erased = entry(person, "erase", purpose="erasure")
    assert describe(erased, locale="en", business_names=NAMES) == (
        "You erased the data Demo Bank shared"
    )


def test_refusals_say_so_and_unknown_businesses_stay_anonymous() -> None:
    refused = entry(
        Actor.business("p9"), "read", purpose="notify", kind="receipt", outcome="refused"
    )
    assert describe(refused, locale="en", business_names={}).endswith(
        "read your receipts to send you an update (refused)"
    )
    assert describe(refused, locale="en", business_names={}).startswith("A business read")


def test_what_each_kind_of_record_was() -> None:
    assert record_phrase("balance", {"available": {"amount": "1250000", "currency": "VND"},
                                     "account_name": "Thanh toán"}, "vi") == (
        "1.250.000\xa0₫ (Thanh toán)"
    )  # fmt: skip
    receipt = {"order_number": "HD-1", "currency": "USD", "summary": {"total_cost": 12.5}}
    assert record_phrase("receipt", receipt, "en") == "HD-1 ($12.50)"
    shipment = {"carrier": "GHN", "tracking_number": "GHN1"}
    assert record_phrase("shipment", shipment, "en") == "GHN GHN1"
    assert record_phrase("fraud_alert", {"reason": "x" * 100}, "en") == "x" * 79 + "…"
    assert record_phrase("chat_message", {"text": "hi"}, "en") is None


def test_erased_customer_service_records_in_both_languages() -> None:
    notes = entry(Actor.business("p1"), "erase_service_records", extent="notes", notes="2")
    assert describe(notes, locale="en", business_names=NAMES) == (
        "The notes Demo Bank's customer service kept about you were erased"
    )
    assert describe(notes, locale="vi", business_names=NAMES) == (
        "Các ghi chú mà bộ phận chăm sóc khách hàng của Demo Bank lưu về bạn đã được xóa"
    )
    everything = entry(Actor.person("u1"), "erase_service_records", extent="all")
    assert describe(everything, locale="en", business_names=NAMES) == (
        "Demo Bank's customer-service records about you (conversations and agents' notes) "
        "were erased"
    )
    assert describe(everything, locale="vi", business_names=NAMES) == (
        "Hồ sơ chăm sóc khách hàng của Demo Bank về bạn (các cuộc trò chuyện và ghi chú của "
        "nhân viên) đã được xóa"
    )


def test_an_agent_is_named_as_the_person_meets_them() -> None:
    read = entry(Actor.agent("ag_1"), "read", purpose="customer_service", kind="transaction")
    assert describe(read, locale="en", business_names=NAMES, agent_names={"ag_1": "Minh"}) == (
        "Minh at Demo Bank read your transactions to answer your question"
    )
    assert describe(read, locale="vi", business_names=NAMES, agent_names={"ag_1": "Minh"}) == (
        "Minh, nhân viên của Demo Bank, đã đọc giao dịch của bạn để trả lời câu hỏi của bạn"
    )
    assert describe(read, locale="en", business_names=NAMES) == (
        "An agent of Demo Bank read your transactions to answer your question"
    )
