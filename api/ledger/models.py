"""The ledger: POS transactions, append-only entries, and point lots for expiry.

Entries are never updated or deleted (a database trigger refuses UPDATE). A member's balance
is a projection that always equals the sum of their entries. The only mutable rows are
``PointLot.remaining`` (what is left of an earn, consumed soonest-expiring first) and a
transaction's ``refunded_amount``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Numeric, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_scope, timestamp


class TransactionKind(StrEnum):
    purchase = "purchase"
    earn = "earn"
    redeem = "redeem"
    adjust = "adjust"
    redeem_reward = "redeem_reward"
    refund = "refund"
    bonus = "bonus"  # welcome, birthday and referral bonuses
    expiry = "expiry"
    import_ = "import"  # opening balances brought from another system (api/imports)


class EntryKind(StrEnum):
    earn = "earn"
    redeem = "redeem"
    expire = "expire"
    adjust = "adjust"
    reverse = "reverse"
    bonus = "bonus"
    import_ = "import"  # an opening balance from a member import


class Currency(StrEnum):
    points = "points"
    stamps = "stamps"


class Transaction(SQLModel, table=True):
    """One request that changed a member's card (a purchase, a redemption, a refund...)."""

    __table_args__ = (UniqueConstraint("merchant_id", "receipt_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: TransactionKind = Field(sa_type=String(20))
    amount: Decimal | None = Field(default=None, sa_type=Numeric(14, 2))
    currency: str | None = Field(default=None, max_length=3)
    receipt_id: str | None = Field(default=None, max_length=100)
    location_id: UUID | None = None  # a store of the merchant, checked by the service
    refunded_amount: Decimal = Field(default=Decimal(0), sa_type=Numeric(14, 2))
    refund_of_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    points_earned: int = 0
    stamps_earned: int = 0
    actor_key_id: UUID | None = None  # the API key that made it (no FK: see merchant_scope)
    actor: str = Field(default="api", max_length=100)
    reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = timestamp(index=True)


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entry"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    transaction_id: UUID | None = Field(
        default=None, foreign_key="transaction.id", index=True, ondelete="CASCADE"
    )
    kind: EntryKind = Field(sa_type=String(10))
    currency: Currency = Field(sa_type=String(10))
    amount: int  # signed: a credit is positive, a debit negative
    balance_after: int
    # The entry's place in the member's ledger (1, 2, ...): the order balance_after follows,
    # also within one request and across requests that queued for the member's lock.
    # None for entries written before it existed (they sort by time).
    sequence: int | None = Field(default=None, sa_type=BigInteger)
    actor_key_id: UUID | None = None  # the API key that made it (no FK: see merchant_scope)
    actor: str = Field(default="api", max_length=100)
    location_id: UUID | None = None  # a store of the merchant, checked by the service
    receipt_id: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = timestamp(index=True)


class PointLot(SQLModel, table=True):
    """What is left of one earn of points; redemptions consume soonest-expiring lots first."""

    __tablename__ = "point_lot"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    entry_id: UUID = Field(foreign_key="ledger_entry.id", ondelete="CASCADE")
    transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    amount: int
    remaining: int
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = timestamp()


class LotAllocation(SQLModel, table=True):
    """Which lots a redemption, expiry or reversal drew from."""

    __tablename__ = "lot_allocation"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    entry_id: UUID = Field(foreign_key="ledger_entry.id", index=True, ondelete="CASCADE")
    lot_id: UUID = Field(foreign_key="point_lot.id", index=True, ondelete="CASCADE")
    amount: int
