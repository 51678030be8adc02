"""The hot paths' statement counts, pinned (zulip's ``assert_database_query_count``): a
Send API message and one ingestion transaction. A change that adds a statement to either
fails here; one that saves a statement lowers the pin.

Everything runs in process: the Send API through the app (``httpx.ASGITransport``, with its
lifespan), ingestion through ``Ingestor.ingest`` as the financial endpoint calls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.bootstrap import Services, build_app, build_services
from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_user_message
from ledgerline.chat.routing import Inbound
from ledgerline.config import Settings
from ledgerline.domain.clock import to_ms
from ledgerline.domain.scopes import Scope
from ledgerline.fraud.online.scoring import FraudEngine
from ledgerline.ingest.actions import Ingestor, RecordKind
from ledgerline.linking.actions import do_complete_link, do_start_link
from ledgerline.storage.database import person_partition
from ledgerline.storage.stores import threads
from tests.support.aio import run_async
from tests.support.queries import assert_statement_count

AUTHORIZE = "http://127.0.0.1:9/authorize"


@pytest.fixture
def services(database_url: str, tmp_path: Path) -> Iterator[Services]:
    platform = build_services(
        Settings(env="development", data_dir=tmp_path, database_url=database_url)
    )
    yield platform
    platform.close()


def _bank(platform: Services) -> Any:
    return platform.db.write_sync(
        do_create_business,
        secret_key=platform.secret_key,
        name="Count Bank",
        webhook_url=None,
        verify_token=None,
        account_link_url=AUTHORIZE,
        now=to_ms(platform.clock.now()),
    )


def _person(platform: Services, bank: Any, scopes: frozenset[Scope]) -> str:
    """A person linked to ``bank`` with ``scopes`` (through the linking actions); the PSID."""
    from urllib.parse import parse_qs, urlsplit

    now = to_ms(platform.clock.now())
    user = platform.db.write_sync(
        do_create_user, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
    )
    started = platform.db.write_sync(
        do_start_link,
        user_id=user.user_id,
        page_id=bank.page_id,
        url=AUTHORIZE,
        scopes=scopes,
        text_version=None,
        public_url="http://127.0.0.1:8000",
        now=now,
    )
    redirect_uri = parse_qs(urlsplit(started.redirect_url).query)["redirect_uri"][0]
    state = parse_qs(urlsplit(redirect_uri).query)["state"][0]
    platform.db.write_sync(
        do_complete_link,
        state=state,
        code="count",
        caller=user.user_id,
        binding=None,
        now=now,
        hooks=platform.linking_hooks,
    )
    platform.db.write_sync(  # the person writes: the 24-hour window is open
        do_user_message,
        user_id=user.user_id,
        page_id=bank.page_id,
        body={"text": "hi"},
        now=now,
        inbound=Inbound(),
    )
    thread = platform.db.read_sync(threads.get_thread, bank.page_id, user.user_id)
    assert thread is not None
    return thread.psid


def _transaction(n: int) -> dict[str, Any]:
    return {
        "transaction_id": f"tx-{n}",
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": str(125_000 + n), "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        "merchant": {"name": "Highlands Coffee", "category_code": "5814", "city": "Hà Nội"},
        "terminal_id": "T-88",
    }


def _ingest(ingestor: Ingestor, page_id: str, psid: str, n: int) -> dict[str, Any]:
    body = {"psid": psid, "transactions": [_transaction(n)]}
    return run_async(
        lambda: ingestor.ingest(
            page_id=page_id, kind=RecordKind.TRANSACTION, body=body, idempotency_key=None
        )
    )


def test_one_transaction_ingested(services: Services) -> None:
    """Stored (vault), posted as an update (vault, message), audited: one transaction."""
    bank = _bank(services)
    psid = _person(services, bank, frozenset({Scope.TRANSACTIONS, Scope.BALANCES}))
    ingestor = Ingestor(db=services.db, vault=services.vault, clock=services.clock)
    # the thread; consent; the data key (new: read, then created); the record; anything held
    # back?; the person's language and preferences; the update's body (vault) and message;
    # the thread's last message; the audit head, 3 entries (store, read, store), the head
    with assert_statement_count(services.db, 15, partition=person_partition(bank.page_id, psid)):
        assert _ingest(ingestor, bank.page_id, psid, 1)["accepted"] == 1
    with assert_statement_count(
        services.db, 14, partition=person_partition(bank.page_id, psid)
    ):  # the key exists
        assert _ingest(ingestor, bank.page_id, psid, 2)["accepted"] == 1


def test_one_transaction_ingested_and_scored(services: Services) -> None:
    """The same with the person's ``fraud_alerts`` consent: the fraud engine scores it."""
    bank = _bank(services)
    scopes = frozenset({Scope.TRANSACTIONS, Scope.BALANCES, Scope.FRAUD_ALERTS})
    psid = _person(services, bank, scopes)
    engine = FraudEngine.load(None)
    ingestor = Ingestor(db=services.db, vault=services.vault, clock=services.clock, fraud=engine)
    _ingest(ingestor, bank.page_id, psid, 1)
    # as above, plus the card's and the terminal's states (read, written), the business's
    # alert policy, and a 4th audit entry (the fraud engine's read)
    with assert_statement_count(services.db, 20, partition=person_partition(bank.page_id, psid)):
        assert _ingest(ingestor, bank.page_id, psid, 2)["accepted"] == 1


def test_one_message_through_the_send_api(services: Services) -> None:
    bank = _bank(services)
    psid = _person(services, bank, frozenset({Scope.TRANSACTIONS}))
    app = build_app(services, run_workers=False)
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "Hi"}}
    headers = {"Authorization": f"Bearer {bank.page_access_token}"}

    async def send_twice() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://ledgerline.test") as http,
        ):
            first = await http.post("/v19.0/me/messages", json=body, headers=headers)
            # the thread with whether its person is reachable, who controls it and the page's
            # webhook fields (storage/stores/send_targets.py); the thread touched and
            # numbered; the message (the lifespan's push notifier may load who has push
            # subscriptions meanwhile: a statement of its own, not the message's)
            with assert_statement_count(
                services.db,
                3,
                partition=person_partition(bank.page_id, psid),
                background=("FROM push_subscriptions",),
            ):
                second = await http.post("/v19.0/me/messages", json=body, headers=headers)
            return [first, second]

    for response in run_async(send_twice):
        assert response.status_code == 200, response.text


def test_the_counter_sees_writes_reads_and_prepared_statements(services: Services) -> None:
    """What the pins rest on: a statement more or less is caught, wherever it runs."""
    import sqlalchemy as sa

    def write(uow: Any) -> None:
        uow.conn.execute(sa.text("SELECT 1"))
        threads.thread_by_psid(uow.conn, "1", "2")  # a prepared statement, on the driver

    def three_statements() -> None:
        with assert_statement_count(services.db, 2):
            services.db.write_sync(write)
            services.db.read_sync(lambda conn: conn.execute(sa.text("SELECT 2")).scalar())

    with pytest.raises(AssertionError, match="3 statements, expected 2") as failed:
        three_statements()
    assert "SELECT 2" in str(failed.value)  # the listing names them
    with assert_statement_count(services.db, 0):
        services.db.write_sync(lambda uow: None)  # transaction control is not counted
