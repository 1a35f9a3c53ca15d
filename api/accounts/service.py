"""Console accounts: creating them, signing in with an email and a password, and sessions.

Guessing passwords is what sign-in defends against. Three counters, each exact under
concurrency, are counted *before* a password is checked (the staff PIN lockout's design,
``api.staff.service``):

- per email *and* client address: ``MAX_ATTEMPTS`` (5) wrong passwords per ``LOCKOUT``
  (``api.ratelimits``); a right password clears it. Keyed by address too, so someone guessing
  elsewhere locks out only themselves;
- per client address, whatever the emails: ``ADDRESS_ATTEMPTS`` (30), so one address cannot
  try five passwords on every email it knows;
- per account from all addresses together: ``ACCOUNT_ATTEMPTS`` (10), on the account row read
  ``FOR UPDATE`` while its password is checked; then the account is locked for ``LOCKOUT``.

An unknown email costs what a known one does: its password is checked against
``passwords.DUMMY_HASH``, and its wrong passwords from all addresses are counted too
(``ratelimits``), so it "locks" when an account would. The answer is the same for an
unknown email, a removed account and a wrong password. A session is a random token in the
console's HttpOnly cookie; only its SHA-256 is stored (``AccountSession``), and it is listed
and revocable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.accounts import passwords, repository, totp
from api.accounts.errors import (
    AccountExists,
    AccountSignInFailed,
    AccountSignInLocked,
    SecondFactorFailed,
)
from api.accounts.models import Account, AccountRole, AccountSession
from api.merchants.models import Role
from api.merchants.service import Caller
from api.pages.sessions import lookup_hash, new_token, token_hash
from api.ratelimits import service as ratelimits
from api.ratelimits.service import Verdict

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5  # wrong passwords per email and client address, per LOCKOUT
ADDRESS_ATTEMPTS = 30  # wrong passwords per client address, whatever the emails
ACCOUNT_ATTEMPTS = 10  # wrong passwords per account, from all addresses together
LOCKOUT = timedelta(minutes=15)
EMAIL_SCOPE, ADDRESS_SCOPE = "account_password", "account_password_address"
UNKNOWN_SCOPE = "account_password_unknown"
SESSION_LENGTH = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class AccountCaller(Caller):
    """A console caller that is a person. ``key_id`` is the account's id (what audit
    columns record as who made a change); the role maps onto the API's roles: an analyst
    reads (``read``), owners and managers edit (``admin``); only owners manage people and
    keys (``is_owner``). ``stores``: the store ids a manager is scoped to (empty: all)."""

    email: str = ""
    account_role: AccountRole = AccountRole.analyst
    stores: tuple[str, ...] = ()
    session_id: UUID | None = None

    @property
    def label(self) -> str:
        return f"account:{self.email}"

    @property
    def is_owner(self) -> bool:
        return self.account_role == AccountRole.owner

    @property
    def can_edit(self) -> bool:
        return self.account_role != AccountRole.analyst

    def covers_store(self, store_id: UUID) -> bool:
        """Whether per-store data of ``store_id`` is this person's (no stores: all)."""
        return not self.stores or str(store_id) in self.stores


def normalize_email(email: str) -> str:
    return email.strip().lower()[:254]


def caller_of(account: Account, session_id: UUID | None = None) -> AccountCaller:
    role = Role.read if account.role == AccountRole.analyst else Role.admin
    return AccountCaller(
        merchant_id=account.merchant_id, key_id=account.id, role=role, key_prefix="",
        email=account.email, account_role=AccountRole(account.role),
        stores=tuple(account.stores), session_id=session_id,
    )  # fmt: skip


def create_account(
    session: Session, merchant_id: UUID, *, email: str, password: str, role: AccountRole,
    stores: Sequence[str] = (),
) -> Account:  # fmt: skip
    """A new account with a password that passed ``passwords.check_new``.

    Raises:
        WeakPassword: the password is too short or too common.
        AccountExists: an account has this email (emails are unique across merchants).
    """
    email = normalize_email(email)
    passwords.check_new(password)
    if repository.by_email(session, email) is not None:
        raise AccountExists()
    account = Account(
        merchant_id=merchant_id, email=email, password_hash=passwords.hash_password(password),
        role=role, stores=list(stores),
    )  # fmt: skip
    session.add(account)
    session.flush()
    logger.info("account created", extra={"account_id": str(account.id), "role": role})
    return account


