"""Sending notifications to push services (RFC 8030): the payload encrypted with the
subscription's keys (RFC 8291 ``aes128gcm``, with http_ece, the encoder pywebpush uses, called
directly: pywebpush's own wrapper halves the rate), the VAPID header (RFC 8292, py-vapid),
``TTL`` and ``Urgency``; several kept-alive connections per push service (urllib3).
Before a push the endpoint's host is resolved again and every address must be public
(api.outbound.addresses; the answer kept a minute per host), and the connection goes to the
address checked, the certificate verified for the host's name. Never logs an endpoint or a
key."""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import http_ece
import urllib3
from cryptography.hazmat.primitives.asymmetric import ec

from api.outbound.addresses import (
    NotPublic,
    Resolver,
    Unresolvable,
    is_public,
    literal_address,
    public_address,
    system_resolver,
)
from api.webpush.keys import VapidKeys
from api.webpush.service import Notification, Outcome
from api.webpush.validation import b64url_decode

logger = logging.getLogger(__name__)

TTL_SECONDS = 24 * 3600  # a phone offline for a day still gets it
ADDRESS_TTL = 60.0  # seconds a host's checked address is reused


class WebPushSender:
    def __init__(
        self,
        keys: VapidKeys,
        *,
        connections: int = 16,
        timeout: float = 10.0,
        verify: bool | str = True,
        allow_hosts: Collection[str] = (),
        resolve: Resolver = system_resolver,
    ) -> None:
        """``verify``: TLS verification, or a CA bundle path (tests trust their fake);
        ``allow_hosts``: hosts whose addresses may be private (a local fake)."""
        self.keys = keys
        self.allow_hosts = frozenset(h.lower() for h in allow_hosts)
        self.resolve = resolve
        self._addresses: dict[tuple[str, int], tuple[float, str]] = {}
        self._lock = threading.Lock()
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
        parts = urlsplit(note.endpoint)
        host, port = (parts.hostname or "").lower(), parts.port or 443
        try:
            address = self.address(host, port)
        except NotPublic:
            logger.warning("push endpoint refused: its host is not a public address")
            return Outcome(0, refused="not a public address")
        except Unresolvable:
            logger.warning("push service does not resolve")
            return Outcome(0)
        body = encrypt(note.payload, note.p256dh, note.auth)
        headers = {
            "Authorization": self.keys.header(note.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Urgency": "normal",
        }
        try:
            if address is None:
                answer = self.http.request("POST", note.endpoint, body=body, headers=headers)
            else:
                pinned = self.http.connection_from_host(
                    address, port, scheme="https",
                    pool_kwargs={"server_hostname": host, "assert_hostname": host},
                )  # fmt: skip
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                answer = pinned.urlopen("POST", target, body=body, redirect=False,
                                        headers={**headers, "Host": parts.netloc})  # fmt: skip
        except urllib3.exceptions.HTTPError as exc:
            logger.warning("push service unreachable", extra={"error": type(exc).__name__})
            return Outcome(0)
        return Outcome(answer.status, _retry_after(answer.headers.get("Retry-After")))

    def address(self, host: str, port: int) -> str | None:
        """The checked address to connect to (None: the host is an address, connect as usual).

        Raises:
            NotPublic: the host is, or resolves to, a private address (and is not allowed).
            Unresolvable: the host does not resolve.
        """
        literal = literal_address(host)
        if literal is not None:
            if host not in self.allow_hosts and not is_public(literal):
                raise NotPublic(host)
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._addresses.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        if host in self.allow_hosts:
            try:
                address = str(self.resolve(host, port)[0])
            except (OSError, IndexError, UnicodeError) as exc:
                raise Unresolvable(host) from exc
        else:
            address = public_address(host, port, self.resolve)
        with self._lock:
            self._addresses[(host, port)] = (now + ADDRESS_TTL, address)
        return address

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
