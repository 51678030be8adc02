"""The access log grouped by who and why, so a person can read it.

The audit log has one entry per batch of records (a bank's push of 12 payments is one
entry, the update each became another, the fraud check's read a third). A person wants
"Demo Bank sent you 12 transactions" once a day, not a screen of near-identical lines, so
entries of the same day, the same actor (a business, a named agent, a part of Ledgerline),
the same business, action, purpose, kind of data and outcome become one group. Consent
facts, erasures and exports stay lines of their own: each one matters by itself.

Pure: the caller gives the entries (newest first) and how to tell their day.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from ledgerline.audit.entries import AuditEntry

GROUPED_ACTIONS = frozenset({"store", "read"})


@dataclass(frozen=True, slots=True)
class AccessGroup:
    """Entries that read as one sentence; ``entries`` newest first."""

    entries: tuple[AuditEntry, ...]

    @property
    def first(self) -> AuditEntry:
        return self.entries[0]

    @property
    def newest(self) -> int:
        return self.entries[0].at

    @property
    def oldest(self) -> int:
        return self.entries[-1].at

    @property
    def records(self) -> int:
        """How many different records the group is about (one read twice counts once; a
        refused push names none: it counts what the bank tried to send)."""
        named = self.record_ids
        unnamed = sum(records_of(entry) for entry in self.entries if not entry.record_ids)
        return len(named) + unnamed

    @property
    def record_ids(self) -> list[str]:
        """The records named, each once, newest entry first."""
        return list(dict.fromkeys(r for entry in self.entries for r in entry.record_ids))


def records_of(entry: AuditEntry) -> int:
    if entry.record_ids:
        return len(entry.record_ids)
    counted = entry.detail.get("records")
    return counted if isinstance(counted, int) and not isinstance(counted, bool) else 0


def group_key(entry: AuditEntry, day: Hashable) -> Hashable | None:
    """What makes entries one group; None for an entry that stands alone."""
    if entry.action not in GROUPED_ACTIONS:
        return None
    return (
        day,
        str(entry.actor.kind),
        entry.actor.id,
        entry.page_id,
        entry.action,
        entry.purpose,
        entry.record_kind,
        entry.outcome,
    )


def group_entries(
    entries: Sequence[AuditEntry], *, day_of: Callable[[int], Hashable]
) -> list[AccessGroup]:
    """Groups in the order of their newest entry (entries come newest first)."""
    order: list[list[AuditEntry]] = []
    open_groups: dict[Hashable, list[AuditEntry]] = {}
    for entry in entries:
        key = group_key(entry, day_of(entry.at))
        if key is None:
            order.append([entry])
            continue
        members = open_groups.get(key)
        if members is None:
            members = open_groups[key] = []
            order.append(members)
        members.append(entry)
    return [AccessGroup(tuple(members)) for members in order]
