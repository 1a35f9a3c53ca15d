"""Sending notifications to push services (RFC 8030): the payload encrypted with the
subscription's keys (RFC 8291, ``aes128gcm``, through pywebpush), the VAPID header (RFC 8292),
``TTL`` and ``Urgency``; several connections at once, kept alive. Never logs an endpoint."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import requests
from pywebpush import WebPusher
from requests.adapters import HTTPAdapter

from api.webpush.keys import VapidKeys
from api.webpush.service import Notification, Outcome

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
        self.timeout = timeout
        self.http = requests.Session()
        self.verify = verify  # per request: requests lets REQUESTS_CA_BUNDLE beat Session.verify
        adapter = HTTPAdapter(pool_connections=connections, pool_maxsize=connections)
        self.http.mount("https://", adapter)
        self.http.mount("http://", adapter)
        self.pool = ThreadPoolExecutor(connections, thread_name_prefix="webpush-send")

    def send(self, notes: Sequence[Notification]) -> list[Outcome]:
        """Send each notification; the answers in the same order."""
        return list(self.pool.map(self.send_one, notes))

    def send_one(self, note: Notification) -> Outcome:
        subscription = {"endpoint": note.endpoint, "keys": {"p256dh": note.p256dh,
                                                            "auth": note.auth}}  # fmt: skip
        body = WebPusher(subscription).encode(note.payload, "aes128gcm")["body"]
        headers = {
            "Authorization": self.keys.header(note.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": "normal",
        }
        try:
            answer = self.http.post(
                note.endpoint, data=body, headers=headers, timeout=self.timeout,
                verify=self.verify,
            )  # fmt: skip
        except requests.RequestException as exc:
            logger.warning("push service unreachable", extra={"error": type(exc).__name__})
            return Outcome(0)
        answer.close()
        return Outcome(answer.status_code, _retry_after(answer.headers.get("Retry-After")))

    def close(self) -> None:
        self.pool.shutdown(wait=False)
        self.http.close()


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: our own backoff is close enough
