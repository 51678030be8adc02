"""Load generation in processes of their own: a paced HTTP sender and WebSocket receivers.

Each runs in its own process (its own GIL), so the figures measure the server rather than the
load generator. The sender stamps every request body with its *scheduled* send time
(``time.monotonic_ns()``, CLOCK_MONOTONIC, one clock for all processes) in place of the
``__TS__`` marker; the platform carries that text into the person's frame, and the receivers
compute latency as arrival − stamp. Open loop: a request waits for a free connection if
all are busy, and that wait counts in its latency, as it would for a real client.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

STAMP = "__TS__"
NUMBER = "__N__"  # in a path: the request's number (e.g. a unique transaction id)
_STAMP_RE = re.compile(rb"#(\d+)_(\d{9})\b")


def stamp_text(ns: int) -> str:
    """``seconds_nanoseconds``: never 13+ digits in a row, which the platform would rightly
    refuse as a possible card number."""
    return f"{ns // 10**9}_{ns % 10**9:09d}"


@dataclass
class SendResult:
    scheduled: int = 0
    completed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    request_ms: list[float] = field(default_factory=list)
    accepted_at: dict[int, int] = field(default_factory=dict)  # stamp -> when answered 2xx
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


def _request_bytes(path: str, headers: dict[str, str], body: bytes, method: str = "POST") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _send(
    port: int,
    path: str | list[str],
    headers: dict[str, str],
    bodies: list[str],
    rate: float,
    seconds: float,
    connections: int,
    method: str = "POST",
) -> SendResult:
    result = SendResult()
    due: asyncio.Queue[int | None] = asyncio.Queue()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (scheduled := await due.get()) is not None:
                n = result.scheduled
                body = bodies[n % len(bodies)].replace(STAMP, stamp_text(scheduled))
                target = path if isinstance(path, str) else path[n % len(path)]
                result.scheduled += 1
                try:
                    request = _request_bytes(
                        target.replace(NUMBER, str(n)), headers, body.encode(), method
                    )
                    writer.write(request)
                    status = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    result.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                answered = time.monotonic_ns()
                result.statuses[status] += 1
                result.completed += 1
                result.request_ms.append((answered - scheduled) / 1e6)
                if 200 <= status < 300:
                    result.accepted_at[scheduled] = answered
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    begin = time.monotonic_ns()
    interval = 1e9 / rate
    total = int(rate * seconds)
    for i in range(total):
        target = begin + int(i * interval)
        delay = (target - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(target)
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    result.seconds = (time.monotonic_ns() - begin) / 1e9
    return result


def _send_main(args: tuple[Any, ...], out: Any) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    out.send(asyncio.run(_send(*args)))


def paced_posts(
    port: int,
    path: str | list[str],
    headers: dict[str, str],
    bodies: list[str],
    *,
    rate: float,
    seconds: float,
    connections: int = 64,
    method: str = "POST",
) -> SendResult:
    """POST (or ``method``) ``bodies`` round robin at ``rate``/s for ``seconds`` from a
    process of its own; ``path`` may be a list, also taken round robin, where ``__N__``
    becomes the request's number."""
    parent, child = mp.Pipe()
    process = mp.get_context("spawn").Process(
        target=_send_main,
        args=((port, path, headers, bodies, rate, seconds, connections, method), child),
        daemon=True,
    )
    process.start()
    result: SendResult = parent.recv()
    process.join()
    return result


@dataclass
class Arrivals:
    frames: int = 0
    arrived_at: dict[int, int] = field(default_factory=dict)  # stamp -> frame arrival
    disconnects: int = 0
    last_error: str = ""

    def since_stamp_ms(self) -> list[float]:
        """Latency of every stamped frame from its request's scheduled send time."""
        return [(at - stamp) / 1e6 for stamp, at in self.arrived_at.items()]

    def since_accepted_ms(self, sent: SendResult) -> list[float]:
        """Latency from each request's 2xx answer to its frame."""
        return [
            max(0.0, (at - sent.accepted_at[stamp]) / 1e6)
            for stamp, at in self.arrived_at.items()
            if stamp in sent.accepted_at
        ]


async def _receive(url: str, tokens: list[str], ready: Any, stop: Any, count: Any) -> Arrivals:
    from websockets.asyncio.client import connect

    arrivals = Arrivals()
    opened: set[str] = set()

    async def one(token: str) -> None:
        while not stop.is_set():
            try:
                async with connect(
                    f"{url}/api/v1/stream?access_token={token}",
                    max_queue=None,
                    ping_interval=None,
                    compression=None,
                ) as ws:
                    opened.add(token)
                    if len(opened) == len(tokens):
                        ready.set()
                    while not stop.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(decode=False), 0.25)
                        except TimeoutError:
                            continue
                        now = time.monotonic_ns()
                        arrivals.frames += 1
                        count.value += 1
                        match = _STAMP_RE.search(raw)
                        if match is not None:
                            stamp = int(match[1]) * 10**9 + int(match[2])
                            arrivals.arrived_at.setdefault(stamp, now)
            except Exception as exc:
                arrivals.disconnects += 1
                arrivals.last_error = repr(exc)
                await asyncio.sleep(0.1)

    await asyncio.gather(*(one(token) for token in tokens))
    return arrivals


def _receive_main(url: str, tokens: list[str], ready: Any, stop: Any, count: Any, out: Any) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    out.send(asyncio.run(_receive(url, tokens, ready, stop, count)))


class Receivers:
    """Every person's WebSocket, in a process of its own; ``frames`` counts arrivals live."""

    def __init__(self, url: str, tokens: list[str]) -> None:
        context = mp.get_context("spawn")
        self._ready = context.Event()
        self._stop = context.Event()
        self._parent, child = context.Pipe()
        self._count = context.Value("q", 0, lock=False)
        self.process = context.Process(
            target=_receive_main,
            args=(url, tokens, self._ready, self._stop, self._count, child),
            daemon=True,
        )
        self.result: Arrivals | None = None

    def __enter__(self) -> Receivers:
        self.process.start()
        if not self._ready.wait(60):
            self.process.kill()
            raise RuntimeError("WebSockets did not open")
        return self

    @property
    def frames(self) -> int:
        return int(self._count.value)

    def finish(self) -> Arrivals:
        """Stop listening and return every arrival since the start."""
        if self.result is None:
            self._stop.set()
            self.result = self._parent.recv()
            self.process.join(timeout=10)
        return self.result

    def __exit__(self, *exc: object) -> None:
        self.finish()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
