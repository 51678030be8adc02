"""The composition root: builds every service from settings. Nothing is built at import.

Three builders, each on top of the one before:

- :func:`build_services` — storage, keys, the audit log and the vault: what the CLI's one-shot
  commands need (:class:`Services`).
- :func:`build_runtime` — the long-running parts of a process: the live hub, the broker
  fan-out when scaled out, and the background workers (:class:`Runtime`). ``ledgerline work``
  runs only this.
- :func:`build_app` — the ASGI app: the bank and person APIs and the web app, wired to a
  runtime its lifespan starts and stops.

Every hook and handler table is made here and handed down as data: the linking hooks
(erasure and audit on unlink), the inbound routing of a person's messages (the assistant,
the agent inbox, the platform's own quick replies), the audit log's step before each batch
commits. No module registers anything at import.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ledgerline.audit import (
    Actor,
    ActorKind,
    AnchorFile,
    AuditEvent,
    AuditLog,
    before_commit_steps,
)
from ledgerline.config import Settings
from ledgerline.domain.clock import Clock, SystemClock
from ledgerline.linking.actions import consent_lookup
from ledgerline.linking.hooks import LinkAudit, LinkingHooks, Unlinked
from ledgerline.logging import AccessLog
from ledgerline.privacy.service_records import erase_on_unlink_txn
from ledgerline.storage.blobs import FileBlobStore
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import fraud as fraud_store, updates as updates_store
from ledgerline.telemetry.metrics import Metrics
from ledgerline.vault import (
    MasterKey,
    TransitCipher,
    Vault,
    database_refusal_recorder,
    load_or_create_master_key,
)
from ledgerline.vault.keyring import FixedKeys, KeyFileKeys, MasterKeys

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI

    from ledgerline.api.operations import Readiness
    from ledgerline.chat.routing import Inbound
    from ledgerline.delivery.fanout import ClusterFanout
    from ledgerline.delivery.live import LiveHub
    from ledgerline.delivery.webpush import PushSender
    from ledgerline.telemetry.metrics import Metrics
    from ledgerline.workers.outbox import OutboxDispatcher
    from ledgerline.workers.receipts import DeliveryReceipts
    from ledgerline.workers.runner import WorkerRunner


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


def _load_key(value: SecretStr | None, variable: str, path: Path, *, create: bool = True) -> bytes:
    """A key from the environment (base64 of >= 32 bytes) or ``path``, created with mode
    0600 on first use when ``create``."""
    if value is not None:
        try:
            key = base64.urlsafe_b64decode(value.get_secret_value())
        except ValueError as exc:
            raise KeyFileError(f"{variable} is not base64") from exc
        if len(key) < 32:
            raise KeyFileError(f"{variable} must decode to at least 32 bytes")
        return key
    if not create and not path.exists():
        raise KeyFileError(f"no key: neither {variable} nor {path} exists")
    return _read_or_create_key_file(path)


def load_secret_key(settings: Settings) -> bytes:
    """The key app secrets are derived from: ``LEDGERLINE_SECRET_KEY`` (base64 of ≥32 bytes)
    or ``DATA_DIR/secret.key``, created with mode 0600 on first use."""
    return _load_key(settings.secret_key, "LEDGERLINE_SECRET_KEY", settings.data_dir / "secret.key")


def load_audit_key(settings: Settings, *, create: bool = True) -> bytes:
    """The audit chain's HMAC key: ``LEDGERLINE_AUDIT_KEY`` or the key file
    (``LEDGERLINE_AUDIT_KEY_FILE``, default ``DATA_DIR/audit.key``, created on first use).

    A key of its own, not derived from the master key: it never rotates with the master
    key (old entries must verify for ever), and an auditor can verify the log with it
    without being able to decrypt anyone's data."""
    return _load_key(
        settings.audit_key,
        "LEDGERLINE_AUDIT_KEY",
        settings.resolved_audit_key_file(),
        create=create,
    )


def audit_anchors(settings: Settings, key: bytes) -> AnchorFile:
    """The file the chain's head is anchored in, outside the database."""
    return AnchorFile(settings.resolved_audit_anchor_file(), key)


# -- services ---------------------------------------------------------------------------------


