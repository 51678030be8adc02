"""The words of financial updates, in the person's language (``language.formatter``).

English is the source language; translations live in the gettext catalogue
``language/locales/<lang>/LC_MESSAGES/updates.po``.
"""

from __future__ import annotations

from typing import Any

from ledgerline.language.formatter import Formatter

# The postback of "Not me" on a payment message: ``LEDGERLINE_NOT_ME:<mid>:<transaction_id>``
# (the payment message's own mid, so its card can show the report; the bank's id).
NOT_ME_PREFIX = "LEDGERLINE_NOT_ME:"


def _(msgid: str) -> str:
    """Marks a source text for extraction; translated by ``Formatter._`` at send time."""
    return msgid


SHIPMENT_TEXTS = {
    "label_created": _("Your order {order} is ready to ship with {carrier}."),
    "in_transit": _("Your order {order} is on its way with {carrier}."),
    "out_for_delivery": _("Your order {order} is out for delivery with {carrier}."),
    "delivered": _("Your order {order} was delivered by {carrier}."),
    "exception": _("There is a problem delivering your order {order} ({carrier})."),
}


# What a shipment card says its status is, in a word or two.
SHIPMENT_STATUS = {
    "label_created": _("Ready to ship"),
    "in_transit": _("On its way"),
    "out_for_delivery": _("Out for delivery"),
    "delivered": _("Delivered"),
    "exception": _("Delivery problem"),
}


def transaction_text(
    fmt: Formatter, tx: dict[str, Any], summary: dict[str, Any] | None = None
) -> str:
    """The transaction in a sentence; ``summary``: its :func:`payment_summary` when the
    caller has it already (the amount, time and card are formatted once a message)."""
    if summary is None:
        summary = payment_summary(fmt, tx, "payment")
    amount, when = summary["amount"], summary["time"]
    merchant, card = summary.get("merchant"), summary.get("card")
    if tx.get("credit_debit") == "credit":
        text = fmt._("You received {amount} on {time}.", amount=amount, time=when)
    elif merchant and card:
        text = fmt._(
            "Card {card}: payment of {amount} at {merchant} on {time}.",
            card=card,
            amount=amount,
            merchant=merchant,
            time=when,
        )
    elif merchant:
        text = fmt._(
            "Payment of {amount} at {merchant} on {time}.",
            amount=amount,
            merchant=merchant,
            time=when,
        )
    elif card:
        text = fmt._(
            "Card {card}: payment of {amount} on {time}.", card=card, amount=amount, time=when
        )
    else:
        text = fmt._("Payment of {amount} on {time}.", amount=amount, time=when)
    if tx.get("status") == "pending":
        text = f"{text} {fmt._('(pending)')}"
    return text


def payment_summary(fmt: Formatter, tx: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a payment card shows first (a Ledgerline extension of the button template:
    ``payload.summary``): ``kind`` (``payment`` or ``fraud_alert``), the amount and the
    merchant, then the card and the time, formatted for the person. Clients that do not
    know it show the template's text and buttons as usual."""
    summary: dict[str, Any] = {
        "kind": kind,
        "amount": fmt.money(tx["amount"]),
        "time": fmt.when(int(tx["booked_at"])),
    }
    merchant = (tx.get("merchant") or {}).get("name")
    if merchant:
        summary["merchant"] = str(merchant)
    card = fmt.card(tx.get("card_last4"))
    if card:
        summary["card"] = card
    if tx.get("status") == "pending":
        summary["pending"] = True
    return summary


def transaction_message(fmt: Formatter, tx: dict[str, Any], mid: str) -> dict[str, Any]:
    """A transaction in chat (``mid``: the message's own). A payment (a debit) carries
    "Not me": one tap tells the bank it was not the person (``fraud.online.reports``);
    money received is just a text."""
    credit = tx.get("credit_debit") == "credit"
    summary = payment_summary(fmt, tx, "credit" if credit else "payment")
    text = transaction_text(fmt, tx, summary)
    if credit:
        return {"text": text, "update": summary}
    return {
        "update": summary,
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": text,
                "buttons": [
                    {
                        "type": "postback",
                        "title": fmt._("Not me"),
                        "payload": f"{NOT_ME_PREFIX}{mid}:{tx['transaction_id']}",
                    }
                ],
                "summary": dict(summary),
            },
        },
    }


