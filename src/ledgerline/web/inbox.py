"""The agent inbox (``/inbox``): agents of a business sign in, see the queue of threads the
Page Inbox owns, answer people live, and hand threads back.

The page is a shell (``inbox.html``) driven by ``static/inbox.js`` over a small JSON API
(``/inbox/api/…``) and a WebSocket (``/inbox/stream``). Auth: the HttpOnly ``ll_agent``
cookie; every state-changing call carries the session's CSRF token (``X-CSRF-Token``) and
must come from our origin. Tenant isolation: the business is the agent's own, from the
session, never from the request; another business's conversation id is "not found".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from starlette.responses import JSONResponse, Response

from ledgerline.customer_service.agent_actions import AgentActor
from ledgerline.customer_service.agents import AGENT_SESSION
from ledgerline.customer_service.inbox import InboxService
from ledgerline.domain.errors import InvalidParameter, LedgerlineError, PermissionDenied
from ledgerline.identity.errors import CsrfRejected, TooManyAttempts, WrongCredentials
from ledgerline.identity.sessions import csrf_token
from ledgerline.web.config import web_config
from ledgerline.web.pages import field, public_page
from ledgerline.web.render import redirect, render
from ledgerline.web.security import (
    check_pre_session_form,
    check_session_form,
    clear_cookie,
    client_address,
    same_origin,
    secure_headers,
    set_cookie,
)
from ledgerline.web.texts import pick_locale, translate

router = APIRouter(prefix="/inbox", include_in_schema=False)

AGENT_COOKIE = "ll_agent"
MAX_JSON = 16 * 1024


def _service(request: Request | WebSocket) -> InboxService:
    service = web_config(request).inbox
    if service is None:  # pragma: no cover - bootstrap always wires it
        raise RuntimeError("the inbox is not configured")
    return service


async def _agent(request: Request | WebSocket) -> tuple[str, AgentActor] | None:
    session_id = request.cookies.get(AGENT_COOKIE)
    actor = await _service(request).accounts.resolve(session_id)
    if actor is None or session_id is None:
        return None
    return session_id, actor


def _signin_page(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    locale = pick_locale(request)
    notice = translate(locale, "error_expired") if request.query_params.get("expired") else None
    return public_page(
        request,
        "inbox_signin.html",
        locale,
        status=status,
        error=error,
        notice=notice,
        page_id=request.query_params.get("page", "")[:32],
    )


@router.get("")
async def inbox_page(request: Request) -> Response:
    signed_in = await _agent(request)
    if signed_in is None:
        response = _signin_page(request)
        if request.cookies.get(AGENT_COOKIE):
            clear_cookie(request, response, AGENT_COOKIE)
        return response
    session_id, actor = signed_in
    locale = pick_locale(request)
    return render(
        request,
        "inbox.html",
        locale,
        csrf=csrf_token(web_config(request).secret_key, AGENT_SESSION, session_id),
        agent=actor,
    )


@router.post("/signin")
async def inbox_signin(request: Request) -> Response:
    form = await request.form()
    locale = pick_locale(request)
    try:
        check_pre_session_form(request, field(form, "csrf"))
        session = await _service(request).accounts.sign_in(
            page_id=field(form, "page_id", 32),
            login=field(form, "login", 200),
            password=field(form, "password", 1024),
            source=client_address(request),
        )
    except CsrfRejected:
        return _signin_page(request, status=403, error=translate(locale, "error_csrf"))
    except TooManyAttempts as exc:
        response = _signin_page(
            request,
            status=429,
            error=translate(locale, "error_throttled", seconds=exc.retry_after),
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except WrongCredentials:
        return _signin_page(request, status=401, error=translate(locale, "inbox_bad_login"))
    response = redirect("/inbox")
    set_cookie(request, response, AGENT_COOKIE, session.session_id, session.max_age)
    return response


@router.post("/signout")
async def inbox_signout(request: Request) -> Response:
    form = await request.form()
    signed_in = await _agent(request)
    response = redirect("/inbox")
    if signed_in is not None:
        try:
            check_session_form(request, AGENT_SESSION, signed_in[0], field(form, "csrf"))
        except CsrfRejected:
            return redirect("/inbox")
        await _service(request).accounts.sign_out(signed_in[0])
    clear_cookie(request, response, AGENT_COOKIE)
    return response


# -- the JSON API -------------------------------------------------------------------------


def _error(status: int, code: int, message: str) -> JSONResponse:
    response = JSONResponse(
        {"error": {"message": f"(#{code}) {message}", "code": code}}, status_code=status
    )
    secure_headers(response)
    return response


def _ok(data: Any) -> JSONResponse:
    response = JSONResponse(data)
    secure_headers(response)
    return response


async def _api_agent(request: Request, *, write: bool) -> AgentActor | JSONResponse:
    signed_in = await _agent(request)
    if signed_in is None:
        return _error(401, 190, "Your session has expired. Please sign in again.")
    session_id, actor = signed_in
    if write:
        try:
            check_session_form(
                request, AGENT_SESSION, session_id, request.headers.get("x-csrf-token")
            )
        except CsrfRejected as exc:
            return _error(403, exc.code, exc.message)
    return actor


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_JSON:
        raise InvalidParameter("The request body is too large")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidParameter("Invalid JSON in the request body") from None
    if not isinstance(body, dict):
        raise InvalidParameter("The request body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise InvalidParameter(f"param {key} must be a string")
    return value


async def _run(request: Request, work: Any, *, write: bool) -> Response:
    actor = await _api_agent(request, write=write)
    if isinstance(actor, JSONResponse):
        return actor
    try:
        return _ok(await work(actor))
    except LedgerlineError as exc:
        return _error(exc.http_status, exc.code, exc.message)


@router.get("/api/queue")
async def api_queue(request: Request) -> Response:
    service = _service(request)
    return await _run(request, lambda a: _with("data", service.queue(a)), write=False)


async def _with(key: str, awaitable: Any) -> dict[str, Any]:
    return {key: await awaitable}


@router.get("/api/agents")
async def api_agents(request: Request) -> Response:
    service = _service(request)
    return await _run(request, lambda a: _with("data", service.agents(a)), write=False)


@router.get("/api/conversations/{conversation_id}")
async def api_conversation(request: Request, conversation_id: int) -> Response:
    service = _service(request)
    return await _run(request, lambda a: service.conversation(a, conversation_id), write=False)


@router.post("/api/conversations/{conversation_id}/context")
async def api_context(request: Request, conversation_id: int) -> Response:
    """A POST: each view is an audited access to the person's data (never cached)."""
    service = _service(request)
    return await _run(request, lambda a: service.context(a, conversation_id), write=True)


