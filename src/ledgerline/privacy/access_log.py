"""The person's access log: as it is (the API, one line per audit entry, no values) and as the
privacy centre shows it (grouped by who and why, with what the records were, filtered and
paged).

The person's own reads of their data (opening a chat, viewing this page) are no access by
anyone else: the centre leaves them out unless the person asks to see them ("You"), and says
how many there were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from ledgerline.audit import Actor, ActorKind, LogFilter, access_log, count_own_reads
from ledgerline.audit.entries import AuditEntry
from ledgerline.chat.wire import iso_time
from ledgerline.domain.records import VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.linking.texts import SCOPE_ORDER, catalogue
from ledgerline.privacy.log_groups import AccessGroup, group_entries
from ledgerline.privacy.log_texts import describe_group, values_line
from ledgerline.privacy.texts import RESOLVABLE, describe, record_phrase
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, inbox as inbox_store, people

MAX_SHOWN_RECORDS = 200  # records the privacy centre describes per page view
# Who the centre's filter can pick: the actor kinds behind each choice.
WHO: dict[str, tuple[str, ...]] = {
    "all": (),
    "banks": (ActorKind.BUSINESS.value, ActorKind.AGENT.value),
    "ledgerline": (ActorKind.COMPONENT.value,),
    "you": (ActorKind.PERSON.value,),
}


@dataclass(frozen=True, slots=True)
class LogQuery:
    """One page of the centre's log: whose accesses, which business's, before which entry."""

    who: str = "all"
    page_id: str | None = None
    before: int | None = None
    limit: int = 200

    def where(self) -> LogFilter:
        who = self.who if self.who in WHO else "all"
        return LogFilter(page_id=self.page_id, actor_kinds=WHO[who], own_reads=who == "you")


@dataclass(frozen=True, slots=True)
class GroupLine:
    id: int  # the newest entry's seq
    text: str
    values: str  # what the records were ("" when not shown)
    newest: int  # epoch ms
    oldest: int
    outcome: str
    page_id: str | None


@dataclass(frozen=True, slots=True)
class AccessLogPage:
    groups: list[GroupLine]
    older: int | None  # ``before`` for the next page, None on the last
    own_reads: int  # the person's own reads left out of this view (all of them)


@dataclass(frozen=True, slots=True)
class _Names:
    businesses: dict[str, str]
    agents: dict[str, str]


def _names(uow: UnitOfWork, entries: list[AuditEntry]) -> _Names:
    conn = uow.conn
    businesses = {
        page_id: row.name
        for page_id in {e.page_id for e in entries if e.page_id}
        if (row := business_store.get_business(conn, page_id)) is not None
    }
    agent_ids = {e.actor.id for e in entries if e.actor.kind is ActorKind.AGENT}
    agents = {key: row.name for key, row in inbox_store.agent_names(conn, agent_ids).items()}
    return _Names(businesses, agents)


def _scope_names(locale: str) -> dict[str, str]:
    texts = catalogue(locale)
    return {s.value: texts.scope_name(s) for s in SCOPE_ORDER}


def access_log_in_words(
    uow: UnitOfWork, *, user_id: str, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """``GET /api/v1/me/access-log``: the log as it is, one line per entry, without values
    (a query)."""
    user = people.get_user(uow.conn, user_id)
    locale = user.locale if user is not None else "en"
    entries = access_log(uow.conn, user_id, limit=limit, before_seq=before)
    names = _names(uow, entries)
    scope_names = _scope_names(locale)
    return [
        {
            "id": entry.seq,
            "time": iso_time(entry.at),
            "text": describe(
                entry,
                locale=locale,
                business_names=names.businesses,
                scope_names=scope_names,
                agent_names=names.agents,
            ),
            "actor": {
                "kind": str(entry.actor.kind),
                "name": names.businesses.get(entry.page_id or "")
                if entry.actor.kind != "person"
                else None,
            },
            "page_id": entry.page_id,
            "action": entry.action,
            "purpose": entry.purpose,
            "record_kind": entry.record_kind,
            "outcome": entry.outcome,
            "records": len(entry.record_ids),
        }
        for entry in entries
    ]


def _resolvable(entry: AuditEntry, user_id: str) -> bool:
    """An entry whose records the privacy centre may describe: another party's read or
    store of a kind with values (the person's own views and exports stay plain)."""
    return (
        entry.page_id is not None
        and entry.action in ("read", "store")
        and entry.record_kind in RESOLVABLE
        and bool(entry.record_ids)
        and not (entry.actor.kind is ActorKind.PERSON and entry.actor.id == user_id)
    )


def _phrases(
    uow: UnitOfWork,
    vault: VaultPort[UnitOfWork],
    user_id: str,
    locale: str,
    entries: list[AuditEntry],
) -> dict[str, str]:
    """Short descriptions of the records the entries name, while they exist: one batch read
    per business (purpose ``user_access``, audited), at most MAX_SHOWN_RECORDS."""
    wanted: dict[str, list[str]] = defaultdict(list)
    budget = MAX_SHOWN_RECORDS
    for entry in entries:
        if budget <= 0 or not _resolvable(entry, user_id):
            continue
        ids = list(entry.record_ids[:budget])
        budget -= len(ids)
        wanted[str(entry.page_id)].extend(ids)
    phrases: dict[str, str] = {}
    for page_id, record_ids in wanted.items():
        access = vault.access(uow, page_id=page_id, user_id=user_id)
        reading = access.reading(Purpose.USER_ACCESS, actor=Actor.person(user_id))
        for record in reading.get_many(record_ids).values():
            phrase = record_phrase(str(record.kind), record.payload, locale)
            if phrase is not None:
                phrases[record.record_id] = phrase
    return phrases


def _values(group: AccessGroup, phrases: dict[str, str], user_id: str, locale: str) -> str:
    if not _resolvable(group.first, user_id):
        return ""
    ids = group.record_ids
    return values_line([phrases[r] for r in ids if r in phrases], len(ids), locale)


def do_access_log_page(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    user_id: str,
    locale: str,
    day_of: Callable[[int], Hashable],
    query: LogQuery,
) -> AccessLogPage:
    """The privacy centre's access log: a page of entries grouped by who and why (per day,
    ``day_of`` in the person's time zone), each group in words with what its records were
    ("₫125,000 at Highlands Coffee") while they still exist.

    The values come from one batch read of the person's own records per business
    (purpose ``user_access``, audited like any read); the log itself holds no values.
    A write, because that read is audited."""
    entries = access_log(
        uow.conn, user_id, limit=query.limit, before_seq=query.before, where=query.where()
    )
    phrases = _phrases(uow, vault, user_id, locale, entries)
    names = _names(uow, entries)
    scope_names = _scope_names(locale)
    groups = [
        GroupLine(
            id=group.first.seq,
            text=describe_group(
                group,
                locale=locale,
                business_names=names.businesses,
                agent_names=names.agents,
                scope_names=scope_names,
            ),
            values=_values(group, phrases, user_id, locale),
            newest=group.newest,
            oldest=group.oldest,
            outcome=group.first.outcome,
            page_id=group.first.page_id,
        )
        for group in group_entries(entries, day_of=day_of)
    ]
    own = 0 if query.who == "you" else count_own_reads(uow.conn, user_id, query.page_id)
    older = entries[-1].seq if len(entries) == query.limit else None
    return AccessLogPage(groups=groups, older=older, own_reads=own)
