"""Pick the broker from ``LEDGERLINE_BROKER_URL``: none → in-process; ``redis://`` /
``rediss://`` → Redis Streams; ``nats://`` / ``tls://`` → NATS JetStream."""

from __future__ import annotations

from urllib.parse import urlsplit

from ledgerline.broker.base import Broker
from ledgerline.broker.inprocess import InProcessBroker


class UnsupportedBroker(ValueError):
    pass


def redis_url(url: str | None) -> str | None:
    """``url`` when it names a Redis server (``redis://``, ``rediss://``, ``unix://``)."""
    if url and urlsplit(url).scheme.lower() in ("redis", "rediss", "unix"):
        return url
    return None


def nats_url(url: str | None) -> str | None:
    """``url`` when it names a NATS server (``nats://``, ``tls://``)."""
    if url and urlsplit(url).scheme.lower() in ("nats", "tls"):
        return url
    return None


def broker_from_url(url: str | None, *, namespace: str = "ledgerline") -> Broker:
    """``namespace`` names the Redis stream (``NAMESPACE:events``) or the NATS stream
    (``NAMESPACE`` upper-cased) and its subjects (``NAMESPACE.<topic>``)."""
    if not url:
        return InProcessBroker()
    scheme = urlsplit(url).scheme.lower()
    if redis_url(url) is not None:
        from ledgerline.broker.redis_streams import RedisStreamsBroker

        return RedisStreamsBroker(url, stream=f"{namespace}:events")
    if nats_url(url) is not None:
        from ledgerline.broker.nats_jetstream import NatsJetStreamBroker

        return NatsJetStreamBroker(
            url, stream=namespace.upper().replace("-", "_"), subjects=namespace
        )
    raise UnsupportedBroker(
        f"unsupported broker URL scheme {scheme!r}: use redis://HOST:6379/0 or nats://HOST:4222"
    )
