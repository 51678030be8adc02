"""The access log grouped by who and why (``privacy.log_groups``) and said in plain words
(``privacy.log_texts``), vi and en."""

from __future__ import annotations

from ledgerline.audit.entries import Actor, AuditEntry
from ledgerline.language.counts import held_list
from ledgerline.privacy.log_groups import AccessGroup, group_entries
from ledgerline.privacy.log_texts import describe_group, values_line

NAMES = {"p1": "Demo Bank", "p2": "Other Bank"}
AGENTS = {"ag_1": "Minh"}
HOUR = 3_600_000
BANK = Actor.business("p1")
NOTIFY = Actor.component("notify")


def entry(
    seq: int,
    actor: Actor,
    action: str,
    *,
    at: int | None = None,
    page_id: str = "p1",
    purpose: str | None = None,
    kind: str | None = None,
    count: int = 0,
    outcome: str = "allowed",
    **detail: str | int,
) -> AuditEntry:
    return AuditEntry(
        seq=seq,
        at=seq * 1000 if at is None else at,
        actor=actor,
        action=action,
        outcome=outcome,
        page_id=page_id,
        user_id="u1",
        purpose=purpose,
        record_kind=kind,
        record_ids=tuple(f"r{seq}_{n}" for n in range(count)),
        detail=detail,
        prev_hash="0" * 64,
        entry_hash="0" * 64,
    )


def by_day(ms: int) -> int:
    return ms // (24 * HOUR)


def say(group: AccessGroup, locale: str = "en") -> str:
    return describe_group(group, locale=locale, business_names=NAMES, agent_names=AGENTS)


def test_a_days_pushes_of_one_bank_become_one_line_and_consent_facts_stand_alone() -> None:
    entries = [  # newest first, as the log gives them
        entry(9, BANK, "store", kind="transaction", count=4),
        entry(8, NOTIFY, "read", purpose="notify", kind="transaction", count=4),
        entry(7, Actor.person("u1"), "change_scopes", scopes="transactions"),
        entry(6, BANK, "store", kind="transaction", count=8),
        entry(5, BANK, "store", kind="transaction", count=3, page_id="p2"),
        entry(4, NOTIFY, "read", purpose="notify", kind="transaction", count=8),
        entry(3, Actor.person("u1"), "link", scopes="transactions"),
        entry(2, Actor.person("u1"), "link", scopes="transactions"),
    ]
    groups = group_entries(entries, day_of=by_day)
    assert [say(g) for g in groups] == [
        "Demo Bank sent you 12 transactions",
        "Ledgerline read 12 transactions from Demo Bank to send you updates",
        "You changed what Demo Bank may share: transactions",
        "Other Bank sent you 3 transactions",
        "You linked your account at Demo Bank (sharing: transactions)",
        "You linked your account at Demo Bank (sharing: transactions)",
    ]
    assert groups[0].newest == 9000
    assert groups[0].oldest == 6000
    assert [e.seq for e in groups[0].entries] == [9, 6]
    assert groups[0].first.seq == 9


def test_another_day_is_another_line() -> None:
    entries = [
        entry(2, BANK, "store", kind="transaction", count=2, at=30 * HOUR),
        entry(1, BANK, "store", kind="transaction", count=1, at=2 * HOUR),
    ]
    groups = group_entries(entries, day_of=by_day)
    assert [say(g) for g in groups] == [
        "Demo Bank sent you 2 transactions",
        "Demo Bank sent you 1 transaction",
    ]


def test_agents_are_named_and_the_assistant_and_fraud_check_belong_to_the_bank() -> None:
    read = {"action": "read", "purpose": "customer_service", "kind": "transaction"}
    groups = group_entries(
        [
            entry(4, Actor.agent("ag_1"), count=5, **read),  # type: ignore[arg-type]
            entry(3, Actor.agent("ag_gone"), count=1, **read),  # type: ignore[arg-type]
            entry(2, Actor.component("assistant"), count=1, **read),  # type: ignore[arg-type]
            entry(2, Actor.agent("ag_1"), "read", purpose="customer_service", kind="balance"),
            entry(
                1,
                Actor.component("fraud"),
                "read",
                purpose="fraud_detection",
                kind="transaction",
                count=2,
            ),
        ],
        day_of=by_day,
    )
    assert [say(g) for g in groups] == [
        "Minh at Demo Bank saw 5 transactions while helping you",
        "An agent at Demo Bank saw 1 transaction while helping you",
        "Demo Bank's assistant read 1 transaction to answer you",
        "Minh at Demo Bank saw no balances while helping you",  # looked, found none
        "Demo Bank's fraud check read 2 transactions",
    ]
    assert [say(g, "vi") for g in groups] == [
        "Minh, nhân viên của Demo Bank, đã xem 5 giao dịch khi hỗ trợ bạn",
        "Một nhân viên của Demo Bank đã xem 1 giao dịch khi hỗ trợ bạn",
        "Trợ lý của Demo Bank đã đọc 1 giao dịch để trả lời bạn",
        "Minh, nhân viên của Demo Bank, đã xem 0 số dư khi hỗ trợ bạn",
        "Hệ thống kiểm tra gian lận của Demo Bank đã đọc 2 giao dịch",
    ]


