"""Request and response bodies of promo codes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.promos.models import Promo, PromoGrant, PromoKind, PromoRedemption
from api.validation import RequestModel

_CODE = re.compile(r"^[A-Z0-9]{3,32}$")
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def normalise(code: str) -> str:
    """A code as stored: capitals, without the spaces and dashes people type or print."""
    return re.sub(r"[\s-]", "", code).upper()


class PromoCreate(RequestModel):
    """A shared code (``code``, up to ``usage_limit`` uses in all) or a batch of ``count``
    unique codes, each used once; what it grants: ``points``, a coupon of ``reward_id``, or
    ``discount_percent`` off the member's next purchase."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Summer",
                    "kind": "shared",
                    "code": "SUMMER25",
                    "usage_limit": 500,
                    "grant": "points",
                    "points": 100,
                },  # fmt: skip
                {
                    "name": "Flyers",
                    "kind": "unique",
                    "count": 1000,
                    "grant": "discount",
                    "discount_percent": 10,
                    "ends_at": "2027-01-31T23:59:00+03:00",
                },  # fmt: skip
            ]
        },
    )

    name: Name
    kind: PromoKind
    code: str | None = Field(default=None, min_length=3, max_length=40)
    count: int | None = Field(default=None, ge=1, le=10_000, description="unique: how many")
    usage_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    per_member_limit: int = Field(default=1, ge=1, le=1000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    grant: PromoGrant
    points: int | None = Field(default=None, ge=1, le=1_000_000)
    reward_id: UUID | None = None
    discount_percent: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is PromoKind.shared:
            if self.code is None or self.count is not None:
                raise ValueError("a shared promo has a code and no count")
            self.code = normalise(self.code)
            if not _CODE.fullmatch(self.code):
                raise ValueError("code: 3 to 32 letters A-Z and digits")
        elif self.code is not None or self.count is None or self.usage_limit is not None:
            raise ValueError("a unique promo has a count (and neither code nor usage_limit)")
        given = {
            PromoGrant.points: self.points is not None,
            PromoGrant.coupon: self.reward_id is not None,
            PromoGrant.discount: self.discount_percent is not None,
        }
        if not given[self.grant] or sum(given.values()) != 1:
            raise ValueError("grant points with points, coupon with reward_id, discount with "
                             "discount_percent (and nothing else)")  # fmt: skip
        _window(self.starts_at, self.ends_at)
        return self


class PromoUpdate(RequestModel):
    """Change the name, limits or window (``null`` clears a limit or a window end);
    ``is_active: false`` archives the promo: its codes are refused from then on."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_active": False}]}
    )

    name: Name | None = None
    usage_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    per_member_limit: int | None = Field(default=None, ge=1, le=1000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _not_null(self) -> Self:
        for name in ("name", "per_member_limit", "is_active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        _window(self.starts_at, self.ends_at)
        return self


class PromoPublic(BaseModel):
    id: UUID
    program_id: UUID
    name: str
    kind: PromoKind
    code: str | None = Field(description="The shared code; unique codes are in codes.csv")
    codes: int = Field(description="How many codes the promo has")
    uses: int = Field(description="Redemptions of all its codes")
    usage_limit: int | None
    per_member_limit: int
    starts_at: datetime | None
    ends_at: datetime | None
    grant: PromoGrant
    points: int | None
    reward_id: UUID | None
    discount_percent: int | None
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, promo: Promo, *, code: str | None, codes: int, uses: int) -> PromoPublic:
        kept = set(cls.model_fields) - {"code", "codes", "uses"}
        columns = {name: getattr(promo, name) for name in kept}
        return cls.model_validate({**columns, "code": code, "codes": codes, "uses": uses})


class PromoRedeem(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "SUMMER25"}]}
    )

    code: str = Field(min_length=1, max_length=64)


class RedemptionPublic(BaseModel):
    id: UUID
    promo_id: UUID
    member_id: UUID
    code: str
    transaction_id: UUID | None = Field(description="The bonus, when it granted points")
    coupon_id: UUID | None
    discount_percent: int | None
    discount_used_at: datetime | None = Field(description="When a purchase took the discount")
    discount_transaction_id: UUID | None = Field(description="The purchase that took it")
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, row: PromoRedemption, code: str) -> RedemptionPublic:
        return cls.model_validate({**row.model_dump(), "code": code})


class PromoRedeemed(RedemptionPublic):
    """What redeeming granted; the same answer again for the same member and code."""

    grant: PromoGrant
    points: int | None
    coupon_code: str | None
    balance: int = Field(description="The member's points afterwards")
    is_new: bool = Field(description="False: the member had redeemed this code already")


class PendingDiscount(BaseModel):
    """What the member's next purchase takes off, so the till can charge the right amount."""

    promo_discount_percent: int = Field(description="0: no promo discount waits")
    promo_id: UUID | None = Field(description="The promo that granted it")
    granted_at: datetime | None = Field(description="When the member redeemed the code")


def _window(start: datetime | None, end: datetime | None) -> None:
    for moment in (start, end):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("give times with their UTC offset (2027-01-31T23:59:00+03:00)")
    if start is not None and end is not None and end <= start:
        raise ValueError("ends_at must be after starts_at")
