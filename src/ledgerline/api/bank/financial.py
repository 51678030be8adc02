"""Bank data in (this platform's extension of the Graph API): balances, transactions,
receipts, shipments and the bank's own fraud alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from ledgerline.api.bank.routing import graph_call, graph_route
from ledgerline.api.context import AppContext
from ledgerline.api.deps import Context
from ledgerline.api.limits import enforce
from ledgerline.api.openapi import documented_schemas
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.fields import json_schemas
from ledgerline.ingest.actions import RecordKind
from ledgerline.ingest.validation import BODIES

router = APIRouter(tags=["Financial data"])


class AlertOut(BaseModel):
    alert_id: str
    transaction_id: str
    score: float


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    alerts: list[AlertOut]


PSID = "12345678901234567890"
EXAMPLES: dict[RecordKind, dict[str, Any]] = {
    RecordKind.BALANCE: {
        "psid": PSID,
        "account_id": "acc-1",
        "account_name": "Tài khoản thanh toán",
        "available": {"amount": "1250000", "currency": "VND"},
        "current": {"amount": "1300000", "currency": "VND"},
        "as_of": "2026-11-29T09:30:00+07:00",
    },
    RecordKind.TRANSACTION: {
        "psid": PSID,
        "transactions": [
            {
                "transaction_id": "tx-1001",
                "account_id": "acc-1",
                "card_last4": "1234",
                "amount": {"amount": "125000", "currency": "VND"},
                "credit_debit": "debit",
                "status": "booked",
                "booked_at": "2026-11-29T08:15:00+07:00",
                "merchant": {
                    "name": "Highlands Coffee",
                    "category_code": "5814",
                    "city": "Hà Nội",
                    "country": "VN",
                },
                "terminal_id": "T-88",
            }
        ],
    },
    RecordKind.RECEIPT: {
        "psid": PSID,
        "recipient_name": "An",
        "order_number": "HD-7781",
        "currency": "VND",
        "payment_method": "Visa 1234",
        "summary": {"total_cost": 125000},
        "elements": [{"title": "Cà phê sữa đá", "price": 125000, "quantity": 1}],
    },
    RecordKind.SHIPMENT: {
        "psid": PSID,
        "order_id": "HD-7781",
        "carrier": "GHN",
        "tracking_number": "GHN123",
        "status": "in_transit",
        "eta": "2026-12-01T17:00:00+07:00",
    },
    RecordKind.FRAUD_ALERT: {
        "psid": PSID,
        "transaction_id": "tx-1001",
        "reason": "Unusual location",
    },
}
PATHS: dict[RecordKind, str] = {
    RecordKind.BALANCE: "/me/balances",
    RecordKind.TRANSACTION: "/me/transactions",
    RecordKind.RECEIPT: "/me/receipts",
    RecordKind.SHIPMENT: "/me/shipments",
    RecordKind.FRAUD_ALERT: "/me/fraud_alerts",
}

INGEST_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {
        "model": ERRORS[403]["model"],
        "description": "The person's consent does not cover this category (nothing stored)",
    },
    409: {
        "model": ERRORS[400]["model"],
        "description": "Idempotency-Key reused with a different body",
    },
}


async def ingest(
    ctx: AppContext,
    request: Request,
    kind: RecordKind,
    version: str | None,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """One kind of bank data in (also served by ``lane``, ahead of FastAPI's router)."""
    params, auth = await graph_call(request, ctx, version)
    await enforce(ctx.limits.ingest, auth.page_id)
    body = {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof")}
    result = await ctx.ingestor.ingest(
        page_id=auth.page_id, kind=kind, body=body, idempotency_key=idempotency_key
    )
    metrics = ctx.metrics
    metrics.ingested.labels(kind.value).inc(result.get("accepted", 0))
    if result.get("duplicates"):
        metrics.ingest_duplicates.labels(kind.value).inc(result["duplicates"])
    return result


def _endpoint(kind: RecordKind) -> Any:
    async def endpoint(
        request: Request,
        ctx: Context,
        version: str | None = None,
        idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    ) -> dict[str, Any]:
        return await ingest(ctx, request, kind, version, idempotency_key)

    endpoint.__name__ = f"ingest_{kind}"
    return endpoint


for _kind, _path in PATHS.items():
    graph_route(
        router,
        _path,
        ["POST"],
        response_model=IngestOut,
        responses=INGEST_ERRORS,
        summary=f"Share {_kind.replace('_', ' ')} data for a linked person",
        openapi_extra=documented_schemas(json_schemas(BODIES[_kind]), {"example": EXAMPLES[_kind]}),
    )(_endpoint(_kind))
