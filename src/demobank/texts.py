"""Everything the bank says, in Vietnamese and English.

``say(locale, key, **values)`` formats one text; an unknown locale falls back to Vietnamese
(the bank's home language). ``guess_locale`` picks the language of a person the bank does
not know yet from what they wrote.
"""

from __future__ import annotations

import re

TEXTS: dict[str, dict[str, str]] = {
    "vi": {
        "bank_name": "Ngân hàng Demo",
        "greeting_unlinked": (
            "Xin chào! Đây là Ngân hàng Demo. Hãy liên kết tài khoản để nhận thông báo giao "
            "dịch thẻ, cảnh báo gian lận, số dư và hóa đơn ngay trong cuộc trò chuyện này."
        ),
        "greeting_linked": "Chào {name}! Bạn cần gì hôm nay?",
        "qr_balance": "Số dư",
        "qr_cards": "Thẻ",
        "qr_help": "Trợ giúp",
        "qr_what_linking": "Liên kết để làm gì?",
        "qr_person": "Gặp nhân viên",
        "help_unlinked": (
            "Khi liên kết, Ngân hàng Demo gửi đến đây giao dịch thẻ, cảnh báo gian lận, số dư "
            "và hóa đơn, và bạn hỏi được số dư ngay trong cuộc trò chuyện. Bạn chọn dữ liệu "
            "nào được chia sẻ và có thể hủy liên kết bất cứ lúc nào."
        ),
        "help": (
            "Tôi có thể cho bạn xem số dư và tình trạng thẻ. Giao dịch thẻ và cảnh báo "
            "gian lận sẽ tự động được gửi đến đây."
        ),
        "fallback": "Cảm ơn bạn! Tôi là trợ lý tự động của Ngân hàng Demo, bạn hãy chọn một mục bên dưới.",
        "to_agents": "Tôi đang chuyển bạn đến một nhân viên của Ngân hàng Demo. Bạn vui lòng chờ trong giây lát.",
        "cards_active": "Thẻ •••• {last4} đang hoạt động.",
        "cards_frozen": "Thẻ •••• {last4} đang bị khóa. Thẻ mới đang được gửi đến bạn.",
        "balance_sent": "Đây là số dư mới nhất của bạn.",
        "no_scope": (
            "Bạn chưa chia sẻ {what} với Ngân hàng Demo. Bạn có thể bật quyền này trong "
            "trung tâm quyền riêng tư của Ledgerline."
        ),
        "scope_balances": "số dư",
        "linked_welcome": (
            "Đã liên kết tài khoản {account} của {name}. Giao dịch thẻ •••• {last4} sẽ hiện ở đây."
        ),
        "verdict_fraud": (
            "Thẻ •••• {last4} đã bị khóa. Giao dịch tại {merchant} sẽ được hoàn tiền và thẻ "
            "mới sẽ được gửi đến bạn trong 5 ngày làm việc."
        ),
        "verdict_fraud_card": (
            "Thẻ •••• {last4} đã bị khóa. Thẻ mới sẽ được gửi đến bạn trong 5 ngày làm việc."
        ),
        "verdict_genuine": "Cảm ơn bạn, bạn không cần làm gì thêm.",
        "suspicious_reason": "Giao dịch lớn bất thường tại một nơi bạn chưa từng mua sắm.",
        # Requests the built-in assistant passes to the bank.
        "as_frozen": (
            "Ngân hàng Demo: thẻ •••• {last4} đã được tạm khóa. Khi cần dùng lại, bạn chỉ cần "
            "nhờ trợ lý mở khóa thẻ."
        ),
        "as_already_frozen": "Ngân hàng Demo: thẻ •••• {last4} vẫn đang tạm khóa.",
        "as_unfrozen": "Ngân hàng Demo: thẻ •••• {last4} đã được mở khóa và dùng lại được.",
        "as_not_frozen": "Ngân hàng Demo: thẻ •••• {last4} không bị khóa, bạn vẫn dùng được.",
        "as_lost": (
            "Ngân hàng Demo: thẻ •••• {last4} đã bị khóa để không ai dùng được. Thẻ mới đang "
            "được gửi đến bạn, dự kiến trong 5 ngày làm việc."
        ),
        "as_unknown_card": (
            "Ngân hàng Demo không tìm thấy thẻ •••• {asked} của bạn; thẻ của bạn là "
            "•••• {last4}. Hãy hỏi lại trợ lý với đúng số thẻ."
        ),
        "as_dispute": (
            "Ngân hàng Demo đã ghi nhận yêu cầu tra soát của bạn, mã hồ sơ {case}. Chúng tôi sẽ liên "
            "hệ trong 7 ngày làm việc."
        ),
        "as_dispute_payment": (
            "Ngân hàng Demo đã ghi nhận yêu cầu tra soát giao dịch {amount} tại {merchant}, mã hồ sơ "
            "{case}. Chúng tôi sẽ liên hệ trong 7 ngày làm việc."
        ),
        "as_branches": (
            "Chi nhánh Ngân hàng Demo (8:00–17:00, thứ Hai–thứ Sáu; cây ATM ngay tại chi "
            "nhánh, mở 24/7):"
        ),
        # The bank's web pages.
        "signin_title": "Đăng nhập để liên kết tài khoản",
        "signin_intro": (
            "Ledgerline đề nghị liên kết tài khoản Ngân hàng Demo của bạn. Đăng nhập để "
            "xác nhận; mật khẩu của bạn không bao giờ được gửi cho Ledgerline."
        ),
        "username": "Tên đăng nhập",
        "password": "Mật khẩu",
        "signin_submit": "Đăng nhập và liên kết",
        "cancel": "Hủy",
        "wrong_credentials": "Sai tên đăng nhập hoặc mật khẩu.",
        "demo_customers": "Khách hàng mẫu",
        "notice_title": "Không thể liên kết tài khoản",
        "open_prompt": "Chưa là khách hàng của Ngân hàng Demo?",
        "open_link": "Mở tài khoản",
        "open_title": "Mở tài khoản Ngân hàng Demo",
        "open_intro": (
            "Mở tài khoản thanh toán kèm thẻ ghi nợ trong một phút (tài khoản mẫu: có sẵn "
            "5.000.000 ₫), rồi liên kết ngay với Ledgerline."
        ),
        "open_name": "Họ và tên",
        "open_username": "Tên đăng nhập bạn chọn",
        "open_username_hint": "3–32 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.",
        "open_password": "Mật khẩu bạn chọn",
        "open_password_hint": "Ít nhất 8 ký tự.",
        "open_language": "Ngôn ngữ ngân hàng dùng khi nhắn cho bạn",
        "open_submit": "Mở tài khoản và liên kết",
        "open_have_account": "Đã có tài khoản?",
        "open_signin": "Đăng nhập",
        "open_bad_name": "Vui lòng nhập họ và tên (tối đa 80 ký tự).",
        "open_bad_username": "Tên đăng nhập gồm 3–32 ký tự: chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.",
        "open_username_taken": "Tên đăng nhập này đã được dùng. Vui lòng chọn tên khác.",
        "open_bad_password": "Mật khẩu cần từ 8 đến 128 ký tự.",
        "bad_request": "Yêu cầu liên kết không hợp lệ. Vui lòng quay lại cuộc trò chuyện và thử lại.",
        "expired": (
            "Yêu cầu liên kết đã hết hạn. Vui lòng quay lại cuộc trò chuyện và bấm "
            "“Liên kết tài khoản” lần nữa."
        ),
        "backoffice_title": "Ngân hàng Demo — trang quản trị",
        "backoffice_intro": "Khách hàng đã liên kết qua Ledgerline và các cập nhật gửi cho họ.",
        "no_links": "Chưa có khách hàng nào liên kết.",
        "send": "Gửi",
        "customer": "Khách hàng",
        "card": "Thẻ",
        "stream_every": "cập nhật mô phỏng mỗi {seconds} giây",
        "stream_off": "không gửi cập nhật tự động",
        "activity": "Nhật ký",
        "kind_payment": "Thanh toán",
        "kind_suspicious": "Đáng ngờ",
        "kind_balance": "Số dư",
        "kind_receipt": "Hóa đơn",
        "kind_shipment": "Giao hàng",
        "assistant_title": "Trợ lý tích hợp của Ledgerline",
        "assistant_on": (
            "đang bật: trợ lý trả lời khách và chuyển các yêu cầu về "
            "thẻ, tra soát, chi nhánh cho ngân hàng"
        ),
        "assistant_off": "đang tắt: bot của ngân hàng trả lời khách",
        "assistant_unknown": "chưa rõ (chưa bật/tắt từ đây)",
        "assistant_turn_on": "Bật trợ lý",
        "assistant_turn_off": "Tắt trợ lý",
    },
    "en": {
        "bank_name": "Demo Bank",
        "greeting_unlinked": (
            "Hello! This is Demo Bank. Link your account to get your card payments, fraud "
            "alerts, balances and receipts right here in this chat."
        ),
        "greeting_linked": "Hi {name}! What can I do for you today?",
        "qr_balance": "Balance",
        "qr_cards": "Cards",
        "qr_help": "Help",
        "qr_what_linking": "Why link?",
        "qr_person": "Talk to a person",
        "help_unlinked": (
            "Once linked, Demo Bank sends your card payments, fraud alerts, balances and "
            "receipts here, and you can ask for your balance in this chat. You choose what is "
            "shared and can unlink at any time."
        ),
        "help": (
            "I can show your balance and the state of your cards. Card payments and fraud "
            "alerts arrive here on their own."
        ),
        "fallback": "Thanks! I am Demo Bank's simple helper: pick one of the options below.",
        "to_agents": "I am passing you to a person at Demo Bank. Please wait a moment.",
        "cards_active": "Card •••• {last4} is active.",
        "cards_frozen": "Card •••• {last4} is frozen. A new card is on its way.",
        "balance_sent": "Here is your latest balance.",
        "no_scope": (
            "You have not shared {what} with Demo Bank. You can turn it on in Ledgerline's "
            "privacy centre."
        ),
        "scope_balances": "balances",
        "linked_welcome": (
            "Your account {account} is linked, {name}. Payments on card •••• {last4} will "
            "show up here."
        ),
        "verdict_fraud": (
            "Card •••• {last4} frozen. The payment at {merchant} will be refunded and a new "
            "card will reach you within 5 working days."
        ),
        "verdict_fraud_card": (
            "Card •••• {last4} frozen. A new card will reach you within 5 working days."
        ),
        "verdict_genuine": "Thanks, nothing to do.",
        "suspicious_reason": "Unusually large payment at a place you have never used.",
        "as_frozen": (
            "Demo Bank: card •••• {last4} is frozen. When you want to use it again, just ask "
            "the assistant to unfreeze it."
        ),
        "as_already_frozen": "Demo Bank: card •••• {last4} is already frozen.",
        "as_unfrozen": "Demo Bank: card •••• {last4} is unfrozen and ready to use.",
        "as_not_frozen": "Demo Bank: card •••• {last4} is not frozen; you can use it.",
        "as_lost": (
            "Demo Bank: card •••• {last4} is blocked so nobody can use it. A new card is on its "
            "way and should reach you within 5 working days."
        ),
        "as_unknown_card": (
            "Demo Bank could not find card •••• {asked} in your name; your card is "
            "•••• {last4}. Please ask the assistant again with that number."
        ),
        "as_dispute": (
            "Demo Bank has opened your dispute, case number {case}. We will get back to you "
            "within 7 working days."
        ),
        "as_dispute_payment": (
            "Demo Bank has opened a dispute for the {amount} payment at {merchant}, case "
            "number {case}. We will get back to you within 7 working days."
        ),
        "as_branches": (
            "Demo Bank branches (8:00–17:00, Monday–Friday; each has an ATM open 24/7):"
        ),
        "signin_title": "Sign in to link your account",
        "signin_intro": (
            "Ledgerline asks to link your Demo Bank account. Sign in to confirm; your password "
            "is never sent to Ledgerline."
        ),
        "username": "Username",
        "password": "Password",
        "signin_submit": "Sign in and link",
        "cancel": "Cancel",
        "wrong_credentials": "Wrong username or password.",
        "demo_customers": "Demo customers",
        "notice_title": "Your account could not be linked",
        "open_prompt": "New to Demo Bank?",
        "open_link": "Open an account",
        "open_title": "Open a Demo Bank account",
        "open_intro": (
            "A current account with a debit card in a minute (a demo account: it starts with "
            "₫5,000,000), then linked to Ledgerline straight away."
        ),
        "open_name": "Full name",
        "open_username": "Choose a username",
        "open_username_hint": "3–32 characters: lowercase letters, digits, dots, underscores, hyphens.",
        "open_password": "Choose a password",
        "open_password_hint": "At least 8 characters.",
        "open_language": "The bank writes to you in",
        "open_submit": "Open the account and link it",
        "open_have_account": "Already a customer?",
        "open_signin": "Sign in",
        "open_bad_name": "Enter your full name (at most 80 characters).",
        "open_bad_username": "A username has 3–32 characters: lowercase letters, digits, dots, underscores, hyphens.",
        "open_username_taken": "That username is taken. Choose another.",
        "open_bad_password": "A password has 8 to 128 characters.",
        "bad_request": "This link request is not valid. Go back to the chat and try again.",
        "expired": (
            "This link request has expired. Go back to the chat and tap “Link account” again."
        ),
        "backoffice_title": "Demo Bank — back office",
        "backoffice_intro": "Customers linked through Ledgerline, and the updates sent to them.",
        "no_links": "No customer has linked yet.",
        "send": "Send",
        "customer": "Customer",
        "card": "Card",
        "stream_every": "simulated updates every {seconds} s",
        "stream_off": "no automatic updates",
        "activity": "Activity",
        "kind_payment": "Payment",
        "kind_suspicious": "Suspicious",
        "kind_balance": "Balance",
        "kind_receipt": "Receipt",
        "kind_shipment": "Shipment",
        "assistant_title": "Ledgerline's built-in assistant",
        "assistant_on": (
            "on: it answers customers and passes card, dispute and branch requests to the bank"
        ),
        "assistant_off": "off: the bank's bot answers customers",
        "assistant_unknown": "unknown (not switched from here yet)",
        "assistant_turn_on": "Turn the assistant on",
        "assistant_turn_off": "Turn the assistant off",
    },
}

LOCALES = tuple(TEXTS)
DEFAULT_LOCALE = "vi"

_VIETNAMESE = re.compile(
    r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE
)
_ENGLISH_WORDS = re.compile(r"\b(hi|hello|hey|balance|card|cards|help|thanks?)\b", re.IGNORECASE)


def say(locale: str, key: str, **values: object) -> str:
    table = TEXTS.get(locale) or TEXTS[DEFAULT_LOCALE]
    return table[key].format(**values)


def guess_locale(text: str, default: str = DEFAULT_LOCALE) -> str:
    """Vietnamese when the text has Vietnamese letters, English when it reads as English."""
    if _VIETNAMESE.search(text):
        return "vi"
    if _ENGLISH_WORDS.search(text):
        return "en"
    return default


def pick_locale(accept_language: str | None, override: str | None = None) -> str:
    """The language of a web page: ``?lang=`` first, then the browser's preference."""
    if override in TEXTS:
        return override
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return DEFAULT_LOCALE
