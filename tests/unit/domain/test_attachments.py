"""domain.attachments: which files are accepted, for which attachment type."""

from __future__ import annotations

import pytest

from ledgerline.domain.attachments import (
    MAX_ATTACHMENT_BYTES,
    check_file,
    media_kind,
    safe_filename,
)
from ledgerline.domain.errors import InvalidParameter

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


def test_the_declared_type_else_the_file_name_decides() -> None:
    assert (
        check_file("image", PNG, content_type="image/png; charset=x", filename="a.png").content_type
        == "image/png"
    )
    guessed = check_file(
        "file", b"%PDF", content_type="application/octet-stream", filename="Sao kê.PDF"
    )
    assert (guessed.content_type, guessed.filename) == ("application/pdf", "Sao kê.PDF")
    assert (
        check_file("image", WEBP, content_type=None, filename="x.webp").content_type == "image/webp"
    )


@pytest.mark.parametrize(
    ("kind", "data", "content_type", "filename", "says"),
    [
        ("image", b"", "image/png", "a.png", "is empty"),
        ("image", b"GIF", "image/png", "a.png", "is not a image/png image"),
        ("image", b"RIFF\x00\x00\x00\x00WAVE", "image/webp", None, "is not a image/webp image"),
        ("image", b"<svg/>", "image/svg+xml", "a.svg", "image/svg+xml is not allowed"),
        ("file", b"<html>", None, "page.html", "of type unknown is not allowed"),
        ("video", PNG, "image/png", None, "image/png is not allowed for a video"),
    ],
)
def test_refused(
    kind: str, data: bytes, content_type: str | None, filename: str | None, says: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        check_file(kind, data, content_type=content_type, filename=filename, param="p")
    assert caught.value.message.startswith("param p ")
    assert says in caught.value.message


def test_at_most_25_mb() -> None:
    big = PNG + b"\x00" * (MAX_ATTACHMENT_BYTES - len(PNG) + 1)
    with pytest.raises(InvalidParameter, match="larger than 25 MB"):
        check_file("image", big, content_type="image/png", filename=None)


def test_file_names_fit_a_header() -> None:
    assert safe_filename('../../etc/pa"ss wd.txt', "text/plain") == "pass wd.txt"
    assert safe_filename(None, "image/png") == "attachment.png"
    assert safe_filename("///", "application/x-unknown") == "attachment"


def test_media_kind() -> None:
    assert media_kind("audio", "t") == "audio"
    with pytest.raises(InvalidParameter, match="param t must be one of"):
        media_kind("template", "t")
