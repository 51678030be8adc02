"""Reading a typed answer to "Was it you?", in Vietnamese or English, with or without
diacritics (``domain.folding``). Pure: no I/O.

While a fraud alert waits for its answer, what the person types is read here first:

- a clear answer ("not me", "it wasn't me", "không phải tôi", "yes it was me", "đúng là
  tôi", "tôi không mua cái này") is a *sure* verdict, taken at once;
- a bare "no" / "không" / "không phải" or "yes" / "có" / "đúng" is an *unsure* one: the
  platform asks the person to confirm it (naming the payment) before telling the bank;
- a clear answer inside a long message or a question, or signs of both answers, is unsure
  too;
- anything else is not an answer at all (it goes to the bank or the assistant as usual).

After a confirmation question, :func:`read_confirmation` reads a bare yes or no.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledgerline.domain.folding import fold

FRAUD, GENUINE = "fraud", "genuine"
MAX_SURE_WORDS = 10  # a clear answer in a longer message is confirmed first

_ME = r"(?:toi|minh|em|anh|chi|tao|tui|to)"
_NOT = r"(?:khong|ko|k|hong|hok|kg|kh)"
_BUY = r"(?:lam|mua|thanh toan|giao dich|chi|tieu|quet|dung|tra)"
_EN_DID = r"(?:make|made|do|did|pay|paid|buy|bought|authori[sz]e|authori[sz]ed|spend|spent)"

_SURE_FRAUD = re.compile(
    r"\b(?:"
    r"not me|wasnt me|was not me|isnt me|is not me|not mine|wasnt mine|none of mine"
    rf"|i (?:didnt|did not|never) {_EN_DID}"
    r"|not my (?:payment|purchase|transaction|doing)"
    r"|fraud|fraudulent|scam|stolen|hacked|someone else"
    rf"|{_NOT} phai (?:la )?{_ME}|{_NOT} phai cua {_ME}|{_NOT} phai do {_ME}"
    rf"|{_ME} {_NOT} (?:he )?(?:co )?{_BUY}"
    r"|lua dao|gian lan|bi hack|bi danh cap|nguoi khac"
    r")\b"
)
_SURE_GENUINE = re.compile(
    r"\b(?:"
    r"(?:it|that|this) (?:was|is) me|was me|its me|thats me|that was mine|its mine"
    rf"|i {_EN_DID} (?:it|this|that|the payment)|my (?:payment|purchase)|yes it was"
    rf"|(?:dung|phai|chinh) (?:la )?{_ME}|la {_ME} (?:day|ma|do|lam|mua)|la {_ME}$"
    rf"|{_ME} (?:co|da) {_BUY}"
    rf"|cua {_ME} (?:day|ma|do)|{_ME} (?:da )?{_BUY} (?:day|ma|do|roi)|{_ME} day"
    r")\b"
)
# Whole-message short answers: a particle of politeness may follow ("không ạ" → "khong a").
_PARTICLES = r"(?: (?:a|ah|nha|nhe|nhe|day|dau|roi|thanks|thank you|please))*"
_BARE_NO = re.compile(
    rf"(?:no|nope|nah|not really|{_NOT}|{_NOT} phai|sai|sai roi|chua|chua he){_PARTICLES}"
)
_BARE_YES = re.compile(
    rf"(?:yes|yeah|yep|yup|sure|ok|okay|correct|right|co|dung|dung roi|phai|u|uh|um|vang|da|chuan|ok luon){_PARTICLES}"
)
_NON_WORD = re.compile(r"[^\w\s]+")


@dataclass(frozen=True, slots=True)
class TypedAnswer:
    verdict: str  # fraud | genuine
    sure: bool


def normalise(text: str) -> str:
    """Folded, apostrophes dropped ("wasn't" → "wasnt"), punctuation as spaces."""
    folded = fold(text.replace("’", "").replace("'", ""))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def read_answer(text: str) -> TypedAnswer | None:
    """The verdict ``text`` gives, and whether it is sure; None when it is no answer."""
    words = normalise(text)
    if not words:
        return None
    if _BARE_NO.fullmatch(words):
        return TypedAnswer(FRAUD, sure=False)
    if _BARE_YES.fullmatch(words):
        return TypedAnswer(GENUINE, sure=False)
    fraud = _SURE_FRAUD.search(words)
    rest = _SURE_FRAUD.sub(" ", words) if fraud else words
    genuine = _SURE_GENUINE.search(rest)
    if fraud and genuine:
        return TypedAnswer(FRAUD, sure=False)  # both: ask, naming the payment
    if not fraud and not genuine:
        return None
    sure = len(words.split()) <= MAX_SURE_WORDS and "?" not in text
    return TypedAnswer(FRAUD if fraud else GENUINE, sure=sure)


def read_confirmation(text: str) -> bool | None:
    """A bare yes (True) or no (False) after a confirmation question; None otherwise."""
    words = normalise(text)
    if _BARE_YES.fullmatch(words):
        return True
    if _BARE_NO.fullmatch(words):
        return False
    return None
