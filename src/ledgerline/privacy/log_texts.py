"""A group of the access log (``privacy.log_groups``) as one plain sentence, vi and en:
who, what and why — "Demo Bank sent you 12 transactions", "Minh at Demo Bank saw 5 of your
transactions while helping you". A push the person's consent turned away says so in words,
not as an error. Entries that stand alone read as ``privacy.texts.describe`` says them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ledgerline.privacy.log_groups import AccessGroup
from ledgerline.privacy.texts import A_BUSINESS, AND_MORE, REFUSED, SINCE_ERASED, describe

# "{n} <kind>" with the plural where the language has one: (one, many); none found: "no …"
# in English, "0 …" in Vietnamese (ZERO).
COUNTED = {
    "en": {
        "transaction": ("1 transaction", "{n} transactions"),
        "balance": ("1 balance", "{n} balances"),
        "receipt": ("1 receipt", "{n} receipts"),
        "shipment": ("1 delivery update", "{n} delivery updates"),
        "fraud_alert": ("1 fraud alert", "{n} fraud alerts"),
        "chat_message": ("1 update", "{n} updates"),
        None: ("your data", "your data"),
    },
    "vi": {
        "transaction": ("1 giao dịch", "{n} giao dịch"),
        "balance": ("1 số dư", "{n} số dư"),
        "receipt": ("1 hóa đơn", "{n} hóa đơn"),
        "shipment": ("1 cập nhật giao hàng", "{n} cập nhật giao hàng"),
        "fraud_alert": ("1 cảnh báo gian lận", "{n} cảnh báo gian lận"),
        "chat_message": ("1 cập nhật", "{n} cập nhật"),
        None: ("dữ liệu của bạn", "dữ liệu của bạn"),
    },
}
# (actor kind or component, action, purpose, outcome) -> the sentence; {things} counted.
SENTENCES = {
    "en": {
        ("business", "store", None, "allowed"): "{business} sent you {things}",
        ("business", "store", None, "refused"): "{business} tried to send you {things}; "
        "it was not accepted, because you do not share that kind of information with "
        "{business}",
        ("notify", "read", "notify", "allowed"): "Ledgerline read {things} from {business} "
        "to send you updates",
        ("notify", "store", None, "allowed"): "Ledgerline kept {things} from {business} in "
        "your chat, encrypted",
        ("fraud", "read", "fraud_detection", "allowed"): "{business}'s fraud check read {things}",
        ("agent", "read", "customer_service", "allowed"): "{agent} at {business} saw {things} "
        "while helping you",
        ("agent_unnamed", "read", "customer_service", "allowed"): "An agent at {business} saw "
        "{things} while helping you",
        ("assistant", "read", "customer_service", "allowed"): "{business}'s assistant read "
        "{things} to answer you",
        ("person", "read", "user_access", "allowed"): "You viewed {things} from {business}",
    },
    "vi": {
        ("business", "store", None, "allowed"): "{business} đã gửi cho bạn {things}",
        ("business", "store", None, "refused"): "{business} muốn gửi cho bạn {things} "
        "nhưng không được nhận, vì bạn không chia sẻ loại thông tin này với {business}",
        ("notify", "read", "notify", "allowed"): "Ledgerline đã đọc {things} từ {business} "
        "để gửi thông báo cho bạn",
        ("notify", "store", None, "allowed"): "Ledgerline đã lưu {things} từ {business} trong "
        "cuộc trò chuyện của bạn (đã mã hóa)",
        ("fraud", "read", "fraud_detection", "allowed"): "Hệ thống kiểm tra gian lận của "
        "{business} đã đọc {things}",
        ("agent", "read", "customer_service", "allowed"): "{agent}, nhân viên của {business}, "
        "đã xem {things} khi hỗ trợ bạn",
        ("agent_unnamed", "read", "customer_service", "allowed"): "Một nhân viên của "
        "{business} đã xem {things} khi hỗ trợ bạn",
        ("assistant", "read", "customer_service", "allowed"): "Trợ lý của {business} đã đọc "
        "{things} để trả lời bạn",
        ("person", "read", "user_access", "allowed"): "Bạn đã xem {things} từ {business}",
    },
}
# A refusal of another kind: the sentence, then why nothing happened.
NOT_ALLOWED = {
    "en": "; not allowed, because your consent does not cover it",
    "vi": "; không được phép vì bạn không đồng ý việc này",
}
NAMED_COMPONENTS = frozenset({"notify", "fraud", "assistant"})


def _lang(locale: str) -> str:
    return locale if locale in COUNTED else "en"


ZERO = {"en": "no", "vi": "0"}


def counted(kind: str | None, n: int, locale: str) -> str:
    lang = _lang(locale)
    one, many = COUNTED[lang].get(kind, COUNTED[lang][None])
    if n == 0 and kind is not None:
        return many.format(n=ZERO[lang])
    return one if n == 1 else many.format(n=n)


KIND_ORDER = ("transaction", "balance", "receipt", "shipment", "fraud_alert", "chat_message")


def held_list(counts: Mapping[str, int], locale: str) -> str:
    """ "12 transactions, 1 receipt, 12 updates": what a business shared that is held."""
    kinds = [kind for kind in KIND_ORDER if counts.get(kind)]
    return ", ".join(counted(kind, counts[kind], locale) for kind in kinds)


def _who(group: AccessGroup, agent_names: Mapping[str, str]) -> str:
    actor = group.first.actor
    kind = str(actor.kind)
    if kind == "component":
        return actor.id if actor.id in NAMED_COMPONENTS else kind
    if kind == "agent" and actor.id not in agent_names:
        return "agent_unnamed"  # the agent's account is gone
    return kind


def describe_group(
    group: AccessGroup,
    *,
    locale: str,
    business_names: Mapping[str, str],
    agent_names: Mapping[str, str],
    scope_names: Mapping[str, str] | None = None,
) -> str:
    """The group in one sentence, without values (the centre adds those beside it)."""
    lang = _lang(locale)
    entry = group.first
    business = business_names.get(entry.page_id or "", A_BUSINESS[lang])
    key = (_who(group, agent_names), entry.action, entry.purpose, entry.outcome)
    template = SENTENCES[lang].get(key)
    if template is not None:
        n = group.records
        text = template.format(
            business=business,
            agent=agent_names.get(entry.actor.id),
            things=counted(entry.record_kind, n, lang),
        )
        return text[:1].upper() + text[1:]
    sentence = describe(
        entry,
        locale=lang,
        business_names=business_names,
        scope_names=scope_names,
        agent_names=agent_names,
    )
    return _plain_refusal(sentence, entry.outcome, lang)


def _plain_refusal(sentence: str, outcome: str, lang: str) -> str:
    if outcome != "refused" or not sentence.endswith(REFUSED[lang]):
        return sentence
    return sentence[: -len(REFUSED[lang])] + NOT_ALLOWED[lang]


def values_line(shown: Sequence[str], total: int, locale: str, *, limit: int = 3) -> str:
    """What the group's records were while they exist: "₫125,000 at Highlands Coffee;
    ₫58,000 at Circle K; and 10 more", and how many were erased since."""
    lang = _lang(locale)
    parts = list(shown[:limit])
    if len(shown) > limit:
        parts.append(AND_MORE[lang].format(n=len(shown) - limit))
    if total > len(shown):
        parts.append(SINCE_ERASED[lang].format(n=total - len(shown)))
    return "; ".join(parts)
