"""One-click unsubscribe links: a member and channel, signed with the messaging secret
(HMAC-SHA256), so a link works without a database lookup of a stored token and cannot be
made for another member."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from uuid import UUID

from api.messaging.models import Channel
from api.settings import Settings

DEVELOPMENT_SECRET = b"loyalpass development messaging secret"
_CHANNEL_BYTE = {Channel.email: b"e", Channel.sms: b"s"}
_BYTE_CHANNEL = {value: key for key, value in _CHANNEL_BYTE.items()}
_SIGNATURE_BYTES = 16
_TOKEN_BYTES = 16 + 1 + _SIGNATURE_BYTES


def messaging_secret(settings: Settings) -> bytes:
    """The key that signs links (production requires ``LOYALPASS_MESSAGING_SECRET``)."""
    secret = settings.messaging_secret
    return secret.get_secret_value().encode() if secret else DEVELOPMENT_SECRET


def unsubscribe_token(secret: bytes, member_id: UUID, channel: Channel) -> str:
    payload = member_id.bytes + _CHANNEL_BYTE[channel]
    raw = payload + _sign(secret, payload)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unsubscribe_url(public_url: str, secret: bytes, member_id: UUID, channel: Channel) -> str:
    return f"{public_url}/unsubscribe/{unsubscribe_token(secret, member_id, channel)}"


def read_unsubscribe_token(secret: bytes, token: str) -> tuple[UUID, Channel] | None:
    """The member and channel of a genuine token, else None. The signature is compared in
    constant time, so its bytes cannot be guessed one by one from response times."""
    if len(token) != 44:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _TOKEN_BYTES:
        return None
    payload, signature = raw[:17], raw[17:]
    if not hmac.compare_digest(_sign(secret, payload), signature):
        return None
    channel = _BYTE_CHANNEL.get(payload[16:17])
    return None if channel is None else (UUID(bytes=payload[:16]), channel)


def _sign(secret: bytes, payload: bytes) -> bytes:
    digest = hmac.new(secret, b"unsubscribe\x00" + payload, hashlib.sha256).digest()
    return digest[:_SIGNATURE_BYTES]
