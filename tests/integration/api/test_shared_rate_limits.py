"""Rate limits that hold across processes: two app instances sharing Redis (their broker)
count each page's and each person's calls in the same buckets, so together they allow the
configured burst once, not once each (issue 21, part 3). Outside CI a missing Redis skips
this test; under ``CI=true`` it fails."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledgerline.broker.redis_limits import RedisRateLimiter
from ledgerline.domain.clock import FrozenClock
from ledgerline.domain.ratelimit import Limit, RateLimiter
from ledgerline.storage.stores import threads
from tests.support.aio import run_async
from tests.support.server import RunningPlatform, free_port, running_platform

REDIS = "redis://127.0.0.1:6379/0"
BURST = 3
SLOW = 0.001  # a token back every 1,000 s: nothing refills during the test


def _redis_reachable() -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 6379), timeout=1):
        return True
    return False


@pytest.fixture
def namespace() -> Iterator[str]:
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required under CI=true and is unreachable")
        pytest.skip("Redis unreachable on 127.0.0.1:6379")
    name = "t" + secrets.token_hex(5)
    yield name
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(f"{name}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _platform(
    database_url: str, data_dir: Path, namespace: str
) -> contextlib.AbstractContextManager[RunningPlatform]:
    return running_platform(
        database_url,
        data_dir,
        broker_url=REDIS,
        broker_namespace=namespace,
        rate_limit_send_per_second=SLOW,
        rate_limit_send_burst=BURST,
        rate_limit_person_per_second=SLOW,
        rate_limit_person_burst=BURST,
    )


def test_two_instances_sharing_redis_allow_the_burst_once_between_them(
    database_url: str, tmp_path: Path, namespace: str
) -> None:
    with (
        _platform(database_url, tmp_path, namespace) as one,
        _platform(database_url, tmp_path, namespace) as two,
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
