"""A page's webhook subscription (Messenger's ``/me/subscribed_apps``): the fields whose
events its business receives.

``POST`` subscribes the business's app with ``subscribed_fields`` (replacing the previous
list, as on Meta), ``DELETE`` unsubscribes it (no event is delivered until it subscribes
again), ``GET`` lists the subscribed app. Events are filtered when they are queued
(``chat.actions``), so an event of an unsubscribed field is never stored for the bank.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.webhook_fields import DEFAULT_FIELDS, DELIVERED_FIELDS, delivers
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store
from ledgerline.storage.stores.businesses import BusinessRow

# Graph versions before v3.2 did not require ``subscribed_fields``: the app was subscribed
# to the fields chosen in its dashboard. Old clients (v2.6, v2.12) still call it so.
FIELDS_REQUIRED_FROM = (3, 2)


@dataclass(frozen=True, slots=True)
class Subscription:
    """The business's app and the fields it is subscribed to (``None``: unsubscribed)."""

    app_id: str
    name: str
    fields: tuple[str, ...] | None


def _business(uow: UnitOfWork, page_id: str) -> BusinessRow:
    business = business_store.get_business(uow.conn, page_id)
    if business is None:
        raise NotFound("No such page")
    return business


def subscription_of(business: BusinessRow) -> Subscription:
    return Subscription(business.app_id, business.name, business.subscribed_fields)


def get_subscription(uow: UnitOfWork, page_id: str) -> Subscription:
    return subscription_of(_business(uow, page_id))


def fields_when_unnamed(business: BusinessRow) -> tuple[str, ...]:
    """What an old-version ``POST`` without ``subscribed_fields`` subscribes to: the fields
    the page has, or the default ones when it is not subscribed."""
    return business.subscribed_fields or DEFAULT_FIELDS


def do_subscribe_app(
    uow: UnitOfWork, *, page_id: str, fields: tuple[str, ...] | None
) -> Subscription:
    """Subscribe the page's app to ``fields`` (``None``: keep the current ones, or the
    default ones when unsubscribed); they replace the previous list."""
    business = _business(uow, page_id)
    chosen = fields_when_unnamed(business) if fields is None else fields
    business_store.set_subscribed_fields(uow.conn, page_id, chosen)
    return Subscription(business.app_id, business.name, chosen)


def do_choose_delivered_fields(
    uow: UnitOfWork, *, page_id: str, chosen: Iterable[str]
) -> tuple[str, ...] | None:
    """The console's choice among the fields Ledgerline delivers; the page's other (Meta
    only) fields are kept. Nothing chosen and nothing kept unsubscribes the app."""
    wanted = set(chosen)
    unknown = wanted - set(DELIVERED_FIELDS)
    if unknown:
        raise InvalidParameter(f"Unknown webhook field: {sorted(unknown)[0][:60]}")
    business = _business(uow, page_id)
    kept = [name for name in business.subscribed_fields or () if name not in DELIVERED_FIELDS]
    fields = tuple(name for name in DELIVERED_FIELDS if name in wanted) + tuple(kept)
    business_store.set_subscribed_fields(uow.conn, page_id, fields or None)
    return fields or None


def do_unsubscribe_app(uow: UnitOfWork, *, page_id: str) -> None:
    """Unsubscribe the page's app: no webhook event is queued for it any more."""
    _business(uow, page_id)
    business_store.set_subscribed_fields(uow.conn, page_id, None)


def business_receives(business: BusinessRow, kind: str) -> bool:
    """Whether an event of outbox ``kind`` is queued for ``business``: it has a webhook URL
    and is subscribed to the event's field."""
    return business.webhook_url is not None and delivers(business.subscribed_fields, kind)
