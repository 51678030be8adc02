"""What the bank remembers about Ledgerline: who is linked under which PSID, the codes it
handed out while linking, and the card transactions it shared (to answer fraud verdicts).

Kept in memory and, when given a path, in a small JSON file written atomically after each
change, so a restart of the demo keeps its links.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from demobank.customers import Customer

log = logging.getLogger("demobank")

PENDING_SECONDS = 600
KEEP_TRANSACTIONS = 500
KEEP_ACTIVITY = 50


@dataclass
class Link:
    psid: str
    username: str
    linked_at: float


@dataclass
class SharedTransaction:
    transaction_id: str
    psid: str
    card_last4: str
    merchant: str
    amount: int
    suspicious: bool


@dataclass
class _Pending:
    psid: str
    username: str
    created: float


@dataclass
class BankState:
    path: Path | None = None
    links: dict[str, Link] = field(default_factory=dict)
    frozen_cards: set[str] = field(default_factory=set)
    transactions: dict[str, SharedTransaction] = field(default_factory=dict)
    locales: dict[str, str] = field(default_factory=dict)  # unlinked people, guessed
    activity: list[str] = field(default_factory=list)  # newest last, for the back office
    assistant_on: bool | None = None  # as last switched (None: never switched from here)
    opened: dict[str, Customer] = field(default_factory=dict)  # accounts opened here
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def load(cls, path: Path | None) -> BankState:
        state = cls(path=path)
        if path is None or not path.exists():
            return state
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            log.warning("demo bank: %s is unreadable (%s); starting afresh", path, exc)
            return state
        state.links = {k: Link(**v) for k, v in data.get("links", {}).items()}
        state.frozen_cards = set(data.get("frozen_cards", []))
        state.transactions = {
            k: SharedTransaction(**v) for k, v in data.get("transactions", {}).items()
        }
        state.locales = dict(data.get("locales", {}))
        state.activity = list(data.get("activity", []))
        state.opened = {k: Customer(**v) for k, v in data.get("opened", {}).items()}
        assistant_on = data.get("assistant_on")
        state.assistant_on = assistant_on if isinstance(assistant_on, bool) else None
        return state

    def _save(self) -> None:
        if self.path is None:
            return
        data: dict[str, Any] = {
            "links": {k: asdict(v) for k, v in self.links.items()},
            "frozen_cards": sorted(self.frozen_cards),
            "transactions": {k: asdict(v) for k, v in self.transactions.items()},
            "locales": self.locales,
            "activity": self.activity,
            "assistant_on": self.assistant_on,
            "opened": {k: asdict(v) for k, v in self.opened.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".demobank-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    # -- customers ----------------------------------------------------------------------------
    def add_customer(self, customer: Customer) -> None:
        with self._lock:
            self.opened[customer.username] = customer
            self._note(f"opened account {customer.account_id} for {customer.username}")
            self._save()

    def opened_customer(self, username: str) -> Customer | None:
        with self._lock:
            return self.opened.get(username)

    # -- linking ------------------------------------------------------------------------------
    def remember_code(self, code: str, psid: str, username: str) -> None:
        """A code handed to Ledgerline in the redirect; the ``linked`` webhook brings it back."""
        now = time.time()
        with self._lock:
            self._pending = {
                k: v for k, v in self._pending.items() if now - v.created < PENDING_SECONDS
            }
            self._pending[code] = _Pending(psid, username, now)

    def confirm(self, code: str, psid: str) -> Link | None:
        """The link for a ``linked`` webhook: the code must be ours and for that PSID."""
        with self._lock:
            pending = self._pending.pop(code, None)
            if pending is None or pending.psid != psid:
                return None
            link = Link(psid=psid, username=pending.username, linked_at=time.time())
            self.links[psid] = link
            self._note(f"linked {pending.username}")
            self._save()
            return link

    def unlink(self, psid: str) -> Link | None:
        with self._lock:
            link = self.links.pop(psid, None)
            self.transactions = {k: v for k, v in self.transactions.items() if v.psid != psid}
            if link is not None:
                self._note(f"unlinked {link.username}")
            self._save()
            return link

    def link_of(self, psid: str) -> Link | None:
        with self._lock:
            return self.links.get(psid)

    def linked(self) -> list[Link]:
        with self._lock:
            return list(self.links.values())

    # -- what was shared ---------------------------------------------------------------------
    def record_transaction(self, tx: SharedTransaction) -> None:
        with self._lock:
            self.transactions[tx.transaction_id] = tx
            while len(self.transactions) > KEEP_TRANSACTIONS:
                self.transactions.pop(next(iter(self.transactions)))
            self._save()

    def transaction(self, transaction_id: str) -> SharedTransaction | None:
        with self._lock:
            return self.transactions.get(transaction_id)

    def freeze(self, card_last4: str) -> None:
        with self._lock:
            self.frozen_cards.add(card_last4)
            self._note(f"froze card {card_last4}")
            self._save()

    def unfreeze(self, card_last4: str) -> None:
        with self._lock:
            self.frozen_cards.discard(card_last4)
            self._note(f"unfroze card {card_last4}")
            self._save()

    def set_assistant(self, enabled: bool) -> None:
        with self._lock:
            self.assistant_on = enabled
            self._note(f"built-in assistant {'on' if enabled else 'off'}")
            self._save()

    def is_frozen(self, card_last4: str) -> bool:
        with self._lock:
            return card_last4 in self.frozen_cards

    def set_locale(self, psid: str, locale: str) -> None:
        with self._lock:
            if self.locales.get(psid) != locale:
                self.locales[psid] = locale
                self._save()

    def note(self, line: str) -> None:
        with self._lock:
            self._note(line)
            self._save()

    def _note(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.activity.append(f"{stamp} {line}")
        del self.activity[:-KEEP_ACTIVITY]
