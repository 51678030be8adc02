"""The export's words (vi and en): what a fraud alert's answer and origin mean, so the
export says "You said it was not you" rather than an internal code."""

from __future__ import annotations

VERDICTS = {
    "en": {
        "genuine": "You confirmed the payment was yours",
        "fraud": "You said the payment was not yours (fraud)",
        None: "Not answered",
    },
    "vi": {
        "genuine": "Bạn xác nhận giao dịch là của bạn",
        "fraud": "Bạn cho biết giao dịch không phải của bạn (gian lận)",
        None: "Chưa trả lời",
    },
}
SOURCES = {
    "en": {
        "score": "Ledgerline's fraud check for {business}",
        "bank": "{business}",
        "person": "You (“Not me”)",
    },
    "vi": {
        "score": "Hệ thống kiểm tra gian lận của Ledgerline cho {business}",
        "bank": "{business}",
        "person": "Bạn (“Không phải tôi”)",
    },
}
STATUSES = {
    "en": {"open": "waiting for your answer", "answered": "answered", "expired": "expired"},
    "vi": {"open": "đang chờ bạn trả lời", "answered": "đã trả lời", "expired": "đã hết hạn"},
}


def _lang(locale: str) -> str:
    return locale if locale in VERDICTS else "en"


def verdict_text(verdict: str | None, locale: str) -> str:
    words = VERDICTS[_lang(locale)]
    return words.get(verdict, words[None])


def source_text(source: str, business: str, locale: str) -> str:
    return SOURCES[_lang(locale)].get(source, "{business}").format(business=business)


def status_text(status: str, locale: str) -> str:
    return STATUSES[_lang(locale)].get(status, status)
