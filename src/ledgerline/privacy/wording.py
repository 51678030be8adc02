"""The access log in words a person understands (vi and en), built from audit entries.

Entries never hold financial values, so neither do the sentences: they say who looked at
which kind of data and why, e.g. "Demo Bank's fraud check read your transactions".
"""

from __future__ import annotations

from ledgerline.audit.entries import AuditEntry

ACTORS = {
    "en": {
        "business": "{business}",
        "person": "You",
        "agent": "An agent of {business}",
        "component": "Ledgerline",
    },
    "vi": {
        "business": "{business}",
        "person": "Bạn",
        "agent": "Nhân viên của {business}",
        "component": "Ledgerline",
    },
}
PURPOSES = {
    "en": {
        "notify": "to send you an update",
        "fraud_detection": "for a fraud check",
        "customer_service": "to answer your question",
        "user_access": "at your request",
        "erasure": "to erase it",
    },
    "vi": {
        "notify": "để gửi thông báo cho bạn",
        "fraud_detection": "để kiểm tra gian lận",
        "customer_service": "để trả lời câu hỏi của bạn",
        "user_access": "theo yêu cầu của bạn",
        "erasure": "để xoá",
    },
}
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
        "receipt": "hoá đơn của bạn",
        "shipment": "đơn giao hàng của bạn",
        "fraud_alert": "cảnh báo gian lận",
        "chat_message": "tin nhắn tạo từ dữ liệu của bạn",
        None: "dữ liệu của bạn",
    },
}
VERBS = {
    "en": {
        "store": "received",
        "read": "read",
        "export": "exported",
        "erase": "erased",
        "purge": "deleted (retention) ",
        "link": "was given access to",
        "unlink": "lost access to",
        "change_scopes": "had its access changed to",
    },
    "vi": {
        "store": "đã nhận",
        "read": "đã đọc",
        "export": "đã xuất",
        "erase": "đã xoá",
        "purge": "đã xoá (hết hạn lưu trữ)",
        "link": "được cấp quyền truy cập",
        "unlink": "bị thu hồi quyền truy cập",
        "change_scopes": "được thay đổi quyền truy cập",
    },
}
REFUSED = {"en": " (refused)", "vi": " (bị từ chối)"}


def describe(entry: AuditEntry, *, locale: str, business_names: dict[str, str]) -> str:
    lang = locale if locale in ACTORS else "en"
    business = business_names.get(
        entry.page_id or "", "a business" if lang == "en" else "một doanh nghiệp"
    )
    actor = ACTORS[lang].get(str(entry.actor.kind), "{business}").format(business=business)
    verb = VERBS[lang].get(entry.action, entry.action).strip()
    kind = KINDS[lang].get(entry.record_kind, KINDS[lang][None])
    sentence = f"{actor} {verb} {kind}"
    if entry.purpose:
        sentence += " " + PURPOSES[lang].get(entry.purpose, entry.purpose)
    if entry.outcome == "refused":
        sentence += REFUSED[lang]
    return sentence
