"""Request and response bodies of Web Push."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.validation import RequestModel


class SubscriptionKeys(RequestModel):
    p256dh: str = Field(max_length=100)
    auth: str = Field(max_length=40)


class SubscriptionCreate(RequestModel):
    """What the browser's ``PushSubscription.toJSON()`` gives, plus the page's language."""

    endpoint: str = Field(max_length=1000)
    keys: SubscriptionKeys
    # Every browser's toJSON() carries it (null: the push service sets no end); not kept.
    expiration_time: float | None = Field(default=None, alias="expirationTime", ge=0)
    language: Literal["ru", "en"] | None = None


class SubscriptionDelete(RequestModel):
    endpoint: str = Field(max_length=1000)


class PushKeyPublic(RequestModel):
    public_key: str  # base64url of the uncompressed P-256 point (applicationServerKey)