@router.post("/api/conversations/{conversation_id}/{action}")
async def api_act(request: Request, conversation_id: int, action: str) -> Response:
    service = _service(request)

    async def work(actor: AgentActor) -> dict[str, Any]:
        body = await _json(request)
        if action == "typing":
            await service.typing(actor, conversation_id, bool(body.get("typing")))
        elif action == "assign":
            agent_id = body.get("agent_id") or actor.agent_id
            await service.act(
                "assign", actor, conversation_id=conversation_id, agent_id=str(agent_id)
            )
        elif action in ("reply", "note"):
            row = await service.act(
                action, actor, conversation_id=conversation_id, text=_text(body, "text")
            )
            if action == "reply":
                return {"success": True, "mid": row.mid}
        elif action in ("hand_back", "close", "seen"):
            await service.act(action, actor, conversation_id=conversation_id)
        else:
            raise InvalidParameter(f"Unknown action {action[:40]}")
        return {"success": True}

    return await _run(request, work, write=True)


@router.get("/api/canned")
async def api_canned(request: Request) -> Response:
    service = _service(request)
    return await _run(request, lambda a: _with("data", service.canned(a)), write=False)


@router.post("/api/canned")
async def api_add_canned(request: Request) -> Response:
    service = _service(request)

    async def work(actor: AgentActor) -> dict[str, Any]:
        body = await _json(request)
        await service.act("add_canned", actor, title=_text(body, "title"), text=_text(body, "text"))
        return {"success": True}

    return await _run(request, work, write=True)


@router.post("/api/canned/{reply_id}/delete")
async def api_delete_canned(request: Request, reply_id: int) -> Response:
    service = _service(request)

    async def work(actor: AgentActor) -> dict[str, Any]:
        await service.act("delete_canned", actor, reply_id=reply_id)
        return {"success": True}

    return await _run(request, work, write=True)


@router.get("/api/metrics")
async def api_metrics(request: Request) -> Response:
    service = _service(request)

    async def work(actor: AgentActor) -> dict[str, Any]:
        if not actor.supervisor:
            raise PermissionDenied("Only supervisors see the metrics")
        return await service.metrics(actor)

    return await _run(request, work, write=False)


# -- live updates -------------------------------------------------------------------------


@router.websocket("/stream")
async def inbox_stream(websocket: WebSocket) -> None:
    """Frames for the agent's business: ``queue``, ``message``, ``note``, ``request``,
    ``typing``, ``read``, ``control``, ``satisfaction`` (each with its conversation or
    person). Same-origin only; the agent's session cookie authenticates it."""
    if websocket.headers.get("origin") is not None and not same_origin(websocket):
        await websocket.close(code=4403, reason="cross-origin WebSocket refused")
        return
    signed_in = await _agent(websocket)
    if signed_in is None:
        await websocket.close(code=4401, reason="sign in to the inbox")
        return
    service = _service(websocket)
    subscription = service.subscribe(signed_in[1])
    await websocket.accept()
    receiver = asyncio.create_task(_drain(websocket))
    receiver.add_done_callback(lambda _: subscription.end())
    try:
        while batch := await subscription.next_batch():
            for frame in batch:
                await websocket.send_json(frame)
        if subscription.overflowed and not subscription.ended:
            # too slow: the page reloads its state on reconnect
            await websocket.close(code=4008, reason="too slow; reload")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        service.unsubscribe(subscription)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _drain(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
