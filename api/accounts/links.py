"""One-time links: an owner's invitation (7 days) and a password reset (30 minutes).

The link carries a random token; the table keeps its SHA-256. Using a link is one atomic
UPDATE (``accepted_at`` / ``used_at`` set where still empty and unexpired), so two requests
with the same link cannot both use it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.accounts import passwords, repository
from api.accounts import service as account_service
from api.accounts.errors import AccountExists, AccountLinkInvalid, AccountNotFound, LastOwner
from api.accounts.models import Account, AccountRole, Invitation, PasswordReset
from api.accounts.service import AccountCaller
from api.audit import service as audit
from api.errors import Forbidden, InvalidRequest
from api.pages.sessions import lookup_hash, new_token, token_hash
from api.ratelimits import service as ratelimits
from api.stores import repository as store_repository

logger = logging.getLogger(__name__)
INVITATION_LENGTH = timedelta(days=7)
RESET_LENGTH = timedelta(minutes=30)
RESET_LIMITS = (10, 3)  # reset requests per address, per email, in RESET_WINDOW
RESET_WINDOW = timedelta(hours=1)
RESET_ADDRESS_SCOPE, RESET_EMAIL_SCOPE = "account_reset_address", "account_reset_email"


@dataclass(frozen=True, slots=True)
class Link:
    """A link just made: its token (shown or mailed once) and whom it is for."""

    token: str
    email: str


def invite(
    session: Session, owner: AccountCaller, *, email: str, role: AccountRole,
    stores: Sequence[str], now: datetime,
) -> Link:  # fmt: skip
    """An invitation to join the owner's merchant with ``role``, scoped to ``stores``.

    Raises:
        Forbidden: the caller is not an owner.
        AccountExists: the email has an account.
        InvalidRequest: the email does not look like one, or a store is not the merchant's.
    """
    _require_owner(owner)
    email = account_service.normalize_email(email)
    if "@" not in email or len(email) < 3 or " " in email:
        raise InvalidRequest("that is not an email address")
    if repository.by_email(session, email) is not None:
        raise AccountExists()
    store_ids = _merchant_stores(session, owner.merchant_id, stores)
    token = new_token()
    session.add(
        Invitation(
            merchant_id=owner.merchant_id, token_hash=token_hash(token), email=email, role=role,
            stores=store_ids, invited_by=owner.key_id, expires_at=now + INVITATION_LENGTH,
            created_at=now,
        )
    )  # fmt: skip
    session.flush()
    invited = {"email": email, "role": role, "stores": store_ids}
    audit.record(session, owner, "account.invited", "account", None, None, invited)
    logger.info("account invited", extra={"role": role, "by": str(owner.key_id)})
    return Link(token, email)


def invitation(session: Session, token: str, *, now: datetime) -> Invitation:
    """The unused, unexpired invitation behind a link.

    Raises:
        AccountLinkInvalid: unknown, accepted or expired.
    """
    hashed = lookup_hash(token)
    found = repository.invitation_by_hash(session, hashed) if hashed else None
    if found is None or found.accepted_at is not None or found.expires_at <= now:
        raise AccountLinkInvalid()
    return found


def accept(session: Session, token: str, password: str, *, now: datetime) -> Account:
    """The invitation becomes an account with ``password``; the link is used up.

    Raises:
        AccountLinkInvalid: unknown, accepted (by this or a concurrent request) or expired.
        WeakPassword: the password is too short or too common.
        AccountExists: the email got an account meanwhile.
    """
    found = invitation(session, token, now=now)
    passwords.check_new(password)
    if not repository.use_invitation(session, found.token_hash, now):
        raise AccountLinkInvalid()
    return account_service.create_account(
        session, found.merchant_id, email=found.email, password=password,
        role=AccountRole(found.role), stores=found.stores,
    )  # fmt: skip


def request_reset(
    session: Session, email: str, *, client: str | None = None, now: datetime
) -> Link | None:
    """A reset link for the active account with ``email``; None when there is none (the
    page answers the same either way, so it does not tell which emails have accounts).

    From the page (``client``, the visitor's address) requests are limited per address and
    per email (``RESET_LIMITS``), so the form cannot flood someone's mailbox; over a limit
    it is None too. The operator's CLI passes no client.
    """
    email = account_service.normalize_email(email)
    if client is not None:
        per_address, per_email = RESET_LIMITS
        by_address = ratelimits.hit(session, RESET_ADDRESS_SCOPE, client, limit=per_address,
                                    window=RESET_WINDOW, now=now)  # fmt: skip
        by_email = ratelimits.hit(session, RESET_EMAIL_SCOPE, email, limit=per_email,
                                  window=RESET_WINDOW, now=now)  # fmt: skip
        if not (by_address.allowed and by_email.allowed):
            logger.info("password reset refused by its limits")
            return None
    account = repository.by_email(session, email)
    if account is None or not account.is_active:
        return None
    token = new_token()
    session.add(
        PasswordReset(
            token_hash=token_hash(token), merchant_id=account.merchant_id,
            account_id=account.id, expires_at=now + RESET_LENGTH, created_at=now,
        )
    )  # fmt: skip
    session.flush()
    logger.info("password reset requested", extra={"account_id": str(account.id)})
    return Link(token, account.email)


def reset_password(session: Session, token: str, password: str, *, now: datetime) -> Account:
    """Sets the password of the reset link's account and uses the link up; every session of
    the account ends.

    Raises:
        AccountLinkInvalid: unknown, used (by this or a concurrent request) or expired.
        WeakPassword: the password is too short or too common.
    """
    passwords.check_new(password)
    hashed = lookup_hash(token)
    account_id = repository.use_reset(session, hashed, now) if hashed else None
    account = session.get(Account, account_id) if account_id else None
    if account is None or not account.is_active:
        raise AccountLinkInvalid()
    account_service.set_password(session, account, password)
    logger.info("password reset", extra={"account_id": str(account.id)})
    return account


def change_access(
    session: Session, owner: AccountCaller, account_id: UUID, *, role: AccountRole | None,
    stores: Sequence[str] | None = None, active: bool = True,
) -> Account:  # fmt: skip
    """An owner changes someone's role and stores, or removes them (``active=False``: every
    session ends at once). The last active owner stays.

    Raises:
        Forbidden: the caller is not an owner.
        AccountNotFound: not an account of the owner's merchant.
        LastOwner: it would leave the merchant without an active owner.
        InvalidRequest: a store is not the merchant's.
    """
    _require_owner(owner)
    account = repository.get(session, owner.merchant_id, account_id)
    if account is None:
        raise AccountNotFound()
    before = {"role": account.role, "stores": account.stores, "is_active": account.is_active}
    is_owner_now = account.role == AccountRole.owner and account.is_active
    stays_owner = active and (role or account.role) == AccountRole.owner
    if (
        is_owner_now
        and not stays_owner
        and repository.active_owners(session, owner.merchant_id) < 2
    ):
        raise LastOwner()
    if role is not None:
        account.role = role
    if stores is not None:
        account.stores = _merchant_stores(session, owner.merchant_id, stores)
    account.is_active = active
    session.add(account)
    if not active:
        repository.end_sessions(session, account.id)
    session.flush()
    after = {"role": account.role, "stores": account.stores, "is_active": account.is_active}
    audit.record(session, owner, "account.access_changed", "account", account.id, before, after)
    logger.info("account access changed", extra={"account_id": str(account.id)})
    return account


def _require_owner(caller: AccountCaller) -> None:
    if not caller.is_owner:
        raise Forbidden("only an owner manages people")


def _merchant_stores(session: Session, merchant_id: UUID, stores: Sequence[str]) -> list[str]:
    ids: list[UUID] = []
    for value in stores:
        try:
            ids.append(UUID(value))
        except ValueError:
            raise InvalidRequest("unknown store") from None
    found = store_repository.get_many(session, merchant_id, ids) if ids else []
    if len(found) != len(set(ids)):
        raise InvalidRequest("unknown store")
    return sorted({str(i) for i in ids})
