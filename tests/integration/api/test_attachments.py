"""Attachments, re-hosted: the upload API, the Send API's attachment_id / url / filedata /
media template, the signed file URL, a person's photo, and the SSRF and size rules. In
process; the "bank's server" that URLs point at is a real file server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ledgerline.chat.attachments import Attachments
from ledgerline.delivery.egress import guarded_async_transport
from ledgerline.domain.errors import InvalidParameter
from ledgerline.storage.blobs import FileBlobStore
from ledgerline.storage.stores import threads as thread_store
from ledgerline.storage.tables import messages, webhook_events
from tests.support.aio import run_async
from tests.support.inprocess import InProcessPlatform, in_process_platform
from tests.support.server import ThreadedUvicorn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


class FileServer:
    """The bank's own server: serves a few files and counts every request it gets."""

    def __init__(self) -> None:
        self.hits = 0
        self.lock = threading.Lock()

        async def serve(request: Request) -> Response:
            with self.lock:
                self.hits += 1
            name = request.path_params["name"]
            if name == "card.png":
                return Response(PNG, media_type="image/png")
            if name == "page.html":
                return Response(b"<script>alert(1)</script>", media_type="text/html")
            if name == "huge.png":
                chunk = b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024 - 8)

                async def body() -> Any:
                    for _ in range(30):
                        yield chunk

                return StreamingResponse(body(), media_type="image/png")
            if name == "moved.png":
                return Response(status_code=302, headers={"location": "/files/card.png"})
            return Response(status_code=404)

        self.server = ThreadedUvicorn(Starlette(routes=[Route("/files/{name}", serve)]))

    def url(self, name: str) -> str:
        return f"{self.server.url}/files/{name}"


