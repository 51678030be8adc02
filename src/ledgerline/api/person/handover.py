"""The person's side of customer service: typing towards the business's agents, and who
is answering (a person from the agent inbox, or the bank's bot)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.customer_service.conversations import answering
from ledgerline.domain.errors import NotFound
from ledgerline.domain.events import inbox_of
from ledgerline.storage.stores import businesses as business_store, threads as thread_store

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])


class TypingIn(BaseModel):
    typing: bool = Field(description="true while the person is typing, false when they stop")


class SuccessOut(BaseModel):
    success: bool = True


class AgentName(BaseModel):
    name: str


class AnsweringOut(BaseModel):
    human: bool = Field(description="true while a person (an agent of the business) answers")
    agent: AgentName | None = Field(
        default=None, description="The agent's name once one has taken the conversation"
    )


@router.post(
    "/threads/{page_id}/typing",
    response_model=SuccessOut,
    responses=ERRORS,
    summary="Tell the business's agents that the person is typing (or stopped)",
)
async def typing(ctx: Context, user_id: UserId, page_id: str, body: TypingIn) -> dict[str, Any]:
    thread = await ctx.db.read(thread_store.get_thread, page_id, user_id)
    if thread is None:
        raise NotFound("No such thread")
    frame = {"type": "typing", "user_id": user_id, "typing": body.typing}
    ctx.hub.publish(inbox_of(page_id), frame)
    return {"success": True}


@router.get(
    "/threads/{page_id}/agent",
    response_model=AnsweringOut,
    responses=ERRORS,
    summary="Who answers in the thread: a person (agent) or the business's bot",
)
async def agent(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    if await ctx.db.read(business_store.get_business, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")
    result: dict[str, Any] = await ctx.db.query(answering, page_id, user_id)
    return result
