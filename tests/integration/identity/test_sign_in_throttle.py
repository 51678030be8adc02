"""Password spraying and sign-up probing (issue 17 part 7), with an injected clock.

The per-name throttle alone let one source try a common password on every account; these
tests fail against it: the source's and the platform's counters stop the spray."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ledgerline.customer_service.agents import AgentAccounts
from ledgerline.domain.clock import FrozenClock
from ledgerline.identity.errors import LoginTaken, TooManyAttempts, WrongCredentials
from ledgerline.identity.service import Identity
from ledgerline.identity.throttle import Limits, Policy, SignInThrottle, source_network
from ledgerline.storage.database import Database
from ledgerline.storage.stores import identity as web_store
from tests.support.audit import audited_database

PASSWORD = "correct horse"
SPRAYED = "Password123"
ATTACKER = "203.0.113.7"
PERSON = "198.51.100.20"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


def _identity(db: Database, clock: FrozenClock, limits: Limits | None = None) -> Identity:
    return Identity(db, clock, SignInThrottle(db, clock, limits))


def _sign_up(identity: Identity, login: str, source: str = PERSON) -> str:
    session = asyncio.run(
        identity.sign_up(
            name="An",
            login=login,
            password=PASSWORD,
            locale="en",
            timezone="UTC",
            source=source,
        )
    )
    return session.subject_id


def _sign_in(identity: Identity, login: str, password: str, source: str) -> str:
    return asyncio.run(identity.sign_in(login=login, password=password, source=source)).subject_id


def test_one_source_spraying_many_accounts_is_slowed_down(db: Database, clock: FrozenClock) -> None:
    identity = _identity(db, clock)
    logins = [f"person{i}" for i in range(12)]
    for login in logins:
        _sign_up(identity, login)
    # One try per account: the per-name throttle never triggers...
    for login in logins[:10]:
        with pytest.raises(WrongCredentials):
            _sign_in(identity, login, SPRAYED, ATTACKER)
    # ...but the source's tenth failure does: even a right password waits now.
    with pytest.raises(TooManyAttempts) as caught:
        _sign_in(identity, logins[10], PASSWORD, ATTACKER)
    assert caught.value.retry_after == 1
    # People elsewhere are not affected.
    assert _sign_in(identity, logins[10], PASSWORD, PERSON)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(WrongCredentials):
        _sign_in(identity, logins[11], SPRAYED, ATTACKER)
    with pytest.raises(TooManyAttempts) as again:
        _sign_in(identity, logins[11], SPRAYED, ATTACKER)
    assert again.value.retry_after == 2  # doubling
    # Signing in to one's own account does not reset the source.
    clock.advance(timedelta(seconds=2))
    assert _sign_in(identity, logins[0], PASSWORD, ATTACKER)
    with pytest.raises(WrongCredentials):
        _sign_in(identity, logins[1], SPRAYED, ATTACKER)
    with pytest.raises(TooManyAttempts):
        _sign_in(identity, logins[2], SPRAYED, ATTACKER)
    # Fifteen quiet minutes and the source starts afresh.
    clock.advance(timedelta(minutes=16))
    with pytest.raises(WrongCredentials):
        _sign_in(identity, logins[3], SPRAYED, ATTACKER)


def test_an_ipv6_host_counts_as_its_64(db: Database, clock: FrozenClock) -> None:
    assert source_network("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert source_network("::ffff:203.0.113.7") == "203.0.113.7"
    assert source_network(None) == source_network("not an address") == "unknown"
    limits = Limits(per_source=Policy(free=2, max_delay_seconds=300))
    identity = _identity(db, clock, limits)
    for i, host in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::ffff"]):
        with pytest.raises(WrongCredentials):
            _sign_in(identity, f"nobody{i}", SPRAYED, host)
    with pytest.raises(TooManyAttempts):
        _sign_in(identity, "nobody9", SPRAYED, "2001:db8:1:2:ffff::9")
    with pytest.raises(WrongCredentials):  # another /64
        _sign_in(identity, "nobody9", SPRAYED, "2001:db8:1:3::1")


def test_a_spray_spread_over_many_sources_trips_the_platform_counter(
    db: Database, clock: FrozenClock
) -> None:
    limits = Limits(platform=Policy(free=5, max_delay_seconds=60))
    identity = _identity(db, clock, limits)
    _sign_up(identity, "an.nguyen")
    for i in range(5):
        with pytest.raises(WrongCredentials):
            _sign_in(identity, f"victim{i}", SPRAYED, f"192.0.2.{i}")
    # Every sign-in waits now, from anywhere, for anyone: the spray gets nowhere.
    with pytest.raises(TooManyAttempts) as caught:
        _sign_in(identity, "an.nguyen", PASSWORD, PERSON)
    assert caught.value.retry_after == 1
    clock.advance(timedelta(seconds=1))
    assert _sign_in(identity, "an.nguyen", PASSWORD, PERSON)
    # A new window starts the count again, and the old window's counter is dropped.
    clock.advance(timedelta(minutes=15))
    with pytest.raises(WrongCredentials):
        _sign_in(identity, "victim9", SPRAYED, "192.0.2.99")
    counters = identity.throttle.counters("login:x", PERSON)
    assert db.read_sync(web_store.get_throttle, counters[2].key) is not None


def test_agents_and_people_share_the_source_counter(db: Database, clock: FrozenClock) -> None:
    limits = Limits(per_source=Policy(free=3, max_delay_seconds=300))
    throttle = SignInThrottle(db, clock, limits)
    identity = Identity(db, clock, throttle)
    agents = AgentAccounts(db, clock, throttle)
    for i in range(2):
        with pytest.raises(WrongCredentials):
            _sign_in(identity, f"person{i}", SPRAYED, ATTACKER)
    with pytest.raises(WrongCredentials):
        asyncio.run(
            agents.sign_in(page_id="100", login="agent1", password=SPRAYED, source=ATTACKER)
        )
    with pytest.raises(TooManyAttempts):
        asyncio.run(
            agents.sign_in(page_id="100", login="agent2", password=SPRAYED, source=ATTACKER)
        )


def test_sign_up_with_a_taken_name_says_no_more_than_a_wrong_password(
    db: Database, clock: FrozenClock
) -> None:
    identity = _identity(db, clock)
    user_id = _sign_up(identity, "an.nguyen")
    # Its own password signs in to the account, as a new account would be signed in.
    assert _sign_up(identity, "an.nguyen") == user_id
    # Another password is refused, in words that do not say the name exists...
    with pytest.raises(LoginTaken) as caught:
        asyncio.run(
            identity.sign_up(
                name="Mallory",
                login="An.Nguyen",
                password=SPRAYED,
                locale="en",
                timezone="UTC",
                source=ATTACKER,
            )
        )
    assert "taken" not in caught.value.message
    assert "exist" not in caught.value.message
    # ...and counts as a failed sign-in for the name: probing names (or guessing the
    # password) through sign-up is throttled like sign-in.
    for _ in range(2):
        with pytest.raises(WrongCredentials):
            _sign_in(identity, "an.nguyen", SPRAYED, ATTACKER)
    with pytest.raises(TooManyAttempts):
        _sign_up(identity, "an.nguyen", source=PERSON)
