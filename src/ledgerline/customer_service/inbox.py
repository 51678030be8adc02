"""``InboxService``: what the agent inbox's pages and API call. Built by the composition
root with the vault (its port, ``domain.records.VaultPort``), so the web layer never
reaches the vault itself.

Every method takes the signed-in ``AgentActor`` and works only within its business.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ledgerline.chat.wire import client_message, iso_time
from ledgerline.customer_service import agent_actions, metrics
from ledgerline.customer_service.agent_actions import (
    SATISFACTION_PREFIX,
    AgentActor,
    access_conversation,
)
from ledgerline.customer_service.agents import AgentAccounts
from ledgerline.customer_service.context import view_context
from ledgerline.delivery.live import LiveHub, Subscription, frames_for
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import NotFound
from ledgerline.domain.events import TypingChanged, inbox_of
from ledgerline.domain.records import VaultPort
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import (
    inbox as inbox_store,
    threads as thread_store,
    updates as alert_store,
)
from ledgerline.storage.stores.inbox import ConversationRow
from ledgerline.storage.stores.threads import MessageRow
from ledgerline.storage.stores.updates import AlertRow

HISTORY = 100
METRICS_DAYS = 30


def _conversation(c: ConversationRow, person_name: str, agents: dict[str, str]) -> dict[str, Any]:
    return {
        "conversation_id": c.conversation_id,
        "status": c.status,
        "person_name": person_name,
        "user_id": c.user_id,
        "opened_at": c.opened_at,
        "waiting_since": c.waiting_since,
        "agent_id": c.agent_id,
        "agent_name": None if c.agent_id is None else agents.get(c.agent_id, ""),
        "first_response_at": c.first_response_at,
        "closed_at": c.closed_at,
        "close_reason": c.close_reason,
        "metadata": c.handover_metadata,
        "requested_by": c.requested_by,
        "satisfaction": c.satisfaction,
    }


def _answer(row: MessageRow, alert: AlertRow | None) -> dict[str, Any] | None:
    """What a person's message answered among the platform's own questions: a fraud alert
    (and how: button, quick reply, typed), a "Not me" report, the satisfaction question.
    The bank's own ids and the verdict only — the bank got them in its webhook anyway."""
    if alert is not None:
        return {
            "kind": "report" if alert.source == "person" else "fraud_alert",
            "alert_id": alert.alert_id,
            "transaction_id": alert.transaction_ref,
            "verdict": alert.verdict,
            "via": alert.answered_via,
        }
    payload = str(
        (row.body.get("postback") or row.body.get("quick_reply") or {}).get("payload") or ""
    )
    if payload.startswith(SATISFACTION_PREFIX):
        _conversation_id, _, rest = payload[len(SATISFACTION_PREFIX) :].partition(":")
        score = rest.partition(":")[0]
        if score.isdigit():
            return {"kind": "satisfaction", "score": int(score)}
    return None


def _message(row: MessageRow, alert: AlertRow | None = None) -> dict[str, Any]:
    if row.body.get("vault") is True:  # a financial update: its body is in the vault
        out: dict[str, Any] = {
            "mid": row.mid,
            "from": row.sender,
            "vault": True,
            "kind": row.body.get("kind"),  # e.g. fraud_alert, transaction (never content)
            "created_time": iso_time(row.created_at),
        }
        if "state" in row.body:  # how the person answered it
            out["state"] = row.body["state"]
        return out
    message = client_message(row)
    answer = _answer(row, alert) if row.sender == "user" else None
    if answer is not None:
        message["answer"] = answer
    return message


