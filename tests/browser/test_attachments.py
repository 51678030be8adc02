"""Attachments in the person's messenger (real Chromium): a bank's image arrives from
Ledgerline's own copy, and the person sends a photo of their own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import screenshot, sign_up
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A real 1x1 PNG, so the browser can decode it.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a3a20000000049454e44ae426082"
)


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


def _messages(receiver: RunningReceiver, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while True:
        found = [e["message"] for e in receiver.receiver.events() if "message" in e]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"expected {count} messages, got {found}"
        time.sleep(0.05)


def test_images_both_ways_come_from_ledgerline(
    live: RunningPlatform, receiver: RunningReceiver, phone: Page, tmp_path: Path
) -> None:
    bank = live.create_business("Demo Bank", webhook_url=receiver.url)
    receiver.receiver.app_secret = bank["app_secret"]
    page = phone
    sign_up(page, live.url, "an.photo", "correct horse battery")
    page.get_by_placeholder("Search banks and businesses").fill("demo")
    page.get_by_test_id("business").click()
    page.get_by_placeholder("Write a message…").fill("Xin chào")
    page.get_by_role("button", name="Send").click()
    _messages(receiver, 1)
    psid = receiver.receiver.events()[0]["sender"]["id"]

    token = {"access_token": bank["page_access_token"]}
    uploaded = httpx.post(
        live.url + "/v2.6/me/message_attachments",
        params=token,
        data={"message": json.dumps({"attachment": {"type": "image", "payload": {}}})},
        files={"filedata": ("card.png", PNG, "image/png")},
    )
    attachment_id = uploaded.json()["attachment_id"]
    sent = httpx.post(
        live.url + "/v2.6/me/messages",
        params=token,
        json={
            "recipient": {"id": psid},
            "message": {
                "attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}
            },
        },
    )
    assert sent.status_code == 200, sent.text
    image = page.locator(".msg.page [data-testid=media-image]")
    expect(image).to_be_visible()
    assert image.get_attribute("src").startswith(f"/attachments/{attachment_id}/")  # type: ignore[union-attr]
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 1

    photo = tmp_path / "me.png"
    photo.write_bytes(PNG)
    page.locator("#attach").set_input_files(str(photo))
    expect(page.locator(".msg.user [data-testid=media-image]")).to_be_visible()
    screenshot(page, "attachments-01-both-ways")
    (_, mine) = _messages(receiver, 2)
    (attachment,) = mine["attachments"]
    assert attachment["type"] == "image"
    fetched = httpx.get(live.url + httpx.URL(attachment["payload"]["url"]).path)
    assert fetched.content == PNG
