"""Fraud alerts awaiting the person's answer, and notification preferences per link."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import (
    businesses,
    fraud_alerts,
    fraud_outcome_counts,
    notify_deferred,
    notify_preferences,
    users,
)

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    page_id: str
    user_id: str
    transaction_ref: str
    source: str
    score: float | None
    status: str
    verdict: str | None
    mid: str | None
    created_at: int
    answered_at: int | None
    expires_at: int | None = None
    answered_via: str | None = None
    answer_mid: str | None = None
    pending_verdict: str | None = None
    confirm_mid: str | None = None


_ALERT_COLUMNS = [
    fraud_alerts.c.alert_id,
    fraud_alerts.c.page_id,
    fraud_alerts.c.user_id,
    fraud_alerts.c.transaction_ref,
    fraud_alerts.c.source,
    fraud_alerts.c.score,
    fraud_alerts.c.status,
    fraud_alerts.c.verdict,
    fraud_alerts.c.mid,
    fraud_alerts.c.created_at,
    fraud_alerts.c.answered_at,
    fraud_alerts.c.expires_at,
    fraud_alerts.c.answered_via,
    fraud_alerts.c.answer_mid,
    fraud_alerts.c.pending_verdict,
    fraud_alerts.c.confirm_mid,
]


def _alert(row: sa.Row[Any] | None) -> AlertRow | None:
    return None if row is None else AlertRow(**row._asdict())


def get_alert(conn: sa.Connection, alert_id: str) -> AlertRow | None:
    return _alert(
        conn.execute(sa.select(*_ALERT_COLUMNS).where(fraud_alerts.c.alert_id == alert_id)).first()
    )


def alert_for_transaction(
    conn: sa.Connection, page_id: str, user_id: str, transaction_ref: str
) -> AlertRow | None:
    return _alert(
        conn.execute(
            sa.select(*_ALERT_COLUMNS).where(
                fraud_alerts.c.page_id == page_id,
                fraud_alerts.c.user_id == user_id,
                fraud_alerts.c.transaction_ref == transaction_ref,
            )
        ).first()
    )


def insert_alert(conn: sa.Connection, row: AlertRow) -> None:
    conn.execute(
        fraud_alerts.insert().values(**{c.name: getattr(row, c.name) for c in _ALERT_COLUMNS})
    )


def open_alerts(conn: sa.Connection, page_id: str, user_id: str, now: int) -> list[AlertRow]:
    """The thread's alerts still waiting for an answer (not expired), newest first."""
    rows = conn.execute(
        sa.select(*_ALERT_COLUMNS)
        .where(
            fraud_alerts.c.page_id == page_id,
            fraud_alerts.c.user_id == user_id,
            fraud_alerts.c.status == "open",
            fraud_alerts.c.expires_at > now,
        )
        .order_by(fraud_alerts.c.created_at.desc(), fraud_alerts.c.alert_id)
    ).all()
    return [AlertRow(**row._asdict()) for row in rows]


def alerts_of_person(conn: sa.Connection, user_id: str) -> list[AlertRow]:
    """Every fraud alert about the person (any business), oldest first (for the export)."""
    rows = conn.execute(
        sa.select(*_ALERT_COLUMNS)
        .where(fraud_alerts.c.user_id == user_id)
        .order_by(fraud_alerts.c.created_at, fraud_alerts.c.alert_id)
    ).all()
    return [AlertRow(**row._asdict()) for row in rows]


def open_alert_counts(conn: sa.Connection, user_id: str, now: int) -> dict[str, int]:
    """How many alerts wait for the person's answer, per business (page id)."""
    rows = conn.execute(
        sa.select(fraud_alerts.c.page_id, sa.func.count())
        .where(
            fraud_alerts.c.user_id == user_id,
            fraud_alerts.c.status == "open",
            fraud_alerts.c.expires_at > now,
        )
        .group_by(fraud_alerts.c.page_id)
    ).all()
    return {str(page_id): int(n) for page_id, n in rows}


