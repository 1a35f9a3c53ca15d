"""Queries for accounts, their sessions, invitations and resets (scoped by merchant where a
merchant is known; sign-in and links look up by email or token hash across merchants)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from api.accounts.models import Account, AccountRole, AccountSession, Invitation, PasswordReset


def by_email(session: Session, email: str, *, lock: bool = False) -> Account | None:
    query = select(Account).where(Account.email == email)
    return session.exec(query.with_for_update() if lock else query).first()


def get(session: Session, merchant_id: UUID, account_id: UUID) -> Account | None:
    account = session.get(Account, account_id)
    return account if account is not None and account.merchant_id == merchant_id else None


def list_accounts(session: Session, merchant_id: UUID) -> Sequence[Account]:
    query = select(Account).where(Account.merchant_id == merchant_id)
    return session.exec(query.order_by(col(Account.created_at), col(Account.id))).all()


def active_owners(session: Session, merchant_id: UUID) -> int:
    query = select(func.count()).where(
        Account.merchant_id == merchant_id,
        Account.role == AccountRole.owner,
        col(Account.is_active).is_(True),
    )
    return session.exec(query).one()


def signed_in(session: Session, token_hash: str, now: datetime) -> Account | None:
    """The active account behind an unexpired session."""
    query = (
        select(Account)
        .join(AccountSession, col(AccountSession.account_id) == col(Account.id))
        .where(
            AccountSession.token_hash == token_hash,
            AccountSession.expires_at > now,
            col(Account.is_active).is_(True),
        )
    )
    return session.exec(query).first()


def session_by_hash(session: Session, token_hash: str) -> AccountSession | None:
    return session.exec(
        select(AccountSession).where(AccountSession.token_hash == token_hash)
    ).first()


def sessions_of(session: Session, account_id: UUID, now: datetime) -> Sequence[AccountSession]:
    query = select(AccountSession).where(
        AccountSession.account_id == account_id, AccountSession.expires_at > now
    )
    return session.exec(query.order_by(col(AccountSession.created_at).desc()).limit(100)).all()


def end_sessions(session: Session, account_id: UUID, *, keep: UUID | None = None) -> None:
    statement = delete(AccountSession).where(col(AccountSession.account_id) == account_id)
    if keep is not None:
        statement = statement.where(col(AccountSession.id) != keep)
    session.execute(statement)


def invitation_by_hash(session: Session, token_hash: str) -> Invitation | None:
    return session.exec(select(Invitation).where(Invitation.token_hash == token_hash)).first()


def use_invitation(session: Session, token_hash: str, now: datetime) -> bool:
    """Marks an unused, unexpired invitation accepted; False when another request did so
    first (one atomic UPDATE: concurrent accepts cannot both win)."""
    statement = (
        update(Invitation)
        .where(
            col(Invitation.token_hash) == token_hash,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(accepted_at=now)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def pending_invitations(session: Session, merchant_id: UUID, now: datetime) -> Sequence[Invitation]:
    query = select(Invitation).where(
        Invitation.merchant_id == merchant_id,
        col(Invitation.accepted_at).is_(None),
        Invitation.expires_at > now,
    )
    return session.exec(query.order_by(col(Invitation.created_at)).limit(100)).all()


def use_reset(session: Session, token_hash: str, now: datetime) -> UUID | None:
    """Marks an unused, unexpired reset used and returns its account; None when it is not
    (or another request used it first: one atomic UPDATE)."""
    statement = (
        update(PasswordReset)
        .where(
            col(PasswordReset.token_hash) == token_hash,
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(PasswordReset.account_id))
    )
    return session.execute(statement).scalar_one_or_none()
