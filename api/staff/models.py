"""Staff members of a merchant's store, their scanner sessions and what they did."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, optional_timestamp, timestamp


class StaffRole(StrEnum):
    cashier = "cashier"  # credits purchases and stamps, redeems rewards and coupons
    manager = "manager"  # the same, and runs the store's scanner for others


class Staff(SQLModel, table=True):
    """A cashier or manager at one store. Signs in to the scanner with ``code`` and a PIN;
    the PIN is stored as a salted scrypt hash. Holds secrets: never return this model."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    store_id: UUID = Field(foreign_key="store.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    code: str = Field(max_length=12, unique=True)
    pin_hash: str = Field(max_length=200)
    failed_attempts: int = 0
    locked_until: datetime | None = optional_timestamp()
    is_active: bool = True
    role: StaffRole = Field(default=StaffRole.cashier, sa_type=String(10))
    last_sign_in_at: datetime | None = optional_timestamp()
    created_at: datetime = timestamp()


class StaffSession(SQLModel, table=True):
    """A signed-in scanner: the cookie carries the token, the table only its SHA-256."""

    __tablename__ = "staff_session"

    token_hash: str = Field(max_length=64, primary_key=True)
    merchant_id: UUID = merchant_fk()
    staff_id: UUID = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = timestamp()


class StaffAction(SQLModel, table=True):
    """One scanner action (purchase, stamp, redemption), attributed to staff and store."""

    __tablename__ = "staff_action"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    staff_id: UUID = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    store_id: UUID = Field(foreign_key="store.id", index=True, ondelete="CASCADE")
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    kind: str = Field(max_length=20)
    # The scanner form's one-time value: a resubmitted form finds its action here instead of
    # crediting twice.
    nonce: str = Field(max_length=40, unique=True)
    created_at: datetime = timestamp(index=True)
