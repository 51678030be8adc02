"""The person's financial context for an agent: read from the vault with purpose
``customer_service`` (so only within the person's consent), audited per view by the vault
(actor: the agent), and masked before it leaves this module.

Masking: amounts keep their first two digits (``1.250.000`` → ``12•••••``), enough to tell a
small payment from a large one; account ids show their last 4 characters; card numbers are
only ever last 4 digits. Merchant names and dates are shown (they identify a payment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.wire import iso_time
from ledgerline.customer_service.agent_actions import AgentActor, access_conversation
from ledgerline.domain.errors import PurposeNotAllowed
from ledgerline.domain.records import RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.storage.database import UnitOfWork

TRANSACTION_DAYS = 30
BALANCE_DAYS = 90
MAX_TRANSACTIONS = 10
MASK = "•"


def mask_amount(amount: Any) -> str:
    """``{"amount":"1250000","currency":"VND"}`` → ``12••••• VND``."""
    if not isinstance(amount, dict):
        return MASK * 3
    raw = str(amount.get("amount", ""))
    currency = str(amount.get("currency", ""))[:3]
    sign = "-" if raw.startswith("-") else ""
    digits = raw.lstrip("-").split(".")[0]
    if not digits.isdigit():
        return MASK * 3
    shown = digits[:2] + MASK * max(len(digits) - 2, 0)
    return f"{sign}{shown} {currency}".strip()


def mask_id(value: Any) -> str:
    text = str(value or "")
    return MASK * 4 + text[-4:] if len(text) > 4 else MASK * 4


@dataclass(frozen=True, slots=True)
class PersonContext:
    """What an agent sees; ``refused`` names the categories the person has not shared."""

    balances: list[dict[str, str]] = field(default_factory=list)
    transactions: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "balances": self.balances,
            "transactions": self.transactions,
            "refused": self.refused,
        }


def _balance(payload: dict[str, Any]) -> dict[str, str]:
    return {
        "account": f"{payload.get('account_name', '')} {mask_id(payload.get('account_id'))}".strip(),
        "available": mask_amount(payload.get("available")),
        "current": mask_amount(payload.get("current")),
        "as_of": str(payload.get("as_of", ""))[:25],
    }


def _transaction(payload: dict[str, Any], occurred_at: int) -> dict[str, str]:
    merchant = payload.get("merchant") if isinstance(payload.get("merchant"), dict) else {}
    card = payload.get("card_last4")
    return {
        "when": iso_time(occurred_at),
        "merchant": str((merchant or {}).get("name", ""))[:100],
        "amount": mask_amount(payload.get("amount")),
        "direction": str(payload.get("credit_debit", "")),
        "status": str(payload.get("status", "")),
        "card": MASK * 4 + str(card)[-4:] if card else "",
    }


def view_context(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    actor: AgentActor,
    conversation_id: int,
    now: int,
) -> PersonContext:
    """Read and mask the person's context for ``actor`` (runs on a writer: the vault audits
    every read, and every refusal, in the audit chain)."""
    conversation = access_conversation(uow, actor, conversation_id)
    access = vault.access(uow, page_id=conversation.page_id, user_id=conversation.user_id)
    reading = access.reading(Purpose.CUSTOMER_SERVICE, actor=Actor.agent(actor.agent_id))
    context = PersonContext()
    day = int(timedelta(days=1).total_seconds() * 1000)
    try:
        latest: dict[str, dict[str, str]] = {}
        for record in reading.read(kinds=[RecordKind.BALANCE], since=now - BALANCE_DAYS * day):
            latest[str(record.payload.get("account_id"))] = _balance(record.payload)
        context.balances.extend(latest.values())
    except PurposeNotAllowed:
        context.refused.append("balances")
    try:
        records = reading.read(kinds=[RecordKind.TRANSACTION], since=now - TRANSACTION_DAYS * day)
        context.transactions.extend(
            _transaction(r.payload, r.occurred_at) for r in reversed(records[-MAX_TRANSACTIONS:])
        )
    except PurposeNotAllowed:
        context.refused.append("transactions")
    return context
