"""Console accounts: a person with an email and a password, their invitations, password
resets and signed-in sessions. Tokens (sessions, invitations, resets) are stored as their
SHA-256 only; passwords as argon2id hashes. Holds secrets: never return these models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, optional_timestamp, timestamp


class AccountRole(StrEnum):
    owner = "owner"  # everything: people, API keys, programs
    manager = "manager"  # edits programs, rewards, campaigns (in their stores)
    analyst = "analyst"  # reads everything, changes nothing


class Account(SQLModel, table=True):
    """One person of a merchant. The email is unique across the service (lower-cased): the
    sign-in form asks for an email and a password, nothing else, so an email must name one
    account. ``stores`` lists the store ids the account is scoped to; empty means all."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=200)
    role: AccountRole = Field(sa_type=String(10))
    stores: list[str] = Field(default_factory=list, sa_type=JSON)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = None  # the time step of the last code used (no reuse)
    failed_attempts: int = 0
    locked_until: datetime | None = optional_timestamp()
    is_active: bool = True
    last_sign_in_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class AccountSession(SQLModel, table=True):
    """A console signed in by an account: the cookie carries the token, the table its
    SHA-256. ``id`` names the session in the list an account can revoke from."""

    __tablename__ = "account_session"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    merchant_id: UUID = merchant_fk()
    account_id: UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    client: str = Field(default="", max_length=100)  # the address it signed in from
    user_agent: str = Field(default="", max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = timestamp()


class Invitation(SQLModel, table=True):
    """An owner's invitation: whoever opens its link before ``expires_at`` sets a password
    and becomes an account with this email, role and stores. Used once."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254)
    role: AccountRole = Field(sa_type=String(10))
    stores: list[str] = Field(default_factory=list, sa_type=JSON)
    invited_by: UUID | None = None  # the owner's account (no FK: it may be removed)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class PasswordReset(SQLModel, table=True):
    """A one-time password reset link for an account: 30 minutes, used once."""

    __tablename__ = "password_reset"

    token_hash: str = Field(max_length=64, primary_key=True)
    merchant_id: UUID = merchant_fk()
    account_id: UUID = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()
