"""Headers every answer carries, pages and API alike: ``X-Content-Type-Options: nosniff``
(a browser never guesses a JSON answer or an uploaded file into HTML), and in production
``Strict-Transport-Security`` (the platform is served over https behind its proxy; a browser
that saw it once never downgrades). A header an inner layer already set is left alone."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.extra = [(b"x-content-type-options", b"nosniff")]
        if hsts:
            self.extra.append((b"strict-transport-security", HSTS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in self.extra if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
