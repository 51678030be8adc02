"""The bank console (``/console``): sign-in with a page access token, credentials, the
webhook URL (with Messenger's handshake), test events and the delivery log.

Tenant isolation: every read and write takes the page id from the console session, never
from the request; a business sees and changes only its own page.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from ledgerline.chat.accounts import do_rotate_app_secret
from ledgerline.delivery.handshake import handshake
from ledgerline.delivery.replay import NOISE_KINDS, ReplaySelection, do_replay_webhooks
from ledgerline.delivery.subscriptions import do_choose_delivered_fields
from ledgerline.delivery.urls import UrlNotAllowed
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.webhook_fields import DELIVERED_FIELDS
from ledgerline.identity.console import do_queue_test_event, do_set_webhook
from ledgerline.identity.errors import CsrfRejected, WrongCredentials
from ledgerline.identity.service import do_console_rotate_page_token
from ledgerline.identity.sessions import BUSINESS, csrf_token, session_hash
from ledgerline.storage.stores import businesses as business_store, webhooks as outbox
from ledgerline.web.config import web_config
from ledgerline.web.console_fraud import fraud_panel, save_fraud_policy
from ledgerline.web.pages import field, public_page
from ledgerline.web.render import redirect, render
from ledgerline.web.security import (
    CONSOLE_COOKIE,
    check_pre_session_form,
    check_session_form,
    clear_cookie,
    set_cookie,
)
from ledgerline.web.texts import pick_locale, translate

router = APIRouter(prefix="/console", include_in_schema=False)

NOTICES = (
    "webhook_saved",
    "test_event_queued",
    "fraud_saved",
    "replay_queued",
    "subscriptions_saved",
)
LOG_LIMIT = 50
STATUSES = ("pending", "delivered", "failed")


async def _session(request: Request) -> tuple[str, str] | None:
    """(session id, page id) of this browser's console session, if live."""
    session_id = request.cookies.get(CONSOLE_COOKIE)
    row = await web_config(request).identity.resolve(BUSINESS, session_id)
    if row is None or session_id is None:
        return None
    return session_id, row.subject_id


async def _dashboard(
    request: Request, session_id: str, page_id: str, *, status: int = 200, **values: Any
) -> Response:
    config = web_config(request)
    locale = pick_locale(request)
    business = await config.db.read(business_store.get_business, page_id)
    if business is None:  # pragma: no cover - sessions reference existing pages
        return redirect("/console")
    asked = request.query_params.get("status")
    log_status = asked if asked in STATUSES else None
    receipts = request.query_params.get("receipts") == "1"
    before_raw = request.query_params.get("before", "")
    before = int(before_raw) if before_raw.isdigit() and len(before_raw) < 19 else None
    deliveries = await config.db.read(
        outbox.list_deliveries,
        page_id=page_id,
        limit=LOG_LIMIT,
        status=log_status,
        before=before,
        exclude_kinds=() if receipts else NOISE_KINDS,
    )
    filters = {
        **({"status": log_status} if log_status else {}),
        **({"receipts": "1"} if receipts else {}),
    }
    older = None
    if len(deliveries) == LOG_LIMIT:
        older = urlencode({**filters, "before": deliveries[-1]["id"]})
    values.setdefault("notice", None)
    values.setdefault("error", None)
    values.setdefault("revealed", None)
    values.setdefault("fraud_error", None)
    fraud = await fraud_panel(
        config.db, config.fraud, page_id, to_ms(config.clock.now()), locale=locale
    )
    return render(
        request,
        "console.html",
        locale,
        status=status,
        business=business,
        deliveries=deliveries,
        log_status=log_status,
        statuses=STATUSES,
        receipts=receipts,
        status_query=urlencode({"status": log_status}) if log_status else "",
        older=older,
        csrf=csrf_token(config.secret_key, BUSINESS, session_id),
        fraud=fraud,
        webhook_fields=DELIVERED_FIELDS,
        **values,
    )


