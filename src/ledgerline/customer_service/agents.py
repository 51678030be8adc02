"""Agents' accounts: created by the business (CLI), signed in per business with a password.

Passwords are argon2id hashes (``identity.passwords``); sessions are the web app's
(``web_sessions``, kind ``agent``, 8 hours), ids stored only hashed; failed sign-ins are
throttled per (business, login), per source and for the platform, with people's
(``identity.throttle``).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass

from ledgerline.customer_service.agent_actions import ROLES, AgentActor
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.identity.errors import LoginTaken, WrongCredentials
from ledgerline.identity.passwords import MAX_PASSWORD, MIN_PASSWORD, hash_password, verify_password
from ledgerline.identity.service import do_end_session, do_start_session
from ledgerline.identity.sessions import new_session_id, session_hash
from ledgerline.identity.throttle import SignInThrottle
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    identity as web_store,
    inbox as inbox_store,
)

AGENT_SESSION = "agent"
AGENT_SESSION_SECONDS = 8 * 3600
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,99}$")


@dataclass(frozen=True, slots=True)
class NewAgent:
    agent_id: str
    page_id: str
    login: str
    name: str
    role: str


def check_new_agent(*, login: str, name: str, role: str, password: str) -> tuple[str, str]:
    folded = login.strip().casefold()
    if not _LOGIN.match(folded):
        raise InvalidParameter("login: 3–100 letters, digits, . _ @ -")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidParameter("name: 1–100 characters")
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidParameter(f"password: at least {MIN_PASSWORD} characters")
    return folded, name


def do_create_agent(
    uow: UnitOfWork,
    *,
    page_id: str,
    login: str,
    name: str,
    role: str,
    password_hash: str,
    now: int,
) -> NewAgent:
    if business_store.get_business(uow.conn, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")
    if inbox_store.agent_login_taken(uow.conn, page_id, login):
        raise LoginTaken("That agent login is already taken for this business")
    agent_id = "a_" + secrets.token_hex(8)
    inbox_store.insert_agent(
        uow.conn,
        agent_id=agent_id,
        page_id=page_id,
        login=login,
        name=name,
        role=role,
        password_hash=password_hash,
        now=now,
    )
    return NewAgent(agent_id, page_id, login, name, role)


@dataclass(frozen=True, slots=True)
class AgentSession:
    session_id: str
    actor: AgentActor
    max_age: int


def actor_of(row: inbox_store.AgentRow) -> AgentActor:
    return AgentActor(agent_id=row.agent_id, page_id=row.page_id, name=row.name, role=row.role)


class AgentAccounts:
    """Agents' accounts and sessions, built once by the composition root."""

    def __init__(self, db: Database, clock: Clock, throttle: SignInThrottle | None = None) -> None:
        self.db = db
        self.clock = clock
        self.throttle = throttle or SignInThrottle(db, clock)

    def _now(self) -> int:
        return to_ms(self.clock.now())

    def create_sync(
        self, *, page_id: str, login: str, name: str, role: str, password: str
    ) -> NewAgent:
        """For the CLI (no event loop)."""
        folded, name = check_new_agent(login=login, name=name, role=role, password=password)
        return self.db.write_sync(
            do_create_agent,
            page_id=page_id,
            login=folded,
            name=name,
            role=role,
            password_hash=hash_password(password),
            now=self._now(),
        )

    async def sign_in(
        self, *, page_id: str, login: str, password: str, source: str | None = None
    ) -> AgentSession:
        """Throttled per (business, login), per source and for the platform, with people's
        sign-ins (``identity.throttle``)."""
        folded = login.strip().casefold()[:200]
        page_id = page_id.strip()[:32]
        counters = self.throttle.counters(f"agent:{page_id}:{folded}", source)
        had_failures = await self.throttle.check(counters)
        agent = await self.db.read(inbox_store.agent_by_login, page_id, folded)
        matches, _ = await asyncio.to_thread(
            verify_password, None if agent is None else agent.password_hash, password
        )
        if not matches or agent is None:
            await self.throttle.failed(counters)
            raise WrongCredentials()
        if had_failures:
            await self.throttle.succeeded(counters)
        session_id = new_session_id()
        now = self._now()
        await self.db.write(
            do_start_session,
            session_hash=session_hash(session_id),
            kind=AGENT_SESSION,
            subject_id=agent.agent_id,
            now=now,
            expires_at=now + AGENT_SESSION_SECONDS * 1000,
        )
        return AgentSession(session_id, actor_of(agent), AGENT_SESSION_SECONDS)

    async def resolve(self, session_id: str | None) -> AgentActor | None:
        """The agent signed in with this session cookie, if the session and agent live."""
        if not session_id or len(session_id) > 200:
            return None
        row = await self.db.read(web_store.get_session, session_hash(session_id), now=self._now())
        if row is None or row.kind != AGENT_SESSION:
            return None
        agent = await self.db.read(inbox_store.get_agent, row.subject_id)
        return None if agent is None else actor_of(agent)

    async def sign_out(self, session_id: str | None) -> None:
        if session_id:
            await self.db.write(
                do_end_session, session_hash=session_hash(session_id), now=self._now()
            )