@dataclass
class Services:
    """What every process builds once: storage, keys, the audit log, the vault, and the
    hooks linking calls out to."""

    settings: Settings
    db: Database
    clock: Clock
    secret_key: bytes
    vault: Vault
    audit: AuditLog
    audit_anchors: AnchorFile
    linking_hooks: LinkingHooks
    tracer_provider: Any = None  # the OpenTelemetry SDK's, when traces are exported

    def close(self) -> None:
        self.db.close()
        if self.tracer_provider is not None:
            from ledgerline.telemetry import tracing

            tracing.install(None)
            self.tracer_provider.shutdown()  # sends what is buffered


def start_tracing(settings: Settings) -> Any:
    """Export traces over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` is set;
    the provider (to shut down), or None (tracing stays off and costs nothing)."""
    if not settings.otel_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from ledgerline.telemetry import tracing

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracing.install(provider)
    return provider


def linking_hooks(vault: Vault, audit: AuditLog) -> LinkingHooks:
    """Unlinking erases the (person, business) data through the vault, with what was derived
    from it (pending updates, fraud state, the agents' notes: see
    ``privacy.service_records``), and every consent change lands in the audit log, all
    inside the unlink's transaction."""

    def actor_of(event: Unlinked) -> Actor:
        if event.by == "person":
            return Actor.person(event.user_id)
        if event.by == "business":
            return Actor.business(event.page_id)
        return Actor.component("linking")

    def erase(uow: UnitOfWork, event: Unlinked) -> None:
        access = vault.access(uow, page_id=event.page_id, user_id=event.user_id)
        access.erase(actor=actor_of(event), reason=event.reason)

    def forget_updates(uow: UnitOfWork, event: Unlinked) -> None:
        updates_store.delete_alerts(uow.conn, event.page_id, event.user_id)
        updates_store.delete_deferred_of(uow.conn, event.page_id, event.user_id)
        fraud_store.forget_person(uow.conn, event.page_id, event.user_id)

    def forget_service_notes(uow: UnitOfWork, event: Unlinked) -> None:
        erase_on_unlink_txn(
            uow,
            actor=actor_of(event),
            page_id=event.page_id,
            user_id=event.user_id,
            now=event.at,
        )

    def record(uow: UnitOfWork, fact: LinkAudit) -> None:
        audit.append(
            uow.conn,
            AuditEvent(
                actor=Actor(ActorKind(fact.actor_kind), fact.actor_id),
                action=fact.action,
                page_id=fact.page_id,
                user_id=fact.user_id,
                detail=fact.detail,
            ),
        )

    def held(uow: UnitOfWork, page_id: str, user_id: str) -> dict[str, int]:
        return vault.held_kinds(uow, page_id=page_id, user_id=user_id)

    return LinkingHooks(
        on_unlink=[erase, forget_updates, forget_service_notes], on_audit=[record], held=held
    )


def master_keys(settings: Settings, loaded: MasterKey) -> MasterKeys:
    """The keys the vault wraps and unwraps with, following a rotation while it serves:
    the key files, or the environment's key and, during a rotation, the new one."""
    if settings.master_key is None or not settings.master_key.get_secret_value().strip():
        return KeyFileKeys(settings.resolved_master_key_file(), loaded)
    new = settings.new_master_key
    text = None if new is None else new.get_secret_value().strip()
    return FixedKeys(loaded, MasterKey.from_text(text) if text else None)


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Storage, keys and the vault: enough for the CLI's one-shot commands."""
    clock = clock or SystemClock()
    audit_key = load_audit_key(settings)
    db = Database(
        settings.resolved_database_url(),
        before_commit=before_commit_steps(audit_key),
        busy_timeout_ms=int(settings.database_busy_timeout_seconds * 1000),
    )
    master = None if settings.master_key is None else settings.master_key.get_secret_value()
    audit_log = AuditLog(clock)
    master_key = load_or_create_master_key(settings.resolved_master_key_file(), master)
    vault = Vault(
        master_key,
        consent_lookup(clock),
        clock,
        audit=audit_log,
        refusal_recorder=database_refusal_recorder(db),
        keys=master_keys(settings, master_key),
    )
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        secret_key=load_secret_key(settings),
        vault=vault,
        audit=audit_log,
        audit_anchors=audit_anchors(settings, audit_key),
        linking_hooks=linking_hooks(vault, audit_log),
        tracer_provider=start_tracing(settings),
    )


# -- runtime ----------------------------------------------------------------------------------


def attachment_blobs(settings: Settings) -> FileBlobStore:
    """Where attachments' bytes live: the data dir (``storage.blobs``)."""
    return FileBlobStore(settings.data_dir / "attachments")


