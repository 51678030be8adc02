"""People (the messaging app's users) and their access tokens."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledgerline.storage.tables import user_credentials, user_tokens, users, web_sessions


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: str
    name: str
    locale: str
    timezone: str
    created_at: int


def insert_user(
    conn: sa.Connection, *, user_id: str, name: str, locale: str, timezone: str, created_at: int
) -> None:
    conn.execute(
        users.insert().values(
            user_id=user_id, name=name, locale=locale, timezone=timezone, created_at=created_at
        )
    )


def insert_user_token(conn: sa.Connection, *, token_hash: str, user_id: str, now: int) -> None:
    conn.execute(
        user_tokens.insert().values(token_hash=token_hash, user_id=user_id, created_at=now)
    )


def user_for_token(conn: sa.Connection, token_hash: str) -> str | None:
    return conn.execute(
        sa.select(user_tokens.c.user_id).where(
            user_tokens.c.token_hash == token_hash, user_tokens.c.revoked_at.is_(None)
        )
    ).scalar()


def get_user(conn: sa.Connection, user_id: str) -> UserRow | None:
    row = conn.execute(
        sa.select(
            users.c.user_id, users.c.name, users.c.locale, users.c.timezone, users.c.created_at
        ).where(users.c.user_id == user_id)
    ).first()
    return None if row is None else UserRow(*row)


def forget_person_txn(conn: sa.Connection, *, user_id: str, now: int) -> bool:
    """The person deleted their account: tokens and web sessions revoked, sign-in and name
    removed, ``deleted_at`` set (businesses then get #551). False if already deleted."""
    result = conn.execute(
        users.update()
        .where(users.c.user_id == user_id, users.c.deleted_at.is_(None))
        .values(deleted_at=now, name="")
    )
    if not result.rowcount:
        return False
    conn.execute(
        user_tokens.update()
        .where(user_tokens.c.user_id == user_id, user_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    conn.execute(
        web_sessions.update()
        .where(
            web_sessions.c.kind == "person",
            web_sessions.c.subject_id == user_id,
            web_sessions.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    conn.execute(user_credentials.delete().where(user_credentials.c.user_id == user_id))
    return True


@dataclass(frozen=True, slots=True)
class PersonListing:
    user_id: str
    name: str
    locale: str
    timezone: str
    created_at: int
    deleted_at: int | None


def list_people(conn: sa.Connection, *, limit: int, after: str | None) -> list[PersonListing]:
    """People by user id (an admin's listing), ``limit`` after ``after``."""
    stmt = sa.select(
        users.c.user_id,
        users.c.name,
        users.c.locale,
        users.c.timezone,
        users.c.created_at,
        users.c.deleted_at,
    ).order_by(users.c.user_id)
    if after is not None:
        stmt = stmt.where(users.c.user_id > after)
    return [PersonListing(*row) for row in conn.execute(stmt.limit(limit))]


def person_listing(conn: sa.Connection, user_id: str) -> PersonListing | None:
    row = conn.execute(
        sa.select(
            users.c.user_id,
            users.c.name,
            users.c.locale,
            users.c.timezone,
            users.c.created_at,
            users.c.deleted_at,
        ).where(users.c.user_id == user_id)
    ).first()
    return None if row is None else PersonListing(*row)
