"""Account linking: ``check_*`` validates, ``do_*`` changes state inside one UnitOfWork.

Every ``do_*`` runs on a database writer (``db.write(do_x, ...)``). The consent, the token,
the ``account_linking`` webhook (outbox), the thread message, the erasure and the audit
entries of one step share its transaction: nothing leaves before the commit, and a failing
hook undoes the whole step.

Times are epoch milliseconds. Tokens and codes are never logged nor stored in clear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from ledgerline.chat.actions import do_post_page_message, enqueue_webhook, same_link_target
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import (
    Conflict,
    InvalidParameter,
    LinkingTokenExpired,
    NoMatchingUser,
    NotFound,
)
from ledgerline.domain.ids import new_psid
from ledgerline.domain.scopes import DEFAULT_CONSENT_DAYS, Scope, scopes_of
from ledgerline.language.counts import held_list
from ledgerline.linking.hooks import LinkAudit, LinkingHooks, Unlinked, UnlinkedBy
from ledgerline.linking.texts import catalogue, known_versions, ordered
from ledgerline.linking.tokens import TOKEN_LIFETIME_MS, append_query, digest, new_secret
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    linking as store,
    people as people_store,
    threads as thread_store,
)
from ledgerline.storage.stores.businesses import BusinessRow
from ledgerline.storage.stores.linking import ConsentRow
from ledgerline.storage.stores.people import UserRow
from ledgerline.storage.stores.threads import ThreadRow

DAY_MS = 24 * 60 * 60 * 1000
CONSENT_LIFETIME_MS = DEFAULT_CONSENT_DAYS * DAY_MS
REMIND_BEFORE_MS = 7 * DAY_MS
MAX_CODE_LENGTH = 2000
CALLBACK_PATH = "/account_linking/callback"


def scopes_text(scopes: frozenset[Scope]) -> str:
    return ",".join(s.value for s in ordered(scopes))


# -- checks -------------------------------------------------------------------------------
def check_link_target(business: BusinessRow | None, url: str) -> BusinessRow:
    """The business exists and ``url`` is its registered account-link URL."""
    if business is None:
        raise NotFound("No business with this page id")
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidParameter("param url must be an http or https URL")
    if len(url) > 2000:
        raise InvalidParameter("param url must be at most 2000 characters")
    if business.account_link_url is None:
        raise InvalidParameter("param url: this business has no registered account-link URL")
    if not same_link_target(business.account_link_url, url):
        raise InvalidParameter("param url must match the business's registered account-link URL")
    return business


def check_scopes(scopes: frozenset[Scope]) -> None:
    if not scopes:
        raise InvalidParameter("param scopes must name at least one scope")


def _user(uow: UnitOfWork, user_id: str) -> UserRow:
    user = people_store.get_user(uow.conn, user_id)
    if user is None:
        raise NoMatchingUser("No such person")
    return user


def _thread(uow: UnitOfWork, page_id: str, user_id: str, now: int) -> ThreadRow:
    return thread_store.get_or_create_thread(uow.conn, page_id, user_id, now=now, new_psid=new_psid)


# -- starting a link ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StartedLink:
    redirect_url: str
    expires_at: int
    consent_id: int
    text_version: str
    scopes: frozenset[Scope]


def do_start_link(
    uow: UnitOfWork,
    *,
    user_id: str,
    page_id: str,
    url: str,
    scopes: frozenset[Scope],
    text_version: str | None,
    public_url: str,
    now: int,
    binding_hash: str | None = None,
    form_nonce_hash: str | None = None,
) -> StartedLink:
    """Record the person's consent (pending until the bank confirms) and issue a linking
    token bound to (person, business), with its single-use ``redirect_uri``."""
    business = check_link_target(business_store.get_business(uow.conn, page_id), url)
    check_scopes(scopes)
    user = _user(uow, user_id)
    if text_version is None:
        text_version = catalogue(user.locale).version
    versions = known_versions()
    if text_version not in versions:
        raise InvalidParameter("param consent_version is not a known consent text version")
    if form_nonce_hash is not None and store.form_nonce_used(uow.conn, form_nonce_hash):
        raise Conflict("This consent form was already submitted")
    thread = _thread(uow, business.page_id, user_id, now)
    consent_id = store.insert_consent_txn(
        uow.conn,
        page_id=page_id,
        user_id=user_id,
        scopes=scopes_text(scopes),
        text_version=text_version,
        locale=versions[text_version],
        status=store.PENDING,
        given_at=now,
        expires_at=now + CONSENT_LIFETIME_MS,
    )
    token, state = new_secret(), new_secret()
    expires_at = now + TOKEN_LIFETIME_MS
    store.insert_token_txn(
        uow.conn,
        token_hash=digest(token),
        state_hash=digest(state),
        page_id=page_id,
        user_id=user_id,
        consent_id=consent_id,
        psid=thread.psid,
        binding_hash=binding_hash,
        form_nonce_hash=form_nonce_hash,
        created_at=now,
        expires_at=expires_at,
    )
    redirect_uri = append_query(public_url.rstrip("/") + CALLBACK_PATH, {"state": state})
    redirect_url = append_query(url, {"account_linking_token": token, "redirect_uri": redirect_uri})
    return StartedLink(redirect_url, expires_at, consent_id, text_version, scopes)


# -- the bank's PSID lookup ---------------------------------------------------------------
def lookup_psid(uow: UnitOfWork, *, token: str, page_id: str, now: int) -> str:
    """``GET /me?fields=recipient&account_linking_token=T``: the PSID, for the token's own
    business only, while its flow is under way. Unknown, expired, ended (linked, cancelled,
    refused) and other businesses' tokens all answer the same ``(#10301)`` so a business
    learns nothing about tokens that are not its own."""
    row = store.token_by_hash(uow.conn, digest(token)) if token else None
    if row is None or row.page_id != page_id or now >= row.expires_at or row.used_at is not None:
        raise LinkingTokenExpired()
    return row.psid


# -- finishing a link ---------------------------------------------------------------------
class Outcome(StrEnum):
    LINKED = "linked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class LinkResult:
    outcome: Outcome
    page_id: str | None = None
    business_name: str | None = None
    locale: str | None = None


def _audit(
    uow: UnitOfWork,
    hooks: LinkingHooks,
    action: str,
    consent: ConsentRow,
    *,
    actor: tuple[str, str],
    now: int,
    **detail: str | int | bool | None,
) -> None:
    kind, actor_id = actor
    hooks.audit(
        uow,
        LinkAudit(
            action=action,
            actor_kind=kind,  # type: ignore[arg-type]
            actor_id=actor_id,
            page_id=consent.page_id,
            user_id=consent.user_id,
            detail={"consent_id": consent.consent_id, **detail},
            at=now,
        ),
    )


def _scopes_detail(text: str) -> str:
    return text.replace(",", "+")


def do_complete_link(
    uow: UnitOfWork,
    *,
    state: str,
    code: str | None,
    caller: str | None,
    binding: str | None,
    now: int,
    hooks: LinkingHooks,
) -> LinkResult:
    """The browser (or app) came back from the bank to ``redirect_uri`` (with or without
    ``authorization_code``). ``caller`` is the person its credentials name (the
    ``Authorization: Bearer`` access token or the web session cookie), if any.

    Links only when the state is fresh and unused and ``caller`` is the person who started
    the flow (CONTRACTS §3: a link started by one person and completed by another — the
    link-phishing attack — is refused, 403, nothing linked), and, for a flow started on the
    consent screen, the browser is the one that submitted it (binding cookie). Every ending
    (linked, cancelled, refused, expired) spends the token: it stops resolving."""
    token = store.token_by_state(uow.conn, digest(state)) if state else None
    if token is None:
        return LinkResult(Outcome.INVALID)
    consent = store.get_consent(uow.conn, token.consent_id)
    business = business_store.get_business(uow.conn, token.page_id)
    user = people_store.get_user(uow.conn, token.user_id)
    if consent is None or business is None or user is None:  # pragma: no cover - FKs
        return LinkResult(Outcome.INVALID)
    base = {"page_id": business.page_id, "business_name": business.name, "locale": user.locale}
    if token.used_at is not None:
        return LinkResult(Outcome.USED, **base)
    if now >= token.expires_at:
        store.use_token_txn(uow.conn, token.token_hash, now=now, outcome="expired")
        store.end_consent_txn(
            uow.conn, consent.consent_id, status=store.CANCELLED, now=now, by="expiry"
        )
        return LinkResult(Outcome.EXPIRED, **base)
    anonymous = caller is None
    other_person = caller is not None and caller != token.user_id
    other_browser = token.binding_hash is not None and (
        binding is None or digest(binding) != token.binding_hash
    )
    too_long = code is not None and len(code) > MAX_CODE_LENGTH
    if anonymous or other_person or other_browser or too_long:
        store.use_token_txn(uow.conn, token.token_hash, now=now, outcome="refused")
        store.end_consent_txn(
            uow.conn, consent.consent_id, status=store.CANCELLED, now=now, by="refused"
        )
        reason = (
            "no_credentials"
            if anonymous
            else "session"
            if other_person
            else "browser"
            if other_browser
            else "code"
        )
        _audit(
            uow, hooks, "link_refused", consent, actor=("component", "linking"), now=now,
            reason=reason,
        )  # fmt: skip
        return LinkResult(Outcome.REFUSED, **base)
    if not code:
        store.use_token_txn(uow.conn, token.token_hash, now=now, outcome="cancelled")
        store.end_consent_txn(
            uow.conn, consent.consent_id, status=store.CANCELLED, now=now, by="person"
        )
        return LinkResult(Outcome.CANCELLED, **base)
    if not store.use_token_txn(uow.conn, token.token_hash, now=now, outcome="linked"):
        return LinkResult(Outcome.USED, **base)  # pragma: no cover - one writer per pair
    previous = store.active_consent(uow.conn, token.page_id, token.user_id)
    if previous is not None:
        store.end_consent_txn(
            uow.conn, previous.consent_id, status=store.SUPERSEDED, now=now, by="relink"
        )
    expires_at = now + CONSENT_LIFETIME_MS
    store.update_consent_txn(
        uow.conn,
        consent.consent_id,
        status=store.ACTIVE,
        granted_at=now,
        expires_at=expires_at,
    )
    thread = _thread(uow, token.page_id, token.user_id, now)
    enqueue_webhook(
        uow,
        thread,
        "account_linking",
        now,
        account_linking={"status": "linked", "authorization_code": code},
    )
    texts = catalogue(user.locale)
    text = texts.text(
        "messages",
        "linked",
        business=business.name,
        scopes=texts.scope_list(scopes_of(consent.scopes)),
        until=texts.date(expires_at, user.timezone),
    )
    do_post_page_message(
        uow,
        page_id=token.page_id,
        user_id=token.user_id,
        message=_button_message(text, [{"type": "account_unlink"}]),
        now=now,
    )
    _audit(
        uow, hooks, "link", consent, actor=("person", token.user_id), now=now,
        scopes=_scopes_detail(consent.scopes), text_version=consent.text_version,
        expires_at=expires_at,
    )  # fmt: skip
    return LinkResult(Outcome.LINKED, **base)


def _button_message(text: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "button", "text": text[:640], "buttons": buttons},
        }
    }


def _text_message(text: str) -> dict[str, Any]:
    return {"text": text[:2000]}


# -- changing a consent -------------------------------------------------------------------
def do_change_scopes(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    scopes: frozenset[Scope] | None,
    renew: bool,
    now: int,
    hooks: LinkingHooks,
) -> ConsentRow:
    """Narrow or widen the scopes of the consent in force (and optionally renew it for
    another full term) without relinking. The old record is kept, marked superseded."""
    current = store.active_consent(uow.conn, page_id, user_id)
    if current is None or current.expires_at <= now:
        raise NotFound("No active link with this business")
    new_scopes = scopes_of(current.scopes) if scopes is None else scopes
    check_scopes(new_scopes)
    if new_scopes == scopes_of(current.scopes) and not renew:
        return current
    user = _user(uow, user_id)
    texts = catalogue(user.locale)
    store.end_consent_txn(
        uow.conn, current.consent_id, status=store.SUPERSEDED, now=now, by="change"
    )
    consent_id = store.insert_consent_txn(
        uow.conn,
        page_id=page_id,
        user_id=user_id,
        scopes=scopes_text(new_scopes),
        text_version=texts.version,
        locale=texts.locale,
        status=store.ACTIVE,
        given_at=now,
        granted_at=now,
        expires_at=now + CONSENT_LIFETIME_MS if renew else current.expires_at,
        previous_id=current.consent_id,
    )
    if not renew:
        # Keep "reminded once" across a scope change of the same term.
        store.update_consent_txn(uow.conn, consent_id, reminded_at=current.reminded_at)
    created = store.get_consent(uow.conn, consent_id)
    if created is None:  # pragma: no cover - just inserted
        raise RuntimeError("consent vanished")
    _audit(
        uow, hooks, "renew_consent" if renew else "change_scopes", created,
        actor=("person", user_id), now=now, scopes=_scopes_detail(created.scopes),
        previous_scopes=_scopes_detail(current.scopes), previous_id=current.consent_id,
        text_version=created.text_version, expires_at=created.expires_at,
    )  # fmt: skip
    return created


# -- unlinking ----------------------------------------------------------------------------
def _end_link(
    uow: UnitOfWork,
    consent: ConsentRow,
    *,
    status: str,
    by: UnlinkedBy,
    now: int,
    hooks: LinkingHooks,
) -> ThreadRow | None:
    """End a link in force; None when a concurrent transaction already ended it."""
    if not store.end_consent_txn(uow.conn, consent.consent_id, status=status, now=now, by=by):
        return None
    thread = _thread(uow, consent.page_id, consent.user_id, now)
    enqueue_webhook(uow, thread, "account_linking", now, account_linking={"status": "unlinked"})
    # What the erasure below takes, counted by kind (kinds switched off earlier included),
    # so the person is told in words; counts only, no value read.
    erased = hooks.held_kinds(uow, consent.page_id, consent.user_id)
    hooks.unlinked(
        uow, Unlinked(page_id=consent.page_id, user_id=consent.user_id, psid=thread.psid, by=by,
                      at=now),
    )  # fmt: skip
    actor = {
        "person": ("person", consent.user_id),
        "business": ("business", consent.page_id),
        "expiry": ("component", "linking"),
    }[by]
    _audit(
        uow, hooks, "expire_consent" if by == "expiry" else "unlink", consent, actor=actor,
        now=now, by=by, scopes=_scopes_detail(consent.scopes),
    )  # fmt: skip
    _tell_person(
        uow, consent, "expired" if by == "expiry" else f"unlinked_{by}", now, erased=erased
    )
    return thread


def _tell_person(
    uow: UnitOfWork,
    consent: ConsentRow,
    key: str,
    now: int,
    *,
    erased: Mapping[str, int] | None = None,
) -> None:
    """A message in the thread, as the page, in the person's language; ``erased``: what the
    end of the link erased, by kind, said after it ("Erased: 3 transactions, 1 receipt")."""
    business = business_store.get_business(uow.conn, consent.page_id)
    user = people_store.get_user(uow.conn, consent.user_id)
    if business is None or user is None:  # pragma: no cover - FKs
        return
    texts = catalogue(user.locale)
    text = texts.text("messages", key, business=business.name)
    if erased and (what := held_list(erased, user.locale)):
        text += " " + texts.text("messages", "erased_list", erased=what)
    do_post_page_message(
        uow,
        page_id=consent.page_id,
        user_id=consent.user_id,
        message=_text_message(text),
        now=now,
    )


def do_unlink(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    by: UnlinkedBy,
    now: int,
    hooks: LinkingHooks,
) -> bool:
    """End the link of (business, person): consent revoked, ``unlinked`` webhook queued,
    the erasure hooks run, an audit entry written — one transaction. False when there was
    no link in force."""
    current = store.active_consent(uow.conn, page_id, user_id)
    if current is None:
        return False
    return _end_link(uow, current, status=store.REVOKED, by=by, now=now, hooks=hooks) is not None


def do_person_unlink(
    uow: UnitOfWork, *, page_id: str, user_id: str, now: int, hooks: LinkingHooks
) -> None:
    """The person unlinks (``DELETE /api/v1/links/{page_id}`` or the Unlink button)."""
    if not do_unlink(uow, page_id=page_id, user_id=user_id, by="person", now=now, hooks=hooks):
        raise NotFound("No active link with this business")


def do_business_unlink(
    uow: UnitOfWork, *, page_id: str, psid: str, now: int, hooks: LinkingHooks
) -> bool:
    """``POST /me/unlink_accounts {"psid"}``; succeeds (idempotently) for any PSID of the
    business, linked or not. Returns whether a link was in force."""
    thread = thread_store.thread_by_psid(uow.conn, page_id, psid)
    if thread is None:
        raise NoMatchingUser()
    return do_unlink(
        uow, page_id=page_id, user_id=thread.user_id, by="business", now=now, hooks=hooks
    )


# -- expiry and reminders -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExpiryReport:
    expired: int
    reminded: int


def expire_and_remind(
    uow: UnitOfWork,
    *,
    now: int,
    hooks: LinkingHooks,
    remind_before_ms: int = REMIND_BEFORE_MS,
    limit: int = 200,
) -> ExpiryReport:
    """What the periodic worker runs: consents past their end stop (and their data is
    erased, as on unlink); consents ending within ``remind_before_ms`` get one reminder
    in the thread. Idempotent; handles at most ``limit`` of each per call."""
    expired = 0
    for consent in store.due_for_expiry(uow.conn, now=now, limit=limit):
        if _end_link(uow, consent, status=store.EXPIRED, by="expiry", now=now, hooks=hooks) is None:
            continue  # pragma: no cover - unlinked concurrently
        expired += 1
    reminded = 0
    for consent in store.due_for_reminder(uow.conn, before=now + remind_before_ms, limit=limit):
        business = business_store.get_business(uow.conn, consent.page_id)
        user = people_store.get_user(uow.conn, consent.user_id)
        store.update_consent_txn(uow.conn, consent.consent_id, reminded_at=now)
        if business is None or user is None:  # pragma: no cover - FKs
            continue
        texts = catalogue(user.locale)
        text = texts.text(
            "messages",
            "reminder",
            business=business.name,
            scopes=texts.scope_list(scopes_of(consent.scopes)),
            until=texts.date(consent.expires_at, user.timezone),
        )
        do_post_page_message(
            uow,
            page_id=consent.page_id,
            user_id=consent.user_id,
            message=_text_message(text),
            now=now,
        )
        reminded += 1
    # A linking token lives 5 minutes: attempts older than a day can no longer finish.
    store.cancel_stale_pending_txn(uow.conn, before=now - DAY_MS, now=now)
    store.delete_spent_tokens_txn(uow.conn, before=now - DAY_MS)
    return ExpiryReport(expired=expired, reminded=reminded)


# -- consent, for the vault -----------------------------------------------------------------
ConsentLookupFn: TypeAlias = Callable[[UnitOfWork, str, str], "frozenset[Scope] | None"]


def consent_lookup(clock: Clock) -> ConsentLookupFn:
    """An adapter for the vault's ``ConsentLookup`` port: ``(uow, page_id, user_id)``, the
    scopes granted now (a vault access asks once per action)."""

    def lookup(uow: UnitOfWork, page_id: str, user_id: str) -> frozenset[Scope] | None:
        return store.consent_scopes(uow.conn, page_id, user_id, to_ms(clock.now()))

    return lookup