def answer_alert(
    conn: sa.Connection,
    alert_id: str,
    verdict: str,
    now: int,
    *,
    via: str | None = None,
    answer_mid: str | None = None,
    even_expired: bool = False,
) -> bool:
    """Record the person's verdict; False when the alert was already answered (or has
    expired, unless ``even_expired``)."""
    conditions = [fraud_alerts.c.alert_id == alert_id, fraud_alerts.c.status == "open"]
    if not even_expired:
        conditions.append(fraud_alerts.c.expires_at > now)
    result = conn.execute(
        fraud_alerts.update()
        .where(*conditions)
        .values(
            status="answered",
            verdict=verdict,
            answered_at=now,
            answered_via=via,
            answer_mid=answer_mid,
            pending_verdict=None,
        )
    )
    return bool(result.rowcount)


def set_pending_verdict(
    conn: sa.Connection, alert_id: str, verdict: str | None, confirm_mid: str | None
) -> None:
    """A typed answer the platform asked the person to confirm (None: no longer pending)."""
    values: dict[str, Any] = {"pending_verdict": verdict}
    if confirm_mid is not None:
        values["confirm_mid"] = confirm_mid
    conn.execute(
        fraud_alerts.update()
        .where(fraud_alerts.c.alert_id == alert_id, fraud_alerts.c.status == "open")
        .values(**values)
    )


def alerts_answered_by(conn: sa.Connection, page_id: str, mids: list[str]) -> dict[str, AlertRow]:
    """The alerts (and reports) of a business answered by these person messages, by mid."""
    if not mids:
        return {}
    rows = conn.execute(
        sa.select(*_ALERT_COLUMNS).where(
            fraud_alerts.c.page_id == page_id, fraud_alerts.c.answer_mid.in_(mids)
        )
    ).all()
    return {str(row.answer_mid): AlertRow(**row._asdict()) for row in rows}


def series_of(source: str, verdict: str | None) -> str:
    """The console chart's series of an alert: a person's own report, or the answer."""
    if source == "person":
        return "reported"
    return verdict if verdict in ("fraud", "genuine") else "unanswered"


