"""Businesses (a bank's page), their page tokens and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.domain.folding import fold
from ledgerline.storage.database import action_memo, forget_memo
from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import businesses, page_tokens


@dataclass(frozen=True, slots=True)
class BusinessRow:
    page_id: str
    app_id: str
    name: str
    webhook_url: str | None
    verify_token: str | None
    account_link_url: str | None
    secret_version: int
    webhook_batching: bool
    webhook_batch_max: int
    created_at: int
    # Messenger's subscribed_fields; None once the app is unsubscribed.
    subscribed_fields: tuple[str, ...] | None


_COLUMNS = [
    businesses.c.page_id,
    businesses.c.app_id,
    businesses.c.name,
    businesses.c.webhook_url,
    businesses.c.verify_token,
    businesses.c.account_link_url,
    businesses.c.secret_version,
    businesses.c.webhook_batching,
    businesses.c.webhook_batch_max,
    businesses.c.created_at,
    businesses.c.subscribed_fields,
]


def _row(row: sa.Row[Any]) -> BusinessRow:
    values = row._asdict()
    values["webhook_batching"] = bool(values["webhook_batching"])
    values["subscribed_fields"] = decode_fields(values["subscribed_fields"])
    return BusinessRow(**values)


def encode_fields(fields: tuple[str, ...] | None) -> str | None:
    return None if fields is None else ",".join(fields)


def decode_fields(stored: str | None) -> tuple[str, ...] | None:
    if stored is None:
        return None
    return tuple(name for name in stored.split(",") if name)


def insert_business(
    conn: sa.Connection,
    *,
    page_id: str,
    app_id: str,
    name: str,
    webhook_url: str | None,
    verify_token: str | None,
    account_link_url: str | None,
    app_secret_hash: str,
    subscribed_fields: tuple[str, ...],
    created_at: int,
) -> None:
    forget_memo(conn, _BUSINESS_MEMO)
    conn.execute(
        businesses.insert().values(
            page_id=page_id,
            app_id=app_id,
            name=name,
            name_folded=fold(name),
            webhook_url=webhook_url,
            verify_token=verify_token,
            account_link_url=account_link_url,
            secret_version=1,
            app_secret_hash=app_secret_hash,
            subscribed_fields=encode_fields(subscribed_fields),
            created_at=created_at,
        )
    )


def insert_page_token(conn: sa.Connection, *, token_hash: str, page_id: str, now: int) -> None:
    conn.execute(
        page_tokens.insert().values(token_hash=token_hash, page_id=page_id, created_at=now)
    )


def revoke_page_tokens(conn: sa.Connection, *, page_id: str, now: int) -> None:
    conn.execute(
        page_tokens.update()
        .where(page_tokens.c.page_id == page_id, page_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


_BUSINESS = sa.select(*_COLUMNS).where(businesses.c.page_id == sa.bindparam("page_id"))
_PAGE_FOR_TOKEN = Prepared(
    sa.select(page_tokens.c.page_id).where(
        page_tokens.c.token_hash == sa.bindparam("token_hash"), page_tokens.c.revoked_at.is_(None)
    )
)


def page_for_token(conn: sa.Connection, token_hash: str) -> str | None:
    row = _PAGE_FOR_TOKEN.first(conn, {"token_hash": token_hash})
    return None if row is None else str(row[0])


_BUSINESS_MEMO = "businesses"


def get_business(conn: sa.Connection, page_id: str) -> BusinessRow | None:
    """Built once, and read once per writer action (a hot path: every webhook queued looks
    its business up, a flush of delivery receipts once per thread)."""
    memo = action_memo(conn, _BUSINESS_MEMO)
    if memo is not None and page_id in memo:
        cached: BusinessRow | None = memo[page_id]
        return cached
    row = conn.execute(_BUSINESS, {"page_id": page_id}).first()
    business = None if row is None else _row(row)
    if memo is not None:
        memo[page_id] = business
    return business


def list_businesses(conn: sa.Connection, *, query: str | None, limit: int) -> list[BusinessRow]:
    """The directory, by name; ``query`` matches a business whose name holds every word of
    it, case and diacritics aside ("ngan hang", "NGÂN HÀNG" and "hàng ngân" find "Ngân hàng
    Demo")."""
    stmt = sa.select(*_COLUMNS).order_by(businesses.c.name_folded, businesses.c.page_id)
    for word in fold(query or "").split(" "):
        if word:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(businesses.c.name_folded.like(f"%{escaped}%", escape="\\"))
    return [_row(row) for row in conn.execute(stmt.limit(limit))]


def businesses_named(conn: sa.Connection, name: str) -> list[BusinessRow]:
    """The businesses called exactly ``name`` (case and diacritics aside), the oldest first."""
    stmt = (
        sa.select(*_COLUMNS)
        .where(businesses.c.name_folded == fold(name))
        .order_by(businesses.c.created_at, businesses.c.page_id)
    )
    return [_row(row) for row in conn.execute(stmt)]


def businesses_with_webhooks(conn: sa.Connection) -> list[BusinessRow]:
    return [
        _row(row)
        for row in conn.execute(sa.select(*_COLUMNS).where(businesses.c.webhook_url.is_not(None)))
    ]


def set_subscribed_fields(
    conn: sa.Connection, page_id: str, fields: tuple[str, ...] | None
) -> None:
    update_business(conn, page_id, subscribed_fields=encode_fields(fields))


def update_business(conn: sa.Connection, page_id: str, **values: object) -> None:
    if "name" in values:
        values["name_folded"] = fold(str(values["name"]))
    forget_memo(conn, _BUSINESS_MEMO)
    conn.execute(businesses.update().where(businesses.c.page_id == page_id).values(**values))