def sign_in(
    session: Session, email: str, password: str, *, code: str = "", client: str,
    user_agent: str = "", now: datetime,
) -> str:  # fmt: skip
    """A new session token for the account with ``email`` and ``password`` (and the TOTP
    ``code`` when the account has a second factor), signing in from the address ``client``.

    Raises:
        AccountSignInFailed: unknown email, removed account or wrong password.
        AccountSignInLocked: too many wrong passwords (see the module docstring).
        SecondFactorFailed: the password was right, the authenticator code was not.
    """
    email = normalize_email(email)
    by_address = ratelimits.hit(session, ADDRESS_SCOPE, client, limit=ADDRESS_ATTEMPTS,
                                window=LOCKOUT, now=now)  # fmt: skip
    by_email = ratelimits.hit(session, EMAIL_SCOPE, f"{email} {client}", limit=MAX_ATTEMPTS,
                              window=LOCKOUT, now=now)  # fmt: skip
    if not (by_address.allowed and by_email.allowed):
        raise AccountSignInLocked(retry_after=_retry_after(by_address, by_email))
    account = repository.by_email(session, email, lock=True)
    if account is not None and _is_locked(account, now):
        raise AccountSignInLocked(retry_after=_seconds_until(account.locked_until, now))
    stored = account.password_hash if account is not None else passwords.DUMMY_HASH
    is_right = passwords.is_password(password, stored)
    if account is None or not account.is_active or not is_right:
        if account is not None:
            _count_failure(session, account, now)
            if _is_locked(account, now):
                raise AccountSignInLocked(retry_after=_seconds_until(account.locked_until, now))
        else:  # an unknown email "locks" at the same count, so lockouts do not reveal accounts
            unknown = ratelimits.hit(session, UNKNOWN_SCOPE, email, limit=ACCOUNT_ATTEMPTS,
                                     window=LOCKOUT, now=now)  # fmt: skip
            if unknown.remaining == 0:
                raise AccountSignInLocked(retry_after=unknown.retry_after_seconds)
        if by_address.remaining == 0 or by_email.remaining == 0:
            raise AccountSignInLocked(retry_after=_retry_after(by_address, by_email))
        raise AccountSignInFailed()
    if account.totp_secret:
        step = totp.matching_step(account.totp_secret, code, now=now,
                                  after=account.totp_last_step)  # fmt: skip
        if step is None:
            _count_failure(session, account, now)  # the code is guessed like a password
            raise SecondFactorFailed()
        account.totp_last_step = step  # the row is locked: a reused code is refused
    ratelimits.reset(session, EMAIL_SCOPE, f"{email} {client}")
    ratelimits.forgive(session, ADDRESS_SCOPE, client, now=now)
    account.failed_attempts, account.locked_until = 0, None
    account.last_sign_in_at = now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    session.add(account)
    token = start_session(session, account, client=client, user_agent=user_agent, now=now)
    logger.info("account signed in", extra={"account_id": str(account.id)})
    return token


def start_session(
    session: Session, account: Account, *, client: str, user_agent: str, now: datetime
) -> str:
    token = new_token()
    session.add(
        AccountSession(
            token_hash=token_hash(token), merchant_id=account.merchant_id,
            account_id=account.id, client=client[:100], user_agent=user_agent[:200],
            expires_at=now + SESSION_LENGTH, created_at=now,
        )
    )  # fmt: skip
    session.flush()
    return token


def _is_locked(account: Account, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def _count_failure(session: Session, account: Account, now: datetime) -> None:
    """One more wrong password for the account (its row is locked); lock it at
    ``ACCOUNT_ATTEMPTS``."""
    account.failed_attempts += 1
    if account.failed_attempts >= ACCOUNT_ATTEMPTS:
        account.failed_attempts, account.locked_until = 0, now + LOCKOUT
        logger.warning("account sign-in locked", extra={"account_id": str(account.id)})
    session.add(account)
    session.flush()


def _retry_after(*verdicts: Verdict) -> int:
    return max(v.retry_after_seconds for v in verdicts if not v.allowed or v.remaining == 0)


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds()) + 1) if moment else 1


def signed_in(session: Session, token: str | None, *, now: datetime) -> AccountCaller | None:
    """The account behind a console cookie, while the session lasts and the account is
    active; None for any other token (an API-key session among them)."""
    hashed = lookup_hash(token)
    if hashed is None:
        return None
    account = repository.signed_in(session, hashed, now)
    if account is None:
        return None
    row = repository.session_by_hash(session, hashed)
    return caller_of(account, row.id if row is not None else None)


def sign_out(session: Session, token: str | None) -> None:
    hashed = lookup_hash(token)
    row = repository.session_by_hash(session, hashed) if hashed else None
    if row is not None:
        session.delete(row)


def sessions(session: Session, caller: AccountCaller, *, now: datetime) -> Sequence[AccountSession]:
    """The caller's unexpired sessions, newest first."""
    return repository.sessions_of(session, caller.key_id, now)


def revoke_session(session: Session, caller: AccountCaller, session_id: UUID) -> bool:
    """Ends one of the caller's own sessions; False when it is not theirs (or gone)."""
    row = session.get(AccountSession, session_id)
    if row is None or row.account_id != caller.key_id:
        return False
    session.delete(row)
    session.flush()
    return True


def revoke_other_sessions(session: Session, caller: AccountCaller) -> None:
    repository.end_sessions(session, caller.key_id, keep=caller.session_id)


def set_password(session: Session, account: Account, password: str) -> None:
    """A new password; every session of the account ends (a reset follows a leak).

    Raises:
        WeakPassword: the password is too short or too common.
    """
    passwords.check_new(password)
    account.password_hash = passwords.hash_password(password)
    account.failed_attempts, account.locked_until = 0, None
    session.add(account)
    repository.end_sessions(session, account.id)
    session.flush()


def change_password(
    session: Session, caller: AccountCaller, current: str, new: str, *, client: str,
    now: datetime,
) -> None:  # fmt: skip
    """The signed-in person changes their password, proving the current one (counted like a
    sign-in, so a borrowed session cannot guess it); their other sessions end.

    Raises:
        AccountSignInFailed: the current password is wrong.
        AccountSignInLocked: too many wrong passwords.
        WeakPassword: the new password is too short or too common.
    """
    hit = ratelimits.hit(session, EMAIL_SCOPE, f"{caller.email} {client}", limit=MAX_ATTEMPTS,
                         window=LOCKOUT, now=now)  # fmt: skip
    if not hit.allowed:
        raise AccountSignInLocked(retry_after=hit.retry_after_seconds)
    account = repository.by_email(session, caller.email, lock=True)
    if account is None or not passwords.is_password(current, account.password_hash):
        raise AccountSignInFailed()
    passwords.check_new(new)
    account.password_hash = passwords.hash_password(new)
    session.add(account)
    repository.end_sessions(session, account.id, keep=caller.session_id)
    session.flush()
    logger.info("password changed", extra={"account_id": str(account.id)})
