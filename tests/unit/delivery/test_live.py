"""A socket's subscription: batches of queued frames, woken when the client leaves or lags."""

from __future__ import annotations

import asyncio

from ledgerline.delivery import live
from ledgerline.delivery.live import LiveHub
from tests.support.aio import run_async


def test_a_batch_is_every_frame_queued_in_order() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u1")
        hub.publish_many([("u1", {"n": 1}), ("u2", {"n": 2}), ("u1", {"n": 3})])
        assert await sub.next_batch() == [{"n": 1}, {"n": 3}]
        waiting = asyncio.create_task(sub.next_batch())
        await asyncio.sleep(0)
        hub.publish("u1", {"n": 4})
        assert await waiting == [{"n": 4}]

    run_async(scenario)


def test_ending_wakes_a_waiting_sender_with_no_frames() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u1")
        waiting = asyncio.create_task(sub.next_batch())
        await asyncio.sleep(0)
        sub.end()
        assert await asyncio.wait_for(waiting, 1) == []
        assert not sub.overflowed
        hub.publish("u1", {"n": 1})  # ignored once ended
        assert sub.queue.empty()

    run_async(scenario)


def test_ending_with_frames_queued_stops_the_sender_too() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u1")
        hub.publish("u1", {"n": 1})
        sub.end()
        assert await sub.next_batch() == []

    run_async(scenario)


def test_a_sender_that_lags_gets_no_frames_and_is_marked_overflowed() -> None:
    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u1")
        hub.publish_many([("u1", {"n": n}) for n in range(live.QUEUE_LIMIT + 1)])
        assert await sub.next_batch() == []
        assert sub.overflowed
        sub.end()  # the stream closing afterwards changes nothing
        assert sub.queue.empty()

    run_async(scenario)
