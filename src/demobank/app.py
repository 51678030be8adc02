"""The bank's web server (Starlette): linking page, webhook receiver, back office.

``create_app(config)`` builds it; its lifespan starts the stream of simulated activity and,
on shutdown, stops it and lets the events being handled finish.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from demobank.bank import Bank, BankConfig
from demobank.customers import CUSTOMERS, AccountRefused, Customer
from demobank.platform import PlatformError
from demobank.signature import verify
from demobank.texts import TEXTS, pick_locale

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the linking page's URL carries the token
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
KINDS = ("payment", "suspicious", "balance", "receipt", "shipment")
MAX_BODY = 1_000_000

_templates = Environment(
    loader=PackageLoader("demobank", "templates"), autoescape=select_autoescape(["html"])
)


def _render(name: str, locale: str, status: int = 200, **values: Any) -> HTMLResponse:
    t = TEXTS[locale]
    html = _templates.get_template(name).render(
        locale=locale, t=t, bank_name=t["bank_name"], title=t["bank_name"], **values
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def create_app(
    config: BankConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    bank = Bank(config, transport=transport)
    form_key = secrets.token_bytes(32)
    office_csrf = secrets.token_urlsafe(24)

    def form_sig(token: str, redirect_uri: str) -> str:
        message = f"{token}\n{redirect_uri}".encode()
        return hmac.new(form_key, message, hashlib.sha256).hexdigest()

    def redirect_allowed(uri: str) -> bool:
        """Only back to Ledgerline's own callback: never an open redirect."""
        base = urlsplit(config.browser_platform_url)
        target = urlsplit(uri)
        return (
            (target.scheme, target.netloc) == (base.scheme, base.netloc)
            and target.path.startswith("/")
            and "\\" not in uri
        )

    def _with_link(url: str, token: str, redirect_uri: str, locale: str) -> str:
        """A bank page that carries the linking request on (signed)."""
        query = {
            "account_linking_token": token,
            "redirect_uri": redirect_uri,
            "form_sig": form_sig(token, redirect_uri),
            "lang": locale,
        }
        return f"{url}?{urlencode(query)}"

    def locale_of(request: Request, override: str | None = None) -> str:
        return pick_locale(request.headers.get("accept-language"), override)

    # -- account linking ----------------------------------------------------------------------
    async def person_locale(token: str) -> str | None:
        """The language the person uses in the messenger, asked of the platform as a
        Messenger bot would (the token's PSID, then its ``locale``); None if it won't say."""
        try:
            locale = await bank.client.locale_of(await bank.client.recipient_for(token))
        except (PlatformError, httpx.HTTPError):
            return None
        return None if locale is None else locale.split("_")[0].lower()

    async def link_page(request: Request) -> Response:
        params = request.query_params
        token = params.get("account_linking_token", "")
        redirect_uri = params.get("redirect_uri", "")
        if not token or len(token) > 500 or not redirect_allowed(redirect_uri):
            locale = locale_of(request, params.get("lang"))
            return _render("notice.html", locale, 400, message=TEXTS[locale]["bad_request"])
        # The page opens in the language the person uses in the chat (?lang= and then the
        # browser's preference only when the platform does not say); the pages after it carry
        # ?lang= on.
        override = params.get("lang") or await person_locale(token)
        locale = locale_of(request, override)
        return _signin(request, locale, token, redirect_uri)

    def _linking_page(
        template: str,
        request: Request,
        locale: str,
        token: str,
        redirect_uri: str,
        *,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        """A page of the linking flow (sign in, or open an account): its form carries the
        linking request on, signed; each links to the other."""
        route = "link" if template == "link.html" else "open_account"
        return _render(
            template,
            locale,
            status,
            action=str(request.url_for(route)),
            token=token,
            redirect_uri=redirect_uri,
            form_sig=form_sig(token, redirect_uri),
            signin_url=_with_link(str(request.url_for("link")), token, redirect_uri, locale),
            open_url=_with_link(str(request.url_for("open_account")), token, redirect_uri, locale),
            **values,
        )

    def _signin(
        request: Request,
        locale: str,
        token: str,
        redirect_uri: str,
        *,
        error: str | None = None,
        username: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        return _linking_page(
            "link.html",
            request,
            locale,
            token,
            redirect_uri,
            status=status,
            customers=CUSTOMERS,
            error=error,
            username=username,
        )

    def _linking_form(fields: dict[str, str]) -> tuple[str, str] | None:
        """The linking request a form carries (token, redirect URI), if signed by this bank."""
        token = fields.get("account_linking_token", "")
        redirect_uri = fields.get("redirect_uri", "")
        signed = hmac.compare_digest(
            form_sig(token, redirect_uri).encode(), fields.get("form_sig", "").encode()
        )
        if not token or not signed or not redirect_allowed(redirect_uri):
            return None
        return token, redirect_uri

    async def _link_as(found: Customer, token: str, redirect_uri: str, locale: str) -> Response:
        """Back to Ledgerline with a code for ``found`` (its ``linked`` webhook confirms it)."""
        try:
            psid = await bank.client.recipient_for(token)
        except PlatformError:
            return _render("notice.html", locale, 400, message=TEXTS[locale]["expired"])
        code = secrets.token_urlsafe(24)
        bank.state.remember_code(code, psid, found.username)
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(
            f"{redirect_uri}{joiner}authorization_code={code}",
            status_code=303,
            headers=PAGE_HEADERS,
        )

    # -- opening an account (a person new to the bank) -------------------------------------------
    async def open_page(request: Request) -> Response:
        params = request.query_params
        locale = locale_of(request, params.get("lang"))
        linking = _linking_form(dict(params))
        if linking is None:
            return _render("notice.html", locale, 400, message=TEXTS[locale]["bad_request"])
        return _linking_page("open.html", request, locale, *linking)

    async def open_submit(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        locale = locale_of(request, fields.get("lang"))
        linking = _linking_form(fields)
        if linking is None:
            return _render("notice.html", locale, 400, message=TEXTS[locale]["bad_request"])
        name, username = fields.get("name", "")[:200], fields.get("username", "")[:100]
        try:
            opened = bank.open_account(
                name=name,
                username=username,
                password=fields.get("password", ""),
                locale=fields.get("account_locale", locale),
            )
        except AccountRefused as refused:
            return _linking_page(
                "open.html",
                request,
                locale,
                *linking,
                status=400,
                error=TEXTS[locale][refused.reason],
                full_name=name,
                username=username,
            )
        return await _link_as(opened, *linking, locale)

    async def link_submit(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        locale = locale_of(request, fields.get("lang"))
        linking = _linking_form(fields)
        if linking is None:
            return _render("notice.html", locale, 400, message=TEXTS[locale]["bad_request"])
        token, redirect_uri = linking
        if fields.get("decision") == "cancel":
            return RedirectResponse(redirect_uri, status_code=303, headers=PAGE_HEADERS)
        username = fields.get("username", "")
        found = bank.authenticate(username, fields.get("password", ""))
        if found is None:
            return _signin(
                request,
                locale,
                token,
                redirect_uri,
                error=TEXTS[locale]["wrong_credentials"],
                username=username[:100],
                status=401,
            )
        return await _link_as(found, token, redirect_uri, locale)

    # -- webhooks -----------------------------------------------------------------------------
    async def webhook_verify(request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), config.verify_token.encode()
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("verification failed", status_code=403)

    async def webhook_receive(request: Request) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        if not verify(config.app_secret, raw, request.headers.get("x-hub-signature-256")):
            return PlainTextResponse("bad signature", status_code=403)
        try:
            payload = json.loads(raw)
        except ValueError:
            return PlainTextResponse("bad json", status_code=400)
        if not isinstance(payload, dict) or payload.get("object") != "page":
            return PlainTextResponse("not a page event", status_code=400)
        for entry in payload.get("entry") or []:
            if isinstance(entry, dict):
                for event in entry.get("messaging") or []:
                    if isinstance(event, dict):
                        bank.accept(event)
        return PlainTextResponse("EVENT_RECEIVED")

    # -- back office --------------------------------------------------------------------------
    async def back_office(request: Request) -> Response:
        locale = locale_of(request, request.query_params.get("lang"))
        links = []
        for link in bank.state.linked():
            found = bank.customer(link.username)
            if found is not None:
                links.append((link, found, bank.state.is_frozen(found.card_last4)))
        return _render(
            "backoffice.html",
            locale,
            links=links,
            kinds=KINDS,
            csrf=office_csrf,
            action=str(request.url_for("simulate")),
            assistant_action=str(request.url_for("switch_assistant")),
            assistant_on=bank.state.assistant_on,
            activity=list(reversed(bank.state.activity)),
            page_id=config.page_id,
            platform_url=config.platform_url,
            interval=f"{config.interval_seconds:g}" if config.interval_seconds > 0 else None,
        )

    async def simulate(request: Request) -> Response:
        form = await request.form()
        csrf, psid, kind = (str(form.get(k, "")) for k in ("csrf", "psid", "kind"))
        if not hmac.compare_digest(csrf.encode(), office_csrf.encode()):
            return PlainTextResponse("bad csrf token", status_code=403)
        if kind not in KINDS or bank.state.link_of(psid) is None:
            return PlainTextResponse("unknown customer or kind", status_code=400)
        try:
            await bank.share(psid, kind)
        except PlatformError as exc:
            return PlainTextResponse(f"Ledgerline refused: {exc}", status_code=502)
        return RedirectResponse(str(request.url_for("back_office")), status_code=303)

    async def switch_assistant(request: Request) -> Response:
        """Turn Ledgerline's built-in assistant on or off (``POST /me/assistant``)."""
        form = await request.form()
        csrf, enabled = (str(form.get(k, "")) for k in ("csrf", "enabled"))
        if not hmac.compare_digest(csrf.encode(), office_csrf.encode()):
            return PlainTextResponse("bad csrf token", status_code=403)
        if enabled not in ("true", "false"):
            return PlainTextResponse("enabled must be true or false", status_code=400)
        try:
            await bank.client.set_assistant(enabled == "true")
        except PlatformError as exc:
            return PlainTextResponse(f"Ledgerline refused: {exc}", status_code=502)
        bank.state.set_assistant(enabled == "true")
        return RedirectResponse(str(request.url_for("back_office")), status_code=303)

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        import asyncio

        stream = asyncio.create_task(bank.run_stream())
        try:
            yield
        finally:
            await bank.aclose()
            await stream

    app = Starlette(
        routes=[
            Route("/", back_office, name="back_office"),
            Route("/simulate", simulate, methods=["POST"], name="simulate"),
            Route("/assistant", switch_assistant, methods=["POST"], name="switch_assistant"),
            Route("/link", link_page, methods=["GET"], name="link"),
            Route("/link", link_submit, methods=["POST"]),
            Route("/open", open_page, methods=["GET"], name="open_account"),
            Route("/open", open_submit, methods=["POST"]),
            Route("/webhook", webhook_verify, methods=["GET"]),
            Route("/webhook", webhook_receive, methods=["POST"]),
            Route("/healthz", health),
        ],
        lifespan=lifespan,
    )
    app.state.bank = bank
    return app
