"""Account-linking consents and linking tokens (see ``tables/linking.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.domain.scopes import Scope, scopes_of
from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import businesses, link_consents, link_tokens

PENDING = "pending"
ACTIVE = "active"
CANCELLED = "cancelled"
SUPERSEDED = "superseded"
EXPIRED = "expired"
REVOKED = "revoked"

# The states a person sees as "a link" (the others are attempts or history).
LINK_STATES = (ACTIVE, EXPIRED, REVOKED)


@dataclass(frozen=True, slots=True)
class ConsentRow:
    consent_id: int
    page_id: str
    user_id: str
    scopes: str
    text_version: str
    locale: str
    status: str
    given_at: int
    granted_at: int | None
    expires_at: int
    ended_at: int | None
    ended_by: str | None
    reminded_at: int | None
    previous_id: int | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    token_hash: str
    state_hash: str
    page_id: str
    user_id: str
    consent_id: int
    psid: str
    binding_hash: str | None
    form_nonce_hash: str | None
    created_at: int
    expires_at: int
    used_at: int | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class LinkRow:
    consent: ConsentRow
    page_name: str


_CONSENT_COLUMNS = [
    link_consents.c.consent_id,
    link_consents.c.page_id,
    link_consents.c.user_id,
    link_consents.c.scopes,
    link_consents.c.text_version,
    link_consents.c.locale,
    link_consents.c.status,
    link_consents.c.given_at,
    link_consents.c.granted_at,
    link_consents.c.expires_at,
    link_consents.c.ended_at,
    link_consents.c.ended_by,
    link_consents.c.reminded_at,
    link_consents.c.previous_id,
]

_TOKEN_COLUMNS = [
    link_tokens.c.token_hash,
    link_tokens.c.state_hash,
    link_tokens.c.page_id,
    link_tokens.c.user_id,
    link_tokens.c.consent_id,
    link_tokens.c.psid,
    link_tokens.c.binding_hash,
    link_tokens.c.form_nonce_hash,
    link_tokens.c.created_at,
    link_tokens.c.expires_at,
    link_tokens.c.used_at,
    link_tokens.c.outcome,
]


def _consent(row: sa.Row[Any]) -> ConsentRow:
    values = row._asdict()
    values["consent_id"] = int(values["consent_id"])
    return ConsentRow(**values)


def _token(row: sa.Row[Any]) -> TokenRow:
    values = row._asdict()
    values["consent_id"] = int(values["consent_id"])
    return TokenRow(**values)


# -- consents ------------------------------------------------------------------------------
def insert_consent_txn(
    conn: sa.Connection,
    *,
    page_id: str,
    user_id: str,
    scopes: str,
    text_version: str,
    locale: str,
    status: str,
    given_at: int,
    expires_at: int,
    granted_at: int | None = None,
    previous_id: int | None = None,
) -> int:
    result = conn.execute(
        link_consents.insert().values(
            page_id=page_id,
            user_id=user_id,
            scopes=scopes,
            text_version=text_version,
            locale=locale,
            status=status,
            given_at=given_at,
            granted_at=granted_at,
            expires_at=expires_at,
            previous_id=previous_id,
        )
    )
    key = result.inserted_primary_key
    if not key:  # pragma: no cover - every dialect we run returns it
        raise RuntimeError("no consent id")
    return int(key[0])


def get_consent(conn: sa.Connection, consent_id: int) -> ConsentRow | None:
    row = conn.execute(
        sa.select(*_CONSENT_COLUMNS).where(link_consents.c.consent_id == consent_id)
    ).first()
    return None if row is None else _consent(row)


def active_consent(conn: sa.Connection, page_id: str, user_id: str) -> ConsentRow | None:
    row = conn.execute(
        sa.select(*_CONSENT_COLUMNS)
        .where(
            link_consents.c.page_id == page_id,
            link_consents.c.user_id == user_id,
            link_consents.c.status == ACTIVE,
        )
        .order_by(link_consents.c.consent_id.desc())
        .limit(1)
    ).first()
    return None if row is None else _consent(row)


_ACTIVE_SCOPES = Prepared(  # checked on every vault access: built once
    sa.select(link_consents.c.scopes, link_consents.c.expires_at)
    .where(
        link_consents.c.page_id == sa.bindparam("page_id"),
        link_consents.c.user_id == sa.bindparam("user_id"),
        link_consents.c.status == ACTIVE,
        link_consents.c.expires_at > sa.bindparam("now"),
    )
    .order_by(link_consents.c.consent_id.desc())
    .limit(1)
)


def active_scopes(conn: sa.Connection, page_id: str, user_id: str, now: int) -> str | None:
    """The scopes of the consent in force for (page, person) at ``now``, or None. (A vault
    access reads it once per action: an ingestion checks consent for the records, for
    reading them to notify and score, and for the messages it posts.)"""
    row = _ACTIVE_SCOPES.first(conn, {"page_id": page_id, "user_id": user_id, "now": now})
    return None if row is None else str(row[0])


def update_consent_txn(conn: sa.Connection, consent_id: int, **values: object) -> None:
    conn.execute(
        link_consents.update().where(link_consents.c.consent_id == consent_id).values(**values)
    )


def end_consent_txn(
    conn: sa.Connection, consent_id: int, *, status: str, now: int, by: str
) -> bool:
    """Move a pending or active consent to an end state; False if it had already ended."""
    result = conn.execute(
        link_consents.update()
        .where(
            link_consents.c.consent_id == consent_id,
            link_consents.c.status.in_((PENDING, ACTIVE)),
        )
        .values(status=status, ended_at=now, ended_by=by)
    )
    return bool(result.rowcount)


def list_links(conn: sa.Connection, user_id: str) -> list[LinkRow]:
    """The person's links, one per business: the latest consent that took effect."""
    rows = conn.execute(
        sa.select(*_CONSENT_COLUMNS, businesses.c.name)
        .join(businesses, businesses.c.page_id == link_consents.c.page_id)
        .where(link_consents.c.user_id == user_id, link_consents.c.status.in_(LINK_STATES))
        .order_by(link_consents.c.consent_id.desc())
    ).all()
    seen: set[str] = set()
    links: list[LinkRow] = []
    for row in rows:
        values = row._asdict()
        name = str(values.pop("name"))
        consent = ConsentRow(**{**values, "consent_id": int(values["consent_id"])})
        if consent.page_id in seen:
            continue
        seen.add(consent.page_id)
        links.append(LinkRow(consent=consent, page_name=name))
    return links


