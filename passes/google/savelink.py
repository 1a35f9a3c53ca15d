"""The "Add to Google Wallet" link (walletobjects v1 ``Jwt``, ``typ: savetowallet``).

A skinny JWT: the object is inserted through the REST API first, and the token names only
its id and class, so the link stays far below the ~1,800 characters links survive in mail
and messengers (a full object makes it about 1,500; with the class, about 1,950).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.auth import crypt, jwt

SAVE_URL = "https://pay.google.com/gp/v/save/"
MAX_URL_LENGTH = 1800


def save_url(
    signer: crypt.Signer,
    *,
    issuer_email: str,
    object_id: str,
    class_id: str,
    origins: Sequence[str],
    now: datetime,
) -> str:
    """Sign a save link for an object that already exists; mint it when the customer clicks
    (it is never stored)."""
    claims = {
        "iss": issuer_email,
        "aud": "google",
        "typ": "savetowallet",
        "iat": int(now.timestamp()),
        "origins": list(origins),
        "payload": {"loyaltyObjects": [{"id": object_id, "classId": class_id}]},
    }
    token = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]  # google-auth is untyped here
    return SAVE_URL + (token.decode() if isinstance(token, bytes) else str(token))