@dataclass(frozen=True)
class WorkerIntervals:
    """Seconds between passes of the periodic workers."""

    consent: float = 60.0
    retention: float = 3600.0
    blob_sweep: float = 3600.0
    updates: float = 30.0
    audit_anchor: float = 60.0


@dataclass
class Runtime:
    """The long-running parts of one process. ``start``/``stop`` run on its event loop."""

    hub: LiveHub
    dispatcher: OutboxDispatcher
    runner: WorkerRunner
    receipts: DeliveryReceipts
    metrics: Metrics
    push: PushSender
    fanout: ClusterFanout | None = None
    _started: bool = field(default=False, init=False)

    async def start(self) -> None:
        self.hub.bind(asyncio.get_running_loop())
        if self.fanout is not None:
            await self.fanout.start()
        await self.runner.start()
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        await self.runner.stop()
        if self.fanout is not None:
            await self.fanout.close()


def build_runtime(
    services: Services,
    *,
    workers: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    intervals: WorkerIntervals | None = None,
) -> Runtime:
    """The hub, the broker fan-out (when ``LEDGERLINE_BROKER_URL`` is set) and the workers:
    delivery receipts always (they belong to this process's streams), the outbox
    dispatcher, consent expiry, retention and held-back updates unless ``workers`` is False
    (another process, ``ledgerline work``, runs them)."""
    from ledgerline.broker import broker_from_url
    from ledgerline.delivery.fanout import ClusterFanout
    from ledgerline.delivery.live import LiveHub, frames_for
    from ledgerline.delivery.webpush import PushSender
    from ledgerline.domain.events import Event, WebhookQueued
    from ledgerline.telemetry.metrics import Metrics
    from ledgerline.vault.vapid import VapidKeys
    from ledgerline.workers.audit_anchor import AuditAnchorWorker
    from ledgerline.workers.blob_sweep import BlobSweepWorker
    from ledgerline.workers.consent import ConsentWorker
    from ledgerline.workers.outbox import OutboxDispatcher
    from ledgerline.workers.receipts import DeliveryReceipts
    from ledgerline.workers.retention import RetentionWorker
    from ledgerline.workers.runner import Worker, WorkerRunner
    from ledgerline.workers.updates import UpdatesWorker

    settings = services.settings
    every = intervals or WorkerIntervals()
    hub = LiveHub()
    metrics = Metrics()
    dispatcher = OutboxDispatcher(
        db=services.db,
        clock=services.clock,
        secret_key=services.secret_key,
        allow_insecure=settings.allow_insecure_urls,
        timeout=settings.webhook_timeout_seconds,
        concurrency=settings.webhook_concurrency_per_business,
        transport=transport,
        metrics=metrics,
    )
    # Scaled out (a broker URL): frames and wake-ups also reach the other processes.
    fanout = (
        None
        if settings.broker_url is None
        else ClusterFanout(
            broker=broker_from_url(settings.broker_url, namespace=settings.broker_namespace),
            hub=hub,
            on_wake=dispatcher.notify,
            sealer=TransitCipher(services.vault.master_key),
        )
    )

    # Web Push to people's browsers, for the messages this process commits.
    push = PushSender(
        db=services.db,
        crypto=VapidKeys(services.vault.master_key, settings.resolved_push_contact()),
        clock=services.clock,
        allow_insecure=settings.allow_insecure_urls,
        transport=transport,
    )

    def on_commit(events: list[Event]) -> None:
        frames = frames_for(list(events))
        if frames:
            hub.publish_threadsafe(frames)
        push.offer_threadsafe(events)
        pages = tuple({event.page_id for event in events if isinstance(event, WebhookQueued)})
        if pages:
            dispatcher.notify_threadsafe(pages)
            if fanout is not None:
                fanout.wake_threadsafe()

    services.db.subscribe(on_commit)
    services.db.subscribe(metrics.on_events)
    services.db.observe_batches(metrics.on_batch)
    snapshot = metrics.snapshot
    snapshot.live_connections = hub.connection_count
    snapshot.writer_queue = services.db.queued_writes
    snapshot.pool = services.db.pool_status
    if fanout is not None:
        snapshot.broker_queue = fanout.backlog
        snapshot.broker_dropped = lambda: fanout.dropped
    receipts = DeliveryReceipts(services.db, services.clock)
    db, vault, clock = services.db, services.vault, services.clock
    background: list[tuple[str, Worker]] = []
    if workers:
        background = [
            # First, so it stops last: the final head is anchored on the way out.
            (
                "audit_anchor",
                AuditAnchorWorker(
                    db=db,
                    anchors=services.audit_anchors,
                    clock=clock,
                    interval=every.audit_anchor,
                ),
            ),
            ("outbox", dispatcher),
            (
                "consent",
                ConsentWorker(
                    db=db, clock=clock, hooks=services.linking_hooks, interval=every.consent
                ),
            ),
            (
                "retention",
                RetentionWorker(db=db, vault=vault, clock=clock, interval=every.retention),
            ),
            ("updates", UpdatesWorker(db=db, vault=vault, clock=clock, interval=every.updates)),
            (
                "blob_sweep",
                BlobSweepWorker(
                    db=db,
                    blobs=attachment_blobs(services.settings),
                    clock=clock,
                    interval=every.blob_sweep,
                ),
            ),
        ]
    # Receipts stop first: what they write on the way out queues webhooks.
    background.append(("receipts", receipts))
    background.append(("push", push))  # every process: it sends what this one commits
    return Runtime(
        hub=hub,
        dispatcher=dispatcher,
        runner=WorkerRunner(background),
        receipts=receipts,
        metrics=metrics,
        push=push,
        fanout=fanout,
    )


