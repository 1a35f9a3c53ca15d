"""Request and response bodies for transactions and refunds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.ledger.models import Currency, EntryKind, LedgerEntry, Transaction, TransactionKind
from api.paging import Page
from api.validation import CurrencyCode, RequestModel

Money = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)]
ReceiptId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
PointsAmount = Annotated[int, Field(ge=1, le=1_000_000)]


class _Request(RequestModel):
    model_config = ConfigDict(extra="forbid")


class PurchaseRequest(_Request):
    """A purchase: the engine works out points, stamps, tier and referral rewards."""

    kind: Literal["purchase"]
    amount: Money
    currency: CurrencyCode
    receipt_id: ReceiptId | None = None
    location_id: UUID | None = None


class EarnRequest(_Request):
    """Credit points or stamps directly (give exactly one of them)."""

    kind: Literal["earn"]
    points: PointsAmount | None = None
    stamps: Annotated[int, Field(ge=1, le=100)] | None = None
    reason: Reason | None = None
    location_id: UUID | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        if (self.points is None) == (self.stamps is None):
            raise ValueError("give either points or stamps")
        return self


class RedeemRequest(_Request):
    """Spend points (soonest-expiring first)."""

    kind: Literal["redeem"]
    points: PointsAmount
    reason: Reason | None = None
    location_id: UUID | None = None


class AdjustRequest(_Request):
    """A correction, positive or negative, with a reason."""

    kind: Literal["adjust"]
    points: Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
    currency: Currency = Currency.points
    reason: Reason
    location_id: UUID | None = None

    @model_validator(mode="after")
    def _not_zero(self) -> Self:
        if self.points == 0:
            raise ValueError("points must not be 0")
        return self


class RedeemRewardRequest(_Request):
    """Exchange points (or a full stamp card) for a reward; creates a coupon."""

    kind: Literal["redeem_reward"]
    reward_id: UUID
    location_id: UUID | None = None


PosRequest = PurchaseRequest | EarnRequest | RedeemRequest | AdjustRequest | RedeemRewardRequest
TransactionRequest = Annotated[PosRequest, Field(discriminator="kind")]

TRANSACTION_EXAMPLES = {
    "purchase": {
        "summary": "A purchase from the till",
        "value": {"kind": "purchase", "amount": "12.50", "currency": "RUB", "receipt_id": "R-1001"},
    },
    "earn": {"summary": "Add a stamp", "value": {"kind": "earn", "stamps": 1}},
    "redeem": {"summary": "Spend points", "value": {"kind": "redeem", "points": 100}},
    "adjust": {
        "summary": "A correction",
        "value": {"kind": "adjust", "points": -20, "reason": "double scan at till 2"},
    },
    "redeem_reward": {
        "summary": "Take a reward",
        "value": {"kind": "redeem_reward", "reward_id": "8a1c0d52-7c1b-4d33-9a55-2b0f5e1b7a10"},
    },
}


class RefundRequest(_Request):
    """Refund all that remains of a purchase, or ``amount`` of it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount": "5.00", "receipt_id": "R-1001-return"}]},
    )

    amount: Money | None = None
    receipt_id: ReceiptId | None = None
    reason: Reason | None = None


class EntryPublic(BaseModel):
    id: UUID
    kind: EntryKind
    currency: Currency
    amount: int
    balance_after: int
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry) -> EntryPublic:
        return cls.model_validate(entry, from_attributes=True)


class TransactionPublic(BaseModel):
    id: UUID
    member_id: UUID
    kind: TransactionKind
    amount: Decimal | None
    currency: str | None
    receipt_id: str | None
    location_id: UUID | None
    refunded_amount: Decimal
    refund_of_id: UUID | None
    points_earned: int = Field(description="What a purchase earned (0 for other kinds)")
    points: int = Field(description="The change of the member's points, signed (any kind)")
    stamps: int = Field(description="The change of the member's stamps, signed")
    points_after: int | None = Field(description="The points balance after it (null: none)")
    stamps_after: int | None = Field(description="The stamps after it (null: none changed)")
    actor: str
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, transaction: Transaction, entries: Sequence[LedgerEntry]) -> TransactionPublic:
        """``entries``: the member's entries of the transaction, in ledger order."""
        points = [e for e in entries if e.currency == Currency.points]
        stamps = [e for e in entries if e.currency == Currency.stamps]
        return cls.model_validate(
            {
                **{name: getattr(transaction, name) for name in _TRANSACTION_FIELDS},
                "points": sum(e.amount for e in points),
                "stamps": sum(e.amount for e in stamps),
                "points_after": points[-1].balance_after if points else None,
                "stamps_after": stamps[-1].balance_after if stamps else None,
            }
        )


_TRANSACTION_FIELDS = (
    "id", "member_id", "kind", "amount", "currency", "receipt_id", "location_id",
    "refunded_amount", "refund_of_id", "points_earned", "actor", "reason", "created_at",
)  # fmt: skip


class MovementPublic(BaseModel):
    """One movement of a member's points or stamps: the ledger explains every one."""

    id: UUID
    sequence: int | None = Field(description="Its place in the member's ledger")
    transaction_id: UUID | None
    transaction_kind: TransactionKind | None = Field(
        description="purchase, bonus, redeem, redeem_reward, adjust, refund, expiry, earn"
    )
    kind: EntryKind
    currency: Currency
    amount: int = Field(description="Signed: a credit is positive, a debit negative")
    balance_after: int
    purchase_amount: Decimal | None
    purchase_currency: str | None
    receipt_id: str | None
    location_id: UUID | None
    actor: str
    reason: str | None
    created_at: datetime

    @classmethod
    def of(cls, entry: LedgerEntry, transaction: Transaction | None) -> MovementPublic:
        return cls(
            id=entry.id, sequence=entry.sequence, transaction_id=entry.transaction_id,
            transaction_kind=transaction.kind if transaction else None, kind=entry.kind,
            currency=entry.currency, amount=entry.amount, balance_after=entry.balance_after,
            purchase_amount=transaction.amount if transaction else None,
            purchase_currency=transaction.currency if transaction else None,
            receipt_id=entry.receipt_id, location_id=entry.location_id, actor=entry.actor,
            reason=entry.reason, created_at=entry.created_at,
        )  # fmt: skip


class CouponPublic(BaseModel):
    code: str
    reward_id: UUID
    valid_until: datetime
    used_at: datetime | None


class TransactionResult(BaseModel):
    """The transaction, the ledger entries it wrote, and the card afterwards."""

    transaction: TransactionPublic
    entries: list[EntryPublic]
    balance: int
    stamps: int
    tier: str | None
    discount_percent: int
    promo_discount_percent: int = Field(
        default=0, description="A promo code's discount this purchase took (once)"
    )
    coupon: CouponPublic | None = None
    notes: list[str] = Field(default_factory=list)


TransactionPage = Page[TransactionPublic]
