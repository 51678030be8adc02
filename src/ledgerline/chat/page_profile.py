"""A page's Messenger Profile: set, read and delete its properties (``/me/messenger_profile``).

The properties live in ``page_profile`` except ``account_linking_url``, which is the
business's registered account-link URL (the one ``account_link`` buttons must point at):
one URL, whichever way the bank sets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerline.chat.actions import do_user_message
from ledgerline.chat.blocking import access_reachable_thread
from ledgerline.chat.routing import Inbound
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.page_profile import FIELDS, GetStartedRequired
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    page_profile as profile_store,
    threads as thread_store,
)
from ledgerline.storage.stores.threads import MessageRow

LINK_FIELD = "account_linking_url"


def do_set_page_profile(uow: UnitOfWork, *, page_id: str, values: dict[str, Any], now: int) -> None:
    """Set the (validated, ``domain.page_profile.normalize_profile``) properties: a
    persistent menu needs a Get Started button, set before or in the same call."""
    needs_button = "persistent_menu" in values and "get_started" not in values
    if needs_button and not profile_store.get_fields(uow.conn, page_id, ["get_started"]):
        raise GetStartedRequired()
    stored = {name: value for name, value in values.items() if name != LINK_FIELD}
    profile_store.put_fields(uow.conn, page_id, stored, now=now)
    if LINK_FIELD in values:
        business_store.update_business(uow.conn, page_id, account_link_url=values[LINK_FIELD])


def do_delete_page_profile(
    uow: UnitOfWork, *, page_id: str, names: Sequence[str], now: int
) -> None:
    """Delete properties; the Get Started button stays while a persistent menu needs it."""
    keeps_menu = "get_started" in names and "persistent_menu" not in names
    if keeps_menu and profile_store.get_fields(uow.conn, page_id, ["persistent_menu"]):
        raise InvalidParameter(
            "You must delete the persistent menu before deleting the Get Started button."
        )
    profile_store.delete_fields(uow.conn, page_id, [n for n in names if n != LINK_FIELD])
    if LINK_FIELD in names:
        business_store.update_business(uow.conn, page_id, account_link_url=None)


def page_profile(uow: UnitOfWork, *, page_id: str, names: Sequence[str] = FIELDS) -> dict[str, Any]:
    """The properties among ``names`` that the page has set, in the order asked."""
    found = profile_store.get_fields(uow.conn, page_id, [n for n in names if n != LINK_FIELD])
    if LINK_FIELD in names:
        business = business_store.get_business(uow.conn, page_id)
        if business is not None and business.account_link_url is not None:
            found[LINK_FIELD] = business.account_link_url
    return {name: found[name] for name in names if name in found}


def do_press_get_started(
    uow: UnitOfWork,
    *,
    user_id: str,
    page_id: str,
    title: str,
    ref: str | None,
    now: int,
    inbound: Inbound,
) -> MessageRow:
    """The person pressed the page's Get Started button: the ``postback`` webhook carries
    the page's own payload (never one the person chose) and, when the person came through
    a link with ``ref``, Messenger's ``referral`` (``OPEN_THREAD`` from a ``SHORT-URL``)."""
    found = profile_store.get_fields(uow.conn, page_id, ["get_started"])
    if not found:
        raise NotFound("This business has no Get Started button")
    postback: dict[str, Any] = {"payload": found["get_started"]["payload"]}
    if ref is not None:
        postback["referral"] = {"ref": ref, "source": "SHORT-URL", "type": "OPEN_THREAD"}
    body = {"text": title, "postback": postback}
    return do_user_message(
        uow, user_id=user_id, page_id=page_id, body=body, now=now, inbound=inbound
    )


def do_set_person_menu(
    uow: UnitOfWork, *, page_id: str, psid: str, menu: list[dict[str, Any]], now: int
) -> None:
    """A persistent menu for one person of the page, in place of the page's."""
    access_reachable_thread(uow, page_id, psid)  # #100/2018001 for another page's PSID
    profile_store.put_person_menu(uow.conn, page_id, psid, menu, now=now)


def do_delete_person_menu(uow: UnitOfWork, *, page_id: str, psid: str, now: int) -> None:
    access_reachable_thread(uow, page_id, psid)
    profile_store.delete_person_menu(uow.conn, page_id, psid)


def person_menus(uow: UnitOfWork, *, page_id: str, psid: str) -> dict[str, Any]:
    """The person's own menu and the page's, as ``/me/custom_user_settings`` shows them."""
    access_reachable_thread(uow, page_id, psid)
    out: dict[str, Any] = {}
    own = profile_store.get_person_menu(uow.conn, page_id, psid)
    if own is not None:
        out["user_level_persistent_menu"] = own
    page = profile_store.get_fields(uow.conn, page_id, ["persistent_menu"])
    if page:
        out["page_level_persistent_menu"] = page["persistent_menu"]
    return out


def profile_for_person(uow: UnitOfWork, *, page_id: str, user_id: str) -> dict[str, Any]:
    """The page's profile as one person gets it: their own menu, when the page set one."""
    profile = page_profile(uow, page_id=page_id)
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    if thread is not None:
        own = profile_store.get_person_menu(uow.conn, page_id, thread.psid)
        if own is not None:
            profile["persistent_menu"] = own
    return profile
