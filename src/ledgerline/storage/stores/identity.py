"""The web app's identity store: credentials, browser sessions and the login throttle."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledgerline.storage.tables import users
from ledgerline.storage.tables.identity import login_throttle, user_credentials, web_sessions


@dataclass(frozen=True, slots=True)
class Credential:
    user_id: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class SessionRow:
    kind: str
    subject_id: str
    created_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Throttle:
    failures: int
    last_failure_at: int
    blocked_until: int


def login_taken(conn: sa.Connection, login: str) -> bool:
    return (
        conn.execute(
            sa.select(user_credentials.c.user_id).where(user_credentials.c.login == login)
        ).first()
        is not None
    )


def insert_credential(
    conn: sa.Connection, *, user_id: str, login: str, password_hash: str, now: int
) -> None:
    conn.execute(
        user_credentials.insert().values(
            user_id=user_id,
            login=login,
            password_hash=password_hash,
            created_at=now,
            updated_at=now,
        )
    )


def credential_for_login(conn: sa.Connection, login: str) -> Credential | None:
    row = conn.execute(
        sa.select(user_credentials.c.user_id, user_credentials.c.password_hash).where(
            user_credentials.c.login == login
        )
    ).first()
    return None if row is None else Credential(str(row[0]), str(row[1]))


def update_password_hash(
    conn: sa.Connection, *, user_id: str, password_hash: str, now: int
) -> None:
    conn.execute(
        user_credentials.update()
        .where(user_credentials.c.user_id == user_id)
        .values(password_hash=password_hash, updated_at=now)
    )


def insert_session(
    conn: sa.Connection,
    *,
    session_hash: str,
    kind: str,
    subject_id: str,
    now: int,
    expires_at: int,
) -> None:
    conn.execute(
        web_sessions.insert().values(
            session_hash=session_hash,
            kind=kind,
            subject_id=subject_id,
            created_at=now,
            expires_at=expires_at,
        )
    )


def get_session(conn: sa.Connection, session_hash: str, *, now: int) -> SessionRow | None:
    """A live session: not revoked, not expired."""
    row = conn.execute(
        sa.select(
            web_sessions.c.kind,
            web_sessions.c.subject_id,
            web_sessions.c.created_at,
            web_sessions.c.expires_at,
        ).where(
            web_sessions.c.session_hash == session_hash,
            web_sessions.c.revoked_at.is_(None),
            web_sessions.c.expires_at > now,
        )
    ).first()
    return None if row is None else SessionRow(str(row[0]), str(row[1]), int(row[2]), int(row[3]))


def revoke_session(conn: sa.Connection, session_hash: str, *, now: int) -> None:
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.session_hash == session_hash, web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_other_sessions(
    conn: sa.Connection, *, kind: str, subject_id: str, keep_hash: str | None, now: int
) -> int:
    stmt = web_sessions.update().where(
        web_sessions.c.kind == kind,
        web_sessions.c.subject_id == subject_id,
        web_sessions.c.revoked_at.is_(None),
    )
    if keep_hash is not None:
        stmt = stmt.where(web_sessions.c.session_hash != keep_hash)
    return conn.execute(stmt.values(revoked_at=now)).rowcount


def delete_dead_sessions(conn: sa.Connection, *, kind: str, subject_id: str, now: int) -> int:
    """Forget the subject's sessions that expired or were ended (keeps the table small)."""
    return conn.execute(
        web_sessions.delete().where(
            web_sessions.c.kind == kind,
            web_sessions.c.subject_id == subject_id,
            sa.or_(web_sessions.c.expires_at <= now, web_sessions.c.revoked_at.is_not(None)),
        )
    ).rowcount


def get_throttle(conn: sa.Connection, key_hash: str) -> Throttle | None:
    row = conn.execute(
        sa.select(
            login_throttle.c.failures,
            login_throttle.c.last_failure_at,
            login_throttle.c.blocked_until,
        ).where(login_throttle.c.key_hash == key_hash)
    ).first()
    return None if row is None else Throttle(int(row[0]), int(row[1]), int(row[2]))


def put_throttle(conn: sa.Connection, key_hash: str, throttle: Throttle) -> None:
    values = {
        "failures": throttle.failures,
        "last_failure_at": throttle.last_failure_at,
        "blocked_until": throttle.blocked_until,
    }
    updated = conn.execute(
        login_throttle.update().where(login_throttle.c.key_hash == key_hash).values(**values)
    ).rowcount
    if not updated:
        conn.execute(login_throttle.insert().values(key_hash=key_hash, **values))


def clear_throttle(conn: sa.Connection, key_hash: str) -> None:
    conn.execute(login_throttle.delete().where(login_throttle.c.key_hash == key_hash))


def user_display(conn: sa.Connection, user_id: str) -> tuple[str, str, str] | None:
    """(name, locale, timezone) of a person."""
    row = conn.execute(
        sa.select(users.c.name, users.c.locale, users.c.timezone).where(users.c.user_id == user_id)
    ).first()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))
