"""Rate limits that hold across processes: two app instances sharing their broker — Redis
(a Lua script on a hash) or NATS JetStream (a key-value store, compare-and-swap) — count each
page's and each person's calls in the same buckets, so together they allow the configured
burst once, not once each (issue 21, part 3). Outside CI a missing broker skips this test;
under ``CI=true`` it fails."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledgerline.broker.nats_limits import NatsRateLimiter, bucket_name
from ledgerline.broker.redis_limits import RedisRateLimiter
from ledgerline.domain.clock import FrozenClock, SystemClock
from ledgerline.domain.ratelimit import Limit, RateLimiter
from ledgerline.storage.stores import threads
from tests.support.aio import run_async
from tests.support.server import RunningPlatform, free_port, running_platform

REDIS = "redis://127.0.0.1:6379/0"
NATS = "nats://127.0.0.1:4222"
BURST = 3
SLOW = 0.001  # a token back every 1,000 s: nothing refills during the test


def _reachable(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _forget_redis(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _forget_nats(namespace: str) -> None:
    import nats
    from nats.js.errors import NotFoundError

    async def delete() -> None:
        nc = await nats.connect(NATS)
        try:
            js = nc.jetstream()
            for name in ("send", "ingest", "person"):
                with contextlib.suppress(NotFoundError):
                    await js.delete_key_value(bucket_name(namespace, name))
        finally:
            await nc.close()

    run_async(delete)


@contextlib.contextmanager
def _namespace_on(kind: str) -> Iterator[tuple[str, str]]:
    """(the broker's URL, a namespace of this test's own), forgotten afterwards."""
    url, port, forget = {
        "redis": (REDIS, 6379, _forget_redis),
        "nats": (NATS, 4222, _forget_nats),
    }[kind]
    if not _reachable(port):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{kind} is required under CI=true and is unreachable")
        pytest.skip(f"{kind} unreachable on 127.0.0.1:{port}")
    name = "t" + secrets.token_hex(5)
    try:
        yield url, name
    finally:
        forget(name)


@pytest.fixture(params=["redis", "nats"])
def shared(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    with _namespace_on(request.param) as broker:
        yield broker


@pytest.fixture
def shared_nats() -> Iterator[tuple[str, str]]:
    with _namespace_on("nats") as broker:
        yield broker


def _platform(
    database_url: str, data_dir: Path, shared: tuple[str, str]
) -> contextlib.AbstractContextManager[RunningPlatform]:
    broker_url, namespace = shared
    return running_platform(
        database_url,
        data_dir,
        broker_url=broker_url,
        broker_namespace=namespace,
        rate_limit_send_per_second=SLOW,
        rate_limit_send_burst=BURST,
        rate_limit_person_per_second=SLOW,
        rate_limit_person_burst=BURST,
    )


def test_two_instances_sharing_a_broker_allow_the_burst_once_between_them(
    database_url: str, tmp_path: Path, shared: tuple[str, str]
) -> None:
    with (
        _platform(database_url, tmp_path, shared) as one,
        _platform(database_url, tmp_path, shared) as two,
    ):
        bank = one.create_business("Bank")
        user = one.create_user()
        person = {"Authorization": f"Bearer {user['access_token']}"}
        thread = f"/api/v1/threads/{bank['page_id']}/messages"
        with one.client() as http:
            said = http.post(thread, headers=person, json={"text": "hi"})  # the person's 1st
            assert said.status_code == 201, said.text
        found = one.platform.db.read_sync(threads.get_thread, bank["page_id"], user["user_id"])
        assert found is not None

        def send(live: RunningPlatform, n: int) -> int:
            with live.client() as http:
                return http.post(
                    "/v2.6/me/messages",
                    params={"access_token": bank["page_access_token"]},
                    json={"recipient": {"id": found.psid}, "message": {"text": f"m{n}"}},
                ).status_code

        # Alternating between the two instances: the page's burst is spent once, in total.
        sent = [send((one, two)[n % 2], n) for n in range(2 * BURST)]
        assert sent == [200] * BURST + [400] * BURST
        # The person's limit likewise (one call spent above, on instance one).
        reads = []
        for n in range(2 * BURST):
            with (one, two)[n % 2].client() as http:
                reads.append(http.get(thread, headers=person).status_code)
        assert reads == [200] * (BURST - 1) + [429] * (BURST + 1)


def test_with_redis_out_of_reach_a_process_falls_back_to_its_own_buckets() -> None:
    """A broker outage never stops the API: the limit then holds per process."""
    buckets = RateLimiter(Limit(SLOW, 2), FrozenClock(datetime.now(UTC)))
    limiter = RedisRateLimiter(
        f"redis://127.0.0.1:{free_port()}/0", name="send", namespace="t", fallback=buckets
    )

    async def three_calls() -> list[float]:
        try:
            return [await limiter.check("page") for _ in range(3)]
        finally:
            await limiter.close()

    waits = run_async(three_calls)
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0


def test_with_nats_out_of_reach_a_process_falls_back_to_its_own_buckets() -> None:
    """Likewise with NATS; the refused connection costs the first call only."""
    clock = SystemClock()
    limiter = NatsRateLimiter(
        f"nats://127.0.0.1:{free_port()}",
        name="send",
        namespace="t",
        fallback=RateLimiter(Limit(SLOW, 2), clock),
        clock=clock,
    )

    async def three_calls() -> list[float]:
        try:
            return [await limiter.check("page") for _ in range(3)]
        finally:
            await limiter.close()

    waits = run_async(three_calls)
    assert waits[:2] == [0.0, 0.0]
    assert waits[2] > 0


def test_processes_racing_for_one_nats_bucket_take_each_token_once(
    shared_nats: tuple[str, str],
) -> None:
    """Compare-and-swap: ten limiters (as ten processes) asking at once for a bucket of three
    tokens are granted three calls between them."""
    url, namespace = shared_nats
    clock = SystemClock()
    limiters = [
        NatsRateLimiter(
            url,
            name="send",
            namespace=namespace,
            fallback=RateLimiter(Limit(SLOW, BURST), clock),
            clock=clock,
        )
        for _ in range(10)
    ]

    async def race() -> list[float]:
        try:
            return await asyncio.gather(*(limiter.check("page") for limiter in limiters))
        finally:
            for limiter in limiters:
                await limiter.close()

    waits = run_async(race)
    assert sorted(waits)[:BURST] == [0.0] * BURST
    assert all(wait > 0 for wait in sorted(waits)[BURST:])
