"""``Identity``: sign up, sign in (throttled: ``identity.throttle``), resolve and end web
sessions.

Writes go through ``db.write`` actions (``do_*`` below, one transaction each); password
hashing and verification run in a worker thread, never on the event loop or a DB writer.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, available_timezones

from ledgerline.chat.accounts import SUPPORTED_LOCALES, do_create_user, do_rotate_page_token
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.ids import token_hash
from ledgerline.identity.errors import (
    LoginTaken,
    SignUpInvalid,
    WrongCredentials,
)
from ledgerline.identity.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    hash_password,
    verify_password,
)
from ledgerline.identity.sessions import (
    BUSINESS,
    BUSINESS_SESSION_SECONDS,
    PERSON,
    PERSON_SESSION_SECONDS,
    new_session_id,
    session_hash,
)
from ledgerline.identity.throttle import Counter, SignInThrottle
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import businesses as business_store, identity as web_store
from ledgerline.storage.stores.identity import Credential, SessionRow

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().-]{8,24}$")


def normalize_login(raw: str) -> str | None:
    """A username, an email or a phone number, folded; ``None`` when it is none of them."""
    login = raw.strip().casefold()
    if _PHONE_CHARS.match(login):
        digits = re.sub(r"[^0-9]", "", login)
        if 8 <= len(digits) <= 15:
            return ("+" if login.startswith("+") else "") + digits
        return None
    if len(login) > 200:
        return None
    if _EMAIL.match(login) or _USERNAME.match(login):
        return login
    return None


@dataclass(frozen=True, slots=True)
class SignUp:
    name: str
    login: str
    password: str
    locale: str
    timezone: str


def check_sign_up(*, name: str, login: str, password: str, locale: str, timezone: str) -> SignUp:
    """Validate a sign-up form; raises ``SignUpInvalid`` naming the first bad field."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise SignUpInvalid("name", "error_name", "Enter your name (up to 100 characters)")
    folded = normalize_login(login)
    if folded is None:
        raise SignUpInvalid(
            "login",
            "error_login",
            "Use a username (3–40 letters, digits, . _ -), an email or a phone number",
        )
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise SignUpInvalid(
            "password", "error_password", f"Use a password of at least {MIN_PASSWORD} characters"
        )
    if locale not in SUPPORTED_LOCALES:
        raise SignUpInvalid("locale", "error_locale", "Choose Tiếng Việt or English")
    if timezone not in available_timezones():
        raise SignUpInvalid("timezone", "error_timezone", "Choose a valid time zone")
    ZoneInfo(timezone)
    return SignUp(name, folded, password, locale, timezone)


def do_sign_up(uow: UnitOfWork, *, sign_up: SignUp, password_hash: str, now: int) -> str:
    """Create the person and their credential in one transaction; returns the user id."""
    if web_store.login_taken(uow.conn, sign_up.login):
        raise LoginTaken()
    user = do_create_user(
        uow, name=sign_up.name, locale=sign_up.locale, timezone=sign_up.timezone, now=now
    )
    web_store.insert_credential(
        uow.conn, user_id=user.user_id, login=sign_up.login, password_hash=password_hash, now=now
    )
    return user.user_id


def do_start_session(
    uow: UnitOfWork, *, session_hash: str, kind: str, subject_id: str, now: int, expires_at: int
) -> None:
    """Start a session; the subject's dead sessions are forgotten on the way."""
    web_store.delete_dead_sessions(uow.conn, kind=kind, subject_id=subject_id, now=now)
    web_store.insert_session(
        uow.conn,
        session_hash=session_hash,
        kind=kind,
        subject_id=subject_id,
        now=now,
        expires_at=expires_at,
    )


def do_end_session(uow: UnitOfWork, *, session_hash: str, now: int) -> None:
    web_store.revoke_session(uow.conn, session_hash, now=now)


def do_set_password_hash(uow: UnitOfWork, *, user_id: str, password_hash: str, now: int) -> None:
    web_store.update_password_hash(uow.conn, user_id=user_id, password_hash=password_hash, now=now)


def do_console_rotate_page_token(
    uow: UnitOfWork, *, page_id: str, keep_session_hash: str, now: int
) -> str:
    """Rotate the page token from the console: every other console session of the page
    ends too (whoever signed in with the old token is signed out)."""
    token = do_rotate_page_token(uow, page_id=page_id, now=now)
    web_store.revoke_other_sessions(
        uow.conn, kind=BUSINESS, subject_id=page_id, keep_hash=keep_session_hash, now=now
    )
    return token


@dataclass(frozen=True, slots=True)
class NewSession:
    session_id: str
    subject_id: str
    max_age: int


