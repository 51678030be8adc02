"""Bank data (CONTRACTS §2, financial data): the bodies, declared once, and their records.

Each body is an ``Obj`` of field specs (``domain/fields.py``): the same declaration validates
a request and gives the JSON schema the OpenAPI document shows (``BODIES``), so the two
cannot drift. Amounts are decimal strings with an ISO 4217 currency whose minor units come
from Babel's CLDR data; times carry a timezone and lie in the documented range; strings are
bounded. Error messages name the field, never its value, so no financial value reaches a
log or an error body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerline.domain.clock import TIME_RANGE_TEXT, in_time_range
from ledgerline.domain.errors import bad_param
from ledgerline.domain.fields import (
    Amount,
    AnyObject,
    Array,
    Checked,
    Choice,
    Moment,
    Obj,
    Spec,
    Text,
)
from ledgerline.domain.messages import MAX_PAYLOAD, MAX_RECEIPT_ELEMENTS, normalize_page_message
from ledgerline.domain.money import parse_currency
from ledgerline.domain.records import RecordKind

MAX_TRANSACTIONS = 1000
MAX_TEXT = 200
MAX_REASON = 500
SHIPMENT_STATUSES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception")

PSID = Text(max_length=32, description="The person's page-scoped id (PSID)")


def _body(name: str, description: str, **fields: Spec) -> Obj:
    return Obj(name, {"psid": PSID, **fields}, description=description)


MERCHANT = Obj(
    "Merchant",
    {
        "name": Text(required=False, example="Highlands Coffee"),
        "category_code": Text(
            max_length=4,
            required=False,
            pattern=r"\d{4}",
            problem="must be a 4-digit MCC",
            description="Merchant category code (ISO 18245)",
            example="5814",
        ),
        "city": Text(required=False, example="Hà Nội"),
        "country": Text(
            max_length=2,
            required=False,
            pattern=r"[A-Z]{2}",
            problem="must be an ISO 3166 alpha-2 code",
            numbers=False,
            upper=True,
            example="VN",
        ),
    },
    required=False,
)

TRANSACTION = Obj(
    "TransactionIn",
    {
        "transaction_id": Text(max_length=128, description="The bank's id; deduplicates"),
        "account_id": Text(max_length=64, required=False),
        "card_last4": Text(
            max_length=4,
            required=False,
            pattern=r"\d{4}",
            problem="must be exactly four digits",
            numbers=False,
            description="Only the last four digits: a full card number is refused",
        ),
        "amount": Amount(),
        "credit_debit": Choice(("debit", "credit"), default="debit"),
        "status": Choice(("pending", "booked"), default="booked"),
        "booked_at": Moment(example="2026-11-29T08:15:00+07:00"),
        "merchant": MERCHANT,
        "terminal_id": Text(
            max_length=64,
            required=False,
            description="The payment terminal (fraud features are per terminal)",
        ),
    },
)


def _currency(value: str, param: str) -> str:
    return parse_currency(value, param)


BODIES: dict[RecordKind, Obj] = {
    RecordKind.BALANCE: _body(
        "BalanceIn",
        "An account's balance at a moment",
        account_id=Text(max_length=64),
        account_name=Text(required=False),
        available=Amount(signed=True),
        current=Amount(signed=True),
        as_of=Moment(example="2026-11-29T09:30:00+07:00"),
    ),
    RecordKind.TRANSACTION: _body(
        "TransactionsIn",
        "Card or account transactions; the same transaction_id twice is one transaction",
        transactions=Array(TRANSACTION, max_length=MAX_TRANSACTIONS, noun="transactions"),
    ),
    RecordKind.RECEIPT: _body(
        "ReceiptIn",
        "A receipt: the fields of Messenger's receipt template (its rules apply)",
        recipient_name=Text(max_length=MAX_PAYLOAD),
        order_number=Text(max_length=MAX_PAYLOAD),
        currency=Checked(Text(max_length=3, numbers=False), _currency),
        payment_method=Text(max_length=MAX_PAYLOAD),
        summary=AnyObject(description="`total_cost` required, as in the receipt template"),
        elements=Array(
            AnyObject(),
            max_length=MAX_RECEIPT_ELEMENTS,
            min_length=0,
            noun="elements",
            required=False,
        ),
    ),
    RecordKind.SHIPMENT: _body(
        "ShipmentIn",
        "A delivery update",
        order_id=Text(max_length=128),
        carrier=Text(max_length=100),
        tracking_number=Text(max_length=128),
        status=Choice(SHIPMENT_STATUSES),
        eta=Moment(required=False),
        url=Text(max_length=2000, required=False, url=True),
    ),
    RecordKind.FRAUD_ALERT: _body(
        "FraudAlertIn",
        "The bank's own fraud alert about a transaction",
        transaction_id=Text(max_length=128),
        reason=Text(max_length=MAX_REASON),
    ),
}


@dataclass(frozen=True, slots=True)
class Item:
    """One validated record: its dedup reference, when it happened, its payload."""

    ref: str | None
    occurred_at: int
    payload: dict[str, Any]


def psid_of(body: dict[str, Any]) -> str:
    psid = PSID.parse(body.get("psid"), "psid")
    assert psid is not None  # noqa: S101 - required
    return psid


# What each body says about its records: the body without its ``psid`` (``psid_of`` reads
# that, before anything else, to find the person).
_RECORDS: dict[RecordKind, Obj] = {
    kind: Obj(body.name, {k: v for k, v in body.fields.items() if k != "psid"})
    for kind, body in BODIES.items()
}


def _fields(kind: RecordKind, body: dict[str, Any]) -> dict[str, Any]:
    parsed = _RECORDS[kind].parse(body)
    assert parsed is not None  # noqa: S101 - the body is an object
    return parsed


def balance(body: dict[str, Any]) -> list[Item]:
    payload = _fields(RecordKind.BALANCE, body)
    return [
        Item(
            ref=f"{payload['account_id']}@{payload['as_of']}",
            occurred_at=payload["as_of"],
            payload=payload,
        )
    ]


def transactions(body: dict[str, Any]) -> list[Item]:
    unique: dict[str, Item] = {}
    for tx in _fields(RecordKind.TRANSACTION, body)["transactions"]:
        # the same id twice in one request is one transaction
        unique.setdefault(
            tx["transaction_id"],
            Item(ref=tx["transaction_id"], occurred_at=tx["booked_at"], payload=tx),
        )
    return list(unique.values())


def receipt(body: dict[str, Any], now: int) -> list[Item]:
    _fields(RecordKind.RECEIPT, body)  # the body's shape; the template's own rules next
    fields = {k: v for k, v in body.items() if k not in ("psid", "access_token")}
    message = normalize_page_message(
        {"attachment": {"type": "template", "payload": {**fields, "template_type": "receipt"}}}
    )
    payload = message["attachment"]["payload"]
    occurred = now
    if payload.get("timestamp"):
        try:
            occurred = int(float(payload["timestamp"]) * 1000)
        except (ValueError, OverflowError):  # "nan", "1e999"
            raise bad_param("timestamp", "must be a Unix time in seconds") from None
        if not in_time_range(occurred):
            raise bad_param("timestamp", f"must be {TIME_RANGE_TEXT}")
    return [Item(ref=str(payload["order_number"]), occurred_at=occurred, payload=payload)]


def shipment(body: dict[str, Any], now: int) -> list[Item]:
    payload = _fields(RecordKind.SHIPMENT, body)
    ref = f"{payload['order_id']}:{payload['tracking_number']}:{payload['status']}"
    return [Item(ref=ref, occurred_at=now, payload=payload)]


def fraud_alert(body: dict[str, Any], now: int) -> list[Item]:
    payload = _fields(RecordKind.FRAUD_ALERT, body)
    return [Item(ref=payload["transaction_id"], occurred_at=now, payload=payload)]