# -- the app ----------------------------------------------------------------------------------


def inbound_routing(services: Services) -> Inbound:
    """Who hears a person's message besides the business's app: the assistant or the agent
    inbox in the threads they own, and the platform's own questions: a fraud alert's
    buttons and typed answers, "Not me" on a payment, the satisfaction question (and the
    quick replies those were before they became buttons)."""
    from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID
    from ledgerline.chat.routing import Inbound
    from ledgerline.customer_service.agent_actions import SATISFACTION_PREFIX, answer_satisfaction
    from ledgerline.customer_service.assistant.actions import Assistant
    from ledgerline.customer_service.conversations import person_wrote
    from ledgerline.fraud.online.alerts import FRAUD_PAYLOAD_PREFIX, AlertAnswers
    from ledgerline.fraud.online.reports import NotMeReports
    from ledgerline.updates.texts import NOT_ME_PREFIX

    assistant = Assistant(services.vault)
    alerts = AlertAnswers(services.vault)
    return Inbound(
        postbacks={
            FRAUD_PAYLOAD_PREFIX: alerts.on_payload,
            NOT_ME_PREFIX: NotMeReports(services.vault).on_payload,
            SATISFACTION_PREFIX: answer_satisfaction,
        },
        quick_replies={
            FRAUD_PAYLOAD_PREFIX: alerts.on_payload,
            SATISFACTION_PREFIX: answer_satisfaction,
        },
        typed=(alerts.on_typed,),
        answerers={ASSISTANT_APP_ID: assistant.on_message, PAGE_INBOX_APP_ID: person_wrote},
    )


def readiness(services: Services, runtime: Runtime) -> Readiness:
    """``/readyz``'s checks: the database as a new connection finds it (reachable, at the
    newest migration, writable), the broker when scaled out, this process's workers."""
    from ledgerline.api.operations import Check, Readiness
    from ledgerline.storage.health import DatabaseProbe

    probe = DatabaseProbe(services.settings.resolved_database_url())

    async def database() -> str | None:
        health = await asyncio.to_thread(probe.check)
        if not health.reachable:
            return f"unreachable: {health.error}"
        if not health.at_head:
            return f"schema at {health.revision}, newest migration is {health.head}"
        if not health.writable:
            return f"not writable: {health.error}"
        return None

    async def workers() -> str | None:
        return None if runtime.runner.running() else "not running (not started, or one stopped)"

    checks: list[tuple[str, Check]] = [("database", database), ("workers", workers)]
    fanout = runtime.fanout
    if fanout is not None:

        async def broker() -> str | None:
            await fanout.ping()
            return None

        checks.append(("broker", broker))
    return Readiness(checks)


