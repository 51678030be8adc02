"""Frames and wake-ups between two "processes" (two hubs) over the in-process broker double."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ledgerline.broker import BrokerMessage, InProcessBroker, LocalBus
from ledgerline.delivery.fanout import ClusterFanout
from ledgerline.delivery.live import Frame, LiveHub


def _drain(queue: asyncio.Queue[Frame | None]) -> list[Frame | None]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def test_frames_reach_the_other_process_once_and_in_order() -> None:
    async def scenario() -> None:
        bus = LocalBus()
        hubs = [LiveHub(), LiveHub()]
        wakes = [0, 0]

        def waker(i: int) -> Callable[[], None]:
            def wake() -> None:
                wakes[i] += 1

            return wake

        fanouts = [
            ClusterFanout(broker=InProcessBroker(bus), hub=hub, on_wake=waker(i))
            for i, hub in enumerate(hubs)
        ]
        for fanout in fanouts:
            await fanout.start()
        on_a = hubs[0].subscribe("u1")
        on_b = hubs[1].subscribe("u1")
        other_on_b = hubs[1].subscribe("u2")
        frames: list[tuple[str, Frame]] = [
            ("u1", {"type": "message", "page_id": "p", "message": {"mid": f"m{i}"}})
            for i in range(5)
        ]
        hubs[0].publish_many(frames[:2])
        hubs[0].publish_many(frames[2:])
        fanouts[0].wake_threadsafe()
        fanouts[0].wake_threadsafe()  # coalesced with the first
        for _ in range(20):
            await asyncio.sleep(0)
        expected = [frame for _user, frame in frames]
        assert _drain(on_a.queue) == expected  # local, once (nothing echoed back)
        assert _drain(on_b.queue) == expected  # remote, in order
        assert _drain(other_on_b.queue) == []
        assert wakes == [0, 1]
        for fanout in fanouts:
            await fanout.close()
        assert hubs[0].relay is None

    asyncio.run(scenario())


def test_unreadable_broker_messages_are_ignored() -> None:
    assert BrokerMessage.decode(b"not json") is None
    assert BrokerMessage.decode(b'{"v": 99, "origin": "a", "topic": "live"}') is None
    assert BrokerMessage.decode(b'{"v": 1, "origin": 3, "topic": "live"}') is None
    message = BrokerMessage("a", "live", [["u", {"type": "read"}]])
    assert BrokerMessage.decode(message.encode()) == message

    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u")
        fanout = ClusterFanout(broker=InProcessBroker(), hub=hub, on_wake=lambda: None)
        fanout._receive(BrokerMessage("x", "live", [["u"], "junk", ["u", {"type": "read"}]]))
        fanout._receive(BrokerMessage("x", "unknown", None))
        assert _drain(sub.queue) == [{"type": "read"}]

    asyncio.run(scenario())