def delete_alerts(conn: sa.Connection, page_id: str, user_id: str) -> int:
    """Erase the (business, person) alerts and reports (on unlink), keeping only how many
    there were per day and outcome, for the business's chart."""
    rows = conn.execute(
        sa.select(fraud_alerts.c.created_at, fraud_alerts.c.source, fraud_alerts.c.verdict).where(
            fraud_alerts.c.page_id == page_id, fraud_alerts.c.user_id == user_id
        )
    ).all()
    counts: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (int(row.created_at) // DAY_MS * DAY_MS, series_of(row.source, row.verdict))
        counts[key] = counts.get(key, 0) + 1
    if counts:
        values = [
            {"page_id": page_id, "day": day, "series": series, "count": n}
            for (day, series), n in sorted(counts.items())
        ]
        dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(fraud_outcome_counts)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["page_id", "day", "series"],
                set_={"count": fraud_outcome_counts.c.count + statement.excluded.count},
            ),
            values,
        )
    result = conn.execute(
        fraud_alerts.delete().where(
            fraud_alerts.c.page_id == page_id, fraud_alerts.c.user_id == user_id
        )
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class AudienceFacts:
    """What a message to a person needs to know: their language and timezone, the
    business's name, and the person's preferences for that business (None: defaults)."""

    locale: str | None
    timezone: str | None
    business_name: str | None
    preferences: dict[str, Any] | None


# One round trip for what every update reads (built once: it runs for each one).
_AUDIENCE = Prepared(
    sa.select(
        users.c.locale,
        users.c.timezone,
        sa.select(businesses.c.name)
        .where(businesses.c.page_id == sa.bindparam("page_id"))
        .scalar_subquery(),
        sa.select(notify_preferences.c.preferences)
        .where(
            notify_preferences.c.page_id == sa.bindparam("page_id"),
            notify_preferences.c.user_id == sa.bindparam("user_id"),
        )
        .scalar_subquery(),
    ).where(users.c.user_id == sa.bindparam("user_id"))
)


def audience_facts(conn: sa.Connection, page_id: str, user_id: str) -> AudienceFacts:
    row = _AUDIENCE.first(conn, {"page_id": page_id, "user_id": user_id})
    if row is None:
        return AudienceFacts(None, None, None, None)
    locale, timezone, name, preferences = row
    return AudienceFacts(
        locale, timezone, name, None if preferences is None else dict(json.loads(preferences))
    )


def get_preferences(conn: sa.Connection, page_id: str, user_id: str) -> dict[str, Any] | None:
    text = conn.execute(
        sa.select(notify_preferences.c.preferences).where(
            notify_preferences.c.page_id == page_id, notify_preferences.c.user_id == user_id
        )
    ).scalar()
    return None if text is None else dict(json.loads(str(text)))


def put_preferences(
    conn: sa.Connection, page_id: str, user_id: str, preferences: dict[str, Any], now: int
) -> None:
    conn.execute(
        notify_preferences.delete().where(
            notify_preferences.c.page_id == page_id, notify_preferences.c.user_id == user_id
        )
    )
    conn.execute(
        notify_preferences.insert().values(
            page_id=page_id,
            user_id=user_id,
            preferences=json.dumps(preferences, sort_keys=True, separators=(",", ":")),
            updated_at=now,
        )
    )


@dataclass(frozen=True, slots=True)
class DeferredRow:
    seq: int
    page_id: str
    user_id: str
    record_id: str
    mode: str
    due_at: int


def defer(
    conn: sa.Connection, *, page_id: str, user_id: str, record_id: str, mode: str, due_at: int
) -> None:
    conn.execute(
        notify_deferred.insert().values(
            page_id=page_id, user_id=user_id, record_id=record_id, mode=mode, due_at=due_at
        )
    )


def due(
    conn: sa.Connection,
    now: int,
    *,
    page_id: str | None = None,
    user_id: str | None = None,
    limit: int = 1000,
) -> list[DeferredRow]:
    """Deferred updates due at ``now`` (of one thread when given), oldest first."""
    stmt = sa.select(
        notify_deferred.c.seq,
        notify_deferred.c.page_id,
        notify_deferred.c.user_id,
        notify_deferred.c.record_id,
        notify_deferred.c.mode,
        notify_deferred.c.due_at,
    ).where(notify_deferred.c.due_at <= now)
    if page_id is not None and user_id is not None:
        stmt = stmt.where(
            notify_deferred.c.page_id == page_id, notify_deferred.c.user_id == user_id
        )
    rows = conn.execute(stmt.order_by(notify_deferred.c.seq).limit(limit)).all()
    return [DeferredRow(**row._asdict()) for row in rows]


def claim_deferred(conn: sa.Connection, seqs: list[int]) -> set[int]:
    """Delete these rows; the ones this transaction deleted (a concurrent release that
    deleted a row first gets it, so each held update is sent once)."""
    if not seqs:
        return set()
    result = conn.execute(
        notify_deferred.delete()
        .where(notify_deferred.c.seq.in_(seqs))
        .returning(notify_deferred.c.seq)
    )
    return {int(seq) for seq in result.scalars()}


def delete_deferred_of(conn: sa.Connection, page_id: str, user_id: str) -> None:
    conn.execute(
        notify_deferred.delete().where(
            notify_deferred.c.page_id == page_id, notify_deferred.c.user_id == user_id
        )
    )


def _held_back(*conditions: sa.ColumnElement[bool]) -> Prepared:
    return Prepared(
        sa.select(notify_deferred.c.seq)
        .where(
            notify_deferred.c.page_id == sa.bindparam("page_id"),
            notify_deferred.c.user_id == sa.bindparam("user_id"),
            *conditions,
        )
        .limit(1)
    )


_ANY_DEFERRED = _held_back()  # looked at for every update: usually nothing is held back
_DEFERRED_IN_MODE = _held_back(notify_deferred.c.mode == sa.bindparam("mode"))


def has_deferred(
    conn: sa.Connection, page_id: str, user_id: str, *, mode: str | None = None
) -> bool:
    """Whether anything of the thread is held back (in ``mode`` when given)."""
    params = {"page_id": page_id, "user_id": user_id}
    if mode is None:
        return _ANY_DEFERRED.first(conn, params) is not None
    return _DEFERRED_IN_MODE.first(conn, {**params, "mode": mode}) is not None


def last_due(conn: sa.Connection, page_id: str, user_id: str) -> int | None:
    """The latest due time of a thread's updates held back for quiet hours."""
    value = conn.execute(
        sa.select(sa.func.max(notify_deferred.c.due_at)).where(
            notify_deferred.c.page_id == page_id,
            notify_deferred.c.user_id == user_id,
            notify_deferred.c.mode == "quiet",
        )
    ).scalar()
    return None if value is None else int(value)
