"""SQL for the online fraud engine: per-card and per-terminal state (a ``FraudStateStore``),
scored alerts kept as labels, each business's alert policy, and the console's daily chart.

``SqlFraudStateStore`` serves one (business, person) inside the caller's transaction: it
loads the states a batch needs in one query per table (``preload``), keeps them in memory
while the batch is scored, and writes the changed ones back in ``flush``. Card states are
sealed and opened by the caller's ``Cipher`` (the vault, under the person's data key); this
module never sees a key.

Exact under concurrency: a terminal's state is shared by every person who pays there, and
their requests may run on two writers (of one process or of several) at once. ``preload``
locks the rows it reads (``FOR UPDATE``, in key order; PostgreSQL — SQLite has one writer),
so a second transaction waits for the first's commit and reads what it wrote; a state that
did not exist yet is created with ``ON CONFLICT DO NOTHING``, and if another transaction
created it meanwhile this one raises ``ConcurrentUpdate``: the writer runs the whole batch
again, reading the new row. No update is lost, nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledgerline.storage.errors import ConcurrentUpdate
from ledgerline.storage.stores.updates import DAY_MS, series_of
from ledgerline.storage.tables import (
    fraud_alerts,
    fraud_card_state,
    fraud_outcome_counts,
    fraud_scores,
    fraud_settings,
    fraud_terminal_state,
)

EPHEMERAL_PREFIX = "~"  # a terminal the bank did not identify: scored fresh, never stored
_CHUNK = 500


class Cipher(Protocol):
    """Seals a card's state under the person's key; ``open`` returns None when unreadable."""

    def seal(self, name: str, data: bytes) -> bytes: ...

    def open(self, name: str, sealed: bytes) -> bytes | None: ...


def is_ephemeral(terminal_key: str) -> bool:
    return terminal_key.startswith(EPHEMERAL_PREFIX)


def businesses_with_terminal(conn: sa.Connection, terminal_key: str) -> list[str]:
    """The businesses (``page_id``) that keep a state for this terminal (chat-speed labels:
    a person's report counts at the terminal for each of them)."""
    rows = conn.execute(
        sa.select(fraud_terminal_state.c.page_id)
        .where(fraud_terminal_state.c.terminal_key == terminal_key)
        .order_by(fraud_terminal_state.c.page_id)
    ).all()
    return [str(r.page_id) for r in rows]


def _upsert(
    conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    if not rows:
        return
    statement: Any
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    else:
        statement = sqlite.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
    )
    conn.execute(statement, rows)


class SqlFraudStateStore:
    """``FraudStateStore`` for one (business, person), in the caller's transaction."""

    def __init__(self, conn: sa.Connection, page_id: str, user_id: str, cipher: Cipher) -> None:
        self.conn = conn
        self.page_id = page_id
        self.user_id = user_id
        self.cipher = cipher
        self._cards: dict[str, bytes | None] = {}
        self._terminals: dict[str, bytes | None] = {}
        self._dirty_cards: set[str] = set()
        self._dirty_terminals: set[str] = set()
        self._new_cards: set[str] = set()  # no row when read: created by flush
        self._new_terminals: set[str] = set()
        self.labels: list[dict[str, Any]] = []

    def preload(self, cards: Iterable[str], terminals: Iterable[str]) -> None:
        """Load the states of these cards and terminals (one query per table and 500 keys)."""
        wanted_cards = sorted(set(cards) - self._cards.keys())
        for start in range(0, len(wanted_cards), _CHUNK):
            chunk = wanted_cards[start : start + _CHUNK]
            rows = self.conn.execute(
                sa.select(fraud_card_state.c.card_key, fraud_card_state.c.state)
                .where(
                    fraud_card_state.c.page_id == self.page_id,
                    fraud_card_state.c.user_id == self.user_id,
                    fraud_card_state.c.card_key.in_(chunk),
                )
                .order_by(fraud_card_state.c.card_key)
                .with_for_update()
            ).all()
            found = {str(r.card_key): bytes(r.state) for r in rows}
            for key in chunk:
                sealed = found.get(key)
                self._cards[key] = None if sealed is None else self.cipher.open(key, sealed)
                if sealed is None:
                    self._new_cards.add(key)
        wanted = sorted(t for t in set(terminals) - self._terminals.keys() if not is_ephemeral(t))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self.conn.execute(
                sa.select(fraud_terminal_state.c.terminal_key, fraud_terminal_state.c.state)
                .where(
                    fraud_terminal_state.c.page_id == self.page_id,
                    fraud_terminal_state.c.terminal_key.in_(chunk),
                )
                .order_by(fraud_terminal_state.c.terminal_key)
                .with_for_update()
            ).all()
            found = {str(r.terminal_key): bytes(r.state) for r in rows}
            for key in chunk:
                self._terminals[key] = found.get(key)
                if key not in found:
                    self._new_terminals.add(key)

    # -- FraudStateStore ------------------------------------------------------------------
    def get_card(self, card_id: str) -> bytes | None:
        if card_id not in self._cards:
            self.preload([card_id], [])
        return self._cards[card_id]

    def put_card(self, card_id: str, state: bytes) -> None:
        self._cards[card_id] = state
        self._dirty_cards.add(card_id)

    def get_terminal(self, terminal_id: str) -> bytes | None:
        if is_ephemeral(terminal_id):
            return None
        if terminal_id not in self._terminals:
            self.preload([], [terminal_id])
        return self._terminals[terminal_id]

    def put_terminal(self, terminal_id: str, state: bytes) -> None:
        if is_ephemeral(terminal_id):
            return
        self._terminals[terminal_id] = state
        self._dirty_terminals.add(terminal_id)

    def add_label(self, label: dict[str, Any]) -> None:
        self.labels.append(dict(label))

    def flush(self, now: int) -> None:
        """Write the changed states back (one statement per table, two when some states are
        new); ``ConcurrentUpdate`` when another transaction created one of the new ones."""
        card_rows = [
            {
                "page_id": self.page_id,
                "user_id": self.user_id,
                "card_key": key,
                "state": self.cipher.seal(key, state),
                "updated_at": now,
            }
            for key in sorted(self._dirty_cards)
            if (state := self._cards[key]) is not None
        ]
        terminal_rows = [
            {"page_id": self.page_id, "terminal_key": key, "state": state, "updated_at": now}
            for key in sorted(self._dirty_terminals)
            if (state := self._terminals[key]) is not None
        ]
        card_keys = ["page_id", "user_id", "card_key"]
        terminal_keys = ["page_id", "terminal_key"]
        _write(self.conn, fraud_card_state, card_rows, card_keys, self._new_cards, "card_key")
        _write(
            self.conn,
            fraud_terminal_state,
            terminal_rows,
            terminal_keys,
            self._new_terminals,
            "terminal_key",
        )
        self._dirty_cards.clear()
        self._dirty_terminals.clear()
        self._new_cards.clear()
        self._new_terminals.clear()


def _write(
    conn: sa.Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    keys: list[str],
    new: set[str],
    key: str,
) -> None:
    """Update the states read (their rows are locked) and create the new ones, refusing to
    overwrite one that another transaction created since they were read."""
    _upsert(conn, table, [row for row in rows if row[key] not in new], keys)
    created = [row for row in rows if row[key] in new]
    if not created:
        return
    statement: Any
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    else:
        statement = sqlite.insert(table)
    statement = statement.on_conflict_do_nothing(index_elements=keys).returning(table.c[key])
    count = len(conn.execute(statement, created).all())
    if count < len(created):
        new.clear()
        raise ConcurrentUpdate(f"{table.name}: a state was created by another transaction")


# -- scored alerts (labels) -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScoreRow:
    page_id: str
    user_id: str
    transaction_ref: str
    terminal_key: str | None
    terminal_seq: int
    score: float
    sealed: bytes
    verdict: str | None
    created_at: int
    answered_at: int | None


_SCORE_COLUMNS = list(fraud_scores.c)


def _score(row: sa.Row[Any]) -> ScoreRow:
    values = row._asdict()
    values["sealed"] = bytes(values["sealed"])
    return ScoreRow(**values)


def insert_score(conn: sa.Connection, row: ScoreRow) -> bool:
    """Keep a scored alert; False when this transaction already has one."""
    values = {c.name: getattr(row, c.name) for c in _SCORE_COLUMNS}
    statement: Any
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(fraud_scores).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(fraud_scores).values(**values).on_conflict_do_nothing()
    return conn.execute(statement.returning(fraud_scores.c.page_id)).first() is not None


def get_score(
    conn: sa.Connection, page_id: str, user_id: str, transaction_ref: str
) -> ScoreRow | None:
    row = conn.execute(
        sa.select(*_SCORE_COLUMNS).where(
            fraud_scores.c.page_id == page_id,
            fraud_scores.c.user_id == user_id,
            fraud_scores.c.transaction_ref == transaction_ref,
        )
    ).first()
    return None if row is None else _score(row)


def set_verdict(
    conn: sa.Connection,
    page_id: str,
    user_id: str,
    transaction_ref: str,
    verdict: str,
    now: int,
) -> None:
    conn.execute(
        fraud_scores.update()
        .where(
            fraud_scores.c.page_id == page_id,
            fraud_scores.c.user_id == user_id,
            fraud_scores.c.transaction_ref == transaction_ref,
        )
        .values(verdict=verdict, answered_at=now)
    )


def labelled_scores(conn: sa.Connection) -> list[ScoreRow]:
    """Every scored alert the person answered, oldest first (for ``fraud train``)."""
    rows = conn.execute(
        sa.select(*_SCORE_COLUMNS)
        .where(fraud_scores.c.verdict.is_not(None))
        .order_by(fraud_scores.c.created_at, fraud_scores.c.transaction_ref)
    ).all()
    return [_score(row) for row in rows]


def forget_person(conn: sa.Connection, page_id: str, user_id: str) -> None:
    """Delete what the engine keeps of (business, person): card states and scored alerts."""
    for table in (fraud_card_state, fraud_scores):
        conn.execute(table.delete().where(table.c.page_id == page_id, table.c.user_id == user_id))


def purge_idle_cards(conn: sa.Connection, before: int) -> int:
    """Delete card states last updated before ``before`` (epoch ms); how many.

    A card idle for 30 days has nothing left in its windows: its next transaction scores as
    a new card's would, so the (sealed) state has no reason to be kept."""
    result = conn.execute(fraud_card_state.delete().where(fraud_card_state.c.updated_at < before))
    return int(result.rowcount or 0)


def state_sizes(conn: sa.Connection, page_id: str) -> dict[str, int]:
    """The largest stored card and terminal state of a business, in bytes."""
    card = conn.execute(
        sa.select(sa.func.max(sa.func.length(fraud_card_state.c.state))).where(
            fraud_card_state.c.page_id == page_id
        )
    ).scalar()
    terminal = conn.execute(
        sa.select(sa.func.max(sa.func.length(fraud_terminal_state.c.state))).where(
            fraud_terminal_state.c.page_id == page_id
        )
    ).scalar()
    return {"card": int(card or 0), "terminal": int(terminal or 0)}


# -- the business's policy --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PolicyRow:
    policy: str
    value: float
    updated_at: int


def get_policy(conn: sa.Connection, page_id: str) -> PolicyRow | None:
    row = conn.execute(
        sa.select(
            fraud_settings.c.policy, fraud_settings.c.value, fraud_settings.c.updated_at
        ).where(fraud_settings.c.page_id == page_id)
    ).first()
    return (
        None if row is None else PolicyRow(str(row.policy), float(row.value), int(row.updated_at))
    )


def put_policy(conn: sa.Connection, page_id: str, policy: str, value: float, now: int) -> None:
    conn.execute(fraud_settings.delete().where(fraud_settings.c.page_id == page_id))
    conn.execute(
        fraud_settings.insert().values(page_id=page_id, policy=policy, value=value, updated_at=now)
    )


# -- the console's chart ----------------------------------------------------------------------
def alert_outcomes(conn: sa.Connection, page_id: str, since: int) -> Sequence[tuple[int, str, int]]:
    """``(time, series, count)`` of the business's fraud alerts and people's reports since
    ``since`` (epoch ms): series ``fraud``, ``genuine``, ``unanswered`` (the answers to
    alerts) or ``reported`` ("Not me" on a payment). Counts those of people who unlinked
    since, kept per day without their data (``fraud_outcome_counts``)."""
    rows = conn.execute(
        sa.select(fraud_alerts.c.created_at, fraud_alerts.c.source, fraud_alerts.c.verdict)
        .where(fraud_alerts.c.page_id == page_id, fraud_alerts.c.created_at >= since)
        .order_by(fraud_alerts.c.created_at)
    ).all()
    out = [(int(r.created_at), series_of(str(r.source), r.verdict), 1) for r in rows]
    kept = conn.execute(
        sa.select(
            fraud_outcome_counts.c.day, fraud_outcome_counts.c.series, fraud_outcome_counts.c.count
        ).where(
            fraud_outcome_counts.c.page_id == page_id,
            fraud_outcome_counts.c.day >= since // DAY_MS * DAY_MS,
        )
    ).all()
    out.extend((int(r[0]), str(r[1]), int(r[2])) for r in kept)
    return out
