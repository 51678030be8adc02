"""Scale-out: two ``ledgerline serve`` processes on one PostgreSQL database and a real broker
(Redis Streams or NATS JetStream on 127.0.0.1).

A person connected to process B receives live what a bank sent through process A; the
webhook dispatchers of both processes share the outbox without sending an event twice.
Outside CI a missing broker or PostgreSQL skips these tests; under ``CI=true`` it fails them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from ledgerline.bootstrap import build_services
from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_user_message
from ledgerline.chat.routing import Inbound
from ledgerline.config import Settings
from ledgerline.domain.clock import to_ms
from ledgerline.storage.stores import threads
from tests.support.aio import run_async
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import free_port

pytestmark = pytest.mark.slow  # end to end: real processes or sockets

IN_CI = os.environ.get("CI") == "true"
BROKERS = {"redis": ("redis://127.0.0.1:6379/0", 6379), "nats": ("nats://127.0.0.1:4222", 4222)}


@dataclass
class BrokerUnderTest:
    kind: str
    url: str
    namespace: str

    def raw_messages(self) -> list[bytes]:
        """What the broker holds (Redis only; JetStream's memory stream is read the same way
        by the platform, so one adapter is enough to show frames are stored sealed)."""
        if self.kind != "redis":
            return []
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            entries: Any = client.xrange(f"{self.namespace}:events")
        finally:
            client.close()
        return [bytes(fields[b"m"]) for _id, fields in entries]


def _reachable(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _forget(kind: str, broker: BrokerUnderTest) -> None:
    """Remove the test's stream from the broker."""
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(broker.url)
        client.delete(f"{broker.namespace}:events")
        client.close()
        return

    async def drop() -> None:
        import nats

        nc = await nats.connect(broker.url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_stream(broker.namespace.upper())
        await nc.close()

    run_async(drop)


@pytest.fixture(params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerUnderTest]:
    url, port = BROKERS[request.param]
    if not _reachable(port):
        if IN_CI:
            pytest.fail(f"{request.param} is required under CI=true and is unreachable")
        pytest.skip(f"{request.param} unreachable on 127.0.0.1:{port}")
    under_test = BrokerUnderTest(request.param, url, "t" + secrets.token_hex(5))
    try:
        yield under_test
    finally:
        _forget(request.param, under_test)


@dataclass
class Person:
    user_id: str
    token: str
    psid: str


@dataclass
class Cluster:
    urls: list[str]
    page_id: str
    page_token: str
    app_secret: str
    people: list[Person]


def _seed(database_url: str, data_dir: Path, webhook_url: str | None, people: int) -> Cluster:
    platform = build_services(
        Settings(env="development", data_dir=data_dir, database_url=database_url)
    )
    try:
        now = to_ms(platform.clock.now())
        bank = platform.db.write_sync(
            do_create_business,
            secret_key=platform.secret_key,
            name="Bank",
            webhook_url=webhook_url,
            verify_token=None,
            account_link_url=None,
            now=now,
        )
        seeded = []
        for i in range(people):
            user = platform.db.write_sync(
                do_create_user, name=f"P{i}", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
            )
            platform.db.write_sync(
                do_user_message,
                user_id=user.user_id,
                page_id=bank.page_id,
                body={"text": "hi"},
                now=now,
                inbound=Inbound(),
            )
            thread = platform.db.read_sync(threads.get_thread, bank.page_id, user.user_id)
            assert thread is not None
            seeded.append(Person(user.user_id, user.access_token, thread.psid))
        return Cluster([], bank.page_id, bank.page_access_token, bank.app_secret, seeded)
    finally:
        platform.close()


@contextlib.contextmanager
def _process(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledgerline", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120  # two cold starts under coverage, on 2 busy cores
            while True:
                try:
                    httpx.get(base + "/openapi.json", timeout=1)
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log.read_text()[-3000:]) from None
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                assert process.wait(timeout=60) == 0, log.read_text()[-3000:]
            except subprocess.TimeoutExpired:
                process.kill()
                raise


@contextlib.contextmanager
def _cluster(
    database_url: str,
    tmp_path: Path,
    broker: BrokerUnderTest,
    *,
    webhook_url: str | None = None,
    receiver: WebhookReceiver | None = None,
    people: int = 1,
) -> Iterator[Cluster]:
    cluster = _seed(database_url, tmp_path, webhook_url, people)
    if receiver is not None:
        receiver.app_secret = cluster.app_secret
    env = {
        "LEDGERLINE_ENV": "development",
        "LEDGERLINE_DATA_DIR": str(tmp_path),
        "LEDGERLINE_DATABASE_URL": database_url,
        "LEDGERLINE_BROKER_URL": broker.url,
        "LEDGERLINE_BROKER_NAMESPACE": broker.namespace,
    }
    with (
        _process(env, tmp_path / "a.log") as a,
        _process(env, tmp_path / "b.log") as b,
    ):
        cluster.urls = [a, b]
        yield cluster


def _frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == kind:
            return frame


def test_two_processes_share_live_frames_and_the_webhook_outbox(
    postgres_url: str, tmp_path: Path, broker: BrokerUnderTest
) -> None:
    # A receiver that takes a moment widens the window in which both dispatchers see the
    # same due event: without the outbox claims they would both send it.
    receiver = WebhookReceiver(delay_seconds=0.1)
    with (
        RunningReceiver(receiver) as running,
        _cluster(
            postgres_url,
            tmp_path,
            broker,
            webhook_url=running.url,
            receiver=receiver,
            people=3,
        ) as cluster,
    ):
        a, b = cluster.urls
        _live_across_processes(cluster, a, b)
        _numbered_frames_let_a_client_refill_without_a_gap(cluster, a, b)
        # Frames crossed the broker sealed: the texts are nowhere in what it keeps.
        kept = broker.raw_messages()
        assert kept or broker.kind != "redis"
        for raw in kept:
            assert b"first" not in raw
            assert b"second" not in raw
            assert b"burst-" not in raw
        _webhooks_once_and_in_order(cluster, receiver)


def _live_across_processes(cluster: Cluster, a: str, b: str) -> None:
    """A person connected to B receives live what the bank sent through A."""
    person = cluster.people[0]
    stream = b.replace("http", "ws") + f"/api/v1/stream?access_token={person.token}"
    with connect(stream, open_timeout=10) as ws, httpx.Client(base_url=a) as bank:
        for text in ("first", "second", "third"):
            sent = bank.post(
                "/v2.6/me/messages",
                params={"access_token": cluster.page_token},
                json={"recipient": {"id": person.psid}, "message": {"text": text}},
            )
            assert sent.status_code == 200, sent.text
            frame = _frame(ws, "message")
            assert frame["message"]["mid"] == sent.json()["message_id"]
            assert frame["message"]["text"] == text
        typing = bank.post(
            "/v2.6/me/messages",
            params={"access_token": cluster.page_token},
            json={"recipient": {"id": person.psid}, "sender_action": "typing_on"},
        )
        assert typing.status_code == 200, typing.text
        assert _frame(ws, "typing")["typing"] is True


def _numbered_frames_let_a_client_refill_without_a_gap(cluster: Cluster, a: str, b: str) -> None:
    """The bank sends to one person through both processes at once: frames may reach the
    person's socket (on B) in another order than the thread's, but each carries the
    message's number in its thread (1, 2, 3, ... without a gap), so a client that keeps the
    number up to which it holds everything and refills with ``after_seq`` on a gap, or after
    dropping the connection anywhere, ends with the thread exactly as history has it."""
    person = cluster.people[1]
    headers = {"Authorization": f"Bearer {person.token}"}
    messages_url = f"/api/v1/threads/{cluster.page_id}/messages"
    with httpx.Client(base_url=b, headers=headers) as reader:
        start = reader.get(messages_url).json()["data"]
    assert [m["seq"] for m in start] == [1]  # the seed's "hi"

    def burst(url: str, name: str) -> None:
        with httpx.Client(base_url=url) as bank:
            for n in range(BURST):
                sent = bank.post(
                    "/v2.6/me/messages",
                    params={"access_token": cluster.page_token},
                    json={
                        "recipient": {"id": person.psid},
                        "message": {"text": f"burst-{name}{n}"},
                    },
                )
                assert sent.status_code == 200, sent.text

    stream = b.replace("http", "ws") + f"/api/v1/stream?access_token={person.token}"
    with connect(stream, open_timeout=10) as ws:
        senders = [
            threading.Thread(target=burst, args=(url, f"{url[-5:]}-{k}-"))
            for url in (a, b)
            for k in range(2)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        frames = [_frame(ws, "message")["message"] for _ in range(4 * BURST)]
    with httpx.Client(base_url=b, headers=headers) as reader:
        history = reader.get(messages_url, params={"limit": 200}).json()["data"]

        def refill(after: int) -> list[dict[str, Any]]:
            answer = reader.get(messages_url, params={"after_seq": after, "limit": 200})
            assert answer.status_code == 200, answer.text
            data: list[dict[str, Any]] = answer.json()["data"]
            return data

        assert [m["seq"] for m in history] == list(range(1, 4 * BURST + 2))
        assert sorted(f["seq"] for f in frames) == list(range(2, 4 * BURST + 2))  # each once
        for dropped_after in (0, len(frames) // 3, len(frames) // 2, len(frames)):
            held = _client_following_the_protocol(start, frames[:dropped_after], refill)
            held = _client_following_the_protocol(held, [], refill)  # reconnected: refill
            assert [m["mid"] for m in held] == [m["mid"] for m in history]


BURST = 8


def _client_following_the_protocol(
    held: list[dict[str, Any]],
    frames: list[dict[str, Any]],
    refill: Any,
) -> list[dict[str, Any]]:
    """What a client does (the web app's rule): it keeps ``upto``, the number up to which it
    holds every message; a frame past ``upto + 1`` (or a reconnect) makes it refill with
    ``after_seq=upto``; a frame it holds already is dropped. Returns what it holds, by
    number."""
    by_seq = {m["seq"]: m for m in held}

    def upto() -> int:
        n = 0
        while n + 1 in by_seq:
            n += 1
        return n

    def take(messages: list[dict[str, Any]]) -> None:
        for m in messages:
            by_seq.setdefault(m["seq"], m)

    for frame in frames:
        if frame["seq"] > upto() + 1:
            take(refill(upto()))
        take([frame])
    take(refill(upto()))
    return [by_seq[n] for n in sorted(by_seq)]


def _webhooks_once_and_in_order(cluster: Cluster, receiver: WebhookReceiver) -> None:
    """People write through both processes; both dispatchers run; each event is sent once,
    in order per person, signed."""
    sent: dict[str, list[str]] = {p.psid: ["hi"] for p in cluster.people}  # "hi": the seed
    clients = [httpx.Client(base_url=url) for url in cluster.urls]
    try:
        for i in range(6):
            for n, person in enumerate(cluster.people):
                text = f"{n}-{i}"
                answer = clients[(i + n) % 2].post(
                    f"/api/v1/threads/{cluster.page_id}/messages",
                    headers={"Authorization": f"Bearer {person.token}"},
                    json={"text": text},
                )
                assert answer.status_code == 201, answer.text
                sent[person.psid].append(text)
    finally:
        for client in clients:
            client.close()
    total = sum(len(texts) for texts in sent.values())
    receiver.wait_for_events(total, timeout=60)
    time.sleep(1.5)  # a late duplicate would arrive now
    messages = [e for e in receiver.events() if "message" in e]
    mids = [e["message"]["mid"] for e in messages]
    assert len(mids) == len(set(mids)) == total
    assert all(d.signature_ok for d in receiver.deliveries)
    for psid, texts in sent.items():
        assert [e["message"]["text"] for e in messages if e["sender"]["id"] == psid] == texts
