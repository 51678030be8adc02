"""What agents do in the inbox: assign, reply, notes, hand back, close; canned replies; and
the person's satisfaction answer. ``check``s first, then the write, in one transaction.

Tenant isolation: every action takes the agent (``AgentActor``, built from the agent's own
session) and reads conversations only through ``inbox_store.get_conversation(page_id, …)``
with the agent's page id, so an id of another business is simply "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerline.chat import ownership
from ledgerline.chat.actions import do_page_mark_seen, do_post_page_message
from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from ledgerline.chat.state import answered_state, open_state, set_message_state
from ledgerline.chat.wire import client_message
from ledgerline.customer_service import conversations as inbox, handover
from ledgerline.domain.clock import from_ms
from ledgerline.domain.errors import (
    Conflict,
    InvalidParameter,
    NotFound,
    OutsideWindow,
    PermissionDenied,
)
from ledgerline.domain.ids import new_mid
from ledgerline.domain.window import (
    MessageTag,
    MessagingType,
    may_reply_as_human_agent,
    may_send,
)
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    inbox as inbox_store,
    people as people_store,
    threads as thread_store,
)
from ledgerline.storage.stores.inbox import ConversationRow
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

AGENT = "agent"
SUPERVISOR = "supervisor"
ROLES = (AGENT, SUPERVISOR)
MAX_NOTE = 2000
MAX_REPLY = 2000
SATISFACTION_PREFIX = "LL_CSAT:"
SCORES = (5, 4, 3, 2, 1)  # what an answer may carry (quick replies of before had all five)
ASKED = (5, 3, 1)  # the question's buttons (a button template holds three)
SATISFACTION_TTL_MS = 7 * 24 * 3600 * 1000  # CUSTOMER_FEEDBACK: within 7 days

# Texts the person sees, in their language.
_TEXTS = {
    "csat_question": {
        "vi": "Cuộc trò chuyện với nhân viên đã kết thúc. Bạn đánh giá thế nào về sự hỗ trợ "
        "vừa rồi?",
        "en": "Your conversation with our agent has ended. How satisfied are you with the help?",
    },
    "csat_thanks": {
        "vi": "Cảm ơn bạn đã đánh giá!",
        "en": "Thank you for your feedback!",
    },
    "agent_left": {
        "vi": "{agent} đã rời cuộc trò chuyện. {bank} sẽ tiếp tục trả lời bạn tại đây.",
        "en": "{agent} has left the conversation. {bank} will keep answering you here.",
    },
    "agent_left_question": {
        "vi": "{agent} đã rời cuộc trò chuyện. Câu hỏi cuối của bạn (“{question}”) đã được "
        "chuyển cho {bank}, bạn sẽ được trả lời tại đây.",
        "en": "{agent} has left the conversation. Your last question (“{question}”) has been "
        "passed on to {bank}; you will be answered here.",
    },
    "csat_closed": {
        "vi": "Phần đánh giá này đã đóng (sau 7 ngày).",
        "en": "This feedback question has closed (after 7 days).",
    },
}
_SCORE_TITLES = {
    "vi": {
        5: "5 ★ Rất hài lòng",
        4: "4 ★",
        3: "3 ★ Bình thường",
        2: "2 ★",
        1: "1 ★ Không hài lòng",
    },
    "en": {5: "5 ★ Very satisfied", 4: "4 ★", 3: "3 ★ Okay", 2: "2 ★", 1: "1 ★ Not satisfied"},
}


@dataclass(frozen=True, slots=True)
class AgentActor:
    """The signed-in agent: everything they do is scoped to ``page_id``."""

    agent_id: str
    page_id: str
    name: str
    role: str

    @property
    def supervisor(self) -> bool:
        return self.role == SUPERVISOR


def access_conversation(
    uow: UnitOfWork, actor: AgentActor, conversation_id: int
) -> ConversationRow:
    conversation = inbox_store.get_conversation(uow.conn, actor.page_id, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation")
    return conversation


def _open(uow: UnitOfWork, actor: AgentActor, conversation_id: int) -> ConversationRow:
    conversation = access_conversation(uow, actor, conversation_id)
    if conversation.status == inbox_store.CLOSED:
        raise Conflict("This conversation is closed")
    return conversation


def _may_act(actor: AgentActor, conversation: ConversationRow) -> None:
    if conversation.agent_id not in (None, actor.agent_id) and not actor.supervisor:
        raise PermissionDenied("This conversation is assigned to another agent")


def _thread_of(uow: UnitOfWork, conversation: ConversationRow) -> ThreadRow:
    thread = thread_store.get_thread(uow.conn, conversation.page_id, conversation.user_id)
    if thread is None:  # pragma: no cover - conversations reference threads
        raise NotFound("No such thread")
    return thread


def _locale(uow: UnitOfWork, user_id: str) -> str:
    user = people_store.get_user(uow.conn, user_id)
    return "en" if user is not None and user.locale == "en" else "vi"


def _announce_agent(uow: UnitOfWork, conversation: ConversationRow, name: str | None) -> None:
    """The person's messenger shows who answers (a person, by first name) or nothing."""
    inbox.emit_person(
        uow,
        conversation.user_id,
        {
            "type": "agent",
            "page_id": conversation.page_id,
            "agent": None if name is None else {"name": name},
        },
    )


