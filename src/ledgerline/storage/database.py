"""The one door to the database: transactions, group-committing writers, after-commit events.

Writes run as *actions* — ``fn(uow, *args)`` — on writer threads. A writer takes every action
waiting in its queue (up to a batch), runs them in one transaction and commits once: many
requests share one fsync, yet an action that fails rolls back alone (the batch is run first
without a savepoint per action, a round trip each on PostgreSQL; when an action fails it is
rolled back and run again with one SAVEPOINT per action).
The caller's future resolves only after the commit, so an answered request is durable.
Events an action emits are published only after that commit.

SQLite has one writer thread (it serialises writers anyway); PostgreSQL has several, and an
action with a ``partition`` key always goes to the same writer, keeping per-thread order.
A writer runs its batch's actions sorted by partition key (rows are locked in one order by
every writer of every process), and runs the whole batch again when the database aborts it
for a conflict with another writer (a deadlock or serialization failure).
"""

from __future__ import annotations

import asyncio
import queue
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

from ledgerline.domain.events import Event
from ledgerline.storage.checkpoint import Checkpointer
from ledgerline.storage.engine import BUSY_TIMEOUT_MS, Capabilities, create_engine
from ledgerline.storage.errors import busy_error, is_conflict
from ledgerline.storage.migrate import upgrade
from ledgerline.telemetry import tracing

T = TypeVar("T")
log = structlog.get_logger(__name__)

MAX_BATCH = 256


_SCRATCH = "ledgerline_action_scratch"


def action_scratch(conn: sa.Connection) -> dict[str, Any] | None:
    """Scratch space that lives exactly as long as the action running on ``conn``.

    For caches of what the action itself wrote (never for what another transaction might
    change): the writer gives every action a fresh one, so nothing survives an action that
    is rolled back to its savepoint. None outside a writer's action (e.g. on a read)."""
    scratch: dict[str, Any] | None = conn.info.get(_SCRATCH)
    return scratch


def action_memo(conn: sa.Connection, name: str) -> dict[Any, Any] | None:
    """A read-through cache named ``name`` for the action running on ``conn`` (None outside
    a writer's action): rows the action reads more than once are read once, and the action
    sees one value of them throughout (e.g. a business's row). Whoever writes such rows
    calls :func:`forget_memo` in the same action. (A person's consent and data key are not
    cached here: a vault access loads them once and is passed down.)"""
    scratch = action_scratch(conn)
    if scratch is None:
        return None
    memo: dict[Any, Any] = scratch.setdefault(name, {})
    return memo


def forget_memo(conn: sa.Connection, name: str) -> None:
    """Drop the action's cache ``name`` (after writing what it holds)."""
    scratch = action_scratch(conn)
    if scratch is not None:
        scratch.pop(name, None)


def _snapshot(scratch: dict[str, Any]) -> dict[str, Any]:
    """A copy of an action's scratch deep enough to undo a savepoint's additions to it
    (its values are dicts or lists, possibly a dict of lists)."""

    def copy(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: list(v) if isinstance(v, list) else v for k, v in value.items()}
        if isinstance(value, list):
            return list(value)
        return value

    return {key: copy(value) for key, value in scratch.items()}


_DEFERRED = "deferred"
_STEPS = "ledgerline_before_commit_steps"
BeforeCommit = Callable[[sa.Connection, list[Any]], None]


def defer_to_commit(conn: sa.Connection, name: str, item: Any) -> bool:
    """Queue ``item`` for the batch's ``name`` step (a ``before_commit`` step of the
    :class:`Database`); False outside a writer's action or when the database has no such
    step, where the caller must do the work itself."""
    scratch = action_scratch(conn)
    if scratch is None or name not in conn.info.get(_STEPS, ()):
        return False
    scratch.setdefault(_DEFERRED, {}).setdefault(name, []).append(item)
    return True


def commit_step(conn: sa.Connection, name: str) -> BeforeCommit | None:
    """The :class:`Database`'s ``name`` step, for work that cannot wait for a writer's
    batch (outside an action, e.g. in a read transaction): the caller runs it at once."""
    steps: Mapping[str, BeforeCommit] = conn.info.get(_STEPS, {})
    return steps.get(name)


