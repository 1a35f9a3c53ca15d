"""Promo codes: a promo, its codes (one shared code, or a batch of unique ones) and the
redemptions, one per member and code."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class PromoKind(StrEnum):
    shared = "shared"  # one code anyone may type, up to ``usage_limit`` uses in all
    unique = "unique"  # a batch of codes, each used once


class PromoGrant(StrEnum):
    points = "points"  # a bonus through the ledger
    coupon = "coupon"  # a coupon of one of the program's rewards
    discount = "discount"  # a discount the member's next purchase takes


class Promo(SQLModel, table=True):
    """What a code grants, when, and how often (``per_member_limit`` counts a member's
    redemptions of any of the promo's codes)."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    kind: PromoKind = Field(sa_type=String(10))
    grant: PromoGrant = Field(sa_type=String(10))
    points: int | None = None
    reward_id: UUID | None = Field(default=None, foreign_key="reward.id", ondelete="CASCADE")
    discount_percent: int | None = None
    usage_limit: int | None = None  # shared: uses of the code in all (None: no limit)
    per_member_limit: int = 1
    starts_at: datetime | None = optional_timestamp()
    ends_at: datetime | None = optional_timestamp()
    is_active: bool = True  # False: archived (its codes are refused)
    created_at: datetime = timestamp()


class PromoCode(SQLModel, table=True):
    """One code of a promo; ``uses`` counts its redemptions (raised in one statement that
    checks the limit, so concurrent redemptions cannot pass it)."""

    __tablename__ = "promo_code"
    __table_args__ = (UniqueConstraint("merchant_id", "code"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    promo_id: UUID = Field(foreign_key="promo.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=32)
    uses: int = 0
    created_at: datetime = timestamp()


class PromoRedemption(SQLModel, table=True):
    """A member redeemed a code: at most once per (code, member), which makes redeeming
    idempotent. A discount grant waits here (``discount_used_at`` None) for the next purchase."""

    __tablename__ = "promo_redemption"
    __table_args__ = (UniqueConstraint("code_id", "member_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    promo_id: UUID = Field(foreign_key="promo.id", index=True, ondelete="CASCADE")
    code_id: UUID = Field(foreign_key="promo_code.id", ondelete="CASCADE")
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    coupon_id: UUID | None = Field(default=None, foreign_key="coupon.id")
    discount_percent: int | None = None
    discount_used_at: datetime | None = optional_timestamp()
    # The purchase that took the discount.
    discount_transaction_id: UUID | None = Field(default=None, foreign_key="transaction.id")
    actor: str = Field(default="api", max_length=100)
    created_at: datetime = timestamp()
