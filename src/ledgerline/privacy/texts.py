"""The access log in words a person understands (vi and en), built from audit entries.

Entries never hold financial values, so the plain sentence says who looked at which kind
of data and why, e.g. "Demo Bank's fraud check read your transactions". The privacy centre
may add what the record was ("your transaction of ₫125,000 at Highlands Coffee"): it reads
the still-existing records for the person (purpose ``user_access``, audited) and passes
their short descriptions as ``shown``; a record since erased reads "a transaction (since
erased)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency

from ledgerline.audit.entries import AuditEntry

ACTORS = {
    "en": {
        "business": "{business}",
        "person": "You",
        "agent": "An agent of {business}",
        "named_agent": "{agent} at {business}",
        "component": "Ledgerline",
    },
    "vi": {
        "business": "{business}",
        "person": "Bạn",
        "agent": "Nhân viên của {business}",
        "named_agent": "{agent}, nhân viên của {business},",
        "component": "Ledgerline",
    },
}
FRAUD_CHECK = {"en": "{business}'s fraud check", "vi": "Hệ thống kiểm tra gian lận của {business}"}
A_BUSINESS = {"en": "a business", "vi": "một doanh nghiệp"}
PURPOSES = {
    "en": {
        "notify": "to send you an update",
        "fraud_detection": "for a fraud check",
        "customer_service": "to answer your question",
        "user_access": "at your request",
    },
    "vi": {
        "notify": "để gửi cập nhật cho bạn",
        "fraud_detection": "để kiểm tra gian lận",
        "customer_service": "để trả lời câu hỏi của bạn",
        "user_access": "theo yêu cầu của bạn",
    },
}
# The kind in general (no value known or asked for).
KINDS = {
    "en": {
        "balance": "your balance",
        "transaction": "your transactions",
        "receipt": "your receipts",
        "shipment": "your deliveries",
        "fraud_alert": "a fraud alert",
        "chat_message": "a message built from your data",
        None: "your data",
    },
    "vi": {
        "balance": "số dư của bạn",
        "transaction": "giao dịch của bạn",
        "receipt": "hóa đơn của bạn",
        "shipment": "đơn giao hàng của bạn",
        "fraud_alert": "cảnh báo gian lận",
        "chat_message": "tin nhắn tạo từ dữ liệu của bạn",
        None: "dữ liệu của bạn",
    },
}
# One record whose value the privacy centre could read: {what} is its short description.
ONE = {
    "en": {
        "balance": "your balance of {what}",
        "transaction": "your transaction of {what}",
        "receipt": "your receipt for order {what}",
        "shipment": "your delivery {what}",
        "fraud_alert": "a fraud alert ({what})",
    },
    "vi": {
        "balance": "số dư {what} của bạn",
        "transaction": "giao dịch {what} của bạn",
        "receipt": "hóa đơn {what} của bạn",
        "shipment": "đơn giao hàng {what} của bạn",
        "fraud_alert": "cảnh báo gian lận ({what})",
    },
}
# One record that no longer exists (erased by unlinking, or by retention).
ERASED_ONE = {
    "en": {
        "balance": "a balance (since erased)",
        "transaction": "a transaction (since erased)",
        "receipt": "a receipt (since erased)",
        "shipment": "a delivery (since erased)",
        "fraud_alert": "a fraud alert (since erased)",
    },
    "vi": {
        "balance": "một số dư (đã bị xóa)",
        "transaction": "một giao dịch (đã bị xóa)",
        "receipt": "một hóa đơn (đã bị xóa)",
        "shipment": "một đơn giao hàng (đã bị xóa)",
        "fraud_alert": "một cảnh báo gian lận (đã bị xóa)",
    },
}
MANY = {
    "en": {
        "balance": "{n} of your balances",
        "transaction": "{n} of your transactions",
        "receipt": "{n} of your receipts",
        "shipment": "{n} of your deliveries",
        "fraud_alert": "{n} fraud alerts",
    },
    "vi": {
        "balance": "{n} số dư của bạn",
        "transaction": "{n} giao dịch của bạn",
        "receipt": "{n} hóa đơn của bạn",
        "shipment": "{n} đơn giao hàng của bạn",
        "fraud_alert": "{n} cảnh báo gian lận",
    },
}
SINCE_ERASED = {"en": "{n} since erased", "vi": "{n} đã bị xóa"}
AND_MORE = {"en": "and {n} more", "vi": "và {n} mục khác"}
AT = {"en": "at", "vi": "tại"}
VERBS = {
    "en": {
        "store": "stored",
        "share": "shared",
        "read": "read",
        "export": "exported",
    },
    "vi": {
        "store": "đã lưu",
        "share": "đã chia sẻ",
        "read": "đã đọc",
        "export": "đã xuất",
    },
}
# Consent facts (linking's audit entries): whole sentences, {business} and {scopes} filled in.
CONSENT = {
    "en": {
        "link": "You linked your account at {business} (sharing: {scopes})",
        "change_scopes": "You changed what {business} may share: {scopes}",
        "renew_consent": "You renewed your consent for {business} (sharing: {scopes})",
        "unlink:person": "You unlinked your account at {business}",
        "unlink:business": "{business} unlinked your account",
        "expire_consent": "Your consent for {business} ended",
        "link_refused": "A linking request for {business} was refused",
    },
    "vi": {
        "link": "Bạn đã liên kết tài khoản tại {business} (chia sẻ: {scopes})",
        "change_scopes": "Bạn đã thay đổi những gì {business} được chia sẻ: {scopes}",
        "renew_consent": "Bạn đã gia hạn sự đồng ý với {business} (chia sẻ: {scopes})",
        "unlink:person": "Bạn đã hủy liên kết tài khoản tại {business}",
        "unlink:business": "{business} đã hủy liên kết tài khoản của bạn",
        "expire_consent": "Sự đồng ý của bạn với {business} đã hết hạn",
        "link_refused": "Một yêu cầu liên kết với {business} đã bị từ chối",
    },
}
ERASURE = {
    "en": {
        "erase": "{subject} erased the data {business} shared",
        "purge": "{subject} deleted data {business} shared, at the end of its retention period",
    },
    "vi": {
        "erase": "{subject} đã xóa dữ liệu {business} đã chia sẻ",
        "purge": "{subject} đã xóa dữ liệu {business} đã chia sẻ, khi hết thời hạn lưu trữ",
    },
}
# The customer-service records about the person (``privacy.service_records``), by extent:
# on unlink the business's notes (and handover details) go; on account deletion, everything;
# past the business's retention period, the conversations that ended before it.
SERVICE_ERASE = "erase_service_records"
SERVICE_ERASURE = {  # a consequence of the entry before it (an unlink, a deletion): no subject
    "en": {
        "notes": "The notes {business}'s customer service kept about you were erased",
        "all": "{business}'s customer-service records about you (conversations and agents' "
        "notes) were erased",
        "retention": "{business}'s customer-service records of your conversations that ended "
        "more than {days} days ago were deleted, at the end of their retention period",
    },
    "vi": {
        "notes": "Các ghi chú mà bộ phận chăm sóc khách hàng của {business} lưu về bạn đã được xóa",
        "all": "Hồ sơ chăm sóc khách hàng của {business} về bạn (các cuộc trò chuyện và ghi chú "
        "của nhân viên) đã được xóa",
        "retention": "Hồ sơ chăm sóc khách hàng của {business} về các cuộc trò chuyện của bạn đã "
        "kết thúc hơn {days} ngày trước đã được xóa, khi hết thời hạn lưu trữ",
    },
}
REFUSED = {"en": " (refused)", "vi": " (bị từ chối)"}
RESOLVABLE = frozenset(ONE["en"])  # kinds whose records the privacy centre may describe


def _lang(locale: str) -> str:
    return locale if locale in ACTORS else "en"


def _consent_sentence(
    entry: AuditEntry, lang: str, business: str, scope_names: Mapping[str, str]
) -> str | None:
    key = entry.action
    if key == "unlink":
        key = f"unlink:{entry.detail.get('by', entry.actor.kind)}"
    template = CONSENT[lang].get(key)
    if template is None:
        return None
    raw = str(entry.detail.get("scopes") or "")
    scopes = ", ".join(scope_names.get(s, s) for s in raw.split("+") if s)
    return template.format(business=business, scopes=scopes or "—")


def _object(lang: str, entry: AuditEntry, shown: Sequence[str] | None) -> str:
    kind = entry.record_kind
    count = len(entry.record_ids)
    if shown is None or kind not in RESOLVABLE or count == 0:
        return KINDS[lang].get(kind, KINDS[lang][None])
    if count == 1:
        return ONE[lang][kind].format(what=shown[0]) if shown else ERASED_ONE[lang][kind]
    text = MANY[lang][kind].format(n=count)
    parts = list(shown[:3])
    if len(shown) > 3:
        parts.append(AND_MORE[lang].format(n=len(shown) - 3))
    if count > len(shown):
        parts.append(SINCE_ERASED[lang].format(n=count - len(shown)))
    return f"{text} ({'; '.join(parts)})"


def describe(
    entry: AuditEntry,
    *,
    locale: str,
    business_names: Mapping[str, str],
    shown: Sequence[str] | None = None,
    scope_names: Mapping[str, str] | None = None,
    agent_names: Mapping[str, str] | None = None,
) -> str:
    """One entry as a sentence. ``shown``: descriptions of the entry's records that still
    exist (the privacy centre's values); None keeps the sentence free of values.
    ``agent_names``: agents' display names by id (an agent is named as the person meets
    them in the chat)."""
    lang = _lang(locale)
    business = business_names.get(entry.page_id or "", A_BUSINESS[lang])
    consent = _consent_sentence(entry, lang, business, scope_names or {})
    if consent is not None:
        consent += REFUSED[lang] if entry.outcome == "refused" else ""
        return consent[:1].upper() + consent[1:]
    if entry.action == SERVICE_ERASE:
        extent = str(entry.detail.get("extent"))
        template = SERVICE_ERASURE[lang].get(extent, SERVICE_ERASURE[lang]["notes"])
        return template.format(business=business, days=entry.detail.get("retention_days"))
    purpose = entry.purpose
    if purpose == "fraud_detection" and entry.actor.kind != "person":
        subject, purpose = FRAUD_CHECK[lang].format(business=business), None
    else:
        kind = str(entry.actor.kind)
        agent = (agent_names or {}).get(entry.actor.id) if kind == "agent" else None
        template = ACTORS[lang]["named_agent"] if agent else ACTORS[lang].get(kind, "{business}")
        subject = template.format(business=business, agent=agent)
    erasure = ERASURE[lang].get(entry.action)
    if erasure is not None:
        sentence, purpose = erasure.format(subject=subject, business=business), None
    else:
        action = entry.action
        if action == "store" and entry.actor.kind == "business":
            action = "share"  # the bank sent it: it shared the person's data with them here
        verb = VERBS[lang].get(action, action)
        sentence = f"{subject} {verb} {_object(lang, entry, shown)}"
    if purpose in PURPOSES[lang]:
        sentence += " " + PURPOSES[lang][purpose]
    if entry.outcome == "refused":
        sentence += REFUSED[lang]
    return sentence[:1].upper() + sentence[1:]


# -- what a record was, in a few words (for ``shown``) --------------------------------------
def money(value: Any, currency: Any, locale: str) -> str | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not isinstance(currency, str) or not currency:
        return str(amount)
    try:
        return str(format_currency(amount, currency, locale=_lang(locale)))
    except (ValueError, LookupError):  # pragma: no cover - validated at the API
        return f"{amount} {currency}"


def _amount(value: Any, locale: str) -> str | None:
    if not isinstance(value, dict):
        return None
    return money(value.get("amount"), value.get("currency"), locale)


def record_phrase(kind: str, payload: Mapping[str, Any], locale: str) -> str | None:
    """A short description of one record's content ("₫125,000 at Highlands Coffee"), or
    None when the kind is not described."""
    lang = _lang(locale)
    if kind == "transaction":
        text = _amount(payload.get("amount"), lang) or "—"
        merchant = payload.get("merchant")
        name = merchant.get("name") if isinstance(merchant, dict) else None
        return f"{text} {AT[lang]} {name}" if name else text
    if kind == "balance":
        available = _amount(payload.get("available"), lang)
        text = available or _amount(payload.get("current"), lang) or "—"
        name = payload.get("account_name")
        return f"{text} ({name})" if name else text
    if kind == "receipt":
        summary = payload.get("summary")
        total = summary.get("total_cost") if isinstance(summary, dict) else None
        order = str(payload.get("order_number") or "—")
        shown = None if total is None else money(total, payload.get("currency"), lang)
        return f"{order} ({shown})" if shown else order
    if kind == "shipment":
        carrier = payload.get("carrier") or ""
        return f"{carrier} {payload.get('tracking_number') or ''}".strip() or "—"
    if kind == "fraud_alert":
        reason = str(payload.get("reason") or "—")
        return reason if len(reason) <= 80 else reason[:79] + "…"
    return None
