"""Attachments the platform re-hosts: a page's uploads and fetched URLs, a person's photos
and files. The person's browser only ever loads them from Ledgerline (a signed path,
``/attachments/{id}/{signature}``), never from a bank's server.

Bytes go to the blob store (``storage.blobs``) first, then the record is written; a crash
in between leaves an unreferenced file, never a record without its bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from ledgerline.delivery.media_fetch import fetch_media
from ledgerline.domain.attachments import MAX_ATTACHMENT_BYTES, check_file
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.ids import new_attachment_id
from ledgerline.storage.blobs import BlobStore
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import attachments as attachment_store
from ledgerline.storage.stores.attachments import AttachmentRow

PATH_PREFIX = "/attachments/"
REMOTE_PATH = "/attachments/remote"
MAX_REMOTE_IMAGE_BYTES = 8 * 1024 * 1024  # a template's or quick reply's picture
REMOTE_CACHE_BYTES = 64 * 1024 * 1024
REMOTE_CACHE_SECONDS = 3600.0


def do_record_attachment(uow: UnitOfWork, *, row: AttachmentRow) -> None:
    attachment_store.insert_attachment(uow.conn, row)


def access_page_attachment(uow: UnitOfWork, *, page_id: str, attachment_id: str) -> AttachmentRow:
    """A reusable attachment of this page (Messenger's ``attachment_id`` in a send)."""
    row = attachment_store.get_attachment(uow.conn, attachment_id)
    if row is None or row.page_id != page_id or row.user_id is not None or not row.reusable:
        raise InvalidParameter("param attachment_id is not a reusable attachment of this page")
    return row


class PictureCache:
    """Pictures fetched for people, kept an hour in this process (at most 64 MB, least
    recently used first out): a thread re-rendered does not fetch them from the bank again."""

    def __init__(
        self,
        *,
        max_bytes: int = REMOTE_CACHE_BYTES,
        ttl: float = REMOTE_CACHE_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.now = now
        self._items: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
        self._size = 0

    def get(self, url: str) -> tuple[bytes, str] | None:
        found = self._items.get(url)
        if found is None:
            return None
        expires, data, content_type = found
        if expires < self.now():
            self._drop(url)
            return None
        self._items.move_to_end(url)
        return data, content_type

    def put(self, url: str, data: bytes, content_type: str) -> None:
        if len(data) > self.max_bytes:
            return
        self._drop(url)
        self._items[url] = (self.now() + self.ttl, data, content_type)
        self._size += len(data)
        while self._size > self.max_bytes:
            self._drop(next(iter(self._items)))

    def _drop(self, url: str) -> None:
        found = self._items.pop(url, None)
        if found is not None:
            self._size -= len(found[1])


@dataclass
class Attachments:
    """Stores, fetches and names attachments (built by ``bootstrap``)."""

    db: Database
    blobs: BlobStore
    secret_key: bytes
    transport: httpx.AsyncBaseTransport
    allow_insecure_urls: bool
    pictures: PictureCache = field(default_factory=PictureCache)

    def signature(self, attachment_id: str) -> str:
        key = hashlib.sha256(b"ledgerline-attachment:" + self.secret_key).digest()
        return hmac.new(key, attachment_id.encode(), hashlib.sha256).hexdigest()[:32]

    def path(self, attachment_id: str) -> str:
        """Where the person's app (and, absolute, the bank) loads it from."""
        return f"{PATH_PREFIX}{attachment_id}/{self.signature(attachment_id)}"

    def verify(self, attachment_id: str, signature: str) -> bool:
        return hmac.compare_digest(self.signature(attachment_id), signature)

    def remote_path(self, url: str) -> str:
        """Where the person's app loads a template's picture from (``image_url`` of a generic
        or receipt element, of a quick reply): Ledgerline fetches it on request, so the
        person's browser never contacts the bank's server."""
        return f"{REMOTE_PATH}?{urlencode({'url': url, 'sig': self.signature('remote:' + url)})}"

    def verify_remote(self, url: str, signature: str) -> bool:
        return hmac.compare_digest(self.signature("remote:" + url), signature)

    async def fetch_remote_image(self, url: str) -> tuple[bytes, str]:
        """The picture at ``url`` (SSRF-guarded, at most 8 MB, an allowed image type)."""
        cached = self.pictures.get(url)
        if cached is not None:
            return cached
        fetched = await fetch_media(
            url,
            transport=self.transport,
            allow_insecure=self.allow_insecure_urls,
            max_bytes=MAX_REMOTE_IMAGE_BYTES,
            param="url",
        )
        checked = check_file(
            "image", fetched.data, content_type=fetched.content_type, filename=fetched.filename
        )
        self.pictures.put(url, fetched.data, checked.content_type)
        return fetched.data, checked.content_type

    async def store(
        self,
        *,
        page_id: str,
        user_id: str | None,
        kind: str,
        data: bytes,
        content_type: str | None,
        filename: str | None,
        reusable: bool,
        now: int,
        param: str = "filedata",
    ) -> AttachmentRow:
        checked = check_file(kind, data, content_type=content_type, filename=filename, param=param)
        blob_key = await asyncio.to_thread(self.blobs.put, data)
        row = AttachmentRow(
            attachment_id=new_attachment_id(),
            page_id=page_id,
            user_id=user_id,
            kind=checked.kind,
            content_type=checked.content_type,
            filename=checked.filename,
            size=len(data),
            blob_key=blob_key,
            reusable=reusable,
            created_at=now,
        )
        await self.db.write(do_record_attachment, row=row, partition=page_id)
        return row

    async def from_url(
        self, *, page_id: str, kind: str, url: str, reusable: bool, now: int, param: str
    ) -> AttachmentRow:
        fetched = await fetch_media(
            url,
            transport=self.transport,
            allow_insecure=self.allow_insecure_urls,
            max_bytes=MAX_ATTACHMENT_BYTES,
            param=param,
        )
        return await self.store(
            page_id=page_id,
            user_id=None,
            kind=kind,
            data=fetched.data,
            content_type=fetched.content_type,
            filename=fetched.filename,
            reusable=reusable,
            now=now,
            param=param,
        )

    async def read(self, row: AttachmentRow) -> bytes | None:
        return await asyncio.to_thread(self.blobs.get, row.blob_key)
