"""Chat-speed labels on the platform: "Not me" counts at once at the payment's terminal, for
every business that knows the terminal, only from people who share ``fraud_alerts``, and the
read it takes is in the person's access log."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.fraud.online.state import TerminalState
from ledgerline.fraud.online.transactions import terminal_key
from ledgerline.storage.tables import fraud_terminal_state
from tests.support.fraud import START, Person, history, person, tx
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import answer_button, buttons_of, press
from tests.support.server import RunningPlatform

NOT_ME = "LEDGERLINE_NOT_ME:"
TERMINAL = terminal_key({"terminal_id": "term-1"})


@pytest.fixture
def banks(database_url: str, tmp_path: Path) -> Iterator[tuple[LinkedWorld, LinkedWorld]]:
    with (
        in_process_server(database_url, tmp_path) as live,
        linked_world(live) as first,
        linked_world(live, "Ngân hàng Hai") as second,
    ):
        yield first, second


def reports_at(live: RunningPlatform) -> dict[str, int]:
    """How many reporting cards each business's state of ``term-1`` holds."""

    def read(conn: sa.Connection) -> dict[str, int]:
        rows = conn.execute(
            sa.select(fraud_terminal_state.c.page_id, fraud_terminal_state.c.state).where(
                fraud_terminal_state.c.terminal_key == TERMINAL
            )
        ).all()
        return {str(r.page_id): len(TerminalState.from_bytes(bytes(r.state)).reports) for r in rows}

    return live.platform.db.read_sync(read)


def say_not_me(p: Person, transaction_id: str) -> None:
    """Press "Not me" on the payment message of ``transaction_id``."""
    button: dict[str, Any] | None = None
    for _ in range(50):
        for message in p.messages():
            for b in buttons_of(message):
                if b.get("payload", "").startswith(NOT_ME) and b["payload"].endswith(
                    ":" + transaction_id
                ):
                    button = b
        if button is not None:
            break
        time.sleep(0.1)
    assert button is not None, "no payment message with Not me"
    answer = p.api("POST", f"/threads/{p.page_id}/messages", json=press(button))
    assert answer.status_code == 201, answer.text


def fraud_reads(p: Person) -> int:
    log = p.api("GET", "/me/access-log").json()["data"]
    return sum(1 for e in log if e["purpose"] == "fraud_detection")


def test_not_me_counts_at_once_at_the_terminal_for_every_bank(
    banks: tuple[LinkedWorld, LinkedWorld],
) -> None:
    first, second = banks
    live = first.live
    payer_elsewhere = person(second)
    payer_elsewhere.send([tx("b-1", "120000", START)])
    victim = person(first)
    victim.send([tx("a-1", "130000", START + dt.timedelta(hours=1))])
    assert reports_at(live) == {first.business["page_id"]: 0, second.business["page_id"]: 0}
    reads_before = fraud_reads(victim)

    say_not_me(victim, "a-1")

    # One count at the terminal, at both banks: nothing else crosses (no person, no card).
    assert reports_at(live) == {first.business["page_id"]: 1, second.business["page_id"]: 1}
    assert fraud_reads(victim) == reads_before + 1  # the read it took is in their access log


def test_no_report_from_people_who_do_not_share_fraud_alerts(
    banks: tuple[LinkedWorld, LinkedWorld],
) -> None:
    first, _ = banks
    shy = person(first, scopes=["transactions"])
    shy.send([tx("s-1", "130000", START)])
    say_not_me(shy, "s-1")
    assert reports_at(first.live) == {}  # never scored, and the report is not pooled


def test_a_fraud_verdict_on_an_alert_counts_at_the_terminal(
    banks: tuple[LinkedWorld, LinkedWorld],
) -> None:
    first, _ = banks
    p = person(first)
    p.send(history(10))
    (alert,) = p.send([tx("big-1", "60000000", START + dt.timedelta(days=10, hours=3))])["alerts"]
    assert reports_at(first.live) == {first.business["page_id"]: 0}
    button = answer_button(p.messages()[-1], "fraud")
    answer = p.api("POST", f"/threads/{p.page_id}/messages", json=press(button))
    assert answer.status_code == 201, answer.text
    assert alert["transaction_id"] == "big-1"
    assert reports_at(first.live) == {first.business["page_id"]: 1}
