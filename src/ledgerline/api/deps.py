"""Request context and authentication: page tokens (bank API) and user tokens (people)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from ledgerline.api.context import AppContext
from ledgerline.api.limits import enforce
from ledgerline.api.telemetry import annotate_page, annotate_user
from ledgerline.domain.errors import InvalidParameter, InvalidToken
from ledgerline.domain.ids import appsecret_proof, derive_app_secret, token_hash
from ledgerline.storage.stores import businesses as business_store, people as people_store


async def get_context(request: Request) -> AppContext:
    # async on purpose: FastAPI runs a plain ``def`` dependency on the thread pool, a thread
    # hop (and a wait for a free worker under load) on every request.
    ctx: AppContext = request.app.state.ctx
    return ctx


Context = Annotated[AppContext, Depends(get_context)]


def bearer_token(request: Request, params: dict[str, Any] | None = None) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    token = request.query_params.get("access_token")
    if token:
        return token
    if params is not None and isinstance(params.get("access_token"), str):
        return str(params["access_token"])
    return None


@dataclass(frozen=True, slots=True)
class PageAuth:
    page_id: str
    token: str


async def authenticate_page(
    ctx: AppContext, request: Request, params: dict[str, Any] | None = None
) -> PageAuth:
    """The page a page access token belongs to; honours ``appsecret_proof`` when given."""
    token = bearer_token(request, params)
    if not token:
        raise InvalidToken(
            "An active access token must be used to query information about the current user."
        )
    digest = token_hash(token)
    page_id = ctx.page_tokens.get(digest)
    if page_id is None:
        generation = ctx.page_tokens.generation
        page_id = await ctx.db.read(business_store.page_for_token, digest)
        if page_id is None:
            raise InvalidToken("Invalid OAuth access token - Cannot parse access token")
        ctx.page_tokens.put(digest, page_id, generation)
    annotate_page(request.scope, page_id)
    proof = request.query_params.get("appsecret_proof") or (params or {}).get("appsecret_proof")
    if proof:
        business = await ctx.db.read(business_store.get_business, page_id)
        if business is None:  # pragma: no cover - token rows reference businesses
            raise InvalidToken()
        secret = derive_app_secret(ctx.secret_key, business.app_id, business.secret_version)
        if not hmac.compare_digest(str(proof), appsecret_proof(secret, token)):
            raise InvalidParameter("Invalid appsecret_proof provided in the API argument")
    return PageAuth(page_id, token)


async def page_auth(request: Request, ctx: Context) -> PageAuth:
    return await authenticate_page(ctx, request)


Page = Annotated[PageAuth, Depends(page_auth)]


async def authenticate_user(ctx: AppContext, token: str | None) -> str:
    if not token:
        raise InvalidToken("A user access token is required (Authorization: Bearer …)")
    digest = token_hash(token)
    user_id = ctx.user_tokens.get(digest)
    if user_id is None:
        generation = ctx.user_tokens.generation
        user_id = await ctx.db.read(people_store.user_for_token, digest)
        if user_id is None:
            raise InvalidToken("Invalid user access token")
        ctx.user_tokens.put(digest, user_id, generation)
    return user_id


async def user_auth(request: Request, ctx: Context) -> str:
    """A bearer token, else the web app's session cookie (with CSRF checked by the port);
    each call counts against the person's rate limit."""
    token = bearer_token(request)
    user_id = await session_user(request) if token is None else None
    if user_id is None:
        user_id = await authenticate_user(ctx, token)
    annotate_user(request.scope, user_id)
    await enforce(ctx.limits.person, user_id)
    return user_id


UserId = Annotated[str, Depends(user_auth)]


async def session_user(request: HTTPConnection) -> str | None:
    """The person signed in to the web app in this browser (session cookie), if any.

    The port is filled by the web app (``bootstrap`` wires it); it raises ``InvalidToken``
    for an expired session and ``PermissionDenied`` for a missing or forged CSRF token.
    """
    resolver = getattr(request.app.state, "session_resolver", None)
    if resolver is None:
        return None
    user_id: str | None = await resolver(request)
    return user_id
