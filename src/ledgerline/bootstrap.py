"""The composition root: builds every service from settings. Nothing is built at import."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ledgerline.audit import Actor, ActorKind, AuditEvent, AuditLog
from ledgerline.config import Settings
from ledgerline.domain.clock import Clock, SystemClock
from ledgerline.linking.actions import consent_lookup
from ledgerline.linking.hooks import LinkAudit, LinkingHooks, Unlinked
from ledgerline.privacy.service_records import erase_on_unlink_txn
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import fraud as fraud_store, notify as notify_store
from ledgerline.vault import (
    TransitCipher,
    Vault,
    database_refusal_recorder,
    load_or_create_master_key,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ledgerline.assistant.actions import Assistant


class KeyFileError(RuntimeError):
    pass


def _read_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        data = path.read_bytes().strip()
        try:
            key = base64.urlsafe_b64decode(data)
        except ValueError as exc:
            raise KeyFileError(f"{path} is not a base64 key") from exc
        if len(key) < 32:
            raise KeyFileError(f"{path} holds a key shorter than 32 bytes")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.urlsafe_b64encode(key) + b"\n")
    return key


def load_secret_key(settings: Settings) -> bytes:
    """The key app secrets are derived from: ``LEDGERLINE_SECRET_KEY`` (base64 of ≥32 bytes)
    or ``DATA_DIR/secret.key``, created with mode 0600 on first use."""
    if settings.secret_key is not None:
        try:
            key = base64.urlsafe_b64decode(settings.secret_key.get_secret_value())
        except ValueError as exc:
            raise KeyFileError("LEDGERLINE_SECRET_KEY is not base64") from exc
        if len(key) < 32:
            raise KeyFileError("LEDGERLINE_SECRET_KEY must decode to at least 32 bytes")
        return key
    return _read_or_create_key_file(settings.data_dir / "secret.key")


@dataclass
class Platform:
    settings: Settings
    db: Database
    clock: Clock
    secret_key: bytes
    vault: Vault
    audit: AuditLog

    closers: list[Callable[[], None]] = field(default_factory=list)
    assistant: Assistant | None = None  # the built-in assistant, once the app is built

    def close(self) -> None:
        for closer in self.closers:
            closer()
        self.db.close()

    def linking_hooks(self) -> LinkingHooks:
        """Unlinking erases the (person, business) data through the vault, with what was
        derived from it (pending updates, fraud state, the agents' notes: see
        ``privacy.service_records``), and every consent change lands in the audit log, all
        inside the unlink's transaction."""

        def actor_of(event: Unlinked) -> Actor:
            if event.by == "person":
                return Actor.person(event.user_id)
            if event.by == "business":
                return Actor.business(event.page_id)
            return Actor.component("linking")

        def erase(uow: UnitOfWork, event: Unlinked) -> None:
            self.vault.erase(
                uow.conn,
                actor=actor_of(event),
                page_id=event.page_id,
                user_id=event.user_id,
                reason=event.reason,
            )

        def forget_updates(uow: UnitOfWork, event: Unlinked) -> None:
            notify_store.delete_alerts(uow.conn, event.page_id, event.user_id)
            notify_store.delete_deferred_of(uow.conn, event.page_id, event.user_id)
            fraud_store.forget_person(uow.conn, event.page_id, event.user_id)

        def forget_service_notes(uow: UnitOfWork, event: Unlinked) -> None:
            erase_on_unlink_txn(
                uow.conn,
                actor=actor_of(event),
                page_id=event.page_id,
                user_id=event.user_id,
                now=event.at,
            )

        def audit(uow: UnitOfWork, fact: LinkAudit) -> None:
            self.audit.append(
                uow.conn,
                AuditEvent(
                    actor=Actor(ActorKind(fact.actor_kind), fact.actor_id),
                    action=fact.action,
                    page_id=fact.page_id,
                    user_id=fact.user_id,
                    detail=fact.detail,
                ),
            )

        return LinkingHooks(
            on_unlink=[erase, forget_updates, forget_service_notes], on_audit=[audit]
        )


def build_platform(settings: Settings, *, clock: Clock | None = None) -> Platform:
    """Storage, keys and the vault: enough for the CLI's one-shot commands."""
    clock = clock or SystemClock()
    db = Database(settings.resolved_database_url())
    master = None if settings.master_key is None else settings.master_key.get_secret_value()
    audit_log = AuditLog(clock)
    vault = Vault(
        load_or_create_master_key(settings.data_dir, master),
        consent_lookup(clock),
        clock,
        audit=audit_log,
        refusal_recorder=database_refusal_recorder(db),
    )
    return Platform(
        settings=settings,
        db=db,
        clock=clock,
        secret_key=load_secret_key(settings),
        vault=vault,
        audit=audit_log,
    )


