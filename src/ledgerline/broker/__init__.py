"""The broker port: carries messages between the platform's processes.

In-process by default (one process: nothing to carry); Redis Streams or NATS JetStream when
scaled out (``LEDGERLINE_BROKER_URL=redis://…`` or ``nats://…``). What travels is fan-out —
live frames for people's sockets and outbox wake-ups — never the only copy of anything: the
database holds every message and every pending webhook.
"""

from ledgerline.broker.base import Broker, BrokerMessage, Handler
from ledgerline.broker.factory import UnsupportedBroker, broker_from_url, nats_url, redis_url
from ledgerline.broker.inprocess import InProcessBroker, LocalBus

__all__ = [
    "Broker",
    "BrokerMessage",
    "Handler",
    "InProcessBroker",
    "LocalBus",
    "UnsupportedBroker",
    "broker_from_url",
    "nats_url",
    "redis_url",
]