class InboxService:
    def __init__(
        self,
        *,
        db: Database,
        vault: VaultPort[UnitOfWork],
        clock: Clock,
        hub: LiveHub,
        accounts: AgentAccounts,
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.hub = hub
        self.accounts = accounts

    def now(self) -> int:
        return to_ms(self.clock.now())

    async def _agents(self, page_id: str) -> dict[str, str]:
        rows = await self.db.read(inbox_store.list_agents, page_id)
        return {row.agent_id: row.name for row in rows}

    async def agents(self, actor: AgentActor) -> list[dict[str, str]]:
        rows = await self.db.read(inbox_store.list_agents, actor.page_id)
        return [{"agent_id": r.agent_id, "name": r.name, "role": r.role} for r in rows]

    async def queue(self, actor: AgentActor) -> list[dict[str, Any]]:
        items = await self.db.read(inbox_store.list_queue, actor.page_id)
        agents = await self._agents(actor.page_id)
        return [_conversation(i.conversation, i.person_name, agents) for i in items]

    async def conversation(self, actor: AgentActor, conversation_id: int) -> dict[str, Any]:
        """The conversation, the thread's recent messages and the notes (no financial
        context: that is ``context``, read and audited separately)."""

        def load(uow: UnitOfWork) -> dict[str, Any]:
            conn = uow.conn
            c = access_conversation(uow, actor, conversation_id)
            thread = thread_store.get_thread(conn, c.page_id, c.user_id)
            if thread is None:  # pragma: no cover - conversations reference threads
                raise NotFound("No such thread")
            messages = thread_store.list_messages(conn, thread.thread_id, limit=HISTORY)
            notes = inbox_store.list_notes(conn, thread.thread_id)
            answered = alert_store.alerts_answered_by(
                conn, c.page_id, [m.mid for m in messages if m.sender == "user"]
            )
            return {
                "conversation": c,
                "person_name": inbox_store.person_name(conn, c.user_id),
                "messages": [_message(m, answered.get(m.mid)) for m in messages],
                "notes": [
                    {"agent_name": n.agent_name, "text": n.text, "created_at": n.created_at}
                    for n in notes
                ],
                "read_seq": thread.user_read_seq,
                "read_watermark": _watermark(messages, thread.user_read_seq),
            }

        data = await self.db.query(load)
        agents = await self._agents(actor.page_id)
        data["conversation"] = _conversation(data["conversation"], data["person_name"], agents)
        del data["read_seq"]
        return data

    async def context(self, actor: AgentActor, conversation_id: int) -> dict[str, Any]:
        context = await self.db.write(
            view_context,
            vault=self.vault,
            actor=actor,
            conversation_id=conversation_id,
            now=self.now(),
        )
        return context.to_dict()

    async def canned(self, actor: AgentActor) -> list[dict[str, Any]]:
        rows = await self.db.read(inbox_store.list_canned, actor.page_id)
        return [{"reply_id": r.reply_id, "title": r.title, "text": r.text} for r in rows]

    async def metrics(self, actor: AgentActor, days: int = METRICS_DAYS) -> dict[str, Any]:
        since = self.now() - int(timedelta(days=days).total_seconds() * 1000)
        rows = await self.db.read(inbox_store.conversations_since, actor.page_id, since)
        return metrics.compute(rows, await self._agents(actor.page_id))

    async def act(self, action: str, actor: AgentActor, **kwargs: Any) -> Any:
        """Run one of ``chat.agent_actions``' ``do_*`` as ``actor`` (on a writer)."""
        fn = _ACTIONS[action]
        return await self.db.write(fn, actor=actor, now=self.now(), **kwargs)

    async def typing(self, actor: AgentActor, conversation_id: int, typing: bool) -> None:
        """The agent is typing: the person sees it (no storage, like ``typing_on``)."""
        c = await self.db.query(access_conversation, actor, conversation_id)
        self.hub.publish_many(frames_for([TypingChanged(c.page_id, c.user_id, typing)]))

    def subscribe(self, actor: AgentActor) -> Subscription:
        return self.hub.subscribe(inbox_of(actor.page_id))

    def unsubscribe(self, subscription: Subscription) -> None:
        self.hub.unsubscribe(subscription)


def _watermark(messages: list[MessageRow], read_seq: int) -> int:
    """The time of the newest page message the person has read."""
    read = [m.created_at for m in messages if m.sender == "page" and m.seq <= read_seq]
    return max(read, default=0)


_ACTIONS: dict[str, Any] = {
    "assign": agent_actions.do_assign,
    "reply": agent_actions.do_agent_reply,
    "note": agent_actions.do_add_note,
    "hand_back": agent_actions.do_hand_back,
    "close": agent_actions.do_close,
    "seen": agent_actions.do_agent_seen,
    "add_canned": agent_actions.do_add_canned,
    "delete_canned": agent_actions.do_delete_canned,
}
