"""Pydantic models of the wire formats, used to document (and, for the person-facing API,
to parse) requests and responses. Never imported below ``api``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class GraphErrorDetail(BaseModel):
    message: str = Field(examples=["(#100) No matching user found"])
    type: str = Field(examples=["OAuthException"])
    code: int = Field(examples=[100])
    error_subcode: int | None = Field(default=None, examples=[2018001])
    fbtrace_id: str


class GraphError(BaseModel):
    error: GraphErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": GraphError, "description": "Bad parameter (#100) or invalid token (#190)"},
    403: {"model": GraphError, "description": "Not allowed (#200), e.g. outside consent"},
}


class SendResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"recipient_id": "12345678901234567890", "message_id": "m_AG5Hz2Uq7tuwNEhX"}
            ]
        }
    )
    recipient_id: str
    message_id: str | None = Field(default=None, description="Absent for sender actions")
    attachment_id: str | None = Field(
        default=None,
        description="The re-hosted attachment's id, when the message's media had "
        "`is_reusable: true` (send it again with `attachment_id`)",
    )


SEND_EXAMPLES: dict[str, Any] = {
    "text": {
        "recipient": {"id": "12345678901234567890"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Your card ending 1234 is now active."},
    },
    "quick_replies": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "text": "Was this you?",
            "quick_replies": [
                {"content_type": "text", "title": "Yes, it was me", "payload": "FRAUD_NO"},
                {"content_type": "text", "title": "No", "payload": "FRAUD_YES"},
            ],
        },
    },
    "button_template": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "What do you want to do next?",
                    "buttons": [{"type": "postback", "title": "Balance", "payload": "BAL"}],
                },
            }
        },
    },
    "tagged_update": {
        "recipient": {"id": "12345678901234567890"},
        "messaging_type": "MESSAGE_TAG",
        "tag": "ACCOUNT_UPDATE",
        "message": {"text": "Your new card has been shipped."},
    },
    "sender_action": {"recipient": {"id": "12345678901234567890"}, "sender_action": "typing_on"},
    "image_by_url": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://bank.example/card.png", "is_reusable": True},
            }
        },
    },
    "image_by_attachment_id": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "attachment": {"type": "image", "payload": {"attachment_id": "1857777774821032"}}
        },
    },
    "media_template": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [
                        {
                            "media_type": "image",
                            "attachment_id": "1857777774821032",
                            "buttons": [
                                {"type": "postback", "title": "Freeze card", "payload": "FREEZE"}
                            ],
                        }
                    ],
                },
            }
        },
    },
}


class DeliveryAttempt(BaseModel):
    attempted_at: int
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryErasure(BaseModel):
    at: int
    reason: Literal["retention", "account_deleted"]


class Delivery(BaseModel):
    id: str
    kind: str
    psid: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[DeliveryAttempt]
    next_attempt_at: int | None
    last_status_code: int | None
    created_at: int
    delivered_at: int | None
    event: dict[str, Any] = Field(
        description="The item of messaging[] as sent; {} once its payload was erased"
    )
    erased: DeliveryErasure | None = Field(
        default=None,
        description="When and why the payload was erased: 7 days after the event was queued "
        "(retention), or when the person deleted their account (a pending event is then "
        "withdrawn: failed, never sent). null while it is kept.",
    )
    replay_of: str | None = Field(
        default=None,
        description="For a replay (POST /me/webhook_deliveries/replay): the id of the event it "
        "repeats, whose payload (and mid) it carries. null otherwise.",
    )


class DeliveryLog(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "id": "42",
                            "kind": "message",
                            "psid": "12345678901234567890",
                            "status": "delivered",
                            "attempts": [
                                {
                                    "attempted_at": 1764380998700,
                                    "status_code": 500,
                                    "error": "HTTP 500",
                                    "duration_ms": 12,
                                },
                                {
                                    "attempted_at": 1764380999800,
                                    "status_code": 200,
                                    "error": None,
                                    "duration_ms": 9,
                                },
                            ],
                            "next_attempt_at": None,
                            "last_status_code": 200,
                            "created_at": 1764380998650,
                            "delivered_at": 1764380999800,
                            "event": {
                                "sender": {"id": "12345678901234567890"},
                                "recipient": {"id": "103879971135619"},
                                "timestamp": 1764380998650,
                                "message": {"mid": "m_a", "text": "Số dư?"},
                            },
                            "erased": None,
                        }
                    ]
                }
            ]
        }
    )
    data: list[Delivery]


# -- person-facing --------------------------------------------------------------------------
class BusinessOut(BaseModel):
    page_id: str
    name: str


class BusinessList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"data": [{"page_id": "103879971135619", "name": "Ngân hàng Demo"}]}]
        }
    )
    data: list[BusinessOut]


class MessageOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    mid: str
    seq: int = Field(
        description="The message's number in its thread: 1, 2, 3, … in the order the thread "
        "was written, without gaps (erasure aside). A client keeps the highest number up to "
        "which it holds every message and refills with `after_seq=` when a frame skips one."
    )
    from_: Literal["user", "page"] = Field(alias="from")
    text: str | None = None
    quick_replies: list[dict[str, Any]] | None = None
    attachment: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] | None = Field(
        default=None, description="Photos and files the person sent: `[{type, payload: {url}}]`"
    )
    state: dict[str, Any] | None = Field(
        default=None,
        description="What became of a question the platform asked in this message (a fraud "
        'alert, "Not me" on a payment, the satisfaction question): status open | answered '
        "| expired (open past expires_time), the answer and what follows (note).",
    )
    update: dict[str, Any] | None = Field(
        default=None,
        description="An update's structure beside its words, formatted for the person: "
        "`kind` `payment` | `credit` (`amount`, `merchant`?, `card`?, `time`, `pending`?), "
        "`balance` (`account`, `available`, `current`, `time`), `low_balance` (`account`, "
        "`available`, `threshold`, `time`), `shipment` (`order`, `carrier`, `status`, "
        "`status_text`, `eta`?). `text` stays the whole sentence (docs/updates.md).",
    )
    notice: dict[str, Any] | None = Field(
        default=None,
        description="The platform's own word about the thread, not the business's: `kind` "
        "`agent_left` (`agent: {name}`, `question`? — the person's unanswered question, "
        "passed on to the bank) when an agent hands the thread back; `erased` (`reason` "
        "`unlinked` | `retention`) for an update whose data was erased (a client may fold a run "
        "of them into one line, as the web app does). `text` says it in the person's "
        "language; a client shows it as a line in the thread, not a bubble.",
    )
    created_time: str


class ThreadOut(BaseModel):
    page_id: str
    page_name: str
    last_message: MessageOut | None
    unread: int
    open_alerts: int = Field(
        default=0, description="Fraud alerts of this thread waiting for the person's answer"
    )


class AlertOut(BaseModel):
    alert_id: str
    mid: str
    expires_time: str
    message: MessageOut


class AlertList(BaseModel):
    """A thread's fraud alerts waiting for an answer, newest first (the app pins them)."""

    data: list[AlertOut]


