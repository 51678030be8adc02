"""Sign-in throttling: per sign-in name, per source address and for the whole platform.

A wrong password counts against three counters at once:

* the **sign-in name** (a person's login, or an agent's login at a business): guessing one
  account's password — 3 free failures, then each try waits twice as long (1 s … 5 min);
* the **source**, the client's address (IPv6 by its /64, what one host usually holds):
  *password spraying*, one common password tried on many accounts — 10 free failures;
* the **platform**, every failure everywhere in a fixed 15-minute window: spraying spread
  over many addresses — 300 free failures per window, then every sign-in waits (1 s … 60 s).

A counter forgets after 15 minutes without a failure (the platform's, at the end of its
window). A success clears only its sign-in name's counter: signing in to one's own account
must not reset a spraying source. While a counter blocks, no password is checked.
Counters are rows of ``login_throttle`` keyed by a hash, so they hold neither logins nor
addresses and hold across processes.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.identity.errors import TooManyAttempts
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import identity as web_store
from ledgerline.storage.stores.identity import Throttle

FAILURE_WINDOW_MS = 15 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Policy:
    """``free`` failures, then a wait doubling from 1 s up to ``max_delay_seconds``."""

    free: int
    max_delay_seconds: int


@dataclass(frozen=True, slots=True)
class Limits:
    per_login: Policy = Policy(free=3, max_delay_seconds=300)
    per_source: Policy = Policy(free=10, max_delay_seconds=300)
    platform: Policy = Policy(free=300, max_delay_seconds=60)


@dataclass(frozen=True, slots=True)
class Counter:
    key: str  # a hash: the table holds no login and no address
    policy: Policy


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def source_network(address: str | None) -> str:
    """The client as counted: an IPv4 address, an IPv6 /64, or ``unknown``."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _platform_key(window: int) -> str:
    return _hashed(f"platform:{window}")


def record_failure_txn(uow: UnitOfWork, counter: Counter, *, now: int) -> Throttle:
    """One more failure on ``counter``: past its free failures, each further try must wait
    twice as long as the last."""
    current = web_store.get_throttle(uow.conn, counter.key)
    failures = 1
    if current is not None and now - current.last_failure_at < FAILURE_WINDOW_MS:
        failures = current.failures + 1
    blocked_until = now
    if failures >= counter.policy.free:
        delay = min(2 ** (failures - counter.policy.free), counter.policy.max_delay_seconds)
        blocked_until = now + delay * 1000
    throttle = Throttle(failures, now, blocked_until)
    web_store.put_throttle(uow.conn, counter.key, throttle)
    return throttle


def do_record_failures(uow: UnitOfWork, *, counters: Sequence[Counter], now: int) -> None:
    """A wrong password: every counter it belongs to, in one transaction; the platform's
    counters of the two windows before are dropped on the way."""
    window = now // FAILURE_WINDOW_MS
    for back in (1, 2):
        web_store.clear_throttle(uow.conn, _platform_key(window - back))
    for counter in counters:
        record_failure_txn(uow, counter, now=now)


def do_clear_failures(uow: UnitOfWork, *, key: str) -> None:
    web_store.clear_throttle(uow.conn, key)


class SignInThrottle:
    """What sign-in (people's and agents') asks before and after checking a password."""

    def __init__(self, db: Database, clock: Clock, limits: Limits | None = None) -> None:
        self.db = db
        self.clock = clock
        self.limits = limits or Limits()

    def counters(self, login_scope: str, source: str | None) -> list[Counter]:
        """The sign-in name's counter first, then the source's and the platform's."""
        window = to_ms(self.clock.now()) // FAILURE_WINDOW_MS
        return [
            Counter(_hashed(login_scope), self.limits.per_login),
            Counter(_hashed(f"source:{source_network(source)}"), self.limits.per_source),
            Counter(_platform_key(window), self.limits.platform),
        ]

    async def check(self, counters: Sequence[Counter]) -> bool:
        """Raise :class:`TooManyAttempts` while any counter blocks; True when the sign-in
        name's counter has failures to clear after a success."""
        keys = [counter.key for counter in counters]
        throttles = await self.db.read(
            lambda conn: [web_store.get_throttle(conn, key) for key in keys]
        )
        now = to_ms(self.clock.now())
        blocked = max((t.blocked_until for t in throttles if t is not None), default=0)
        if blocked > now:
            raise TooManyAttempts(max(1, -(-(blocked - now) // 1000)))
        return throttles[0] is not None

    async def failed(self, counters: Sequence[Counter]) -> None:
        await self.db.write(do_record_failures, counters=counters, now=to_ms(self.clock.now()))

    async def succeeded(self, counters: Sequence[Counter]) -> None:
        """Clear the sign-in name's counter (never the source's or the platform's)."""
        await self.db.write(do_clear_failures, key=counters[0].key)
