"""Request and response bodies for members."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from api.members.models import Card, Member
from api.paging import Page
from api.validation import Birthday, RequestModel

_PHONE_JUNK = re.compile(r"[\s\-().]")
_PHONE_RE = re.compile(r"^\+?[0-9]{7,15}$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


# A number typed without a country code is read as one of this country's: the seed market,
# where "8 916 123-45-67" and "+7 916 123-45-67" are the same phone.
PHONE_REGION = "RU"


def normalise_phone(value: str) -> str:
    """The number in E.164 (``+79161234567``), however it was typed: spaces, dashes, dots and
    brackets dropped, a national number (``8 916 ...``) given its country code, so that one
    phone is one member whatever the format."""
    phone = _PHONE_JUNK.sub("", value)
    if not _PHONE_RE.match(phone):
        raise ValueError("a phone number has 7 to 15 digits, optionally starting with +")
    try:
        parsed = phonenumbers.parse(phone, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValueError("not a possible phone number: check the country code and the digits")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise ValueError("not a valid email address")
    return email


Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=40,
        pattern=r"^[\w][\w .&'-]*$",
    ),
    Field(examples=["vegan"], description="letters, digits, spaces, . & ' - _; kept lower-case"),
]  # fmt: skip
MAX_TAGS = 20


def distinct_tags(tags: list[str]) -> list[str]:
    """Each tag once, sorted (tags are already lower-cased)."""
    return sorted(set(tags))


class MemberCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Anna Petrova", "phone": "+7 916 123-45-67"}],
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phone: str | None = None
    email: str | None = None
    birthday: Birthday | None = None
    external_id: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="The merchant's own customer id (a POS's): unique in the program",
    )  # fmt: skip
    referral_code: str | None = Field(
        default=None, max_length=16, description="The referral code of the member who invited"
    )
    home_latitude: float | None = Field(
        default=None, ge=-90, le=90, description="Home or work (optional): the card shows the "
        "nearest stores"
    )  # fmt: skip
    home_longitude: float | None = Field(default=None, ge=-180, le=180)
    tags: list[Tag] = Field(
        default_factory=list, max_length=MAX_TAGS, description="Labels for segments"
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalise_email(value) if value else None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if not self.phone and not self.email:
            raise ValueError("give a phone number or an email address")
        if (self.home_latitude is None) != (self.home_longitude is None):
            raise ValueError("give both home_latitude and home_longitude, or neither")
        return self


class MemberTags(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tags": ["vegan", "wholesale"]}]}
    )

    tags: list[Tag] = Field(max_length=MAX_TAGS, description="The member's whole set of tags")


class MemberPublic(BaseModel):
    id: UUID
    program_id: UUID
    name: str
    phone: str | None
    email: str | None
    birthday: date | None
    external_id: str | None = Field(default=None, description="The merchant's own customer id")
    serial_number: str
    balance: int
    stamps: int
    tier: str | None
    discount_percent: int = Field(
        default=0, description="The tier's discount to apply at the till before the sale"
    )
    referral_code: str
    card_url: str
    apple_pass_url: str
    google_save_url: str | None = Field(
        default=None, description="Add to Google Wallet (null when Google Wallet is not set up)"
    )
    points_expiring: int | None = None
    points_expire_at: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime

    @classmethod
    def of(
        cls,
        member: Member,
        card: Card,
        *,
        public_url: str,
        google: bool = False,
        next_expiry: tuple[int, datetime] | None = None,
        tags: list[str] | None = None,
        discount_percent: int = 0,
    ) -> MemberPublic:
        card_url = f"{public_url}/cards/{card.public_token}"
        return cls(
            id=member.id,
            program_id=member.program_id,
            name=member.name,
            phone=member.phone,
            email=member.email,
            birthday=member.birthday,
            external_id=member.external_id,
            serial_number=card.serial_number,
            balance=member.points,
            stamps=member.stamps,
            tier=member.tier,
            discount_percent=discount_percent,
            referral_code=member.referral_code,
            card_url=card_url,
            apple_pass_url=f"{card_url}/apple.pkpass",
            google_save_url=f"{card_url}/google" if google else None,
            points_expiring=next_expiry[0] if next_expiry else None,
            points_expire_at=next_expiry[1] if next_expiry else None,
            tags=tags or [],
            created_at=member.created_at,
        )


MemberPage = Page[MemberPublic]
