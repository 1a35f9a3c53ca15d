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
    language: Literal["ru", "en"] | None = None


class SubscriptionDelete(RequestModel):
    endpoint: str = Field(max_length=1000)


class PushKeyPublic(RequestModel):
    public_key: str  # base64url of the uncompressed P-256 point (applicationServerKey)
