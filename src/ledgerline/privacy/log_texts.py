"""A group of the access log (``privacy.log_groups``) as one plain sentence, vi and en:
who, what and why — "Demo Bank sent you 12 transactions", "Minh at Demo Bank saw 5 of your
transactions while helping you". A push the person's consent turned away says so in words,
not as an error. Entries that stand alone read as ``privacy.texts.describe`` says them.

English is the source language; the Vietnamese texts live in the gettext catalogue
``privacy/locales/vi/LC_MESSAGES/access_log.po`` (read as ``language.formatter`` reads the
updates' one), where translation tools see them; the counts ("12 transactions") are
``language.counts``'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ledgerline.language.counts import N_, counted, language as _lang
from ledgerline.language.formatter import Catalogue, translations
from ledgerline.privacy.log_groups import AccessGroup
from ledgerline.privacy.texts import A_BUSINESS, AND_MORE, REFUSED, SINCE_ERASED, describe

ACCESS_LOG = Catalogue(Path(__file__).parent / "locales", "access_log")


# (actor kind or component, action, purpose, outcome) -> the sentence; {things} counted.
SENTENCES = {
    ("business", "store", None, "allowed"): N_("{business} sent you {things}"),
    ("business", "store", None, "refused"): N_(
        "{business} tried to send you {things}; it was not accepted, because you do not "
        "share that kind of information with {business}"
    ),
    ("notify", "read", "notify", "allowed"): N_(
        "Ledgerline read {things} from {business} to send you updates"
    ),
    ("notify", "store", None, "allowed"): N_(
        "Ledgerline kept {things} from {business} in your chat, encrypted"
    ),
    ("fraud", "read", "fraud_detection", "allowed"): N_("{business}'s fraud check read {things}"),
    ("agent", "read", "customer_service", "allowed"): N_(
        "{agent} at {business} saw {things} while helping you"
    ),
    ("agent_unnamed", "read", "customer_service", "allowed"): N_(
        "An agent at {business} saw {things} while helping you"
    ),
    ("assistant", "read", "customer_service", "allowed"): N_(
        "{business}'s assistant read {things} to answer you"
    ),
    ("person", "read", "user_access", "allowed"): N_("You viewed {things} from {business}"),
}
# A refusal of another kind: the sentence, then why nothing happened.
NOT_ALLOWED = N_("; not allowed, because your consent does not cover it")
NAMED_COMPONENTS = frozenset({"notify", "fraud", "assistant"})


def _text(msgid: str, lang: str) -> str:
    return translations(lang, ACCESS_LOG).gettext(msgid)


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
    msgid = SENTENCES.get(key)
    if msgid is not None:
        template = _text(msgid, lang)
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
    return sentence[: -len(REFUSED[lang])] + _text(NOT_ALLOWED, lang)


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