@pytest.fixture(scope="module")
def files() -> Iterator[FileServer]:
    served = FileServer()
    served.server.start()
    try:
        yield served
    finally:
        served.server.stop()


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def _auth(business: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {business['page_access_token']}"}


def _error(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    assert message.startswith("(#")
    return message


def _thread(live: InProcessPlatform, business: dict[str, str], user: dict[str, str]) -> str:
    thread = live.platform.db.read_sync(
        thread_store.get_thread, business["page_id"], user["user_id"]
    )
    assert thread is not None
    return thread.psid


def _page_bodies(live: InProcessPlatform) -> list[dict[str, Any]]:
    rows = live.platform.db.read_sync(
        lambda conn: conn.execute(
            sa.select(messages.c.body).where(messages.c.sender == "page").order_by(messages.c.seq)
        ).all()
    )
    return [json.loads(row.body) if isinstance(row.body, str) else row.body for row in rows]


def test_upload_then_send_by_id_url_file_and_media_template(
    live: InProcessPlatform, files: FileServer
) -> None:
    bank = live.create_business("Media Bank")
    other = live.create_business("Other Bank")
    an = live.create_user()

    async def scenario(http: httpx.AsyncClient) -> None:
        person = {"Authorization": f"Bearer {an['access_token']}"}
        hi = await http.post(
            f"/api/v1/threads/{bank['page_id']}/messages", json={"text": "hi"}, headers=person
        )
        assert hi.status_code == 201
        psid = _thread(live, bank, an)
        before = files.hits

        by_url = await http.post(
            "/v2.6/me/message_attachments",
            json={
                "message": {
                    "attachment": {
                        "type": "image",
                        "payload": {"url": files.url("card.png"), "is_reusable": "true"},
                    }
                }
            },
            headers=_auth(bank),
        )
        assert by_url.status_code == 200, by_url.text
        image_id = by_url.json()["attachment_id"]
        assert files.hits == before + 1

        by_file = await http.post(
            "/me/message_attachments",
            data={"message": json.dumps({"attachment": {"type": "file", "payload": {}}})},
            files={"filedata": ("statement.pdf", PDF, "application/pdf")},
            headers=_auth(bank),
        )
        assert by_file.status_code == 200, by_file.text
        file_id = by_file.json()["attachment_id"]

        def send(message: dict[str, Any]) -> Any:
            return http.post(
                "/v2.6/me/messages",
                json={"recipient": {"id": psid}, "message": message},
                headers=_auth(bank),
            )

        sent = await send({"attachment": {"type": "image", "payload": {"attachment_id": image_id}}})
        assert sent.status_code == 200, sent.text
        assert "attachment_id" not in sent.json()
        reused = await send({"attachment": {"type": "file", "payload": {"attachment_id": file_id}}})
        assert reused.status_code == 200
        # Sent by URL, reusable: fetched once more, and the answer names the new attachment.
        fetched = await send(
            {
                "attachment": {
                    "type": "image",
                    "payload": {"url": files.url("card.png"), "is_reusable": True},
                }
            }
        )
        assert fetched.status_code == 200
        assert fetched.json()["attachment_id"] not in (image_id, file_id)
        # pymessenger2's send_attachment: multipart, the file in filedata.
        multipart = await http.post(
            "/me/messages",
            data={
                "recipient": json.dumps({"id": psid}),
                "message": json.dumps(
                    {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
                ),
            },
            files={"filedata": ("photo.png", PNG, "image/png")},
            headers=_auth(bank),
        )
        assert multipart.status_code == 200, multipart.text
        assert multipart.json()["attachment_id"]
        media = await send(
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "media",
                        "elements": [
                            {
                                "media_type": "image",
                                "attachment_id": image_id,
                                "buttons": [
                                    {"type": "postback", "title": "Freeze", "payload": "F"}
                                ],
                            }
                        ],
                    },
                }
            }
        )
        assert media.status_code == 200, media.text

        # What the person's app gets: Ledgerline's copy, never the bank's URL.
        shown = (
            await http.get(f"/api/v1/threads/{bank['page_id']}/messages", headers=person)
        ).json()["data"]
        urls = [
            m["attachment"]["payload"].get("url")
            or m["attachment"]["payload"]["elements"][0]["url"]
            for m in shown
            if "attachment" in m
        ]
        assert len(urls) == 5
        assert all(url.startswith("http://127.0.0.1:8000/attachments/") for url in urls)
        assert all(files.server.url not in json.dumps(m) for m in shown)
        image = await http.get(httpx.URL(urls[0]).path)
        assert image.status_code == 200
        assert image.content == PNG
        assert image.headers["content-type"] == "image/png"
        assert image.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in image.headers["content-security-policy"]
        assert image.headers["content-disposition"].startswith("inline")
        document = await http.get(httpx.URL(urls[1]).path)
        assert document.content == PDF
        assert document.headers["content-disposition"] == 'attachment; filename="statement.pdf"'
        forged = httpx.URL(urls[0]).path[:-4] + "0000"
        assert (await http.get(forged)).status_code == 404

        # Another page cannot use this page's attachment.
        psid_other = None
        await http.post(
            f"/api/v1/threads/{other['page_id']}/messages", json={"text": "hi"}, headers=person
        )
        psid_other = _thread(live, other, an)
        stolen = await http.post(
            "/me/messages",
            json={
                "recipient": {"id": psid_other},
                "message": {
                    "attachment": {"type": "image", "payload": {"attachment_id": image_id}}
                },
            },
            headers=_auth(other),
        )
        assert "not a reusable attachment of this page" in _error(stolen)
        wrong_kind = await send(
            {"attachment": {"type": "video", "payload": {"attachment_id": image_id}}}
        )
        assert "is not a video attachment" in _error(wrong_kind)
        no_file = await send({"attachment": {"type": "image", "payload": {}}})
        assert "needs a url, an attachment_id or filedata" in _error(no_file)

    live.run(scenario)
    assert len(_page_bodies(live)) == 5