def do_assign(
    uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, agent_id: str, now: int
) -> None:
    """An agent takes a conversation; a supervisor may (re)assign it to any of the business's
    agents."""
    conversation = _open(uow, actor, conversation_id)
    if agent_id != actor.agent_id and not actor.supervisor:
        raise PermissionDenied("Only a supervisor can assign a conversation to someone else")
    if conversation.agent_id not in (None, actor.agent_id) and not actor.supervisor:
        raise PermissionDenied("This conversation is assigned to another agent")
    agent = inbox_store.get_agent(uow.conn, agent_id)
    if agent is None or agent.page_id != actor.page_id:
        raise NotFound("No such agent")
    inbox_store.update_conversation(
        uow.conn,
        conversation.conversation_id,
        status=inbox_store.ASSIGNED,
        agent_id=agent.agent_id,
        assigned_at=now,
    )
    inbox.emit_inbox(
        uow,
        actor.page_id,
        {
            "type": "queue",
            "conversation_id": conversation.conversation_id,
            "status": "assigned",
            "agent_id": agent.agent_id,
            "agent_name": agent.name,
        },
    )
    _announce_agent(uow, conversation, agent.name)


def do_agent_reply(
    uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, text: str, now: int
) -> MessageRow:
    """An agent answers as the page. ``HUMAN_AGENT`` rules: up to 7 days after the person's
    last message. The first reply assigns an unassigned conversation to the agent."""
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        raise InvalidParameter(f"A reply is 1 to {MAX_REPLY} characters")
    conversation = _open(uow, actor, conversation_id)
    _may_act(actor, conversation)
    thread = _thread_of(uow, conversation)
    if ownership.current_owner(uow, thread.page_id, thread.user_id) != PAGE_INBOX_APP_ID:
        raise Conflict("The inbox no longer owns this thread")
    last = None if thread.last_user_message_at is None else from_ms(thread.last_user_message_at)
    if not may_reply_as_human_agent(last_user_message_at=last, now=from_ms(now)):
        raise OutsideWindow("The person's last message is more than 7 days old (HUMAN_AGENT)")
    if conversation.agent_id is None:
        do_assign(
            uow, actor=actor, conversation_id=conversation_id, agent_id=actor.agent_id, now=now
        )
    row = do_post_page_message(
        uow,
        page_id=thread.page_id,
        user_id=thread.user_id,
        message={"text": text, "agent": {"name": actor.name}},
        now=now,
    )
    inbox_store.set_first_response(uow.conn, conversation.conversation_id, now)
    inbox_store.update_conversation(uow.conn, conversation.conversation_id, waiting_since=None)
    inbox.emit_inbox(
        uow,
        actor.page_id,
        {
            "type": "message",
            "conversation_id": conversation.conversation_id,
            "message": client_message(row),
        },
    )
    return row


def do_add_note(
    uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, text: str, now: int
) -> None:
    """An internal note: for the business's agents only, never sent to the person."""
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise InvalidParameter(f"A note is 1 to {MAX_NOTE} characters")
    conversation = access_conversation(uow, actor, conversation_id)
    inbox_store.add_note(
        uow.conn,
        conversation_id=conversation.conversation_id,
        agent_id=actor.agent_id,
        text=text,
        now=now,
    )
    inbox.emit_inbox(
        uow,
        actor.page_id,
        {
            "type": "note",
            "conversation_id": conversation.conversation_id,
            "note": {"agent_name": actor.name, "text": text, "created_at": now},
        },
    )


