"""Request context and authentication: page tokens (bank API) and user tokens (people)."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from ledgerline.api.context import AppContext
from ledgerline.api.limits import enforce
from ledgerline.domain.errors import InvalidParameter, InvalidToken
from ledgerline.domain.ids import appsecret_proof, derive_app_secret, token_hash
from ledgerline.storage.stores import businesses as business_store, people as people_store

TOKEN_CACHE_SECONDS = 5.0  # another process sees a revoked token go within this long


async def get_context(request: Request) -> AppContext:
    # async on purpose: FastAPI runs a plain ``def`` dependency on the thread pool, a thread
    # hop (and a wait for a free worker under load) on every request.
    ctx: AppContext = request.app.state.ctx
    return ctx


Context = Annotated[AppContext, Depends(get_context)]


class _TokenCache:
    """Token hash → owner id, for a few seconds: keeps auth off the database on hot paths.

    ``clear`` is called by whatever revokes tokens in this process (rotation, account
    deletion), so a revoked token is refused here at once. A look-up that was already under
    way when the cache was cleared does not store what it found (``generation``): it may
    have read the token before it was revoked."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, float]] = {}
        self.generation = 0

    def get(self, key: str) -> str | None:
        hit = self._entries.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key: str, value: str, generation: int) -> None:
        """Remember ``value``, looked up when the cache was at ``generation``."""
        if generation != self.generation:
            return
        if len(self._entries) > 100_000:
            self._entries.clear()
        self._entries[key] = (value, time.monotonic() + TOKEN_CACHE_SECONDS)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()


page_token_cache = _TokenCache()
user_token_cache = _TokenCache()


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
    page_id = page_token_cache.get(digest)
    if page_id is None:
        generation = page_token_cache.generation
        page_id = await ctx.db.read(business_store.page_for_token, digest)
        if page_id is None:
            raise InvalidToken("Invalid OAuth access token - Cannot parse access token")
        page_token_cache.put(digest, page_id, generation)
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
    user_id = user_token_cache.get(digest)
    if user_id is None:
        generation = user_token_cache.generation
        user_id = await ctx.db.read(people_store.user_for_token, digest)
        if user_id is None:
            raise InvalidToken("Invalid user access token")
        user_token_cache.put(digest, user_id, generation)
    return user_id


async def user_auth(request: Request, ctx: Context) -> str:
    """A bearer token, else the web app's session cookie (with CSRF checked by the port);
    each call counts against the person's rate limit."""
    token = bearer_token(request)
    user_id = await session_user(request) if token is None else None
    if user_id is None:
        user_id = await authenticate_user(ctx, token)
    enforce(ctx.limits.person, user_id)
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
