"""Frames and wake-ups between two "processes" (two hubs) over the in-process broker double."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable

from ledgerline.broker import BrokerMessage, InProcessBroker, LocalBus
from ledgerline.delivery.fanout import ClusterFanout
from ledgerline.delivery.live import Frame, LiveHub
from ledgerline.vault import MasterKey, TransitCipher
from tests.support.aio import run_async


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

        sealer = TransitCipher(MasterKey.generate())
        fanouts = [
            ClusterFanout(broker=InProcessBroker(bus), hub=hub, on_wake=waker(i), sealer=sealer)
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

    run_async(scenario)


def test_frames_cross_the_broker_sealed_and_a_stranger_cannot_read_them() -> None:
    async def scenario() -> None:
        bus = LocalBus()
        master = MasterKey.generate()
        seen: list[object] = []
        spy = InProcessBroker(bus)
        sender_hub, stranger_hub = LiveHub(), LiveHub()
        sender = ClusterFanout(
            broker=InProcessBroker(bus),
            hub=sender_hub,
            on_wake=lambda: None,
            sealer=TransitCipher(master),
        )
        stranger = ClusterFanout(
            broker=InProcessBroker(bus),
            hub=stranger_hub,
            on_wake=lambda: None,
            sealer=TransitCipher(MasterKey.generate()),
        )
        await spy.start(lambda message: seen.append(message.body))
        await sender.start()
        await stranger.start()
        watcher = stranger_hub.subscribe("u1")
        secret = {"type": "message", "page_id": "p", "message": {"text": "Số dư: 1.250.000 ₫"}}
        sender_hub.publish_many([("u1", secret)])
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(seen) == 1
        assert "1.250.000" not in str(seen[0])
        assert _drain(watcher.queue) == []  # another master key: dropped
        await sender.close()
        await stranger.close()

    run_async(scenario)


def test_unreadable_broker_messages_are_ignored() -> None:
    assert BrokerMessage.decode(b"not json") is None
    assert BrokerMessage.decode(b'{"v": 99, "origin": "a", "topic": "live"}') is None
    assert BrokerMessage.decode(b'{"v": 1, "origin": 3, "topic": "live"}') is None
    message = BrokerMessage("a", "live", [["u", {"type": "read"}]])
    assert BrokerMessage.decode(message.encode()) == message

    async def scenario() -> None:
        hub = LiveHub()
        sub = hub.subscribe("u")
        sealer = TransitCipher(MasterKey.generate())
        fanout = ClusterFanout(
            broker=InProcessBroker(), hub=hub, on_wake=lambda: None, sealer=sealer
        )
        items = [["u"], "junk", ["u", {"type": "read"}]]
        sealed = base64.b64encode(sealer.seal("live", json.dumps(items).encode())).decode()
        fanout._receive(BrokerMessage("x", "live", sealed))
        fanout._receive(BrokerMessage("x", "live", "not base64 !"))
        fanout._receive(BrokerMessage("x", "live", items))  # unsealed: refused
        fanout._receive(BrokerMessage("x", "unknown", None))
        assert _drain(sub.queue) == [{"type": "read"}]

    run_async(scenario)
