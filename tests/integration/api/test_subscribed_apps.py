"""``/me/subscribed_apps`` as Meta's Graph API takes and answers it: the default
subscription, replacing the fields in every encoding clients use, Meta's errors, old
versions that leave the fields out, and unsubscribing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.domain.webhook_fields import DEFAULT_FIELDS
from tests.support.inprocess import in_process_server
from tests.support.server import RunningPlatform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with in_process_server(database_url, tmp_path) as running:
        yield running


class Page:
    def __init__(self, live: RunningPlatform) -> None:
        self.business = live.create_business("Ngân hàng A")
        self.http = live.client(params={"access_token": self.business["page_access_token"]})

    def fields(self) -> list[str] | None:
        answer = self.http.get("/v19.0/me/subscribed_apps")
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        if not data:
            return None
        (app,) = data
        assert app["id"] == self.business["app_id"]
        assert app["name"] == "Ngân hàng A"
        return list(app["subscribed_fields"])

    def subscribe(self, version: str = "/v19.0", **kwargs: Any) -> httpx.Response:
        return self.http.post(f"{version}/me/subscribed_apps", **kwargs)


@pytest.fixture
def page(live: RunningPlatform) -> Iterator[Page]:
    p = Page(live)
    try:
        yield p
    finally:
        p.http.close()


def test_a_new_business_is_subscribed_to_the_default_fields(page: Page) -> None:
    answer = page.http.get("/v19.0/me/subscribed_apps")
    assert answer.json() == {
        "data": [
            {
                "id": page.business["app_id"],
                "name": "Ngân hàng A",
                "subscribed_fields": [
                    "messages",
                    "messaging_postbacks",
                    "message_deliveries",
                    "message_reads",
                    "messaging_account_linking",
                    "fraud_alert_responses",
                    "fraud_reports",
                ],
            }
        ]
    }
    assert page.http.get("/me/subscribed_apps").json() == answer.json()  # unversioned too


def test_subscribing_replaces_the_fields_in_every_encoding(page: Page) -> None:
    chosen = ["messages", "standby", "messaging_handovers"]
    assert page.subscribe(json={"subscribed_fields": chosen}).json() == {"success": True}
    assert page.fields() == chosen

    assert page.subscribe(data={"subscribed_fields": "messages,message_reads"}).json() == {
        "success": True
    }
    assert page.fields() == ["messages", "message_reads"]

    # The array form of Rails and PHP clients, in the query and in a form body.
    assert (
        page.subscribe(params={"subscribed_fields[]": ["message_echoes", "messages"]}).status_code
        == 200
    )
    assert page.fields() == ["message_echoes", "messages"]
    assert page.subscribe(
        content=b"subscribed_fields[]=messaging_postbacks&subscribed_fields[]=feed",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ).json() == {"success": True}
    assert page.fields() == ["messaging_postbacks", "feed"]

    assert page.subscribe(params={"subscribed_fields": '["messages"]'}).status_code == 200
    assert page.fields() == ["messages"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "(#100) The parameter subscribed_fields is required"),
        ({"subscribed_fields": []}, "(#100) The parameter subscribed_fields is required"),
        ({"subscribed_fields": ""}, "(#100) The parameter subscribed_fields is required"),
        ({"subscribed_fields": ["messages", "mentions"]}, "subscribed_fields[1] must be one of"),
        ({"subscribed_fields": "messages,,standby"}, "subscribed_fields[1] must be one of"),
        ({"subscribed_fields": [7]}, "subscribed_fields[0] must be one of"),
        ({"subscribed_fields": {"messages": True}}, "subscribed_fields"),
        ({"subscribed_fields": "[messages"}, "subscribed_fields must be an array"),
    ],
)
def test_bad_subscriptions_get_metas_error_and_change_nothing(
    page: Page, body: dict[str, Any], message: str
) -> None:
    refused = page.subscribe(json=body)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == 100
    assert error["type"] == "OAuthException"
    assert message in error["message"]
    assert error["message"].startswith("(#100) ")
    assert page.fields() == list(DEFAULT_FIELDS)


def test_an_unknown_field_is_answered_with_metas_list(page: Page) -> None:
    refused = page.subscribe(json={"subscribed_fields": ["messages", "mentions"]})
    assert refused.json()["error"]["message"].startswith(
        "(#100) Param subscribed_fields[1] must be one of {messages, messaging_postbacks, "
    )
    assert refused.json()["error"]["message"].endswith('} - got "mentions"')


def test_the_subscription_is_the_pages_own(live: RunningPlatform, page: Page) -> None:
    other = live.create_business("Ngân hàng B")
    with live.client() as http:
        answer = http.post(
            "/v19.0/me/subscribed_apps",
            params={"access_token": other["page_access_token"]},
            json={"subscribed_fields": ["standby"]},
        )
        assert answer.json() == {"success": True}
        for method in ("GET", "POST", "DELETE"):
            refused = http.request(method, "/v19.0/me/subscribed_apps")
            assert refused.status_code == 400
            assert refused.json()["error"]["code"] == 190
            wrong = http.request(
                method, "/v19.0/me/subscribed_apps", params={"access_token": "EAALnope"}
            )
            assert wrong.json()["error"]["code"] == 190
    assert page.fields() == list(DEFAULT_FIELDS)


def test_unsubscribing_and_old_clients_that_name_no_fields(page: Page) -> None:
    assert page.http.delete("/v19.0/me/subscribed_apps").json() == {"success": True}
    assert page.http.get("/v19.0/me/subscribed_apps").json() == {"data": []}
    assert page.http.delete("/me/subscribed_apps").json() == {"success": True}  # idempotent

    # fbmessenger (v2.12) and messengerbot (v2.6) POST without fields: before Graph v3.2
    # that subscribed the app to the fields of its dashboard — here, the default ones.
    assert page.subscribe("/v2.6").json() == {"success": True}
    assert page.fields() == list(DEFAULT_FIELDS)
    page.subscribe(json={"subscribed_fields": ["messages"]}).raise_for_status()
    assert page.subscribe("/v2.12", json={}).json() == {"success": True}
    assert page.fields() == ["messages"]  # an old call keeps what the page chose
    assert page.subscribe("").json() == {"success": True}  # unversioned, as old
    assert page.fields() == ["messages"]

    refused = page.subscribe("/v3.2")
    assert refused.json()["error"]["message"] == (
        "(#100) The parameter subscribed_fields is required"
    )
    assert page.fields() == ["messages"]