def balance_text(fmt: Formatter, bal: dict[str, Any]) -> str:
    return fmt._(
        "Balance of {account}: {available} available ({current} current) as of {time}.",
        account=bal.get("account_name") or bal["account_id"],
        available=fmt.money(bal["available"]),
        current=fmt.money(bal["current"]),
        time=fmt.when(int(bal["as_of"])),
    )


def balance_update(fmt: Formatter, bal: dict[str, Any]) -> dict[str, Any]:
    """A balance as a card: ``{"kind": "balance", "account", "available", "current",
    "time"}``, formatted for the person."""
    return {
        "kind": "balance",
        "account": str(bal.get("account_name") or bal["account_id"]),
        "available": fmt.money(bal["available"]),
        "current": fmt.money(bal["current"]),
        "time": fmt.when(int(bal["as_of"])),
    }


def low_balance_update(
    fmt: Formatter, bal: dict[str, Any], threshold: dict[str, str]
) -> dict[str, Any]:
    """``{"kind": "low_balance", "account", "available", "threshold", "time"}``."""
    return {
        "kind": "low_balance",
        "account": str(bal.get("account_name") or bal["account_id"]),
        "available": fmt.money(bal["available"]),
        "threshold": fmt.money(threshold),
        "time": fmt.when(int(bal["as_of"])),
    }


def balance_message(fmt: Formatter, bal: dict[str, Any]) -> dict[str, Any]:
    return {"text": balance_text(fmt, bal), "update": balance_update(fmt, bal)}


def low_balance_message(
    fmt: Formatter, bal: dict[str, Any], threshold: dict[str, str]
) -> dict[str, Any]:
    return {
        "text": low_balance_text(fmt, bal, threshold),
        "update": low_balance_update(fmt, bal, threshold),
    }


def low_balance_text(fmt: Formatter, bal: dict[str, Any], threshold: dict[str, str]) -> str:
    return fmt._(
        "Low balance: {account} has {available} available, below your limit of {threshold}.",
        account=bal.get("account_name") or bal["account_id"],
        available=fmt.money(bal["available"]),
        threshold=fmt.money(threshold),
    )


def shipment_update(fmt: Formatter, ship: dict[str, Any]) -> dict[str, Any]:
    """``{"kind": "shipment", "order", "carrier", "status", "status_text", "eta"?}``."""
    update: dict[str, Any] = {
        "kind": "shipment",
        "order": str(ship["order_id"]),
        "carrier": str(ship["carrier"]),
        "status": ship["status"],
        "status_text": fmt._(SHIPMENT_STATUS[ship["status"]]),
    }
    if ship.get("eta") and ship["status"] not in ("delivered", "exception"):
        update["eta"] = fmt.when(int(ship["eta"]))
    return update


def shipment_message(fmt: Formatter, ship: dict[str, Any]) -> dict[str, Any]:
    text = fmt._(SHIPMENT_TEXTS[ship["status"]], order=ship["order_id"], carrier=ship["carrier"])
    if ship.get("eta") and ship["status"] not in ("delivered", "exception"):
        text = f"{text} {fmt._('Expected {time}.', time=fmt.when(int(ship['eta'])))}"
    update = shipment_update(fmt, ship)
    if not ship.get("url"):
        return {"text": text, "update": update}
    return {
        "update": update,
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": text,
                "buttons": [
                    {"type": "web_url", "url": ship["url"], "title": fmt._("Track package")}
                ],
            },
        },
    }


def digest_text(fmt: Formatter, bank: str, transactions: list[dict[str, Any]]) -> str:
    head = fmt._(
        "Your transactions with {bank} since the last digest: {count}.",
        bank=bank,
        count=len(transactions),
    )
    return "\n".join([head, *(f"• {transaction_text(fmt, tx)}" for tx in transactions)])
