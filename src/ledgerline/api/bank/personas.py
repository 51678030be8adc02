"""Personas (Messenger's Personas API): ``POST|GET /me/personas`` (also ``/{PAGE_ID}/
personas``, as ampalibe calls it) and ``DELETE /{PERSONA_ID}``; a send names one with
``persona_id``. ``DELETE /{PERSONA_ID}`` matches digits only (Starlette's ``int``
convertor), so it shadows no named path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ledgerline.api.bank.routing import check_version, graph_call, graph_route
from ledgerline.api.deps import Context, authenticate_page
from ledgerline.api.openapi import documented_schemas
from ledgerline.api.persona_schemas import (
    PERSONA,
    PersonaCreated,
    PersonaDeleted,
    PersonaList,
)
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.personas import (
    NEW_PERSONA,
    check_new_persona,
    do_create_persona,
    do_delete_persona,
    list_personas,
    persona_wire,
)
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import PermissionDenied
from ledgerline.domain.fields import json_schemas

router = APIRouter(tags=["Personas"])

Node = Annotated[
    str, Path(pattern=r"^(me|[0-9]{1,32})$", description="`me` or the page id", examples=["me"])
]


def _check_node(node: str, page_id: str) -> None:
    if node not in ("me", page_id):
        raise PermissionDenied("The access token does not belong to this page")


@graph_route(
    router,
    "/{node}/personas",
    ["POST"],
    response_model=PersonaCreated,
    responses=ERRORS,
    summary="Create a persona; messages sent with its id show its name to the person",
    description="`name` (≤ 100) and `profile_picture_url` (http(s)) are both required, as "
    "on Messenger; at most 100 personas a page. Send with `persona_id` beside `recipient` "
    "and `message`: the person sees “Minh · Demo Bank” above the message. The picture "
    "is kept for your listing; the person's app does not load it (no bank URL is ever "
    "loaded by a person's browser).",
    openapi_extra=documented_schemas(
        json_schemas(NEW_PERSONA), {"a persona": {k: v for k, v in PERSONA.items() if k != "id"}}
    ),
)
async def create_persona(
    request: Request, ctx: Context, node: Node, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    _check_node(node, auth.page_id)
    name, url = check_new_persona(params)
    persona = await ctx.db.write(
        do_create_persona,
        page_id=auth.page_id,
        name=name,
        profile_picture_url=url,
        now=to_ms(ctx.clock.now()),
    )
    return {"id": persona.persona_id}


@graph_route(
    router,
    "/{node}/personas",
    ["GET"],
    response_model=PersonaList,
    responses=ERRORS,
    summary="The page's personas",
)
async def read_personas(
    request: Request, ctx: Context, node: Node, version: str | None = None
) -> dict[str, Any]:
    check_version(version)
    auth = await authenticate_page(ctx, request)
    _check_node(node, auth.page_id)
    rows = await ctx.db.query(list_personas, auth.page_id)
    return {"data": [persona_wire(row) for row in rows]}


@graph_route(
    router,
    "/{persona_id:int}",
    ["DELETE"],
    response_model=PersonaDeleted,
    responses=ERRORS,
    summary="Delete a persona (messages already sent keep its name)",
)
async def delete_persona(
    request: Request,
    ctx: Context,
    persona: Annotated[int, Path(alias="persona_id", description="The persona's id")],
    version: str | None = None,
) -> dict[str, Any]:
    _, auth = await graph_call(request, ctx, version)
    await ctx.db.write(do_delete_persona, page_id=auth.page_id, persona_id=str(persona))
    return {"success": True}
