"""Web Push subscriptions: one row per browser endpoint, owned by one person."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import push_subscriptions


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    subscription_id: int
    user_id: str
    endpoint: str
    p256dh: str
    auth: str
    topics: frozenset[str]
    created_at: int


def _hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


_COLUMNS = [
    push_subscriptions.c.subscription_id,
    push_subscriptions.c.user_id,
    push_subscriptions.c.endpoint,
    push_subscriptions.c.p256dh,
    push_subscriptions.c.auth,
    push_subscriptions.c.topics,
    push_subscriptions.c.created_at,
]


def _row(row: sa.Row[Any]) -> SubscriptionRow:
    return SubscriptionRow(
        subscription_id=int(row.subscription_id),
        user_id=str(row.user_id),
        endpoint=str(row.endpoint),
        p256dh=str(row.p256dh),
        auth=str(row.auth),
        topics=frozenset(t for t in str(row.topics).split(",") if t),
        created_at=int(row.created_at),
    )


def put_subscription(
    conn: sa.Connection,
    *,
    user_id: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    topics: frozenset[str],
    now: int,
) -> None:
    """Add or replace the subscription of ``endpoint`` (a browser re-subscribing, possibly
    after another person signed in on it: the endpoint then moves to ``user_id``)."""
    key = _hash(endpoint)
    conn.execute(push_subscriptions.delete().where(push_subscriptions.c.endpoint_hash == key))
    conn.execute(
        push_subscriptions.insert().values(
            user_id=user_id,
            endpoint=endpoint,
            endpoint_hash=key,
            p256dh=p256dh,
            auth=auth,
            topics=",".join(sorted(topics)),
            created_at=now,
            updated_at=now,
        )
    )


def subscriptions_of(conn: sa.Connection, user_id: str) -> list[SubscriptionRow]:
    rows = conn.execute(
        sa.select(*_COLUMNS)
        .where(push_subscriptions.c.user_id == user_id)
        .order_by(push_subscriptions.c.subscription_id)
    ).all()
    return [_row(row) for row in rows]


def subscribers(conn: sa.Connection) -> list[str]:
    """Everyone with at least one subscription."""
    rows = conn.execute(sa.select(push_subscriptions.c.user_id).distinct()).scalars()
    return [str(user_id) for user_id in rows]


def delete_subscription(conn: sa.Connection, user_id: str, endpoint: str) -> bool:
    result = conn.execute(
        push_subscriptions.delete().where(
            push_subscriptions.c.user_id == user_id,
            push_subscriptions.c.endpoint_hash == _hash(endpoint),
        )
    )
    return bool(result.rowcount)


def forget_endpoint(conn: sa.Connection, subscription_id: int) -> None:
    """The push service said the subscription is gone (404/410)."""
    conn.execute(
        push_subscriptions.delete().where(push_subscriptions.c.subscription_id == subscription_id)
    )


def delete_person(conn: sa.Connection, user_id: str) -> None:
    conn.execute(push_subscriptions.delete().where(push_subscriptions.c.user_id == user_id))
