"""A terminal's fraud state is shared by everyone who pays there; with two processes on one
PostgreSQL database their requests are scored on different writers at the same time. Every
transaction must be counted once — no update lost to another writer (issue 21, part 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledgerline.fraud.online.state import TerminalState
from ledgerline.storage.tables import fraud_terminal_state
from tests.support.fraud import START, Person, person, tx
from tests.support.inprocess import in_process_server
from tests.support.linking import linked_world
from tests.support.server import RunningPlatform

PEOPLE = 3
EACH = 6  # transactions per person and process


def _terminal_counts(live: RunningPlatform, page_id: str) -> list[int]:
    """How many transactions each stored terminal state has counted, ever."""

    def rows(conn: sa.Connection) -> list[bytes]:
        found = conn.execute(
            sa.select(fraud_terminal_state.c.state).where(fraud_terminal_state.c.page_id == page_id)
        )
        return [bytes(r.state) for r in found]

    counts = []
    for data in live.platform.db.read_sync(rows):
        state = TerminalState.from_bytes(data)
        counts.append(state.base_seq + sum(state.days) + sum(state.hours))
    return counts


@pytest.mark.postgres
def test_a_terminal_shared_by_people_on_two_processes_counts_every_transaction(
    postgres_url: str, tmp_path: Path
) -> None:
    with (
        in_process_server(postgres_url, tmp_path) as one,
        in_process_server(postgres_url, tmp_path) as two,
        linked_world(one) as world,
    ):
        people = [person(world) for _ in range(PEOPLE)]
        failures: list[BaseException] = []

        def pay(p: Person, name: str) -> None:
            try:
                for i in range(EACH):
                    when = START + dt.timedelta(minutes=i)
                    answer = p.send([tx(f"{name}-{i}", "120000", when, terminal_id="shared")])
                    assert answer["accepted"] == 1, answer
            except BaseException as exc:  # reported below, on the test's thread
                failures.append(exc)

        payers = [
            threading.Thread(target=pay, args=(dataclasses.replace(p, live=live), f"{n}{k}"))
            for n, p in enumerate(people)
            for k, live in enumerate((one, two))
        ]
        for payer in payers:
            payer.start()
        for payer in payers:
            payer.join()
        assert failures == []
        assert _terminal_counts(one, world.business["page_id"]) == [PEOPLE * 2 * EACH]