def test_bad_files_and_urls_are_refused_and_nothing_is_stored(
    live: InProcessPlatform, files: FileServer
) -> None:
    bank = live.create_business("Careful Bank")

    async def scenario(http: httpx.AsyncClient) -> None:
        def by_url(url: str, kind: str = "image") -> Any:
            body = {"message": {"attachment": {"type": kind, "payload": {"url": url}}}}
            return http.post("/me/message_attachments", json=body, headers=_auth(bank))

        def by_file(name: str, data: bytes, content_type: str, kind: str = "image") -> Any:
            message = json.dumps({"attachment": {"type": kind, "payload": {}}})
            return http.post(
                "/me/message_attachments",
                data={"message": message},
                files={"filedata": (name, data, content_type)},
                headers=_auth(bank),
            )

        assert "of type text/html is not allowed" in _error(await by_url(files.url("page.html")))
        assert "larger than 25 MB" in _error(await by_url(files.url("huge.png")))
        assert "HTTP 302" in _error(await by_url(files.url("moved.png")))
        assert "HTTP 404" in _error(await by_url(files.url("gone.png")))
        assert "is not a image/png image" in _error(await by_file("x.png", b"<svg/>", "image/png"))
        assert "image/svg+xml is not allowed" in _error(
            await by_file("x.svg", b"<svg/>", "image/svg+xml")
        )
        assert "is empty" in _error(await by_file("x.pdf", b"", "application/pdf", kind="file"))
        assert "must be one of image, audio, video, file" in _error(
            await by_url(files.url("card.png"), kind="sticker")
        )
        # Over the upload cap: refused before the body is read (413).
        huge = b"\x00" * (25 * 1024 * 1024 + 64 * 1024)
        assert "larger than" in _error(await by_file("x.png", huge, "image/png"), 413)
        no_source = await http.post(
            "/me/message_attachments",
            json={"message": {"attachment": {"type": "image", "payload": {}}}},
            headers=_auth(bank),
        )
        assert "url] or filedata is required" in _error(no_source)

    live.run(scenario)
    count = live.platform.db.read_sync(
        lambda conn: conn.execute(sa.text("SELECT count(*) FROM attachments")).scalar()
    )
    assert count == 0


def test_in_production_a_url_to_an_internal_address_is_refused_without_connecting(
    files: FileServer, tmp_path: Path
) -> None:
    """The fetch goes through the SSRF-guarded transport: ``localhost`` resolves to a
    loopback address, which is refused before any connection (the server sees nothing)."""
    port = httpx.URL(files.server.url).port
    service = Attachments(
        db=None,  # type: ignore[arg-type]  # never reached: the fetch is refused first
        blobs=FileBlobStore(tmp_path),
        secret_key=b"k" * 32,
        transport=guarded_async_transport(allow_internal=False),
        allow_insecure_urls=False,
    )
    before = files.hits
    for url, why in (
        (f"https://localhost:{port}/files/card.png", "internal or special-purpose address"),
        (f"https://127.0.0.1:{port}/files/card.png", "could not be fetched"),
        (f"http://bank.example:{port}/files/card.png", "https"),
    ):
        with pytest.raises(InvalidParameter, match=why):
            run_async(
                lambda url=url: service.from_url(  # type: ignore[misc]
                    page_id="1", kind="image", url=url, reusable=False, now=0, param="url"
                )
            )
    assert files.hits == before
    assert not any(tmp_path.iterdir())