def build_app(
    platform: Platform, *, run_dispatcher: bool = True, transport: object | None = None
) -> FastAPI:
    """The whole server: API, live hub, webhook dispatcher, all wired to one database."""
    # Imported here so one-shot CLI commands don't pay for the web stack.
    from ledgerline.api.app import create_app
    from ledgerline.api.context import AppContext
    from ledgerline.api.deps import page_token_cache
    from ledgerline.api.limits import RateLimits
    from ledgerline.broker import broker_from_url
    from ledgerline.chat import agent_actions
    from ledgerline.delivery.fanout import ClusterFanout
    from ledgerline.delivery.live import LiveHub, frames_for
    from ledgerline.delivery.webhooks import WebhookDispatcher
    from ledgerline.domain.events import Event, WebhookQueued
    from ledgerline.domain.ratelimit import Limit, RateLimiter
    from ledgerline.identity.service import Identity
    from ledgerline.ingest.actions import Ingestor
    from ledgerline.ingest.notify import MessageResolver
    from ledgerline.ingest.scoring import FraudEngine
    from ledgerline.privacy.centre import PrivacyCentre
    from ledgerline.service.agents import AgentAccounts
    from ledgerline.service.inbox import InboxService
    from ledgerline.web import WebConfig, install_web

    settings = platform.settings
    linking_hooks = platform.linking_hooks()
    _install_assistant(platform)
    fraud = FraudEngine.load(settings.fraud_model)
    hub = LiveHub()
    dispatcher = WebhookDispatcher(
        db=platform.db,
        clock=platform.clock,
        secret_key=platform.secret_key,
        allow_insecure=settings.allow_insecure_urls,
        timeout=settings.webhook_timeout_seconds,
        concurrency=settings.webhook_concurrency_per_business,
        transport=transport,  # type: ignore[arg-type]
    )

    # Scaled out (a broker URL): frames and wake-ups also reach the other processes.
    fanout = (
        None
        if settings.broker_url is None
        else ClusterFanout(
            broker=broker_from_url(settings.broker_url, namespace=settings.broker_namespace),
            hub=hub,
            on_wake=dispatcher.notify,
            sealer=TransitCipher(platform.vault.master_key),
        )
    )

    def on_commit(events: list[Event]) -> None:
        frames = frames_for(list(events))
        if frames:
            hub.publish_threadsafe(frames)
        if any(isinstance(event, WebhookQueued) for event in events):
            dispatcher.notify_threadsafe()
            if fanout is not None:
                fanout.wake_threadsafe()

    platform.db.subscribe(on_commit)
    agent_actions.install()  # the satisfaction question's answers (a quick reply)
    inbox = InboxService(
        db=platform.db,
        vault=platform.vault,
        clock=platform.clock,
        hub=hub,
        accounts=AgentAccounts(platform.db, platform.clock),
    )
    ctx = AppContext(
        db=platform.db,
        clock=platform.clock,
        secret_key=platform.secret_key,
        hub=hub,
        dispatcher=dispatcher,
        allow_insecure_urls=settings.allow_insecure_urls,
        public_url=settings.resolved_public_url(),
        run_dispatcher=run_dispatcher,
        fanout=fanout,
        limits=RateLimits(
            send=RateLimiter(
                Limit(settings.rate_limit_send_per_second, settings.rate_limit_send_burst),
                platform.clock,
            ),
            ingest=RateLimiter(
                Limit(settings.rate_limit_ingest_per_second, settings.rate_limit_ingest_burst),
                platform.clock,
            ),
            person=RateLimiter(
                Limit(settings.rate_limit_person_per_second, settings.rate_limit_person_burst),
                platform.clock,
            ),
        ),
        extras={
            "linking_hooks": linking_hooks,
            "vault": platform.vault,
            "ingestor": Ingestor(
                db=platform.db, vault=platform.vault, clock=platform.clock, fraud=fraud
            ),
            "message_resolver": MessageResolver(platform.db, platform.vault, platform.clock),
        },
    )
    app = create_app(ctx)
    install_web(
        app,
        WebConfig(
            db=platform.db,
            clock=platform.clock,
            secret_key=platform.secret_key,
            identity=Identity(platform.db, platform.clock),
            public_url=ctx.public_url,
            allow_insecure_urls=settings.allow_insecure_urls,
            webhook_transport=transport,  # type: ignore[arg-type]
            privacy=PrivacyCentre(platform.vault, linking_hooks),
            inbox=inbox,
            fraud=fraud,
            page_tokens_revoked=page_token_cache.clear,
        ),
    )
    return app


def _install_assistant(platform: Platform) -> None:
    """The built-in assistant answers in the threads it owns (``handover``); its handler is
    dropped again when the platform closes (several platforms may share a test process).
    Its classifier trains on the first message it answers (once per process): training in
    a background thread at start-up took the GIL from a server just starting under load."""
    from ledgerline.assistant.actions import Assistant
    from ledgerline.chat import handover

    assistant = Assistant(platform.vault)
    platform.assistant = assistant
    handover.on_assistant_message(assistant.on_message)
    platform.closers.append(lambda: handover.forget_handler(assistant.on_message))
