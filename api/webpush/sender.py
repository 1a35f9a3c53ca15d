"""Sending notifications to push services (RFC 8030): the payload encrypted with the
subscription's keys (RFC 8291 ``aes128gcm``, with http_ece, the encoder pywebpush uses, called
directly: pywebpush's own wrapper halves the rate), the VAPID header (RFC 8292, py-vapid),
``TTL`` and ``Urgency``; several kept-alive connections per push service (urllib3).
Never logs an endpoint or a key."""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import http_ece
import urllib3
from cryptography.hazmat.primitives.asymmetric import ec

from api.webpush.keys import VapidKeys
from api.webpush.service import Notification, Outcome
from api.webpush.validation import b64url_decode

logger = logging.getLogger(__name__)

TTL_SECONDS = 24 * 3600  # a phone offline for a day still gets it


class WebPushSender:
    def __init__(
        self,
        keys: VapidKeys,
        *,
        connections: int = 16,
        timeout: float = 10.0,
        verify: bool | str = True,
    ) -> None:
        """``verify``: TLS verification, or a CA bundle path (tests trust their fake)."""
        self.keys = keys
        context = ssl.create_default_context()
        if isinstance(verify, str):  # an extra CA, beside the system's
            context.load_verify_locations(cafile=verify)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.http = urllib3.PoolManager(
            num_pools=64, maxsize=connections, block=True, ssl_context=context,
            timeout=urllib3.Timeout(total=timeout), retries=False,
        )  # fmt: skip
        self.pool = ThreadPoolExecutor(connections, thread_name_prefix="webpush-send")

    def send(self, notes: Sequence[Notification]) -> list[Outcome]:
        """Send each notification; the answers in the same order."""
        return list(self.pool.map(self.send_one, notes))

    def send_one(self, note: Notification) -> Outcome:
        body = encrypt(note.payload, note.p256dh, note.auth)
        headers = {
            "Authorization": self.keys.header(note.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": "normal",
        }
        try:
            answer = self.http.request("POST", note.endpoint, body=body, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("push service unreachable", extra={"error": type(exc).__name__})
            return Outcome(0)
        return Outcome(answer.status, _retry_after(answer.headers.get("Retry-After")))

    def close(self) -> None:
        self.pool.shutdown(wait=False)
        self.http.clear()


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """RFC 8291: a new ECDH key pair per message, the record size of one record."""
    return bytes(http_ece.encrypt(
        payload, salt=os.urandom(16), private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=b64url_decode(p256dh), auth_secret=b64url_decode(auth), version="aes128gcm",
    ))  # fmt: skip


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: our own backoff is close enough
