"""The bank's end of the webhooks in the benchmarks: a plain ASGI app that answers every POST
with 200 and counts the events it received; ``GET /count`` tells how many echoes (what the
bank sent through the Send API, echoed back: one per accepted message) so far, ``GET
/?hub.challenge=X`` answers X (Messenger's verification)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

events = 0


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global events
    if scope["type"] != "http":
        return
    body = await _body(receive)
    answer = b"ok"
    if scope["method"] == "POST":
        payload = json.loads(body or b"{}")
        for entry in payload.get("entry", []):
            for event in entry.get("messaging", []):
                if event.get("message", {}).get("is_echo"):
                    events += 1
    elif scope["path"] == "/count":
        answer = str(events).encode()
    else:
        query = parse_qs(scope.get("query_string", b"").decode())
        answer = query.get("hub.challenge", ["ok"])[0].encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": answer})
