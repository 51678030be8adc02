"""The bank itself: reacts to Ledgerline's webhooks and shares its customers' activity.

``Bank.handle_event`` takes one verified webhook event; ``Bank.tick`` shares one round of
simulated activity for every linked customer; ``Bank.run_stream`` ticks at the configured
rate until stopped. Everything goes through :class:`~demobank.platform.PlatformClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from demobank import assistant, bot
from demobank.cards import LOW_BALANCE_SHARE, CardActivity, Payment
from demobank.customers import (
    CUSTOMERS,
    Customer,
    authenticate,
    customer as customer_named,
    open_account,
)
from demobank.platform import PlatformClient, PlatformError
from demobank.state import BankState, Link, SharedTransaction
from demobank.texts import DEFAULT_LOCALE, guess_locale, say

log = logging.getLogger("demobank")

ACCOUNT_UPDATE = {"messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE"}


@dataclass(frozen=True)
class BankConfig:
    """How the bank is set up: its page credentials and where things are.

    ``platform_url`` is where the bank's servers call Ledgerline; ``platform_public_url``
    is where people's browsers reach it (``redirect_uri`` must point there); ``public_url``
    is the bank's own address (its sign-in page is ``public_url + "/link"``).
    ``interval_seconds`` is the pause between two rounds of simulated activity (0: none);
    one card payment in ``suspicious_every`` is suspicious (0: never).
    """

    platform_url: str
    public_url: str
    page_id: str
    page_access_token: str
    app_secret: str
    verify_token: str
    platform_public_url: str | None = None
    interval_seconds: float = 20.0
    suspicious_every: int = 4
    seed: int = 0
    state_path: Path | None = None
    locale: str = DEFAULT_LOCALE
    assistant_on: bool | None = None  # the built-in assistant's switch, when known at start

    @property
    def link_url(self) -> str:
        return self.public_url.rstrip("/") + "/link"

    @property
    def browser_platform_url(self) -> str:
        return (self.platform_public_url or self.platform_url).rstrip("/")


def _now() -> datetime:
    return datetime.now(UTC)


class Bank:
    def __init__(
        self, config: BankConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.client = PlatformClient(
            config.platform_url, config.page_access_token, transport=transport
        )
        self.state = BankState.load(config.state_path)
        if config.assistant_on is not None:
            self.state.assistant_on = config.assistant_on
        self.activity = CardActivity(len(CUSTOMERS), seed=config.seed)
        self._rounds: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._handed_by: dict[str, str] = {}  # PSID -> the app that passed us the thread

    async def aclose(self) -> None:
        """Stop the stream, let the events being handled finish, close the client."""
        self._stop.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=20)
        await self.client.aclose()

    # -- who is who ---------------------------------------------------------------------------
    def customer(self, username: str) -> Customer | None:
        """A demo customer or an account opened on the bank's pages."""
        return customer_named(username) or self.state.opened_customer(username)

    def authenticate(self, username: str, password: str) -> Customer | None:
        return authenticate(username, password, self.state.opened_customer)

    def open_account(self, *, name: str, username: str, password: str, locale: str) -> Customer:
        """A new customer (raises ``AccountRefused`` with the reason)."""
        opened = open_account(
            name=name,
            username=username,
            password=password,
            locale=locale,
            taken=lambda u: self.state.opened_customer(u) is not None,
        )
        self.state.add_customer(opened)
        return opened

    def customer_of(self, psid: str) -> Customer | None:
        link = self.state.link_of(psid)
        return None if link is None else self.customer(link.username)

    def locale_of(self, psid: str) -> str:
        found = self.customer_of(psid)
        if found is not None:
            return found.locale
        return self.state.locales.get(psid, self.config.locale)

    # -- webhook events -----------------------------------------------------------------------
    def accept(self, event: dict[str, Any]) -> None:
        """Handle a verified event in the background, in arrival order per person."""
        psid = str((event.get("sender") or {}).get("id") or "")
        lock = self._locks.setdefault(psid, asyncio.Lock())

        async def run() -> None:
            async with lock:
                try:
                    await self.handle_event(event)
                except (PlatformError, httpx.HTTPError) as exc:
                    log.warning("demo bank: handling %s failed: %s", sorted(event), exc)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_event(self, event: dict[str, Any]) -> None:
        psid = str((event.get("sender") or {}).get("id") or "")
        if not psid:
            return
        if isinstance(event.get("account_linking"), dict):
            await self._on_account_linking(psid, event["account_linking"])
        elif isinstance(event.get("fraud_alert_response"), dict):
            await self._on_verdict(psid, event["fraud_alert_response"])
        elif isinstance(event.get("fraud_report"), dict):  # "Not me" on a payment, unasked
            report = event["fraud_report"]
            await self._on_verdict(psid, {**report, "verdict": "fraud"})
        elif isinstance(event.get("message"), dict) and not event["message"].get("is_echo"):
            message = event["message"]
            payload = (message.get("quick_reply") or {}).get("payload")
            await self._converse(psid, message.get("text"), payload)
        elif isinstance(event.get("pass_thread_control"), dict):
            handover = event["pass_thread_control"]
            if str(handover.get("metadata") or "").startswith(assistant.HANDED_BY_ASSISTANT):
                previous = str(handover.get("previous_owner_app_id") or "")
                self._handed_by[psid] = previous or assistant.ASSISTANT_APP_ID
        elif isinstance(event.get("postback"), dict):
            postback = event["postback"]
            if postback.get("payload") in assistant.REQUESTS:
                await self._on_assistant_request(psid, postback)
            else:
                await self._converse(psid, postback.get("title"), postback.get("payload"))

    async def _converse(self, psid: str, text: str | None, payload: str | None) -> None:
        customer = self.customer_of(psid)
        if customer is None and text:
            self.state.set_locale(psid, guess_locale(text, self.locale_of(psid)))
        locale = self.locale_of(psid)
        reply = bot.answer(
            customer=customer,
            locale=locale,
            text=text,
            payload=payload,
            link_url=self.config.link_url,
            card_frozen=customer is not None and self.state.is_frozen(customer.card_last4),
        )
        for message in reply.messages:
            await self.client.send(psid, message)
        if reply.hand_to_agents:  # Messenger's handover: agents answer in the Page Inbox
            await self.client.pass_thread_control(
                psid, bot.PAGE_INBOX_APP_ID, metadata=f"asked for a person: {(text or '')[:200]}"
            )
        if reply.share_balance and customer is not None:
            if await self.share_balance(psid, customer):
                await self.client.send(psid, {"text": say(locale, "balance_sent")})
            else:
                what = say(locale, "scope_balances")
                await self.client.send(psid, bot.menu(locale, say(locale, "no_scope", what=what)))

    async def _on_assistant_request(self, psid: str, postback: dict[str, Any]) -> None:
        """A request the built-in assistant passed us with the thread: act, answer, and give
        the thread back to the assistant."""
        payload = str(postback["payload"])
        raw = postback.get("details")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        customer = self.customer_of(psid)
        locale = self.locale_of(psid)
        if customer is None:  # not linked: the bank cannot tell whose card it is
            await self.client.send(psid, bot.link_invitation(locale, self.config.link_url))
        else:
            tx = self.state.transaction(str(details.get("transaction_id") or ""))
            done = assistant.handle(
                payload,
                details,
                customer=customer,
                locale=locale,
                frozen=self.state.is_frozen(customer.card_last4),
                case_number=f"DB-{secrets.randbelow(10**6):06d}",
                transaction=tx if tx is not None and tx.psid == psid else None,
            )
            if done.freeze:
                self.state.freeze(done.freeze)
            if done.unfreeze:
                self.state.unfreeze(done.unfreeze)
            if done.note:
                self.state.note(done.note)
            await self.client.send(psid, {"text": done.text})
        target = self._handed_by.pop(psid, assistant.ASSISTANT_APP_ID)
        try:
            await self.client.pass_thread_control(psid, target, metadata=f"done: {payload}")
        except PlatformError as exc:  # e.g. the assistant was switched off meanwhile
            log.warning("demo bank: keeping the thread, the assistant did not take it: %s", exc)

    async def send_owned(self, psid: str, message: dict[str, Any], **how: Any) -> None:
        """Send, and when the built-in assistant owns the thread (``10/2018300``), take it
        for this one message and give it back: the bank's own news (a link, a verdict) still
        reach the person. A thread with the agents is left to them."""
        try:
            await self.client.send(psid, message, **how)
            return
        except PlatformError as exc:
            if (exc.code, exc.subcode) != (10, 2018300):
                raise
        owner = await self.client.thread_owner(psid)
        if owner != assistant.ASSISTANT_APP_ID:
            log.info("demo bank: the thread is with app %s; not sending", owner)
            return
        await self.client.take_thread_control(psid, metadata="demo bank: an update")
        try:
            await self.client.send(psid, message, **how)
        finally:
            await self.client.pass_thread_control(psid, owner, metadata="demo bank: sent")

    async def _on_account_linking(self, psid: str, linking: dict[str, Any]) -> None:
        if linking.get("status") == "unlinked":
            self.state.unlink(psid)
            return
        if linking.get("status") != "linked":
            return
        link = self.state.confirm(str(linking.get("authorization_code") or ""), psid)
        if link is None:
            log.warning("demo bank: a linked event with a code this bank did not issue")
            return
        customer = self.customer(link.username)
        if customer is None:
            return
        welcome = say(
            customer.locale,
            "linked_welcome",
            account=customer.account_id,
            name=customer.name,
            last4=customer.card_last4,
        )
        await self.send_owned(psid, {"text": welcome}, **ACCOUNT_UPDATE)
        await self.share_balance(psid, customer)

    async def _on_verdict(self, psid: str, response: dict[str, Any]) -> None:
        customer = self.customer_of(psid)
        if customer is None:
            return
        tx = self.state.transaction(str(response.get("transaction_id") or ""))
        verdict = response.get("verdict")
        if verdict == "fraud":
            if tx is None:  # not one this bank remembers sharing: freeze the card anyway
                self.state.freeze(customer.card_last4)
                text = say(customer.locale, "verdict_fraud_card", last4=customer.card_last4)
            else:
                self.state.freeze(tx.card_last4)
                text = say(
                    customer.locale, "verdict_fraud", last4=tx.card_last4, merchant=tx.merchant
                )
        elif verdict == "genuine":
            self.state.note(f"{customer.username} confirmed {response.get('transaction_id')}")
            text = say(customer.locale, "verdict_genuine")
        else:
            return
        await self.send_owned(psid, {"text": text}, **ACCOUNT_UPDATE)

    # -- sharing data ---------------------------------------------------------------------------
    async def _share(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST one piece of data; None when the person did not consent to that kind."""
        try:
            return await self.client.share(kind, body, idempotency_key=secrets.token_hex(12))
        except PlatformError as exc:
            if exc.no_consent:
                return None
            raise

    async def share_balance(self, psid: str, customer: Customer) -> bool:
        body = {"psid": psid, **self.activity.balance(customer, now=_now())}
        return await self._share("balances", body) is not None

    async def share_payment(
        self, psid: str, customer: Customer, *, suspicious: bool
    ) -> Payment | None:
        """Share one card payment; a suspicious one the platform did not flag itself gets the
        bank's own fraud alert. None when the person did not share transactions."""
        payment = self.activity.payment(customer, suspicious=suspicious, now=_now())
        answer = await self._share("transactions", {"psid": psid, "transactions": [payment.body]})
        if answer is None:
            return None
        self.state.record_transaction(
            SharedTransaction(
                payment.transaction_id,
                psid,
                customer.card_last4,
                payment.merchant,
                payment.amount,
                suspicious,
            )
        )
        flagged = {a.get("transaction_id") for a in answer.get("alerts") or []}
        if suspicious and payment.transaction_id not in flagged:
            await self._share(
                "fraud_alerts",
                {
                    "psid": psid,
                    "transaction_id": payment.transaction_id,
                    "reason": say(customer.locale, "suspicious_reason"),
                },
            )
        return payment

    async def share_receipt(self, psid: str, customer: Customer) -> bool:
        body = {"psid": psid, **self.activity.receipt(customer, now=_now())}
        return await self._share("receipts", body) is not None

    async def share_shipment(self, psid: str, customer: Customer) -> bool:
        step = self.activity.shipment(customer, now=_now())
        if step is None:
            return False
        return await self._share("shipments", {"psid": psid, **step}) is not None

    async def share(self, psid: str, kind: str) -> bool:
        """One update on demand (the back office): payment, suspicious, balance, receipt,
        shipment. False when the person is not linked or did not consent."""
        customer = self.customer_of(psid)
        if customer is None:
            return False
        actions: dict[str, Callable[[], Awaitable[object]]] = {
            "payment": lambda: self.share_payment(psid, customer, suspicious=False),
            "suspicious": lambda: self.share_payment(psid, customer, suspicious=True),
            "balance": lambda: self.share_balance(psid, customer),
            "receipt": lambda: self.share_receipt(psid, customer),
            "shipment": lambda: self.share_shipment(psid, customer),
        }
        if kind not in actions:
            raise ValueError(f"unknown kind {kind!r}")
        done = bool(await actions[kind]())
        self.state.note(f"{kind} for {customer.username}: {'sent' if done else 'not shared'}")
        return done

    # -- the stream -------------------------------------------------------------------------------
    async def tick(self) -> None:
        """One round for every linked customer: a card payment (every ``suspicious_every``-th
        one suspicious), and now and then a balance, a receipt or a shipment update; when the
        account runs low, the salary comes in."""
        for link in self.state.linked():
            customer = self.customer(link.username)
            if customer is None:
                continue
            await self._round(link, customer)

    async def _round(self, link: Link, customer: Customer) -> None:
        n = self._rounds.get(link.psid, 0) + 1
        self._rounds[link.psid] = n
        every = self.config.suspicious_every
        if self.activity.current(customer) < customer.opening_balance * LOW_BALANCE_SHARE:
            salary = self.activity.salary(customer, now=_now())
            await self._share("transactions", {"psid": link.psid, "transactions": [salary.body]})
        if not self.state.is_frozen(customer.card_last4):
            suspicious = every > 0 and n % every == 0
            await self.share_payment(link.psid, customer, suspicious=suspicious)
        if n % 3 == 0:
            await self.share_balance(link.psid, customer)
        if n % 5 == 1 and n > 1:
            await self.share_receipt(link.psid, customer)
        elif n % 5 in (2, 3, 4):
            await self.share_shipment(link.psid, customer)

    async def run_stream(self) -> None:
        """Tick every ``interval_seconds`` until :meth:`aclose`."""
        interval = self.config.interval_seconds
        if interval <= 0:
            return
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
            if self._stop.is_set():
                return
            try:
                await self.tick()
            except (PlatformError, httpx.HTTPError) as exc:
                log.warning("demo bank: a round of updates failed: %s", exc)