def do_hand_back(uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, now: int) -> None:
    """Back to the bot (the assistant while enabled, else the business's app): the
    conversation ends as ``handed_back``; the business's app gets ``pass_thread_control``."""
    conversation = _open(uow, actor, conversation_id)
    _may_act(actor, conversation)
    thread = _thread_of(uow, conversation)
    question = _unanswered_question(uow, thread, conversation)
    handover.pass_control(
        uow,
        page_id=conversation.page_id,
        user_id=conversation.user_id,
        to_app_id=ownership.default_bot(uow, conversation.page_id),
        metadata=None if question is None else _handed_back_metadata(question),
        now=now,
    )
    _tell_agent_left(uow, thread, conversation, actor, question, now)


HANDED_BACK_PREFIX = "handed_back_by_agent; unanswered: "
QUESTION_SHOWN = 120  # characters of the question the person's notice repeats


def _unanswered_question(
    uow: UnitOfWork, thread: ThreadRow, conversation: ConversationRow
) -> str | None:
    """The person's last text when no one answered it yet (the conversation still waits)."""
    if conversation.waiting_since is None:
        return None
    for row in reversed(thread_store.list_messages(uow.conn, thread.thread_id, limit=20)):
        if row.sender != "user":
            return None
        text = row.body.get("text")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def _handed_back_metadata(question: str) -> str:
    """What the bot receiving the thread reads in ``pass_thread_control.metadata``: the
    person's unanswered question, so it is answered and not lost."""
    room = handover.MAX_METADATA - len(HANDED_BACK_PREFIX)
    return HANDED_BACK_PREFIX + question[:room]


def _tell_agent_left(
    uow: UnitOfWork,
    thread: ThreadRow,
    conversation: ConversationRow,
    actor: AgentActor,
    question: str | None,
    now: int,
) -> None:
    """The person's thread says the agent left (and that their last question went on): a
    page message marked ``notice`` (``{"kind": "agent_left", "agent": {"name"}}``)."""
    locale = _locale(uow, thread.user_id)
    agent_id = conversation.agent_id or actor.agent_id
    agent_row = inbox_store.get_agent(uow.conn, agent_id)
    name = actor.name if agent_row is None else agent_row.name
    business = business_store.get_business(uow.conn, thread.page_id)
    bank = "" if business is None else business.name
    if question is None:
        text = _TEXTS["agent_left"][locale].format(agent=name, bank=bank)
    else:
        shown = question if len(question) <= QUESTION_SHOWN else question[:QUESTION_SHOWN] + "…"
        text = _TEXTS["agent_left_question"][locale].format(agent=name, bank=bank, question=shown)
    notice: dict[str, object] = {"kind": "agent_left", "agent": {"name": name}}
    if question is not None:
        notice["question"] = question[:QUESTION_SHOWN]
    do_post_page_message(
        uow,
        page_id=thread.page_id,
        user_id=thread.user_id,
        message={"text": text, "notice": notice},
        now=now,
    )


def do_close(uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, now: int) -> None:
    """The agent resolved it: the conversation closes, the person is asked how satisfied
    they are (``CUSTOMER_FEEDBACK``: within 7 days of their last message), and the thread
    goes back to the bot."""
    conversation = _open(uow, actor, conversation_id)
    _may_act(actor, conversation)
    thread = _thread_of(uow, conversation)
    inbox_store.update_conversation(
        uow.conn,
        conversation.conversation_id,
        status=inbox_store.CLOSED,
        closed_at=now,
        close_reason="resolved",
        agent_id=conversation.agent_id or actor.agent_id,
    )
    last = None if thread.last_user_message_at is None else from_ms(thread.last_user_message_at)
    if may_send(
        messaging_type=MessagingType.MESSAGE_TAG,
        tag=MessageTag.CUSTOMER_FEEDBACK,
        last_user_message_at=last,
        now=from_ms(now),
    ):
        _ask_satisfaction(uow, thread, conversation.conversation_id, now)
    handover.pass_control(
        uow,
        page_id=conversation.page_id,
        user_id=conversation.user_id,
        to_app_id=ownership.default_bot(uow, conversation.page_id),
        metadata=None,
        now=now,
    )
    inbox.emit_inbox(
        uow,
        actor.page_id,
        {"type": "queue", "conversation_id": conversation.conversation_id, "status": "closed"},
    )
    _announce_agent(uow, conversation, None)