@dataclass
class UnitOfWork:
    """One transaction's connection plus the events to publish once it commits.

    ``rollbacks`` counts the savepoints rolled back so far: what a caller loaded and keeps
    for the rest of the action (e.g. a vault access's data key) may have gone with one."""

    conn: sa.Connection
    events: list[Event] = field(default_factory=list)
    rollbacks: int = 0

    def emit(self, event: Event) -> None:
        self.events.append(event)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the action that may fail alone: on an exception its writes and events
        are undone (the exception propagates; the caller may go on with the rest)."""
        mark = len(self.events)
        scratch = action_scratch(self.conn)
        saved = None if scratch is None else _snapshot(scratch)
        nested = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            self.rollbacks += 1
            del self.events[mark:]
            if scratch is not None and saved is not None:  # e.g. audit entries it deferred
                scratch.clear()
                scratch.update(saved)
            raise
        nested.commit()


EventSink = Callable[[list[Event]], None]
BatchObserver = Callable[[int, int, float], None]


@dataclass
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] | asyncio.Future[Any]
    trace: tracing.Context | None = None  # whoever queued it, when tracing is on
    partition: str | None = None  # the key that chose the writer; also the batch's lock order

    def run(self, uow: UnitOfWork, batch_size: int) -> Any:
        if self.trace is None:
            return self.fn(uow, *self.args, **self.kwargs)
        name = getattr(self.fn, "__name__", "action")
        with tracing.span(
            f"db {name}",
            parent=self.trace,
            attributes={"code.function": name, "ledgerline.batch_size": batch_size},
        ):
            return self.fn(uow, *self.args, **self.kwargs)

    def settle(self, ok: bool, value: Any) -> None:
        """Resolve a thread-side future (a caller gone meanwhile is no longer waiting)."""
        future = self.future
        assert isinstance(future, Future)  # noqa: S101 - loop futures settle on their loop
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _settle_on_loop(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """Runs on the caller's event loop: resolve every awaiting request of one batch."""
    for future, ok, value in settled:
        if future.done():  # the request was cancelled while its action ran
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _settle(outcomes: list[tuple[_Job, bool, Any]]) -> None:
    """Resolve a batch's futures: one wake-up per event loop rather than one per request.
    A busy database (locked, timed out) reaches the caller as ``DatabaseBusy``."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for job, ok, raw in outcomes:
        value = raw if ok else (busy_error(raw) or raw)
        if isinstance(job.future, asyncio.Future):
            by_loop.setdefault(job.future.get_loop(), []).append((job.future, ok, value))
        else:
            job.settle(ok, value)
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, settled)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            log.warning("writer_loop_closed", futures=len(settled))


_STOP = object()


def person_partition(page_id: str, psid: str) -> str:
    """The partition key of what a business does for one of its people (the Send API,
    ingestion): one bank's people spread over every writer, each person's writes in order."""
    return f"{page_id}:{psid}"


class _Writer(threading.Thread):
    def __init__(self, db: Database, index: int) -> None:
        super().__init__(name=f"ledgerline-writer-{index}", daemon=True)
        self.db = db
        self.jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self.busy = False
        self.last_done = time.monotonic()

    def run(self) -> None:
        conn = self.db.engine.connect()
        conn.info["writer"] = True
        conn.info[_STEPS] = self.db.before_commit
        try:
            while True:
                first = self.jobs.get()
                if first is _STOP:
                    return
                batch: list[_Job] = [first]  # type: ignore[list-item]
                stop = False
                while len(batch) < MAX_BATCH:
                    try:
                        more = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stop = True
                        break
                    batch.append(more)  # type: ignore[arg-type]
                self.busy = True
                try:
                    self._run_batch(conn, batch)
                finally:
                    self.busy = False
                    self.last_done = time.monotonic()
                if stop:
                    return
        finally:
            conn.close()

    def _run_batch(self, conn: sa.Connection, batch: list[_Job]) -> None:
        """Run a batch in one transaction; when the database aborts it for a conflict with
        another writer (deadlock, serialization failure: ``storage.errors.is_conflict``) the
        whole batch is rolled back and run again, up to ``CONFLICT_RETRIES`` times, so a
        conflict never reaches a caller as an error while a retry can still succeed."""
        started = time.perf_counter()
        # The batch takes the rows its actions lock in one order for every writer of every
        # process: actions sorted by partition key (stable, so each key's order holds).
        batch = sorted(batch, key=_lock_order)
        # First without a savepoint per action (each is a round trip on PostgreSQL); when
        # an action fails, the batch is rolled back and run again with one per action, so
        # the failed action is rolled back alone as before and the others see what they
        # saw the first time (a batch may be run again anyway: see conflicts).
        isolate = False
        attempt = 0
        while True:
            try:
                done = self._attempt_batch(conn, batch, isolate=isolate)
            except _ActionFailed:
                isolate = True
                continue
            except _Conflict as conflict:
                if attempt < CONFLICT_RETRIES:
                    log.info("writer_batch_conflict_retried", attempt=attempt + 1, size=len(batch))
                    time.sleep(_backoff(attempt))
                    attempt += 1
                    continue
                self.db.observe_batch(len(batch), len(batch), time.perf_counter() - started)
                _settle([(job, False, conflict.error) for job in batch])
                return
            except BaseException as exc:
                self.db.observe_batch(len(batch), len(batch), time.perf_counter() - started)
                _settle([(job, False, exc) for job in batch])
                return
            break
        failed = sum(1 for _, ok, _, _ in done if not ok)
        self.db.observe_batch(len(batch), failed, time.perf_counter() - started)
        events = [event for _, ok, _, job_events in done if ok for event in job_events]
        if events:
            try:
                self.db.publish(events)
            except Exception:  # publishing never undoes a commit
                log.exception("event_publish_failed", events=len(events))
        _settle([(job, ok, value) for job, ok, value, _ in done])

    def _attempt_batch(
        self, conn: sa.Connection, batch: list[_Job], *, isolate: bool
    ) -> list[tuple[_Job, bool, Any, list[Event]]]:
        """One try at the batch, committed; raises ``_Conflict`` when it must be tried again,
        ``_ActionFailed`` when an action of a batch of several failed without ``isolate``
        (a savepoint per action)."""
        outcomes: list[tuple[_Job, bool, Any, list[Event]]] = []
        deferred: dict[str, list[Any]] = {}
        several = len(batch) > 1
        isolate = isolate and several
        try:
            with conn.begin():
                # Savepoints go straight to the driver: SQLAlchemy's begin_nested() cost more
                # CPU than the statements of a typical action. The outer transaction stays
                # SQLAlchemy's; a failed action is rolled back to its savepoint, alone. An
                # action's savepoint is released together with the next one's creation (one
                # round trip on PostgreSQL), the last by COMMIT.
                driver = conn.connection.driver_connection if isolate else None
                joined = conn.dialect.name == "postgresql"
                held = False  # the previous action's savepoint, not yet released
                for job in batch:
                    uow = UnitOfWork(conn)
                    conn.info[_SCRATCH] = {}
                    if driver is not None:
                        _control(driver, joined, *([_RELEASE] if held else []), _SAVEPOINT)
                        held = False
                    try:
                        result = job.run(uow, len(batch))
                    except BaseException as exc:
                        if is_conflict(exc):  # the whole transaction goes, and comes again
                            raise _Conflict(exc) from exc
                        if driver is not None:
                            _control(driver, joined, _ROLLBACK_TO, _RELEASE)
                            outcomes.append((job, False, exc, []))
                            continue
                        if several:  # the batch again, each action in a savepoint
                            _rollback_keeping_prepared(conn)
                            raise _ActionFailed(exc) from exc
                        raise
                    held = driver is not None
                    outcomes.append((job, True, result, uow.events))
                    for name, items in conn.info[_SCRATCH].get(_DEFERRED, {}).items():
                        deferred.setdefault(name, []).extend(items)
                conn.info.pop(_SCRATCH, None)
                for name, items in deferred.items():  # e.g. the batch's audit entries
                    self.db.before_commit[name](conn, items)
        except (_Conflict, _ActionFailed):
            raise
        except BaseException as exc:
            if is_conflict(exc):  # e.g. in a before-commit step, or at COMMIT
                raise _Conflict(exc) from exc
            raise
        finally:
            conn.info.pop(_SCRATCH, None)
        return outcomes


_SAVEPOINT = "SAVEPOINT ledgerline_action"
_RELEASE = "RELEASE SAVEPOINT ledgerline_action"
_ROLLBACK_TO = "ROLLBACK TO SAVEPOINT ledgerline_action"


def _control(driver: Any, joined: bool, *statements: str) -> None:
    """The writer's savepoint statements: on PostgreSQL in one round trip (a query without
    parameters may hold several; every round trip counts on a writer that waits for each),
    sent to libpq directly (psycopg deallocates every prepared statement after a command
    that reports ROLLBACK, as ROLLBACK TO SAVEPOINT does: a round trip, then each hot
    statement parsed again until prepared anew; savepoints never change the schema, which
    is what psycopg guards against). One at a time elsewhere (SQLite's driver takes one
    statement a call)."""
    if joined:
        _exec_libpq(driver, "; ".join(statements))
    else:
        for statement in statements:
            driver.execute(statement)


def _exec_libpq(driver: Any, sql: str) -> None:
    """Run a query without parameters on psycopg's libpq connection, past psycopg (within
    a transaction: outside one, psycopg runs it and begins the transaction first)."""
    from psycopg import OperationalError, pq

    if driver.pgconn.transaction_status == pq.TransactionStatus.IDLE:
        driver.execute(sql)
        return
    result = driver.pgconn.exec_(sql.encode())
    if result.status != pq.ExecStatus.COMMAND_OK:
        message = result.error_message.decode(errors="replace") or "failed"
        raise OperationalError(f"{sql}: {message}")


# How many times a writer runs a batch again after a conflict with another writer, and the
# pause before each try (a few milliseconds, growing, jittered so two writers don't meet again).
CONFLICT_RETRIES = 8


class _Conflict(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _rollback_keeping_prepared(conn: sa.Connection) -> None:
    """Roll back the writer's transaction without losing psycopg's prepared statements:
    ``Connection.rollback()`` deallocates them all (a round trip, then each hot statement is
    parsed again until prepared anew), in case the transaction changed the schema, which a
    writer's actions never do. The ROLLBACK goes to libpq directly; SQLAlchemy's rollback
    that follows finds the connection idle and sends nothing. Elsewhere: nothing here."""
    if conn.dialect.name != "postgresql":
        return
    from psycopg import pq

    driver = conn.connection.driver_connection
    if driver is not None and driver.pgconn.transaction_status != pq.TransactionStatus.IDLE:
        _exec_libpq(driver, "ROLLBACK")


class _ActionFailed(Exception):
    """An action of a batch run without a savepoint per action failed: run it again with them."""


def _backoff(attempt: int) -> float:
    return (1 + secrets.randbelow(5 * 2 ** min(attempt, 5))) / 1000


def _lock_order(job: _Job) -> str:
    return job.partition or ""


class Database:
    """``before_commit``: steps that run once per writer batch, right before its COMMIT,
    with the items the batch's *successful* actions deferred under the step's name, in
    order (:func:`defer_to_commit`; items of an action rolled back to its savepoint are
    dropped with it). The composition root gives the audit log's step."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        before_commit: Mapping[str, BeforeCommit] | None = None,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        self.url = url
        self.before_commit: Mapping[str, BeforeCommit] = dict(before_commit or {})
        self.engine: Engine
        self.capabilities: Capabilities
        self.engine, self.capabilities = create_engine(url, busy_timeout_ms=busy_timeout_ms)
        if migrate:
            upgrade(self.engine)
        self._sinks: list[EventSink] = []
        self._batch_observers: list[BatchObserver] = []
        self._writers: list[_Writer] = []
        self._checkpointer: Checkpointer | None = None
        self._lock = threading.Lock()

    # -- events ---------------------------------------------------------------------------
    def subscribe(self, sink: EventSink) -> None:
        """Call ``sink(events)`` after each commit that emitted events (on the writer thread)."""
        self._sinks.append(sink)

    def publish(self, events: list[Event]) -> None:
        for sink in self._sinks:
            sink(events)

    # -- observation (metrics) ------------------------------------------------------------
    def observe_batches(self, observer: BatchObserver) -> None:
        """Call ``observer(size, failed, seconds)`` after each writer batch (on its thread):
        how many actions it ran, how many were rolled back, BEGIN to COMMIT in seconds."""
        self._batch_observers.append(observer)

    def observe_batch(self, size: int, failed: int, seconds: float) -> None:
        for observer in self._batch_observers:
            observer(size, failed, seconds)

    def queued_writes(self) -> int:
        """Actions waiting for a writer (approximate: the writers' queues)."""
        return sum(writer.jobs.qsize() for writer in list(self._writers))

    def pool_status(self) -> dict[str, int]:
        """The connection pool: its size, connections checked out, idle and in overflow."""
        pool = self.engine.pool
        status: dict[str, int] = {}
        for name, attribute in (
            ("size", "size"),
            ("checked_out", "checkedout"),
            ("idle", "checkedin"),
            ("overflow", "overflow"),
        ):
            method = getattr(pool, attribute, None)
            if callable(method):
                status[name] = max(0, int(method()))
        return status

    # -- writes ---------------------------------------------------------------------------
    def _writer_for(self, partition: str | None) -> _Writer:
        with self._lock:
            if not self._writers:
                for index in range(self.capabilities.writer_threads):
                    writer = _Writer(self, index)
                    writer.start()
                    self._writers.append(writer)
                if self.capabilities.is_sqlite and self._checkpointer is None:
                    self._checkpointer = Checkpointer(
                        self.engine,
                        idle_for=self._writers_idle_for,
                        last_write=self._last_write,
                    )
                    self._checkpointer.start()
            if partition is None or len(self._writers) == 1:
                return self._writers[0]
            return self._writers[zlib.crc32(partition.encode()) % len(self._writers)]

    def _last_write(self) -> float:
        """``time.monotonic()`` when a writer last finished a batch."""
        return max((w.last_done for w in list(self._writers)), default=0.0)

    def _writers_idle_for(self) -> float:
        """Seconds since a writer last had work (0 while one is busy or has work queued)."""
        writers = list(self._writers)
        if any(w.busy or not w.jobs.empty() for w in writers):
            return 0.0
        last = max((w.last_done for w in writers), default=0.0)
        return time.monotonic() - last

    def submit(
        self, fn: Callable[..., T], *args: Any, partition: str | None = None, **kwargs: Any
    ) -> Future[T]:
        """Queue ``fn(uow, *args, **kwargs)``; the future resolves after its commit."""
        future: Future[T] = Future()
        self._writer_for(partition).jobs.put(
            _Job(fn, args, kwargs, future, tracing.capture(), partition)
        )
        return future

    def write_sync(
        self, fn: Callable[..., T], *args: Any, partition: str | None = None, **kwargs: Any
    ) -> T:
        """Run an action and wait for its commit (CLI, workers on threads, tests)."""
        return self.submit(fn, *args, partition=partition, **kwargs).result()

    async def write(
        self, fn: Callable[..., T], *args: Any, partition: str | None = None, **kwargs: Any
    ) -> T:
        """Run an action on a writer; resolves after the commit.

        The awaiting side is a plain loop future (no thread-side Future and its Condition),
        resolved by the writer with one ``call_soon_threadsafe`` per batch."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._writer_for(partition).jobs.put(
            _Job(fn, args, kwargs, future, tracing.capture(), partition)
        )
        return await future

    # -- reads ----------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn, conn.begin():
            conn.info[_STEPS] = self.before_commit
            yield conn

    def read_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            with self.reading() as conn:
                return fn(conn, *args, **kwargs)
        except sa.exc.SQLAlchemyError as exc:
            busy = busy_error(exc)
            if busy is None:
                raise
            raise busy from exc

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self.read_sync, fn, *args, **kwargs)

    def query_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A feature's query, ``fn(uow, *args, **kwargs)``, in a read transaction: features
        take a unit of work, stores a connection (``read``). A query emits no events."""
        return self.read_sync(lambda conn: fn(UnitOfWork(conn), *args, **kwargs))

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self.query_sync, fn, *args, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Finish every queued write, then stop the writers and the pool."""
        with self._lock:
            writers, self._writers = self._writers, []
        for writer in writers:
            writer.jobs.put(_STOP)
        for writer in writers:
            writer.join()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        self.engine.dispose()
