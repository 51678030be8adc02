"""Who a PSID is, as far as its page may know (the User Profile API, ``domain.user_profile``)."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerline.chat.blocking import access_reachable_thread
from ledgerline.domain.errors import NoMatchingUser, PersonUnavailable
from ledgerline.domain.person_names import PersonNames, split_name
from ledgerline.domain.user_profile import UnsupportedGet
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import linking as link_store, people as people_store


@dataclass(frozen=True, slots=True)
class PageView:
    names: PersonNames
    locale: str
    timezone: str
    linked: bool  # a consent of the person to this page is in force


def person_for_page(uow: UnitOfWork, *, page_id: str, psid: str, now: int) -> PageView:
    """The person behind ``psid`` for ``page_id``. Another page's PSID, a made-up one, and
    a person who blocked the page or deleted their account all answer the same
    ``UnsupportedGet``: the page learns nothing it could not see."""
    try:
        thread = access_reachable_thread(uow, page_id, psid)
    except (NoMatchingUser, PersonUnavailable):
        raise UnsupportedGet(psid) from None
    person = people_store.get_user(uow.conn, thread.user_id)
    if person is None:  # pragma: no cover - threads reference people
        raise UnsupportedGet(psid)
    linked = link_store.active_scopes(uow.conn, page_id, thread.user_id, now) is not None
    return PageView(
        names=split_name(person.name, person.locale),
        locale=person.locale,
        timezone=person.timezone,
        linked=linked,
    )
