"""What a page's Messenger Profile shows the person (``/api/v1/threads/{page_id}/profile``)
and its Get Started button (``/get_started``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ledgerline.api.deps import Context, UserId
from ledgerline.api.profile_schemas import GetStartedIn, PersonProfileOut
from ledgerline.api.schemas import ERRORS, MidOut
from ledgerline.chat.page_profile import do_press_get_started, profile_for_person
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import NotFound
from ledgerline.domain.page_profile import for_person
from ledgerline.domain.person_names import split_name
from ledgerline.language.formatter import Formatter
from ledgerline.storage.stores import businesses as business_store, people as people_store

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])


async def _person(ctx: Context, user_id: str, page_id: str) -> people_store.UserRow:
    if await ctx.db.read(business_store.get_business, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")
    person = await ctx.db.read(people_store.get_user, user_id)
    if person is None:  # pragma: no cover - a valid token names a person
        raise NotFound("No such person")
    return person


@router.get(
    "/threads/{page_id}/profile",
    response_model=PersonProfileOut,
    responses=ERRORS,
    summary="The business's greeting, Get Started button, ice breakers and menu, "
    "in the person's language",
)
async def get_page_profile(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    person = await _person(ctx, user_id, page_id)
    profile = await ctx.db.query(profile_for_person, page_id=page_id, user_id=user_id)
    fmt = Formatter.for_person(person.locale, person.timezone)
    shown = for_person(profile, lang=fmt.lang, names=split_name(person.name, person.locale))
    shown["get_started_title"] = fmt._("Get Started")
    return shown


@router.post(
    "/threads/{page_id}/get_started",
    status_code=201,
    response_model=MidOut,
    responses=ERRORS,
    summary="Press the business's Get Started button (the bank gets its postback)",
)
async def press_get_started(
    ctx: Context, user_id: UserId, page_id: str, body: GetStartedIn
) -> dict[str, Any]:
    person = await _person(ctx, user_id, page_id)
    row = await ctx.db.write(
        do_press_get_started,
        user_id=user_id,
        page_id=page_id,
        title=Formatter.for_person(person.locale, person.timezone)._("Get Started"),
        ref=body.ref,
        now=to_ms(ctx.clock.now()),
        inbound=ctx.inbound,
        partition=page_id,
    )
    return {"mid": row.mid}
