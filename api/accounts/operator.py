"""What the service's operator does for accounts from the command line: the first owner of
a merchant, and a password reset link when email is not set up (or an owner is locked out of
their mailbox). Session-first, like every service; the CLI opens the transaction."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.accounts import links
from api.accounts import service as account_service
from api.accounts.errors import AccountNotFound
from api.accounts.models import AccountRole
from api.merchants.models import Merchant


def create_owner(
    session: Session, merchant_id: UUID, email: str, *, password: str | None = None
) -> str:
    """A new owner account of the merchant; returns its password (a random one unless given:
    the operator hands it over once, like a new API key).

    Raises:
        AccountNotFound: no such merchant.
        AccountExists: the email has an account.
        WeakPassword: a given password is too short or too common.
    """
    if session.get(Merchant, merchant_id) is None:
        raise AccountNotFound("no such merchant")
    password = password or secrets.token_urlsafe(15)
    account_service.create_account(
        session, merchant_id, email=email, password=password, role=AccountRole.owner
    )
    return password


def reset_link(session: Session, email: str, *, public_url: str, now: datetime) -> str:
    """A one-time reset link (30 minutes) for the account with ``email``.

    Raises:
        AccountNotFound: no active account has this email.
    """
    link = links.request_reset(session, email, now=now)
    if link is None:
        raise AccountNotFound()
    return f"{public_url}/console/reset/{link.token}"
