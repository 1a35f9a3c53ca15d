"""The API enrolment's body: a member, and the advertising consent the merchant collected."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.members.schemas import MemberCreate
from api.validation import RequestModel


class MarketingConsent(RequestModel):
    """The channels the member agreed to receive advertising on, and the version of the
    consent words they were shown (kept with each consent, as 38-FZ and GDPR ask)."""

    email: bool = False
    sms: bool = False
    text_version: str = Field(
        min_length=1, max_length=40, description="Your version of the consent words shown"
    )


class MemberEnrol(MemberCreate):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Anna Petrova",
                    "phone": "+7 916 123-45-67",
                    "marketing_consent": {"sms": True, "text_version": "shop-2026-12"},
                }
            ]
        },
    )

    marketing_consent: MarketingConsent | None = Field(
        default=None,
        description="Advertising by email or SMS only with the member's explicit consent: "
        "recorded (source api) for a new member only; omitted, the member gets no marketing",
    )