def test_a_person_sends_a_photo_and_the_bank_gets_message_attachments(
    live: InProcessPlatform,
) -> None:
    bank = live.create_business("Photo Bank", webhook_url="http://127.0.0.1:9/webhook")
    an = live.create_user()

    async def scenario(http: httpx.AsyncClient) -> str:
        person = {"Authorization": f"Bearer {an['access_token']}"}
        path = f"/api/v1/threads/{bank['page_id']}/attachments"
        sent = await http.post(
            path, files={"filedata": ("me.png", PNG, "image/png")}, headers=person
        )
        assert sent.status_code == 201, sent.text
        refused = await http.post(
            path, files={"filedata": ("x.html", b"<b>", "text/html")}, headers=person
        )
        assert "of type text/html is not allowed" in _error(refused)
        not_multipart = await http.post(path, json={"filedata": "x"}, headers=person)
        assert _error(not_multipart)
        return str(sent.json()["mid"])

    mid = live.run(scenario)
    rows = live.platform.db.read_sync(
        lambda conn: conn.execute(
            sa.select(webhook_events.c.event).where(webhook_events.c.kind == "message")
        ).all()
    )
    (event,) = [json.loads(row.event) for row in rows]
    (attachment,) = event["message"]["attachments"]
    assert event["message"]["mid"] == mid
    assert "text" not in event["message"]
    assert attachment["type"] == "image"
    url = attachment["payload"]["url"]
    assert url.startswith("http://127.0.0.1:8000/attachments/")

    async def fetch(http: httpx.AsyncClient) -> bytes:
        return (await http.get(httpx.URL(url).path)).content

    assert live.run(fetch) == PNG

    # The person deletes their account: what they sent is no longer served.
    async def leave(http: httpx.AsyncClient) -> int:
        person = {"Authorization": f"Bearer {an['access_token']}"}
        gone = await http.delete("/api/v1/me", params={"confirm": "true"}, headers=person)
        assert gone.status_code == 200, gone.text
        return (await http.get(httpx.URL(url).path)).status_code

    assert live.run(leave) == 404


def test_template_pictures_are_fetched_for_the_person_never_by_their_browser(
    live: InProcessPlatform, files: FileServer
) -> None:
    bank = live.create_business("Picture Bank")
    an = live.create_user()

    async def scenario(http: httpx.AsyncClient) -> None:
        person = {"Authorization": f"Bearer {an['access_token']}"}
        await http.post(
            f"/api/v1/threads/{bank['page_id']}/messages", json={"text": "hi"}, headers=person
        )
        psid = _thread(live, bank, an)
        before = files.hits
        card = {
            "title": "Visa",
            "image_url": files.url("card.png"),
            "buttons": [{"type": "postback", "title": "Apply", "payload": "APPLY"}],
        }
        message = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "generic", "elements": [card]},
            },
            "quick_replies": [
                {
                    "content_type": "text",
                    "title": "Ok",
                    "payload": "OK",
                    "image_url": files.url("page.html"),
                }
            ],
        }
        sent = await http.post(
            "/me/messages",
            json={"recipient": {"id": psid}, "message": message},
            headers=_auth(bank),
        )
        assert sent.status_code == 200, sent.text
        assert files.hits == before  # nothing fetched at send time
        (shown,) = [
            m
            for m in (
                await http.get(f"/api/v1/threads/{bank['page_id']}/messages", headers=person)
            ).json()["data"]
            if "attachment" in m
        ]
        picture = shown["attachment"]["payload"]["elements"][0]["image_url"]
        assert picture.startswith("http://127.0.0.1:8000/attachments/remote?url=")
        assert files.server.url not in picture.split("?")[0]
        url = httpx.URL(picture)
        image = await http.get(url.path, params=url.params)
        assert image.status_code == 200
        assert image.content == PNG
        assert image.headers["x-content-type-options"] == "nosniff"
        assert files.hits == before + 1
        again = await http.get(url.path, params=url.params)
        assert again.content == PNG
        assert files.hits == before + 1  # kept a while: the bank is not asked again
        # Not a picture: refused, never served.
        chip = httpx.URL(shown["quick_replies"][0]["image_url"])
        assert "text/html is not allowed" in _error(await http.get(chip.path, params=chip.params))
        # Only URLs the platform signed: no open proxy.
        forged = dict(url.params)
        forged["url"] = files.url("page.html")
        assert (await http.get(url.path, params=forged)).status_code == 404

    live.run(scenario)
