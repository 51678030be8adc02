"""Attachment records (``tables.attachments``); the bytes are in the blob store."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledgerline.storage.tables import attachments


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    attachment_id: str
    page_id: str
    user_id: str | None
    kind: str
    content_type: str
    filename: str
    size: int
    blob_key: str
    reusable: bool
    created_at: int


def insert_attachment(conn: sa.Connection, row: AttachmentRow) -> None:
    conn.execute(
        attachments.insert().values(
            attachment_id=row.attachment_id,
            page_id=row.page_id,
            user_id=row.user_id,
            kind=row.kind,
            content_type=row.content_type,
            filename=row.filename,
            size=row.size,
            blob_key=row.blob_key,
            reusable=row.reusable,
            created_at=row.created_at,
        )
    )


def get_attachment(conn: sa.Connection, attachment_id: str) -> AttachmentRow | None:
    row = conn.execute(
        sa.select(attachments).where(attachments.c.attachment_id == attachment_id)
    ).first()
    if row is None:
        return None
    values = row._asdict()
    values["reusable"] = bool(values["reusable"])
    return AttachmentRow(**values)


def delete_person_txn(conn: sa.Connection, user_id: str) -> list[str]:
    """Delete the records of what the person sent; the blob keys no record uses any more
    (their bytes may go: ``storage.blobs``)."""
    keys = set(
        conn.execute(
            sa.select(attachments.c.blob_key).where(attachments.c.user_id == user_id)
        ).scalars()
    )
    if not keys:
        return []
    conn.execute(attachments.delete().where(attachments.c.user_id == user_id))
    still_used = set(
        conn.execute(
            sa.select(attachments.c.blob_key).where(attachments.c.blob_key.in_(sorted(keys)))
        ).scalars()
    )
    return sorted(keys - still_used)


def referenced_keys(conn: sa.Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` some attachment record still uses."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            conn.execute(
                sa.select(attachments.c.blob_key).where(attachments.c.blob_key.in_(chunk))
            ).scalars()
        )
    return found
