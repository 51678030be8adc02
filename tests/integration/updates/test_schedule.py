"""Quiet hours and the daily digest, with a controllable clock: held-back updates wait in
the person's timezone, fraud alerts never wait, released updates keep their order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.updates.notify import release_due
from tests.integration.updates.test_updates import ALL, Person, next_message, no_more_messages, tx
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import buttons_of, text_of
from tests.support.server import running_platform

# 16:00 UTC is 23:00 in Asia/Ho_Chi_Minh (UTC+7).
START = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[LinkedWorld]:
    with (
        running_platform(database_url, tmp_path, clock=clock) as live,
        linked_world(live) as linked,
    ):
        yield linked


def linked(world: LinkedWorld, locale: str = "en") -> Person:
    user = world.live.create_user(locale=locale, timezone="Asia/Ho_Chi_Minh")
    return Person(world, user, world.link(user, ALL))


def release(world: LinkedWorld, clock: FrozenClock) -> list[str]:
    platform = world.live.platform
    mids: list[str] = platform.db.write_sync(
        release_due, vault=platform.vault, now=to_ms(clock.now())
    )
    return mids


def test_quiet_hours_hold_updates_but_never_fraud_alerts(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world)
    put = p.api(
        "PUT",
        f"/links/{p.page_id}/preferences",
        json={"quiet_hours": {"start": "22:00", "end": "07:00"}},
    )
    assert put.status_code == 200, put.text
    assert put.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    with p.ws() as ws:
        assert p.bank("transactions", {"transactions": [tx("night-1")]}).json()["accepted"] == 1
        no_more_messages(ws)  # 23:00 local: held back
        p.bank("fraud_alerts", {"transaction_id": "night-1", "reason": "New device"})
        alert = next_message(ws)
        assert "Was it you?" in text_of(alert)
        assert len(buttons_of(alert)) == 2
        assert release(world, clock) == []  # not due yet
        clock.advance(timedelta(hours=8))  # 07:00 local
        p.bank("transactions", {"transactions": [tx("morning-1", "60000")]})
        held, fresh = next_message(ws), next_message(ws)
        assert "₫125,000" in text_of(held)  # the night's update first, then the new one
        assert "₫60,000" in text_of(fresh)
        no_more_messages(ws)


def test_the_daily_digest_replaces_one_message_per_transaction(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world, "vi")
    clock.advance(timedelta(hours=11))  # 03:00 UTC = 10:00 local
    put = p.api("PUT", f"/links/{p.page_id}/preferences", json={"digest_time": "20:00"})
    assert put.status_code == 200, put.text
    with p.ws() as ws:
        p.bank("transactions", {"transactions": [tx("d1", "10000"), tx("d2", "20000")]})
        balance = {
            "account_id": "acc-1",
            "available": {"amount": "900000", "currency": "VND"},
            "current": {"amount": "900000", "currency": "VND"},
            "as_of": "2026-11-30T10:00:00+07:00",
        }
        p.bank("balances", balance)
        assert "900.000\xa0₫" in next_message(ws)["text"]  # balances are not digested
        no_more_messages(ws)
        clock.advance(timedelta(hours=9, minutes=59))
        assert release(world, clock) == []
        clock.advance(timedelta(minutes=1))  # 20:00 local
        assert len(release(world, clock)) == 1
        digest = next_message(ws)["text"]
        assert digest.startswith("Giao dịch của bạn với Ngân hàng Demo")
        assert "10.000\xa0₫" in digest
        assert "20.000\xa0₫" in digest
        assert digest.index("10.000") < digest.index("20.000")
    assert release(world, clock) == []  # released once
    bad = p.api("PUT", f"/links/{p.page_id}/preferences", json={"digest_time": "25:00"})
    assert bad.status_code == 400