class ThreadList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "page_id": "103879971135619",
                            "page_name": "Ngân hàng Demo",
                            "unread": 1,
                            "last_message": {
                                "mid": "m_x",
                                "from": "page",
                                "text": "Số dư: 1.250.000 ₫",
                                "created_time": "2026-11-29T01:49:58.627+00:00",
                            },
                        }
                    ]
                }
            ]
        }
    )
    data: list[ThreadOut]


class MessageList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "mid": "m_a",
                            "seq": 41,
                            "from": "user",
                            "text": "Số dư?",
                            "created_time": "2026-11-29T01:49:58.530+00:00",
                        },
                        {
                            "mid": "m_b",
                            "seq": 42,
                            "from": "page",
                            "text": "1.250.000 ₫",
                            "quick_replies": [
                                {"content_type": "text", "title": "Chi tiết", "payload": "DETAILS"}
                            ],
                            "created_time": "2026-11-29T01:49:58.627+00:00",
                        },
                    ]
                }
            ]
        }
    )
    data: list[MessageOut]


class PayloadIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    payload: str = Field(min_length=1, max_length=1000)


class UserMessageIn(BaseModel):
    """Exactly one of `text`, `quick_reply` or `postback`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Số dư của tôi?"},
                {"quick_reply": {"title": "Có", "payload": "YES"}},
                {"postback": {"title": "Số dư", "payload": "BALANCE"}},
            ]
        },
    )
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    quick_reply: PayloadIn | None = None
    postback: PayloadIn | None = None


class MidOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"mid": "m_xkCo3GbtO-L9dWkYULNZ81Pc1vzkt0p6"}]}
    )
    mid: str


class ReadOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"success": True, "watermark": 1764380998627}]}
    )
    success: bool
    watermark: int | None


class BlockOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True, "blocked": True}]})
    success: bool
    blocked: bool = Field(description="Whether the business is blocked now")


class BlockedBusiness(BaseModel):
    page_id: str
    name: str
    blocked_at: int = Field(description="Epoch milliseconds", examples=[1764380998627])


class BlockList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "page_id": "104729385012",
                            "name": "Ngân hàng Demo",
                            "blocked_at": 1764380998627,
                        }
                    ]
                }
            ]
        }
    )
    data: list[BlockedBusiness]


class WebhookSettingsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"success": True, "batching": True, "max_events": 20}]}
    )
    success: bool = True
    batching: bool
    max_events: int


class ReplayedEvent(BaseModel):
    id: str = Field(description="The new entry in the delivery log")
    replay_of: str = Field(description="The event it repeats")


class ReplayOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"success": True, "replayed": 1, "data": [{"id": "57", "replay_of": "42"}]}
            ]
        }
    )
    success: bool
    replayed: int
    data: list[ReplayedEvent]
