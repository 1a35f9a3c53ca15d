"""A faithful fake push service (RFC 8030) with VAPID (RFC 8292) and aes128gcm (RFC 8291).

A real HTTPS/1.1 server (standard library ``ThreadingHTTPServer``, keep-alive) on a loopback
port, in a background thread, with its own throwaway CA (``ca_file``). It also plays the
browser: ``new_subscription()`` makes a P-256 key pair and a 16-byte auth secret the way a
browser's ``PushManager.subscribe`` does and gives out ``{endpoint, keys: {p256dh, auth}}``.

``POST /push/<id>`` is checked as push services do, in this order:
    * no such subscription: 404; one that ``expire()`` ended: 410
    * ``Authorization: vapid t=<JWT>, k=<key>`` (or ``WebPush <JWT>`` with ``Crypto-Key:
      p256ecdsa=<key>``): the JWT's ES256 signature verified with ``k``, ``aud`` equal to the
      endpoint's origin, ``exp`` in the future and at most 24 hours ahead, ``sub`` a
      ``mailto:`` or ``https:`` contact; otherwise 401 (403 for a wrong ``aud``)
    * ``TTL`` a non-negative integer (400 otherwise), ``Urgency`` one of RFC 8030's four
    * ``Content-Encoding: aes128gcm`` (415 otherwise), a body of at most 4096 bytes (413)
    * the body decrypted with the subscription's private key and auth secret (400 if it fails)
Then the scripted answer, if any (``answer(status, times=..., retry_after=...)``: 201, 404,
410, 429 or 500 on demand; a scripted failure delivers nothing), else 201 and the decrypted
message is kept in ``received``.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import uuid4

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.fake_apns import make_server_pki

URGENCIES = frozenset({"very-low", "low", "normal", "high"})
MAX_BODY = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeSubscription:
    """A browser's subscription: what it gives the site, and the private half it keeps."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    gone: bool = False

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64(point)

    @property
    def auth(self) -> str:
        return _b64(self.auth_secret)

    def as_json(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives (browsers always include
        ``expirationTime``, null when the push service sets no end)."""
        keys = {"p256dh": self.p256dh, "auth": self.auth}
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": keys}


@dataclass(frozen=True)
class Received:
    subscription_id: str
    payload: bytes
    ttl: int
    urgency: str | None
    claims: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class _Script:
    status: int
    times: int
    retry_after: str | None


@dataclass
class _State:
    subscriptions: dict[str, FakeSubscription] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refusals: list[tuple[int, str]] = field(default_factory=list)
    script: deque[_Script] = field(default_factory=deque)
    requests: int = 0
    verified: dict[str, dict[str, Any]] = field(default_factory=dict)  # JWT -> claims
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class FakeWebPush:
    """``with FakeWebPush() as push: sub = push.new_subscription(); ...; push.received``."""

    def __init__(self, *, check: bool = True, host: str = "127.0.0.1") -> None:
        """``check=False`` accepts any POST to ``/plain`` unchecked (a benchmark baseline);
        ``host``: the name in the endpoints and in ``aud`` (it listens on 127.0.0.1 either
        way; its certificate also names ``localhost``)."""
        self.state = _State()
        self.check = check
        self._tmp = tempfile.TemporaryDirectory()
        pki = make_server_pki()
        self.ca_file = str(Path(self._tmp.name, "ca.pem"))
        Path(self.ca_file).write_bytes(pki.ca_pem)
        cert, key = Path(self._tmp.name, "cert.pem"), Path(self._tmp.name, "key.pem")
        cert.write_bytes(pki.certificate_pem)
        key.write_bytes(pki.key_pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.origin = f"https://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeWebPush:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._tmp.cleanup()

    # --- the browser's side and the test's controls ---

    def new_subscription(self) -> FakeSubscription:
        sub_id = uuid4().hex
        sub = FakeSubscription(
            id=sub_id, endpoint=f"{self.origin}/push/{sub_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()), auth_secret=os.urandom(16),
        )  # fmt: skip
        with self.state.lock:
            self.state.subscriptions[sub_id] = sub
        return sub

    def expire(self, sub: FakeSubscription) -> None:
        """The browser unsubscribed or the permission was revoked: later pushes get 410."""
        sub.gone = True

    def answer(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """The next ``times`` well-formed pushes get ``status`` instead of being delivered."""
        with self.state.lock:
            self.state.script.append(_Script(status, times, retry_after))

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    @property
    def refusals(self) -> list[tuple[int, str]]:
        with self.state.lock:
            return list(self.state.refusals)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    # --- the push service's checks ---

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str]]:
        with self.state.lock:
            self.state.requests += 1
        if path == "/plain":
            return 201, {}
        sub_id = path.removeprefix("/push/")
        with self.state.lock:
            sub = self.state.subscriptions.get(sub_id) if path.startswith("/push/") else None
        if sub is None:
            return 404, {}
        if sub.gone:
            return 410, {}
        try:
            claims = self._vapid(headers)
            ttl, urgency = self._headers(headers, body)
            payload = self._decrypt(sub, body)
        except _Refused as refused:
            with self.state.lock:
                self.state.refusals.append((refused.status, refused.reason))
            return refused.status, {}
        with self.state.lock:
            if self.state.script:
                script = self.state.script[0]
                script.times -= 1
                if script.times <= 0:
                    self.state.script.popleft()
                if script.status in (404, 410):
                    sub.gone = script.status == 410
                if script.status != 201:
                    extra = {"Retry-After": script.retry_after} if script.retry_after else {}
                    return script.status, extra
            self.state.received.append(Received(sub_id, payload, ttl, urgency, claims))
        return 201, {"Location": f"{self.origin}/message/{uuid4().hex}"}

    def _vapid(self, headers: Any) -> dict[str, Any]:
        value = headers.get("Authorization") or ""
        token = key = ""
        if value.lower().startswith("vapid "):
            for part in value[6:].split(","):
                name, _, item = part.strip().partition("=")
                if name == "t":
                    token = item
                elif name == "k":
                    key = item
        elif value.lower().startswith("webpush "):
            token = value[8:].strip()
            for part in (headers.get("Crypto-Key") or "").split(";"):
                name, _, item = part.strip().partition("=")
                if name == "p256ecdsa":
                    key = item
        if not token or not key:
            raise _Refused(401, "no VAPID authorization")
        cache_key = f"{token}|{key}"
        with self.state.lock:
            claims = self.state.verified.get(cache_key)
        if claims is None:
            claims = _verify_jwt(token, key)
            with self.state.lock:
                self.state.verified[cache_key] = claims
        now = time.time()
        if claims.get("aud") != self.origin:
            raise _Refused(403, "aud is not the endpoint's origin")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now or exp > now + 24 * 3600:
            raise _Refused(401, "exp missing, past, or more than 24 hours ahead")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise _Refused(401, "sub is not a mailto: or https: contact")
        return claims

    def _headers(self, headers: Any, body: bytes) -> tuple[int, str | None]:
        ttl = headers.get("TTL")
        if ttl is None or not ttl.isdigit():
            raise _Refused(400, "TTL missing or not a non-negative integer")
        urgency = headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            raise _Refused(400, "Urgency not one of RFC 8030's")
        if headers.get("Content-Encoding") != "aes128gcm":
            raise _Refused(415, "Content-Encoding is not aes128gcm")
        if len(body) > MAX_BODY:
            raise _Refused(413, "payload too large")
        return int(ttl), urgency

    def _decrypt(self, sub: FakeSubscription, body: bytes) -> bytes:
        try:
            clear = http_ece.decrypt(
                body, private_key=sub.private_key, auth_secret=sub.auth_secret, version="aes128gcm"
            )
            return bytes(clear)
        except Exception as exc:  # any failure of RFC 8291/8188 decryption is the sender's
            raise _Refused(400, f"payload does not decrypt: {type(exc).__name__}") from None


def _verify_jwt(token: str, key: str) -> dict[str, Any]:
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(claims_b64))
        signature = _unb64(signature_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
    except (ValueError, TypeError) as exc:
        raise _Refused(401, f"malformed VAPID JWT or key: {type(exc).__name__}") from None
    if header.get("alg") != "ES256" or len(signature) != 64 or not isinstance(claims, dict):
        raise _Refused(401, "VAPID JWT is not ES256")
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    try:
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Refused(401, "VAPID signature does not verify with k") from None
    return claims


def _handler(fake: FakeWebPush) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, extra = fake.handle(self.path, self.headers, body)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
