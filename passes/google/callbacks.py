"""Verifying Google Wallet save/delete callbacks (``ECv2SigningOnly``, as Tink's
PaymentMethodTokenRecipient verifies them).

1. root keys come from Google's keys URL and are cached until their ``keyExpiration``;
2. the intermediate key must be signed by a root key over
   ``LV(senderId) || LV("ECv2SigningOnly") || LV(signedKey)``, and not be expired;
3. the message must be signed by the intermediate key over
   ``LV(senderId) || LV(issuerId) || LV("ECv2SigningOnly") || LV(signedMessage)``;
4. the message must not be past its ``expTimeMillis``.
LV is a 4-byte little-endian length followed by the UTF-8 bytes; signatures are ECDSA P-256
with SHA-256, DER, base64. Replays (the same ``nonce``) are the caller's to refuse.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from passes.errors import PassError

PROTOCOL = "ECv2SigningOnly"
DEFAULT_SENDER_ID = "GooglePayPasses"
DEFAULT_KEYS_URL = "https://pay.google.com/gp/m/issuer/keys"


class CallbackRejected(PassError):
    """The callback is not from Google, is malformed, or has expired."""

    code = "callback_rejected"


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    class_id: str
    object_id: str
    event_type: str  # "save" or "del"
    nonce: str
    expires_ms: int


@dataclass(frozen=True, slots=True)
class RootKey:
    key: ec.EllipticCurvePublicKey
    expires_ms: int | None


def parse_root_keys(document: Mapping[str, Any]) -> list[RootKey]:
    """Root keys from Google's keys JSON (``{"keys": [{keyValue, protocolVersion, ...}]}``)."""
    keys = []
    for entry in document.get("keys", []):
        if entry.get("protocolVersion") != PROTOCOL:
            continue
        key = serialization.load_der_public_key(base64.b64decode(entry["keyValue"]))
        if isinstance(key, ec.EllipticCurvePublicKey):
            expiration = entry.get("keyExpiration")
            keys.append(RootKey(key, int(expiration) if expiration else None))
    return keys


def verify_callback(
    body: Mapping[str, Any],
    *,
    root_keys: list[RootKey],
    issuer_id: str,
    now_ms: int,
    sender_id: str = DEFAULT_SENDER_ID,
) -> CallbackEvent:
    """The callback's event, once every signature and expiry checks out.

    Raises:
        CallbackRejected: with the reason.
    """
    try:
        if body.get("protocolVersion") != PROTOCOL:
            raise CallbackRejected(f"protocolVersion must be {PROTOCOL}")
        intermediate = body["intermediateSigningKey"]
        signed_key = str(intermediate["signedKey"])
        key_signed = _lv(sender_id) + _lv(PROTOCOL) + _lv(signed_key)
        live_roots = [r for r in root_keys if r.expires_ms is None or r.expires_ms > now_ms]
        if not any(
            _verifies(root.key, signature, key_signed)
            for root in live_roots
            for signature in intermediate["signatures"]
        ):
            raise CallbackRejected("the intermediate key is not signed by a Google root key")
        key_info = json.loads(signed_key)
        if int(key_info["keyExpiration"]) <= now_ms:
            raise CallbackRejected("the intermediate key has expired")
        key = serialization.load_der_public_key(base64.b64decode(key_info["keyValue"]))
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise CallbackRejected("the intermediate key is not an EC key")
        message = str(body["signedMessage"])
        signed = _lv(sender_id) + _lv(issuer_id) + _lv(PROTOCOL) + _lv(message)
        if not _verifies(key, body["signature"], signed):
            raise CallbackRejected("the message signature does not verify")
        content = json.loads(message)
        event = CallbackEvent(
            class_id=str(content["classId"]),
            object_id=str(content["objectId"]),
            event_type=str(content["eventType"]),
            nonce=str(content["nonce"]),
            expires_ms=int(content["expTimeMillis"]),
        )
    except CallbackRejected:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CallbackRejected(f"malformed callback: {exc}") from None
    if event.expires_ms <= now_ms:
        raise CallbackRejected("the message has expired")
    if not event.object_id.startswith(f"{issuer_id}."):
        raise CallbackRejected("the object belongs to another issuer")
    return event


def _lv(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def _verifies(key: ec.EllipticCurvePublicKey, signature: object, data: bytes) -> bool:
    try:
        key.verify(base64.b64decode(str(signature)), data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