def _signin_page(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    locale = pick_locale(request)
    notice = translate(locale, "error_expired") if request.query_params.get("expired") else None
    return public_page(
        request, "console_signin.html", locale, status=status, error=error, notice=notice
    )


@router.get("")
async def console(request: Request) -> Response:
    session = await _session(request)
    if session is None:
        response = _signin_page(request)
        if request.cookies.get(CONSOLE_COOKIE):
            clear_cookie(request, response, CONSOLE_COOKIE)
        return response
    locale = pick_locale(request)
    done = request.query_params.get("done")
    notice = translate(locale, done) if done in NOTICES else None
    revealed = web_config(request).reveals.pop(session[0], request.query_params.get("reveal"))
    return await _dashboard(
        request,
        *session,
        notice=notice,
        revealed=None
        if revealed is None
        else {"label": translate(locale, revealed[0]), "value": revealed[1]},
    )


@router.post("/signin")
async def console_signin(request: Request) -> Response:
    form = await request.form()
    locale = pick_locale(request)
    try:
        check_pre_session_form(request, field(form, "csrf"))
        session = await web_config(request).identity.console_sign_in(
            page_access_token=field(form, "page_access_token", 500)
        )
    except CsrfRejected:
        return _signin_page(request, status=403, error=translate(locale, "error_csrf"))
    except WrongCredentials:
        return _signin_page(request, status=401, error=translate(locale, "error_bad_token"))
    response = redirect("/console")
    set_cookie(request, response, CONSOLE_COOKIE, session.session_id, session.max_age)
    return response


async def _authorised(request: Request) -> tuple[str, str, Any] | Response:
    """The console session and the posted form, CSRF-checked; or the response to send."""
    form = await request.form()
    session = await _session(request)
    if session is None:
        response = redirect("/console?expired=1")
        clear_cookie(request, response, CONSOLE_COOKIE)
        return response
    try:
        check_session_form(request, BUSINESS, session[0], field(form, "csrf"))
    except CsrfRejected:
        locale = pick_locale(request)
        return await _dashboard(
            request, *session, status=403, error=translate(locale, "error_csrf")
        )
    return session[0], session[1], form


@router.post("/signout")
async def console_signout(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    await web_config(request).identity.sign_out(checked[0])
    response = redirect("/console")
    clear_cookie(request, response, CONSOLE_COOKIE)
    return response


@router.post("/rotate-token")
async def rotate_token(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, _ = checked
    config = web_config(request)
    token = await config.db.write(
        do_console_rotate_page_token,
        page_id=page_id,
        keep_session_hash=session_hash(session_id),
        now=to_ms(config.clock.now()),
    )
    config.page_tokens_revoked()
    return redirect(
        f"/console?reveal={web_config(request).reveals.put(session_id, 'new_token', token)}"
    )


@router.post("/rotate-secret")
async def rotate_secret(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, _ = checked
    config = web_config(request)
    secret = await config.db.write(
        do_rotate_app_secret, secret_key=config.secret_key, page_id=page_id
    )
    return redirect(
        f"/console?reveal={web_config(request).reveals.put(session_id, 'new_secret', secret)}"
    )


@router.post("/webhook")
async def set_webhook(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, form = checked
    config = web_config(request)
    url = field(form, "url").strip()
    verify_token = field(form, "verify_token", 500)
    locale = pick_locale(request)
    try:
        if not verify_token:
            raise UrlNotAllowed("a verify token is required")
        await asyncio.to_thread(
            handshake,
            url,
            verify_token,
            allow_insecure=config.allow_insecure_urls,
            challenge=secrets.token_urlsafe(16),
            transport=config.webhook_transport,
        )
    except UrlNotAllowed as exc:
        return await _dashboard(
            request,
            session_id,
            page_id,
            status=400,
            error=translate(locale, "webhook_failed", reason=str(exc)),
        )
    await config.db.write(do_set_webhook, page_id=page_id, url=url, verify_token=verify_token)
    return redirect("/console?done=webhook_saved#webhook")


async def _done_or_refused(
    request: Request,
    session_id: str,
    page_id: str,
    action: Callable[[], Awaitable[object]],
    *,
    refused: str,
    done: str,
) -> Response:
    """Run a console action: back to the console saying it is ``done`` (an anchor too), or
    the console again with the ``refused`` message when the action refused its input."""
    try:
        await action()
    except InvalidParameter:
        return await _dashboard(
            request,
            session_id,
            page_id,
            status=400,
            error=translate(pick_locale(request), refused),
        )
    return redirect(f"/console?done={done}")


@router.post("/subscriptions")
async def set_subscriptions(request: Request) -> Response:
    """The webhook fields the page receives (Messenger's subscribed_fields)."""
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, form = checked
    chosen = [value for value in form.getlist("field") if isinstance(value, str)]

    async def choose() -> object:
        return await web_config(request).db.write(
            do_choose_delivered_fields, page_id=page_id, chosen=chosen
        )

    return await _done_or_refused(
        request,
        session_id,
        page_id,
        choose,
        refused="subscriptions_refused",
        done="subscriptions_saved#subscriptions",
    )


@router.post("/test-event")
async def test_event(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, _ = checked
    config = web_config(request)

    async def queue() -> object:
        now = to_ms(config.clock.now())
        return await config.db.write(
            do_queue_test_event, page_id=page_id, now=now, partition=page_id
        )

    return await _done_or_refused(
        request,
        session_id,
        page_id,
        queue,
        refused="test_event_needs_webhook",
        done="test_event_queued#deliveries",
    )


@router.post("/replay")
async def replay(request: Request) -> Response:
    """Deliver one event of the log again (the bank's own page only), with its mid."""
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, form = checked
    config = web_config(request)
    raw = field(form, "event_id", 20)

    async def deliver_again() -> object:
        if not raw.isdigit():
            raise InvalidParameter("event_id")
        return await config.db.write(
            do_replay_webhooks,
            page_id=page_id,
            selection=ReplaySelection(event_id=int(raw)),
            now=to_ms(config.clock.now()),
            partition=page_id,
        )

    return await _done_or_refused(
        request,
        session_id,
        page_id,
        deliver_again,
        refused="replay_refused",
        done="replay_queued#deliveries",
    )


@router.post("/fraud")
async def set_fraud_policy(request: Request) -> Response:
    checked = await _authorised(request)
    if isinstance(checked, Response):
        return checked
    session_id, page_id, form = checked
    error = await save_fraud_policy(
        web_config(request), page_id, field(form, "policy", 20), field(form, "value", 40)
    )
    if error is not None:
        return await _dashboard(
            request,
            session_id,
            page_id,
            status=400,
            fraud_error=translate(pick_locale(request), error),
        )
    return redirect("/console?done=fraud_saved#fraud")
