"""The broker URL picks the adapter; a wrong URL is a clear error."""

from __future__ import annotations

import pytest

from ledgerline.broker import InProcessBroker, UnsupportedBroker, broker_from_url
from ledgerline.broker.nats_jetstream import NatsJetStreamBroker
from ledgerline.broker.redis_streams import RedisStreamsBroker


def test_no_url_means_in_process() -> None:
    assert isinstance(broker_from_url(None), InProcessBroker)
    assert isinstance(broker_from_url(""), InProcessBroker)


def test_redis_and_nats_urls_pick_their_adapter_with_the_namespace() -> None:
    redis = broker_from_url("redis://127.0.0.1:6379/0", namespace="bank-a")
    assert isinstance(redis, RedisStreamsBroker)
    assert redis.stream == "bank-a:events"
    nats = broker_from_url("nats://127.0.0.1:4222", namespace="bank-a")
    assert isinstance(nats, NatsJetStreamBroker)
    assert (nats.stream, nats.subjects) == ("BANK_A", "bank-a")


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(UnsupportedBroker, match="amqp"):
        broker_from_url("amqp://127.0.0.1:5672")