class Identity:
    """The identity service, built once by the composition root."""

    def __init__(self, db: Database, clock: Clock, throttle: SignInThrottle | None = None) -> None:
        self.db = db
        self.clock = clock
        self.throttle = throttle or SignInThrottle(db, clock)

    def _now(self) -> int:
        return to_ms(self.clock.now())

    async def _start(self, kind: str, subject_id: str, seconds: int) -> NewSession:
        session_id = new_session_id()
        now = self._now()
        await self.db.write(
            do_start_session,
            session_hash=session_hash(session_id),
            kind=kind,
            subject_id=subject_id,
            now=now,
            expires_at=now + seconds * 1000,
        )
        return NewSession(session_id, subject_id, seconds)

    async def sign_up(
        self,
        *,
        name: str,
        login: str,
        password: str,
        locale: str,
        timezone: str,
        source: str | None = None,
    ) -> NewSession:
        """Create a person and sign them in.

        A sign-in name already taken is not told apart by time: it costs the same argon2
        operation as a new account (the existing password is checked instead of a new one
        hashed). Its password signs in to that account (the answer a new account gets);
        any other is refused as :class:`LoginTaken` and counts as a failed sign-in for
        the name, the source and the platform, so probing names through sign-up is
        throttled exactly like guessing passwords.
        """
        form = check_sign_up(
            name=name, login=login, password=password, locale=locale, timezone=timezone
        )
        counters = self.throttle.counters(f"login:{form.login}", source)
        had_failures = await self.throttle.check(counters)
        credential = await self.db.read(web_store.credential_for_login, form.login)
        if credential is not None:
            return await self._sign_in_checked(
                credential, form.password, counters, clear=had_failures, refusal=LoginTaken
            )
        password_hash = await asyncio.to_thread(hash_password, form.password)
        try:
            user_id = await self.db.write(
                do_sign_up, sign_up=form, password_hash=password_hash, now=self._now()
            )
        except LoginTaken:  # taken meanwhile
            await self.throttle.failed(counters)
            raise
        return await self._start(PERSON, user_id, PERSON_SESSION_SECONDS)

    async def sign_in(self, *, login: str, password: str, source: str | None = None) -> NewSession:
        """Check a password; slows down after a few failures for the same sign-in name, from
        the same source, or on the whole platform (``identity.throttle``).

        An unknown name costs the same argon2 verification as a known one and is throttled
        the same way, so neither timing nor throttling tells whether it exists.
        """
        folded = normalize_login(login) or login.strip().casefold()[:200]
        counters = self.throttle.counters(f"login:{folded}", source)
        had_failures = await self.throttle.check(counters)
        credential = await self.db.read(web_store.credential_for_login, folded)
        return await self._sign_in_checked(
            credential, password, counters, clear=had_failures, refusal=WrongCredentials
        )

    async def _sign_in_checked(
        self,
        credential: Credential | None,
        password: str,
        counters: list[Counter],
        *,
        clear: bool,
        refusal: type[LoginTaken | WrongCredentials],
    ) -> NewSession:
        """Verify ``password`` (argon2 even for no credential), count a failure or start the
        person's session."""
        matches, needs_rehash = await asyncio.to_thread(
            verify_password, None if credential is None else credential.password_hash, password
        )
        if not matches or credential is None:
            await self.throttle.failed(counters)
            raise refusal()
        if clear:
            await self.throttle.succeeded(counters)
        if needs_rehash:
            new_hash = await asyncio.to_thread(hash_password, password)
            await self.db.write(
                do_set_password_hash,
                user_id=credential.user_id,
                password_hash=new_hash,
                now=self._now(),
            )
        return await self._start(PERSON, credential.user_id, PERSON_SESSION_SECONDS)

    async def console_sign_in(self, *, page_access_token: str) -> NewSession:
        """A bank signs in to its console with a live page access token."""
        token = page_access_token.strip()
        page_id = (
            await self.db.read(business_store.page_for_token, token_hash(token)) if token else None
        )
        if page_id is None:
            raise WrongCredentials("That page access token is not valid (or was rotated)")
        return await self._start(BUSINESS, page_id, BUSINESS_SESSION_SECONDS)

    async def resolve(self, kind: str, session_id: str | None) -> SessionRow | None:
        """The live session of this kind for a cookie value, if any."""
        if not session_id or len(session_id) > 200:
            return None
        row = await self.db.read(web_store.get_session, session_hash(session_id), now=self._now())
        if row is None or row.kind != kind:
            return None
        return row

    async def sign_out(self, session_id: str | None) -> None:
        if session_id:
            await self.db.write(
                do_end_session, session_hash=session_hash(session_id), now=self._now()
            )
