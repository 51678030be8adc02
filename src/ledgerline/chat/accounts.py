"""Registering businesses (banks' pages) and people, and rotating their credentials."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerline.domain.ids import (
    derive_app_secret,
    new_app_id,
    new_page_id,
    new_token,
    new_user_id,
    token_hash,
)
from ledgerline.domain.webhook_fields import DEFAULT_FIELDS
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, people as people_store

SUPPORTED_LOCALES = ("vi", "en")


@dataclass(frozen=True, slots=True)
class NewBusiness:
    page_id: str
    app_id: str
    app_secret: str
    page_access_token: str


@dataclass(frozen=True, slots=True)
class NewUser:
    user_id: str
    access_token: str


def do_create_business(
    uow: UnitOfWork,
    *,
    secret_key: bytes,
    name: str,
    webhook_url: str | None,
    verify_token: str | None,
    account_link_url: str | None,
    now: int,
) -> NewBusiness:
    """Register a business. Its secret and token are returned once and stored only hashed."""
    page_id, app_id = new_page_id(), new_app_id()
    app_secret = derive_app_secret(secret_key, app_id, 1)
    page_token = new_token("EAAL")
    business_store.insert_business(
        uow.conn,
        page_id=page_id,
        app_id=app_id,
        name=name,
        webhook_url=webhook_url,
        verify_token=verify_token,
        account_link_url=account_link_url,
        app_secret_hash=token_hash(app_secret),
        subscribed_fields=DEFAULT_FIELDS,
        created_at=now,
    )
    business_store.insert_page_token(
        uow.conn, token_hash=token_hash(page_token), page_id=page_id, now=now
    )
    return NewBusiness(page_id, app_id, app_secret, page_token)


def do_rotate_page_token(uow: UnitOfWork, *, page_id: str, now: int) -> str:
    """Revoke every page token of the business and issue a new one (shown once)."""
    business_store.revoke_page_tokens(uow.conn, page_id=page_id, now=now)
    page_token = new_token("EAAL")
    business_store.insert_page_token(
        uow.conn, token_hash=token_hash(page_token), page_id=page_id, now=now
    )
    return page_token


def do_rotate_app_secret(uow: UnitOfWork, *, secret_key: bytes, page_id: str) -> str:
    business = business_store.get_business(uow.conn, page_id)
    if business is None:
        raise LookupError(page_id)
    version = business.secret_version + 1
    app_secret = derive_app_secret(secret_key, business.app_id, version)
    business_store.update_business(
        uow.conn, page_id, secret_version=version, app_secret_hash=token_hash(app_secret)
    )
    return app_secret


def do_create_user(uow: UnitOfWork, *, name: str, locale: str, timezone: str, now: int) -> NewUser:
    user_id = new_user_id()
    access_token = new_token("LLU")
    people_store.insert_user(
        uow.conn, user_id=user_id, name=name, locale=locale, timezone=timezone, created_at=now
    )
    people_store.insert_user_token(
        uow.conn, token_hash=token_hash(access_token), user_id=user_id, now=now
    )
    return NewUser(user_id, access_token)


def do_set_business_urls(
    uow: UnitOfWork,
    *,
    page_id: str,
    webhook_url: str | None,
    verify_token: str | None,
    account_link_url: str | None,
) -> None:
    """Point a business at its (already verified) webhook and account-linking URLs."""
    business_store.update_business(
        uow.conn,
        page_id,
        webhook_url=webhook_url,
        verify_token=verify_token,
        account_link_url=account_link_url,
    )
