"""Headers every answer carries, pages and API alike: ``X-Content-Type-Options: nosniff``
(a browser never guesses a JSON answer or an uploaded file into HTML), and in production
``Strict-Transport-Security`` (the platform is served over https behind its proxy; a browser
that saw it once never downgrades). A header an inner layer already set is left alone. The
app's front door (``api.front_door``) adds them to every response it starts."""

from __future__ import annotations

from collections.abc import Iterable

Header = tuple[bytes, bytes]
HSTS = b"max-age=31536000; includeSubDomains"


def security_headers(*, hsts: bool) -> tuple[Header, ...]:
    extra = [(b"x-content-type-options", b"nosniff")]
    if hsts:
        extra.append((b"strict-transport-security", HSTS))
    return tuple(extra)


def with_security_headers(headers: Iterable[Header], extra: tuple[Header, ...]) -> list[Header]:
    """``headers`` (an ASGI response's) plus those of ``extra`` it lacks."""
    answer = list(headers)
    present = {name.lower() for name, _ in answer}
    answer.extend(item for item in extra if item[0] not in present)
    return answer