def consents_of(conn: sa.Connection, user_id: str) -> list[ConsentRow]:
    """Every consent record of the person, oldest first (export, audit)."""
    rows = conn.execute(
        sa.select(*_CONSENT_COLUMNS)
        .where(link_consents.c.user_id == user_id)
        .order_by(link_consents.c.consent_id)
    )
    return [_consent(row) for row in rows]


def due_for_expiry(conn: sa.Connection, *, now: int, limit: int) -> list[ConsentRow]:
    rows = conn.execute(
        sa.select(*_CONSENT_COLUMNS)
        .where(link_consents.c.status == ACTIVE, link_consents.c.expires_at <= now)
        .order_by(link_consents.c.expires_at, link_consents.c.consent_id)
        .limit(limit)
    )
    return [_consent(row) for row in rows]


def due_for_reminder(conn: sa.Connection, *, before: int, limit: int) -> list[ConsentRow]:
    """Active consents that end by ``before`` and were not reminded of yet."""
    rows = conn.execute(
        sa.select(*_CONSENT_COLUMNS)
        .where(
            link_consents.c.status == ACTIVE,
            link_consents.c.expires_at <= before,
            link_consents.c.reminded_at.is_(None),
        )
        .order_by(link_consents.c.expires_at, link_consents.c.consent_id)
        .limit(limit)
    )
    return [_consent(row) for row in rows]


def cancel_stale_pending_txn(conn: sa.Connection, *, before: int, now: int) -> int:
    """Pending consents whose linking never finished (given before ``before``) end as
    cancelled; returns how many."""
    result = conn.execute(
        link_consents.update()
        .where(link_consents.c.status == PENDING, link_consents.c.given_at < before)
        .values(status=CANCELLED, ended_at=now, ended_by="expiry")
    )
    return int(result.rowcount or 0)


# -- tokens --------------------------------------------------------------------------------
def insert_token_txn(
    conn: sa.Connection,
    *,
    token_hash: str,
    state_hash: str,
    page_id: str,
    user_id: str,
    consent_id: int,
    psid: str,
    binding_hash: str | None,
    form_nonce_hash: str | None,
    created_at: int,
    expires_at: int,
) -> None:
    conn.execute(
        link_tokens.insert().values(
            token_hash=token_hash,
            state_hash=state_hash,
            page_id=page_id,
            user_id=user_id,
            consent_id=consent_id,
            psid=psid,
            binding_hash=binding_hash,
            form_nonce_hash=form_nonce_hash,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def token_by_hash(conn: sa.Connection, token_hash: str) -> TokenRow | None:
    row = conn.execute(
        sa.select(*_TOKEN_COLUMNS).where(link_tokens.c.token_hash == token_hash)
    ).first()
    return None if row is None else _token(row)


def token_by_state(conn: sa.Connection, state_hash: str) -> TokenRow | None:
    row = conn.execute(
        sa.select(*_TOKEN_COLUMNS).where(link_tokens.c.state_hash == state_hash)
    ).first()
    return None if row is None else _token(row)


def form_nonce_used(conn: sa.Connection, nonce_hash: str) -> bool:
    return (
        conn.execute(
            sa.select(link_tokens.c.token_hash).where(link_tokens.c.form_nonce_hash == nonce_hash)
        ).first()
        is not None
    )


def use_token_txn(conn: sa.Connection, token_hash: str, *, now: int, outcome: str) -> bool:
    """Spend a token once; False when it was already spent (a replay)."""
    result = conn.execute(
        link_tokens.update()
        .where(link_tokens.c.token_hash == token_hash, link_tokens.c.used_at.is_(None))
        .values(used_at=now, outcome=outcome)
    )
    return bool(result.rowcount)


def delete_spent_tokens_txn(conn: sa.Connection, *, before: int) -> int:
    """Forget tokens that expired before ``before`` (their consents keep the history)."""
    result = conn.execute(link_tokens.delete().where(link_tokens.c.expires_at < before))
    return int(result.rowcount or 0)


def consent_scopes(
    conn: sa.Connection, page_id: str, user_id: str, now: int
) -> frozenset[Scope] | None:
    """The scopes the person grants the business at ``now`` (epoch ms); None when not
    linked, unlinked or expired (even before the consent worker has marked it)."""
    text = active_scopes(conn, page_id, user_id, now)
    return None if text is None else scopes_of(text)