def test_a_push_the_consent_turned_away_says_why_in_words() -> None:
    refused = [
        entry(2, BANK, "store", kind="shipment", outcome="refused", count=0, records=2),
        entry(1, BANK, "store", kind="shipment", outcome="refused", records=1),
    ]
    (group,) = group_entries(refused, day_of=by_day)
    assert group.records == 3
    assert say(group) == (
        "Demo Bank tried to send you 3 delivery updates; it was not accepted, because you do "
        "not share that kind of information with Demo Bank"
    )
    assert "(refused)" not in say(group)
    assert "(bị từ chối)" not in say(group, "vi")
    assert say(group, "vi") == (
        "Demo Bank muốn gửi cho bạn 3 cập nhật giao hàng nhưng đã bị từ chối vì bạn không "
        "chia sẻ loại thông tin này với Demo Bank"
    )
    # Any other refusal: the plain sentence and why nothing happened.
    (other,) = group_entries(
        [
            entry(
                3,
                Actor.component("analytics"),
                "read",
                purpose="notify",
                kind="balance",
                outcome="refused",
                count=1,
            )
        ],
        day_of=by_day,
    )
    assert say(other) == (
        "Ledgerline read your balance to send you an update; not allowed, because your "
        "consent does not cover it"
    )


def test_the_persons_own_views_and_the_updates_kept_in_the_chat() -> None:
    groups = group_entries(
        [
            entry(
                2, Actor.person("u1"), "read", purpose="user_access", kind="transaction", count=15
            ),
            entry(1, NOTIFY, "store", kind="chat_message", count=5),
        ],
        day_of=by_day,
    )
    assert [say(g) for g in groups] == [
        "You viewed 15 transactions from Demo Bank",
        "Ledgerline kept 5 updates from Demo Bank in your chat, encrypted",
    ]
    assert [say(g, "vi") for g in groups] == [
        "Bạn đã xem 15 giao dịch từ Demo Bank",
        "Ledgerline đã lưu 5 cập nhật từ Demo Bank trong cuộc trò chuyện của bạn (đã mã hóa)",
    ]


def test_what_the_records_were_a_few_and_how_many_more_or_erased() -> None:
    shown = ["₫1 at A", "₫2 at B", "₫3 at C", "₫4 at D"]
    expected = "₫1 at A; ₫2 at B; ₫3 at C; and 1 more; 2 since erased"
    assert values_line(shown, 6, "en") == expected
    assert values_line(shown[:1], 1, "vi") == "₫1 at A"
    assert values_line([], 2, "vi") == "2 đã bị xóa"


def test_what_unlinking_erases_in_words() -> None:
    counts = {"chat_message": 4, "receipt": 1, "transaction": 3, "balance": 0}
    assert held_list(counts, "en") == "3 transactions, 1 receipt, 4 updates"
    assert held_list(counts, "vi") == "3 giao dịch, 1 hóa đơn, 4 cập nhật"
    assert held_list({}, "en") == ""


def test_a_record_read_twice_counts_once() -> None:
    fraud = Actor.component("fraud")
    first = entry(2, fraud, "read", purpose="fraud_detection", kind="transaction", count=2)
    again = AuditEntry(**{**{f: getattr(first, f) for f in first.__slots__}, "seq": 1})
    (group,) = group_entries([first, again], day_of=by_day)
    assert group.records == 2
    assert group.record_ids == ["r2_0", "r2_1"]
    assert say(group) == "Demo Bank's fraud check read 2 transactions"
