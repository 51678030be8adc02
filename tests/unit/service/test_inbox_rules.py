"""The inbox's pure rules: masking, metrics, owner resolution, the HUMAN_AGENT window, the
standby envelope, and the vi/en catalogues of the inbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID, resolve_owner
from ledgerline.customer_service import metrics
from ledgerline.customer_service.agents import check_new_agent
from ledgerline.customer_service.context import mask_amount, mask_id
from ledgerline.delivery.signing import envelope
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.window import may_reply_as_human_agent
from ledgerline.storage.stores.inbox import ConversationRow

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
DAY = 24 * 3600 * 1000


@pytest.mark.parametrize(
    ("amount", "masked"),
    [
        ({"amount": "1250000", "currency": "VND"}, "12••••• VND"),
        ({"amount": "125000.50", "currency": "VND"}, "12•••• VND"),
        ({"amount": "-35", "currency": "USD"}, "-35 USD"),
        ({"amount": "7", "currency": "EUR"}, "7 EUR"),
        ({"amount": "abc", "currency": "VND"}, "•••"),
        ("1250000", "•••"),
    ],
)
def test_amounts_keep_only_their_first_two_digits(amount: object, masked: str) -> None:
    assert mask_amount(amount) == masked


def test_ids_keep_only_their_last_four_characters() -> None:
    assert mask_id("0011223344") == "••••3344"
    assert mask_id("123") == "••••"
    assert mask_id(None) == "••••"


def _conversation(cid: int, **values: object) -> ConversationRow:
    base: dict[str, object] = {
        "conversation_id": cid,
        "page_id": "p",
        "thread_id": cid,
        "user_id": f"u{cid}",
        "status": "closed",
        "opened_at": 0,
        "waiting_since": None,
        "agent_id": None,
        "assigned_at": None,
        "first_response_at": None,
        "closed_at": None,
        "close_reason": None,
        "handover_metadata": None,
        "requested_by": None,
        "satisfaction": None,
        "satisfaction_at": None,
    }
    base.update(values)
    return ConversationRow(**base)  # type: ignore[arg-type]


def test_metrics_per_agent_and_per_day() -> None:
    rows = [
        _conversation(
            1,
            agent_id="a1",
            first_response_at=60_000,
            closed_at=600_000,
            close_reason="resolved",
            satisfaction=5,
        ),
        _conversation(
            2,
            agent_id="a1",
            first_response_at=120_000,
            closed_at=300_000,
            close_reason="resolved",
            satisfaction=3,
        ),
        _conversation(3, agent_id="a2", opened_at=DAY, closed_at=DAY + 5, close_reason="taken"),
        _conversation(4, opened_at=DAY, status="waiting"),
    ]
    result = metrics.compute(rows, {"a1": "Lan", "a2": "Minh"})
    lan, minh = result["agents"]
    assert lan == {
        "agent_id": "a1",
        "name": "Lan",
        "conversations": 2,
        "answered": 2,
        "resolved": 2,
        "first_response_seconds": 90.0,
        "resolution_seconds": 450.0,
        "satisfaction": 4,
        "satisfaction_answers": 2,
    }
    assert minh["resolved"] == 0  # taken by the bank: not a resolution
    assert minh["first_response_seconds"] is None
    assert [d["day"] for d in result["days"]] == ["1970-01-01", "1970-01-02"]
    assert [d["conversations"] for d in result["days"]] == [2, 2]
    assert result["total"]["conversations"] == 4


def test_the_owner_is_the_default_until_passed_and_never_a_disabled_assistant() -> None:
    app = "111"
    assert resolve_owner(None, business_app_id=app, assistant_on=False) == app
    assert resolve_owner(None, business_app_id=app, assistant_on=True) == ASSISTANT_APP_ID
    assert resolve_owner(ASSISTANT_APP_ID, business_app_id=app, assistant_on=False) == app
    assert resolve_owner(PAGE_INBOX_APP_ID, business_app_id=app, assistant_on=True) == (
        PAGE_INBOX_APP_ID
    )


def test_human_agent_replies_last_seven_days_after_the_persons_message() -> None:
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=6), now=NOW)
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=7), now=NOW)
    assert not may_reply_as_human_agent(
        last_user_message_at=NOW - timedelta(days=7, seconds=1), now=NOW
    )
    assert not may_reply_as_human_agent(last_user_message_at=None, now=NOW)


def test_standby_items_go_under_standby() -> None:
    item = {"sender": {"id": "1"}}
    assert envelope("p", 5, [item])["entry"] == [{"id": "p", "time": 5, "messaging": [item]}]
    assert envelope("p", 5, [], [item])["entry"] == [{"id": "p", "time": 5, "standby": [item]}]
    assert envelope("p", 5, [], [])["entry"] == [{"id": "p", "time": 5, "messaging": []}]


@pytest.mark.parametrize(
    ("login", "name", "role", "password"),
    [
        ("x", "Lan", "agent", "long enough"),
        ("lan", "", "agent", "long enough"),
        ("lan", "Lan", "boss", "long enough"),
        ("lan", "Lan", "agent", "short"),
    ],
)
def test_bad_agent_accounts_are_refused(login: str, name: str, role: str, password: str) -> None:
    with pytest.raises(InvalidParameter):
        check_new_agent(login=login, name=name, role=role, password=password)


def test_inbox_texts_exist_in_vietnamese_and_english() -> None:
    folder = resources.files("ledgerline.web").joinpath("static/i18n")
    vi = json.loads(folder.joinpath("inbox.vi.json").read_text())
    en = json.loads(folder.joinpath("inbox.en.json").read_text())
    assert vi.keys() == en.keys()
    assert all(vi[key] and vi[key] != en[key] for key in vi)  # translated, not copied
    for locale in ("vi", "en"):
        main = json.loads(folder.joinpath(f"{locale}.json").read_text())
        assert {"agent_answering", "agent_waiting", "agent_label"} <= main.keys()