def do_agent_seen(uow: UnitOfWork, *, actor: AgentActor, conversation_id: int, now: int) -> None:
    """The agent read the person's messages: the person sees "Seen"."""
    conversation = access_conversation(uow, actor, conversation_id)
    thread = _thread_of(uow, conversation)
    do_page_mark_seen(uow, page_id=thread.page_id, psid=thread.psid, now=now)


def _ask_satisfaction(uow: UnitOfWork, thread: ThreadRow, conversation_id: int, now: int) -> None:
    """The satisfaction question: a button template (its buttons stay until answered, for
    :data:`SATISFACTION_TTL_MS`); each postback names the conversation, the score and the
    question's own mid, so the answer can show on it (``chat.state``)."""
    locale = _locale(uow, thread.user_id)
    titles = _SCORE_TITLES[locale]
    mid = new_mid()
    do_post_page_message(
        uow,
        page_id=thread.page_id,
        user_id=thread.user_id,
        message={
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": _TEXTS["csat_question"][locale],
                    "buttons": [
                        {
                            "type": "postback",
                            "title": titles[score],
                            "payload": f"{SATISFACTION_PREFIX}{conversation_id}:{score}:{mid}",
                        }
                        for score in ASKED
                    ],
                },
            },
            "state": open_state(now + SATISFACTION_TTL_MS),
        },
        now=now,
        mid=mid,
    )


def answer_satisfaction(
    uow: UnitOfWork, thread: ThreadRow, row: MessageRow, payload: str, now: int
) -> bool:
    """The person's answer to the satisfaction question (a button, or a quick reply of the
    question as it was before): stored once, shown on the question."""
    if not payload.startswith(SATISFACTION_PREFIX):
        return False
    conversation_part, _, rest = payload[len(SATISFACTION_PREFIX) :].partition(":")
    score_part, _, mid = rest.partition(":")
    if not conversation_part.isdigit() or score_part not in {str(s) for s in SCORES}:
        return True  # ours, but malformed: ignore it rather than forward it
    conversation = inbox_store.get_conversation(uow.conn, thread.page_id, int(conversation_part))
    if conversation is None or conversation.thread_id != thread.thread_id:
        return True
    question = thread_store.get_message(uow.conn, thread.thread_id, mid) if mid else None
    if (
        conversation.satisfaction is None
        and question is not None
        and now > question.created_at + SATISFACTION_TTL_MS
    ):
        do_post_page_message(
            uow,
            page_id=thread.page_id,
            user_id=thread.user_id,
            message={"text": _TEXTS["csat_closed"][_locale(uow, thread.user_id)]},
            now=now,
        )
        return True
    if conversation.satisfaction is None:
        locale = _locale(uow, thread.user_id)
        if question is not None:
            set_message_state(
                uow,
                thread,
                question.mid,
                answered_state(
                    _SCORE_TITLES[locale][int(score_part)], _TEXTS["csat_thanks"][locale]
                ),
            )
        inbox_store.update_conversation(
            uow.conn,
            conversation.conversation_id,
            satisfaction=int(score_part),
            satisfaction_at=now,
        )
        do_post_page_message(
            uow,
            page_id=thread.page_id,
            user_id=thread.user_id,
            message={"text": _TEXTS["csat_thanks"][_locale(uow, thread.user_id)]},
            now=now,
        )
        inbox.emit_inbox(
            uow,
            thread.page_id,
            {
                "type": "satisfaction",
                "conversation_id": conversation.conversation_id,
                "score": int(score_part),
            },
        )
    return True


# -- canned replies (supervisors keep them; every agent uses them) -------------------------


def do_add_canned(uow: UnitOfWork, *, actor: AgentActor, title: str, text: str, now: int) -> None:
    if not actor.supervisor:
        raise PermissionDenied("Only supervisors manage canned replies")
    title, text = title.strip(), text.strip()
    if not 1 <= len(title) <= 60 or not 1 <= len(text) <= MAX_REPLY:
        raise InvalidParameter("A canned reply has a title (1–60) and a text (1–2000)")
    inbox_store.add_canned(uow.conn, page_id=actor.page_id, title=title, text=text, now=now)


def do_delete_canned(uow: UnitOfWork, *, actor: AgentActor, reply_id: int, now: int) -> None:
    if not actor.supervisor:
        raise PermissionDenied("Only supervisors manage canned replies")
    if not inbox_store.delete_canned(uow.conn, page_id=actor.page_id, reply_id=reply_id):
        raise NotFound("No such canned reply")
