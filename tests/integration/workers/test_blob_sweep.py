"""workers.blob_sweep: the bytes no attachment record uses go, once untouched for a while."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledgerline.bootstrap import Services, build_services
from ledgerline.chat.accounts import do_create_business
from ledgerline.chat.attachments import do_record_attachment
from ledgerline.config import Settings
from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.storage.blobs import FileBlobStore
from ledgerline.storage.stores.attachments import AttachmentRow
from ledgerline.workers.blob_sweep import BlobSweepWorker
from tests.support.aio import run_async


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    platform = build_services(
        Settings(env="development", data_dir=tmp_path, database_url=database_url)
    )
    yield platform
    platform.close()


def test_unused_old_blobs_go_and_used_or_fresh_ones_stay(
    services: Services, tmp_path: Path
) -> None:
    blobs = FileBlobStore(tmp_path / "blobs")
    used, unused, fresh = (blobs.put(data) for data in (b"used", b"unused", b"fresh"))
    two_hours_ago = time.time() - 7200
    for key in (used, unused):
        path = tmp_path / "blobs" / key[:2] / key[2:4] / key
        os.utime(path, (two_hours_ago, two_hours_ago))
    now = to_ms(services.clock.now())
    bank = services.db.write_sync(
        do_create_business,
        secret_key=services.secret_key,
        name="Sweep Bank",
        webhook_url=None,
        verify_token=None,
        account_link_url=None,
        now=now,
    )
    row = AttachmentRow("1", bank.page_id, None, "file", "text/plain", "a.txt", 4, used, True, now)
    services.db.write_sync(do_record_attachment, row=row)
    worker = BlobSweepWorker(
        db=services.db, blobs=blobs, clock=FrozenClock(datetime.now(UTC)), grace=3600
    )

    assert run_async(worker.run_once) == 1
    assert blobs.get(used) == b"used"
    assert blobs.get(unused) is None
    assert blobs.get(fresh) == b"fresh"
    # Storing the same bytes again refreshes an old blob, so a sweep leaves it.
    os.utime(tmp_path / "blobs" / fresh[:2] / fresh[2:4] / fresh, (two_hours_ago, two_hours_ago))
    assert blobs.put(b"fresh") == fresh
    assert run_async(worker.run_once) == 0
    assert blobs.get(fresh) == b"fresh"


def test_an_empty_store_has_nothing_to_sweep(services: Services, tmp_path: Path) -> None:
    worker = BlobSweepWorker(
        db=services.db, blobs=FileBlobStore(tmp_path / "none"), clock=services.clock
    )
    assert run_async(worker.run_once) == 0
