"""Handover (bank side): pass, take and request thread control; who owns a thread; and the
built-in assistant's switch. Any version prefix, page-token auth, Messenger's bodies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.routing import graph_call, graph_route
from ledgerline.api.deps import Context
from ledgerline.api.handover_schemas import SuccessOut, ThreadOwnerOut
from ledgerline.api.openapi import documented_query, documented_schemas
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID
from ledgerline.customer_service.handover import (
    METADATA,
    api_thread_owner,
    do_api_pass_thread_control,
    do_api_request_thread_control,
    do_api_take_thread_control,
    set_assistant_enabled,
)
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, bad_param
from ledgerline.domain.fields import Flag, Obj, PageScopedId, json_schemas
from ledgerline.domain.send_request import RECIPIENT

router = APIRouter(tags=["Handover protocol"])

_EXAMPLE = {"recipient": {"id": "12345678901234567890"}, "metadata": "billing question"}


THREAD_CONTROL = Obj("ThreadControl", {"recipient": RECIPIENT, "metadata": METADATA})
PASS_THREAD_CONTROL = Obj(
    "PassThreadControl",
    {
        "recipient": RECIPIENT,
        "target_app_id": PageScopedId(
            description="The app to receive control: the page's own app id, "
            f"`{PAGE_INBOX_APP_ID}` (the Page Inbox: human agents) or `{ASSISTANT_APP_ID}` "
            "(the built-in assistant)"
        ),
        "metadata": METADATA,
    },
)


async def _control(
    request: Request, ctx: Context, version: str | None, action: Callable[..., None], body: Obj
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    call = body.read(params)
    await ctx.db.write(
        action,
        page_id=auth.page_id,
        psid=call.pop("recipient"),
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
        **call,
    )
    return {"success": True}


@graph_route(
    router,
    "/me/pass_thread_control",
    ["POST"],
    response_model=SuccessOut,
    responses=ERRORS,
    summary="Pass the thread to another app (the Page Inbox or the assistant)",
    description="Only the thread's owner may pass it. `target_app_id` is the page's own app "
    f"id, `{PAGE_INBOX_APP_ID}` (the Page Inbox: human agents) or `{ASSISTANT_APP_ID}` "
    "(the built-in assistant, when enabled). The receiving app gets the person's messages "
    "from then on; the business's app receives them on `standby`.",
    openapi_extra=documented_schemas(
        json_schemas(PASS_THREAD_CONTROL),
        {"to_agents": {**_EXAMPLE, "target_app_id": PAGE_INBOX_APP_ID}},
    ),
)
async def pass_thread_control(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    return await _control(request, ctx, version, do_api_pass_thread_control, PASS_THREAD_CONTROL)


@graph_route(
    router,
    "/me/take_thread_control",
    ["POST"],
    response_model=SuccessOut,
    responses=ERRORS,
    summary="Take the thread back at once (the page's app is the primary receiver)",
    openapi_extra=documented_schemas(json_schemas(THREAD_CONTROL), {"take": _EXAMPLE}),
)
async def take_thread_control(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    return await _control(request, ctx, version, do_api_take_thread_control, THREAD_CONTROL)


@graph_route(
    router,
    "/me/request_thread_control",
    ["POST"],
    response_model=SuccessOut,
    responses=ERRORS,
    summary="Ask the thread's owner to pass it to the page's app",
    description="The Page Inbox shows the request to agents (who may hand the thread back); "
    "the assistant passes it at once.",
    openapi_extra=documented_schemas(json_schemas(THREAD_CONTROL), {"request": _EXAMPLE}),
)
async def request_thread_control(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    return await _control(request, ctx, version, do_api_request_thread_control, THREAD_CONTROL)


@dataclass(frozen=True, slots=True)
class OwnerRecipient:
    """``recipient`` of ``GET /me/thread_owner``: a PSID (``?recipient=PSID``), or
    ``{"id": PSID}`` as a JSON body or a JSON-encoded query value sends it."""

    required: bool = True

    def parse(self, value: Any, param: str) -> str:
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value):
            raise InvalidParameter(f"param {param} (a PSID) is required")
        return str(value)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return PageScopedId(description="The person's PSID").schema(named)


THREAD_OWNER_QUERY = Obj("ThreadOwnerQuery", {"recipient": OwnerRecipient()})


@graph_route(
    router,
    "/me/thread_owner",
    ["GET"],
    response_model=ThreadOwnerOut,
    responses=ERRORS,
    summary="The app that owns a thread (`?recipient=PSID`)",
    openapi_extra=documented_query(THREAD_OWNER_QUERY),
)
async def thread_owner(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    recipient = THREAD_OWNER_QUERY.read(params)["recipient"]
    owner = await ctx.db.query(api_thread_owner, page_id=auth.page_id, psid=recipient)
    return {"data": [{"thread_owner": {"app_id": owner}}]}


@dataclass(frozen=True, slots=True)
class OnOff:
    """The assistant's switch: a boolean, or its text (``"true"``, ``" 0 "``, any case)."""

    required: bool = True

    def parse(self, value: Any, param: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
            return value.strip().lower() in ("true", "1")
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise bad_param(param, "must be true or false")

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        schema = Flag(required=True).schema(named)
        return {**schema, "description": "Turn the built-in assistant on or off for this page"}


ASSISTANT_SWITCH = Obj("AssistantSwitch", {"enabled": OnOff()})


@graph_route(
    router,
    "/me/assistant",
    ["POST"],
    response_model=SuccessOut,
    responses=ERRORS,
    summary="Turn the built-in assistant on or off for the page",
    description="While on, the assistant answers people in the page's threads (within their "
    "consent) until it passes control to the page's app or to an agent; the page's app "
    "receives those threads' events on `standby`. Turning it off gives the threads it owns "
    "back to the page's app.",
    openapi_extra=documented_schemas(json_schemas(ASSISTANT_SWITCH), {"on": {"enabled": True}}),
)
async def assistant(request: Request, ctx: Context, version: str | None = None) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    await ctx.db.write(
        set_assistant_enabled,
        page_id=auth.page_id,
        enabled=ASSISTANT_SWITCH.read(params)["enabled"],
        now=to_ms(ctx.clock.now()),
    )
    return {"success": True}