def build_app(
    services: Services,
    *,
    run_workers: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    sync_transport: httpx.BaseTransport | None = None,
    intervals: WorkerIntervals | None = None,
) -> FastAPI:
    """The whole server: API, web app and the runtime (hub, workers), on one database.

    ``transport`` and ``sync_transport`` replace the network for the platform's outgoing
    requests to the URLs businesses give (webhooks and Web Push; the console's subscription
    handshake): tests route them to apps in process. None (always, outside tests) is the
    network through ``delivery.egress``'s SSRF guard."""
    # Imported here so one-shot CLI commands don't pay for the web stack.
    from ledgerline.api.app import create_app
    from ledgerline.api.context import AppContext, MetricsAccess
    from ledgerline.api.limits import Limiter, ProcessLimiter, RateLimits
    from ledgerline.chat.attachments import Attachments
    from ledgerline.chat.private import MessageResolver
    from ledgerline.customer_service.agents import AgentAccounts
    from ledgerline.customer_service.inbox import InboxService
    from ledgerline.delivery.egress import guarded_async_transport
    from ledgerline.domain.ratelimit import Limit, RateLimiter
    from ledgerline.fraud.online.scoring import FraudEngine
    from ledgerline.identity.service import Identity
    from ledgerline.identity.throttle import SignInThrottle
    from ledgerline.ingest.actions import Ingestor
    from ledgerline.privacy.centre import PrivacyCentre
    from ledgerline.web import WebConfig, install_web

    settings, db, clock, vault = services.settings, services.db, services.clock, services.vault
    runtime = build_runtime(services, workers=run_workers, transport=transport, intervals=intervals)
    fraud = FraudEngine.load(settings.fraud_model)
    if fraud is not None:
        fraud.on_scored = runtime.metrics.fraud_scoring.observe
    privacy = PrivacyCentre(vault, services.linking_hooks)

    from ledgerline.broker import nats_url, redis_url

    shared_redis, shared_nats = redis_url(settings.broker_url), nats_url(settings.broker_url)

    def limiter(name: str, rate: float, burst: int) -> Limiter:
        """Shared by every process through the broker when it is Redis or NATS (the limits
        hold in total), else this process's own buckets."""
        buckets = RateLimiter(Limit(rate, burst), clock)
        if not buckets.limit.enabled:
            return ProcessLimiter(buckets)
        namespace = settings.broker_namespace
        if shared_redis is not None:
            from ledgerline.broker.redis_limits import RedisRateLimiter

            return RedisRateLimiter(shared_redis, name=name, namespace=namespace, fallback=buckets)
        if shared_nats is not None:
            from ledgerline.broker.nats_limits import NatsRateLimiter

            return NatsRateLimiter(
                shared_nats, name=name, namespace=namespace, fallback=buckets, clock=clock
            )
        return ProcessLimiter(buckets)

    ctx = AppContext(
        db=db,
        clock=clock,
        secret_key=services.secret_key,
        hub=runtime.hub,
        allow_insecure_urls=settings.allow_insecure_urls,
        public_url=settings.resolved_public_url(),
        production=settings.env == "production",
        lifecycle=runtime,
        receipts=runtime.receipts,
        linking_hooks=services.linking_hooks,
        inbound=inbound_routing(services),
        push=runtime.push,
        ingestor=Ingestor(db=db, vault=vault, clock=clock, fraud=fraud),
        messages=MessageResolver(db, vault),
        privacy=privacy,
        limits=RateLimits(
            send=limiter(
                "send", settings.rate_limit_send_per_second, settings.rate_limit_send_burst
            ),
            ingest=limiter(
                "ingest", settings.rate_limit_ingest_per_second, settings.rate_limit_ingest_burst
            ),
            person=limiter(
                "person", settings.rate_limit_person_per_second, settings.rate_limit_person_burst
            ),
        ),
        readiness=readiness(services, runtime),
        attachments=Attachments(
            db=db,
            blobs=attachment_blobs(settings),
            secret_key=services.secret_key,
            transport=guarded_async_transport(allow_internal=settings.allow_insecure_urls),
            allow_insecure_urls=settings.allow_insecure_urls,
        ),
        metrics=runtime.metrics,
        metrics_access=MetricsAccess(
            open=settings.env == "development",
            token=None
            if settings.metrics_token is None
            else settings.metrics_token.get_secret_value(),
        ),
        access_log=AccessLog(enabled=settings.access_log),
    )
    app = create_app(ctx)
    # People's and agents' sign-ins share the per-source and platform-wide counters.
    sign_ins = SignInThrottle(db, clock)
    install_web(
        app,
        WebConfig(
            db=db,
            clock=clock,
            secret_key=services.secret_key,
            identity=Identity(db, clock, sign_ins),
            public_url=ctx.public_url,
            allow_insecure_urls=settings.allow_insecure_urls,
            privacy=privacy,
            inbox=InboxService(
                db=db,
                vault=vault,
                clock=clock,
                hub=runtime.hub,
                accounts=AgentAccounts(db, clock, sign_ins),
            ),
            fraud=fraud,
            page_tokens_revoked=ctx.page_tokens.clear,
            webhook_transport=sync_transport,
        ),
    )
    return app
