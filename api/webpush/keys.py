"""The installation's VAPID identity (RFC 8292): one P-256 key pair made on first start and
kept in the database, unless the settings give one; the ``Authorization: vapid t=..., k=...``
header per push service origin, signed once and reused until it is close to expiry."""

from __future__ import annotations

import base64
import threading
import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.webpush.models import WebPushKey

TOKEN_LIFETIME = 12 * 3600  # push services refuse exp more than 24 hours ahead
_RENEW_BEFORE = 3600


class VapidKeys:
    """Signs VAPID headers; ``public_key`` is the browser's ``applicationServerKey``."""

    def __init__(self, private_pem: bytes, subject: str) -> None:
        self._vapid = Vapid02.from_pem(private_pem)
        self.subject = subject
        raw = self._vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public_key = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        self._headers: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def header(self, endpoint: str) -> str:
        """The Authorization header for this endpoint's origin (``aud``)."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        with self._lock:
            cached = self._headers.get(audience)
            if cached is not None and cached[0] - now > _RENEW_BEFORE:
                return cached[1]
        expires = int(now) + TOKEN_LIFETIME
        claims = {"aud": audience, "exp": expires, "sub": self.subject}
        value = str(self._vapid.sign(claims)["Authorization"])
        with self._lock:
            self._headers[audience] = (expires, value)
        return value


def new_private_pem() -> bytes:
    vapid = Vapid02()
    vapid.generate_keys()
    return bytes(vapid.private_pem())


def stored_private_pem(session: Session) -> bytes:
    """The stored key, made and stored now if there is none (a concurrent first start of
    another process wins and its key is used)."""
    row = session.get(WebPushKey, 1)
    if row is not None:
        return row.private_key.encode()
    try:
        with session.begin_nested():
            session.add(WebPushKey(id=1, private_key=new_private_pem().decode()))
    except IntegrityError:
        pass
    row = session.get(WebPushKey, 1, populate_existing=True)
    assert row is not None
    return row.private_key.encode()
