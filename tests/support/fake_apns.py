"""A faithful fake of Apple's push service (APNs) for tests and benchmarks.

It is a real HTTP/2 server over TLS on a loopback port, written with asyncio and ``h2``,
that behaves like ``api.push.apple.com`` as Apple documents it in "Sending notification
requests to APNs" and "Handling notification responses from APNs":

* TLS 1.2+ with ALPN ``h2`` only, under a throwaway CA it makes for itself (trust
  ``server.ca_file``), and mutual TLS: the client must present a certificate that chains to
  ``client_ca_file`` (the Pass Type ID certificate plus the WWDR intermediate, under the
  root). The client certificate of every connection is recorded.
* ``SETTINGS_MAX_CONCURRENT_STREAMS = 1000``, HTTP/2 flow control both ways, PING (``h2``
  answers them), a GOAWAY to every connection when the server stops.
* ``POST /3/device/<hex token>`` with ``apns-topic`` equal to the configured topic answers
  ``200`` with an ``apns-id`` header and no body. Errors answer the status, ``apns-id`` and a
  JSON body ``{"reason": "..."}``; a 410 adds ``"timestamp"`` (milliseconds since the epoch).

Reason strings are Apple's except ``BadPayload`` (the body is not a JSON object), which is this
fake's own choice: Apple documents no reason for malformed JSON.

Use it in a test with ``with FakeApns(topic=..., client_ca_file=...) as server:`` (it runs in a
background thread with its own event loop), or as a separate process for benchmarks, so that it
does not share the client's CPU and GIL::

    python -m tests.support.fake_apns --port 0 --ca-out DIR --client-ca root-ca.pem --topic T

which prints one JSON line ``{"event": "ready", "url": ..., "port": ..., "ca_file": ...}`` and
then reads commands on standard input (see ``_serve_commands``); ``FakeApnsProcess`` drives it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self, TextIO, cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hpack
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_CONCURRENT_STREAMS = 1000
MAX_PAYLOAD_BYTES = 4096  # Apple's limit for regular remote notifications
CA_FILE_NAME = "fake-apns-ca.pem"

#: ``apns-push-type`` values Apple documents; anything else is ``400 InvalidPushType``.
PUSH_TYPES = frozenset(
    {
        "alert",
        "background",
        "controls",
        "complication",
        "fileprovider",
        "liveactivity",
        "location",
        "mdm",
        "pushtotalk",
        "voip",
        "widgets",
    }
)
#: ``apns-priority`` values Apple documents; anything else is ``400 BadPriority``.
PRIORITIES = frozenset({b"1", b"5", b"10"})

_DEVICE_PREFIX = b"/3/device/"
_TOKEN = re.compile(rb"[0-9a-fA-F]{32,200}")
_APNS_ID = re.compile(
    rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_INTEGER = re.compile(rb"[0-9]{1,19}")
_MAX_COLLAPSE_ID_BYTES = 64
_STATUS_BYTES = {status: str(status).encode() for status in range(100, 600)}


@dataclass(frozen=True, slots=True)
class PushRecord:
    """One complete request the fake answered (or will answer, after ``delay``).

    ``token`` is empty when the path names none; ``payload`` is cut at 4097 bytes; ``status``
    and ``reason`` are what the fake answers (``reason`` is ``None`` for 200); ``at`` is
    ``time.monotonic()`` when the request's last frame arrived. Of a payload over 4096 bytes only
    the first frames are kept.
    """

    token: str
    topic: str | None
    push_type: str | None
    priority: int | None
    apns_id: str
    expiration: int | None
    collapse_id: str | None
    payload: bytes
    status: int
    reason: str | None
    connection_id: int
    stream_id: int
    method: str
    path: str
    at: float


@dataclass(slots=True)
class ConnectionInfo:
    """One accepted TLS connection; ``subject`` is the client certificate's (RFC 4514)."""

    id: int
    peer: tuple[str, int]
    subject: str
    certificate: x509.Certificate | None
    alpn: str | None
    tls_version: str | None
    opened_at: float
    closed_at: float | None = None
    requests: int = 0

    @property
    def uid(self) -> str | None:
        """The certificate subject's UID: a Pass Type ID certificate's topic."""
        if self.certificate is None:
            return None
        values = self.certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
        return str(values[0].value) if values else None

    @property
    def common_name(self) -> str | None:
        if self.certificate is None:
            return None
        values = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(values[0].value) if values else None


@dataclass(slots=True)
class _Script:
    status: int
    reason: str | None
    remaining: int | None  # None: for ever
    timestamp_ms: int | None


@dataclass(slots=True)
class _Stream:
    headers: list[tuple[bytes, bytes]]
    body: list[bytes] = field(default_factory=list)
    size: int = 0


# --- certificates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerPki:
    """The fake's own throwaway CA and its server certificate (EC P-256)."""

    ca_pem: bytes
    certificate_pem: bytes
    key_pem: bytes


def make_server_pki(hosts: Iterable[str] = ("127.0.0.1", "localhost", "::1")) -> ServerPki:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake APNs test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.push.apple.com")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(names), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ServerPki(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def server_ssl_context(pki: ServerPki, client_ca_file: str | Path) -> ssl.SSLContext:
    """TLS 1.2+, ALPN ``h2`` only, client certificate required and verified."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")  # RFC 7540 9.2.2 for TLS 1.2
    context.set_alpn_protocols(["h2"])
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(client_ca_file))
    with tempfile.TemporaryDirectory(prefix="fake-apns-key-") as tmp:
        cert_path, key_path = Path(tmp, "server.pem"), Path(tmp, "server.key")
        cert_path.write_bytes(pki.certificate_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(pki.key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


# --- the HTTP/2 protocol --------------------------------------------------------------------

_H2_CONFIG = h2.config.H2Configuration(
    client_side=False,
    header_encoding=None,  # bytes in, bytes out: no decoding on the hot path
    validate_outbound_headers=False,  # our own headers are well formed
    normalize_outbound_headers=False,
)


class _Connection(asyncio.Protocol):
    """One client connection: pure ``h2`` event handling, one write per received chunk."""

    def __init__(self, core: _Core) -> None:
        self.core = core
        self.transport: asyncio.Transport | None = None
        self.info: ConnectionInfo | None = None
        self.h2 = h2.connection.H2Connection(config=_H2_CONFIG)
        self.streams: dict[int, _Stream] = {}
        self.pending: dict[int, bytearray] = {}  # response bodies waiting for window
        self.timers: set[asyncio.TimerHandle] = set()
        self.flush_scheduled = False

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is not one
        ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        certificate = x509.load_der_x509_certificate(der) if der else None
        peer = transport.get_extra_info("peername") or ("", 0)
        self.info = ConnectionInfo(
            id=self.core.next_connection_id(),
            peer=(str(peer[0]), int(peer[1])),
            subject=certificate.subject.rfc4514_string() if certificate else "",
            certificate=certificate,
            alpn=ssl_object.selected_alpn_protocol() if ssl_object else None,
            tls_version=ssl_object.version() if ssl_object else None,
            opened_at=time.monotonic(),
        )
        self.core.connection_opened(self)
        if self.info.alpn != "h2":  # the client did not offer h2: nothing to talk about
            transport.close()
            return
        self.h2.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.core.max_concurrent_streams,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 8000,
            },
        )
        self.h2.initiate_connection()
        transport.write(self.h2.data_to_send())

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:  # h2 has queued a GOAWAY with the error code
            self._write()
            self._close()
            return
        for event in events:
            handler = _HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event)
        self._write()

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        self.streams.clear()
        self.pending.clear()
        self.transport = None
        self.core.connection_closed(self)

    # h2 events

    def _on_request(self, event: h2.events.RequestReceived) -> None:
        self.streams[event.stream_id] = _Stream(list(event.headers or ()))

    def _on_data(self, event: h2.events.DataReceived) -> None:
        stream_id = event.stream_id
        if event.flow_controlled_length:
            self.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
        stream = self.streams.get(stream_id)
        if stream is not None and event.data:
            if stream.size <= MAX_PAYLOAD_BYTES:  # beyond that, count but do not keep
                stream.body.append(event.data)
            stream.size += len(event.data)

    def _on_stream_ended(self, event: h2.events.StreamEnded) -> None:
        stream = self.streams.pop(event.stream_id, None)
        if stream is None:
            return
        assert self.info is not None
        self.info.requests += 1
        status, apns_id, body = self.core.handle(self.info.id, event.stream_id, stream)
        delay = self.core.delay_seconds
        if delay > 0:
            assert self.transport is not None
            loop = asyncio.get_running_loop()
            timer: asyncio.TimerHandle | None = None

            def later() -> None:
                assert timer is not None
                self.timers.discard(timer)
                self._respond(event.stream_id, status, apns_id, body)
                self._schedule_flush()

            timer = loop.call_later(delay, later)
            self.timers.add(timer)
        else:
            self._respond(event.stream_id, status, apns_id, body)

    def _on_stream_reset(self, event: h2.events.StreamReset) -> None:
        self.streams.pop(event.stream_id, None)
        self.pending.pop(event.stream_id, None)

    def _on_window_updated(self, event: h2.events.WindowUpdated) -> None:
        if event.stream_id:
            self._send_pending(event.stream_id)
        else:
            for stream_id in list(self.pending):
                self._send_pending(stream_id)

    def _on_terminated(self, event: h2.events.ConnectionTerminated) -> None:
        self._write()
        self._close()

    # responding

    def _respond(self, stream_id: int, status: int, apns_id: bytes, body: bytes | None) -> None:
        if self.transport is None:
            return
        try:
            if body is None:
                self.h2.send_headers(
                    stream_id, [(b":status", _STATUS_BYTES[status]), _apns_id_header(apns_id)], True
                )
                return
            self.h2.send_headers(
                stream_id,
                [
                    (b":status", _STATUS_BYTES[status]),
                    _apns_id_header(apns_id),
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            )
        except h2.exceptions.ProtocolError:  # the client reset the stream or went away
            return
        self.pending[stream_id] = bytearray(body)
        self._send_pending(stream_id)

    def _send_pending(self, stream_id: int) -> None:
        buffer = self.pending.get(stream_id)
        if buffer is None:
            return
        try:
            while buffer:
                window = self.h2.local_flow_control_window(stream_id)
                size = min(window, self.h2.max_outbound_frame_size, len(buffer))
                if size <= 0:
                    return  # wait for a WINDOW_UPDATE
                chunk = bytes(buffer[:size])
                del buffer[:size]
                self.h2.send_data(stream_id, chunk, end_stream=not buffer)
        except h2.exceptions.ProtocolError:
            pass
        del self.pending[stream_id]

    def _schedule_flush(self) -> None:
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        self._write()

    def _write(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # called by the server

    def goaway(self, reason: str | None = None) -> None:
        """Send GOAWAY (with ``{"reason": ...}`` as debug data, as APNs does) and close."""
        if self.transport is None:
            return
        if self.info is not None and self.info.alpn == "h2":
            debug = json.dumps({"reason": reason}).encode() if reason else None
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self.h2.close_connection(h2.errors.ErrorCodes.NO_ERROR, additional_data=debug)
            self._write()
        self._close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _apns_id_header(apns_id: bytes) -> hpack.NeverIndexedHeaderTuple:
    # Every id is new: indexing it would only churn both HPACK tables.
    return hpack.NeverIndexedHeaderTuple(b"apns-id", apns_id)


_HANDLERS: dict[type[h2.events.Event], Callable[[_Connection, Any], None]] = {
    h2.events.RequestReceived: _Connection._on_request,
    h2.events.DataReceived: _Connection._on_data,
    h2.events.StreamEnded: _Connection._on_stream_ended,
    h2.events.StreamReset: _Connection._on_stream_reset,
    h2.events.WindowUpdated: _Connection._on_window_updated,
    h2.events.ConnectionTerminated: _Connection._on_terminated,
}


# --- request handling and the state tests look at --------------------------------------------


class _Core:
    """What the protocol asks of the server: validation, scripts, records. Thread-safe."""

    def __init__(self, topic: str, require_topic: bool, max_concurrent_streams: int) -> None:
        self.topic = topic
        self.topic_bytes = topic.encode()
        self.require_topic = require_topic
        self.max_concurrent_streams = max_concurrent_streams
        self.delay_seconds = 0.0
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.records: list[PushRecord] = []
        self.scripts: dict[str | None, _Script] = {}
        self.connections: list[ConnectionInfo] = []
        self.live: set[_Connection] = set()
        self._connection_ids = 0
        self._bodies: dict[str, bytes] = {}

    def next_connection_id(self) -> int:
        self._connection_ids += 1
        return self._connection_ids

    def connection_opened(self, connection: _Connection) -> None:
        assert connection.info is not None
        self.live.add(connection)
        with self.lock:
            self.connections.append(connection.info)

    def connection_closed(self, connection: _Connection) -> None:
        if connection.info is not None:
            connection.info.closed_at = time.monotonic()
        self.live.discard(connection)

    def handle(
        self, connection_id: int, stream_id: int, stream: _Stream
    ) -> tuple[int, bytes, bytes | None]:
        """Decide the answer to one complete request and record it."""
        headers = dict(stream.headers)
        method = headers.get(b":method", b"")
        path = headers.get(b":path", b"")
        token = path[len(_DEVICE_PREFIX) :] if path.startswith(_DEVICE_PREFIX) else b""
        topic = headers.get(b"apns-topic")
        push_type = headers.get(b"apns-push-type")
        priority = headers.get(b"apns-priority")
        expiration = headers.get(b"apns-expiration")
        collapse_id = headers.get(b"apns-collapse-id")
        given_id = headers.get(b"apns-id")
        bad_id = given_id is not None and _APNS_ID.fullmatch(given_id) is None
        apns_id = given_id if given_id is not None and not bad_id else str(uuid.uuid4()).encode()
        payload = b"".join(stream.body) if len(stream.body) != 1 else stream.body[0]

        status, reason = 200, None
        if method != b"POST":
            status, reason = 405, "MethodNotAllowed"
        elif not path.startswith(_DEVICE_PREFIX) or b"/" in token or b"?" in token:
            status, reason = 404, "BadPath"
        elif not _TOKEN.fullmatch(token):
            status, reason = 400, "BadDeviceToken"
        elif topic is None and self.require_topic:
            status, reason = 400, "MissingTopic"
        elif topic is not None and topic != self.topic_bytes:
            status, reason = 400, "BadTopic"
        elif bad_id:
            status, reason = 400, "BadMessageId"
        elif priority is not None and priority not in PRIORITIES:
            status, reason = 400, "BadPriority"
        elif expiration is not None and not _INTEGER.fullmatch(expiration):
            status, reason = 400, "BadExpirationDate"
        elif push_type is not None and push_type.decode("latin-1") not in PUSH_TYPES:
            status, reason = 400, "InvalidPushType"
        elif collapse_id is not None and len(collapse_id) > _MAX_COLLAPSE_ID_BYTES:
            status, reason = 400, "BadCollapseId"
        elif stream.size > MAX_PAYLOAD_BYTES:
            status, reason = 413, "PayloadTooLarge"
        elif not stream.size:
            status, reason = 400, "PayloadEmpty"
        elif payload != b"{}" and not _is_json_object(payload):
            status, reason = 400, "BadPayload"

        timestamp_ms: int | None = None
        token_str = token.decode("latin-1")
        if status == 200 and self.scripts:
            with self.lock:
                script = self.scripts.get(token_str) or self.scripts.get(None)
                if script is not None:
                    status, reason, timestamp_ms = script.status, script.reason, script.timestamp_ms
                    if script.remaining is not None:
                        script.remaining -= 1
                        if script.remaining <= 0:
                            key = token_str if token_str in self.scripts else None
                            del self.scripts[key]

        body: bytes | None = None
        if status != 200:
            if status == 410:
                stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
                body = json.dumps({"reason": reason, "timestamp": stamp}).encode()
            else:
                body = self._bodies.get(reason or "")
                if body is None:
                    body = self._bodies[reason or ""] = json.dumps({"reason": reason}).encode()

        record = PushRecord(
            token=token_str,
            topic=topic.decode("latin-1") if topic is not None else None,
            push_type=push_type.decode("latin-1") if push_type is not None else None,
            priority=int(priority) if priority is not None and priority.isdigit() else None,
            apns_id=apns_id.decode("latin-1"),
            expiration=int(expiration) if expiration is not None and expiration.isdigit() else None,
            collapse_id=collapse_id.decode("latin-1") if collapse_id is not None else None,
            payload=payload,
            status=status,
            reason=reason,
            connection_id=connection_id,
            stream_id=stream_id,
            method=method.decode("latin-1"),
            path=path.decode("latin-1"),
            at=time.monotonic(),
        )
        with self.changed:
            self.records.append(record)
            self.changed.notify_all()
        return status, apns_id, body


def _is_json_object(payload: bytes) -> bool:
    try:
        return isinstance(json.loads(payload), dict)
    except ValueError:  # includes UnicodeDecodeError
        return False


# --- the server -------------------------------------------------------------------------------


class FakeApns:
    """The fake APNs, served from a background thread with its own event loop.

    ``topic`` is the only ``apns-topic`` accepted (the pass type identifier);
    ``client_ca_file`` is the CA bundle client certificates must chain to. ``port=0`` picks a
    free port. ``cert_dir`` is where ``fake-apns-ca.pem`` is written (a temporary directory,
    removed on stop, by default). ``require_topic=False`` accepts a request without
    ``apns-topic``, as real APNs does for a single-topic certificate.
    """

    def __init__(
        self,
        *,
        topic: str,
        client_ca_file: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        cert_dir: str | Path | None = None,
        require_topic: bool = True,
        max_concurrent_streams: int = MAX_CONCURRENT_STREAMS,
        use_uvloop: bool = False,
    ) -> None:
        self.topic = topic
        self.client_ca_file = Path(client_ca_file)
        self.host = host
        self.port = port
        self.use_uvloop = use_uvloop
        self._cert_dir = Path(cert_dir) if cert_dir is not None else None
        self._tmp_dir: Path | None = None
        self._pki: ServerPki | None = None
        self._core = _Core(topic, require_topic, max_concurrent_streams)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.ca_file: Path | None = None
        self.ca_pem: bytes = b""

    # lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def max_concurrent_streams(self) -> int:
        return self._core.max_concurrent_streams

    def start(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            raise RuntimeError("FakeApns is already started")
        self._ready.clear()
        self._startup_error = None
        if self._pki is None:  # kept across restarts: clients keep trusting the same CA
            self._pki = make_server_pki()
        pki = self._pki
        context = server_ssl_context(pki, self.client_ca_file)
        if self._cert_dir is None and self._tmp_dir is None:
            self._tmp_dir = Path(tempfile.mkdtemp(prefix="fake-apns-"))
        directory = self._cert_dir or self._tmp_dir
        assert directory is not None
        directory.mkdir(parents=True, exist_ok=True)  # again after a stop removed it
        self.ca_pem = pki.ca_pem
        self.ca_file = directory / CA_FILE_NAME
        self.ca_file.write_bytes(pki.ca_pem)
        self._thread = threading.Thread(
            target=self._run, args=(context,), name="fake-apns", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout) or self._startup_error is not None:
            self._thread.join(timeout)
            self._thread = None
            self._remove_tmp_dir()
            raise RuntimeError("the fake APNs did not start") from self._startup_error

    def stop(self, timeout: float = 10.0) -> None:
        """GOAWAY to every connection, close them all, close the loop, join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        try:
            if not loop.is_closed():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(timeout / 2), loop)
                with contextlib.suppress(Exception):
                    future.result(timeout)
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
        finally:
            self._thread = None
            self._remove_tmp_dir()

    def _remove_tmp_dir(self) -> None:
        if self._tmp_dir is not None:  # the path is kept: a restart writes the CA there again
            shutil.rmtree(self._tmp_dir, ignore_errors=True)

    def _run(self, context: ssl.SSLContext) -> None:
        loop = _new_loop(self.use_uvloop)
        self._loop = loop
        loop.set_exception_handler(_quiet_exception_handler)
        try:
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(
                        lambda: _Connection(self._core),
                        self.host,
                        self.port,
                        ssl=context,
                        ssl_handshake_timeout=10,
                        ssl_shutdown_timeout=0.5,  # don't wait long for a silent client
                        backlog=1024,
                    )
                )
                self.port = int(self._server.sockets[0].getsockname()[1])
            except BaseException as error:  # noqa: BLE001 - handed to the starting thread
                self._startup_error = error
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(self._shutdown(2.0))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _shutdown(self, timeout: float) -> None:
        core = self._core
        if self._server is not None:
            self._server.close()
        for connection in list(core.live):
            connection.goaway()
        await _until(lambda: not core.live, timeout)
        for connection in list(core.live):  # a client that never answered our close_notify
            connection.abort()
        await _until(lambda: not core.live, 1.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _call(self, function: Callable[[], None], timeout: float = 10.0) -> None:
        """Run ``function`` on the server's loop and wait for it."""
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("FakeApns is not running")
        done = threading.Event()

        def run() -> None:
            try:
                function()
            finally:
                done.set()

        loop.call_soon_threadsafe(run)
        if not done.wait(timeout):
            raise TimeoutError("the fake APNs loop did not answer")

    # scripting

    def script(
        self,
        token: str | None,
        status: int,
        reason: str | None = None,
        times: int | None = None,
        *,
        timestamp_ms: int | None = None,
    ) -> None:
        """Make ``token`` (``None``: every token not scripted itself) answer ``status``.

        Applies to requests that pass validation, for ever or for the next ``times`` of them
        (then 200 again). A 410's body carries ``timestamp_ms`` or, by default, the time of the
        answer.
        """
        if status != 200 and not reason:
            raise ValueError("an error status needs a reason")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._core.lock:
            self._core.scripts[token] = _Script(status, reason, times, timestamp_ms)

    def unscript(self, token: str | None) -> None:
        with self._core.lock:
            self._core.scripts.pop(token, None)

    def delay(self, seconds: float) -> None:
        """Hold every answer this long (0 for none); requests are recorded on arrival."""
        if seconds < 0:
            raise ValueError("the delay cannot be negative")
        self._core.delay_seconds = float(seconds)

    def drop_connections(self, goaway_reason: str | None = None) -> None:
        """Close every connection now: abruptly (TCP abort), or after a GOAWAY whose debug data
        is ``{"reason": goaway_reason}`` when one is given (as APNs does, e.g. "Shutdown")."""

        def drop() -> None:
            for connection in list(self._core.live):
                if goaway_reason is None:
                    connection.abort()
                else:
                    connection.goaway(goaway_reason)

        self._call(drop)

    def reset(self) -> None:
        """Forget the records, the connections seen, scripts and delay; open connections stay
        open (but are no longer listed in ``connections``)."""
        core = self._core
        with core.lock:
            core.records.clear()
            core.scripts.clear()
            core.connections.clear()
        core.delay_seconds = 0.0

    # what was received

    @property
    def received(self) -> list[PushRecord]:
        """A snapshot of every complete request, in arrival order."""
        with self._core.lock:
            return list(self._core.records)

    @property
    def connections(self) -> list[ConnectionInfo]:
        """A snapshot of the connections accepted since the start (or ``reset``)."""
        with self._core.lock:
            return list(self._core.connections)

    def client_subjects(self) -> list[str]:
        return [c.subject for c in self.connections]

    def count(self, token: str | None = None, status: int | None = None) -> int:
        with self._core.lock:
            records = self._core.records
            if token is None and status is None:
                return len(records)
            return sum(
                1
                for r in records
                if (token is None or r.token == token) and (status is None or r.status == status)
            )

    def tokens_received(self) -> list[str]:
        """Distinct tokens, in order of first arrival."""
        with self._core.lock:
            return list(dict.fromkeys(r.token for r in self._core.records))

    def statuses(self) -> Counter[int]:
        with self._core.lock:
            return Counter(r.status for r in self._core.records)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[PushRecord]:
        """Block until at least ``n`` requests were received; raise ``TimeoutError`` if not."""
        with self._core.changed:
            if not self._core.changed.wait_for(lambda: len(self._core.records) >= n, timeout):
                have = len(self._core.records)
                raise TimeoutError(f"the fake APNs received {have} requests, not {n}")
            return list(self._core.records)


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)


def _new_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Failed handshakes and resets are what a test of a broken client expects; drop them."""
    exception = context.get("exception")
    if isinstance(exception, OSError | ssl.SSLError | asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


# --- as a separate process --------------------------------------------------------------------


class FakeApnsProcess:
    """Runs ``python -m tests.support.fake_apns`` and drives it over its standard input."""

    def __init__(
        self,
        *,
        topic: str,
        client_ca_file: str | Path,
        ca_out: str | Path,
        port: int = 0,
        python: str = sys.executable,
        cwd: str | Path | None = None,
        use_uvloop: bool = False,
    ) -> None:
        self.args = [
            python,
            "-m",
            "tests.support.fake_apns",
            "--port",
            str(port),
            "--ca-out",
            str(ca_out),
            "--client-ca",
            str(client_ca_file),
            "--topic",
            topic,
        ]
        if use_uvloop:
            self.args.append("--uvloop")
        self.cwd = Path(cwd) if cwd is not None else Path(__file__).resolve().parents[2]
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.port = 0
        self.ca_file = Path()
        self.pid = 0

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        ready = self._read()
        if ready.get("event") != "ready":
            self.stop()
            raise RuntimeError(f"the fake APNs process did not start: {ready}")
        self.url, self.port = str(ready["url"]), int(ready["port"])
        self.ca_file, self.pid = Path(ready["ca_file"]), int(ready["pid"])

    def command(self, *words: object) -> dict[str, Any]:
        process = self.process
        if process is None or process.stdin is None:
            raise RuntimeError("the fake APNs process is not running")
        process.stdin.write(" ".join(str(w) for w in words) + "\n")
        process.stdin.flush()
        return self._read()

    def stats(self) -> dict[str, Any]:
        """``{"count": N, "statuses": {"200": N, ...}, "connections": N, "subjects": [...]}``"""
        return self.command("stats")

    def script(self, token: str | None, status: int, reason: str, times: int | None = None) -> None:
        self.command("script", token or "*", status, reason, times or 0)

    def delay(self, seconds: float) -> None:
        self.command("delay", seconds)

    def drop_connections(self) -> None:
        self.command("drop")

    def reset(self) -> None:
        self.command("reset")

    def stop(self, timeout: float = 15.0) -> dict[str, Any]:
        """Stop the process (GOAWAY to every connection); returns its last stats."""
        process, self.process = self.process, None
        if process is None:
            return {}
        last: dict[str, Any] = {}
        try:
            if process.poll() is None and process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.write("quit\n")
                    process.stdin.flush()
                    process.stdin.close()
                assert process.stdout is not None
                for line in process.stdout:
                    with contextlib.suppress(ValueError):
                        last = json.loads(line)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        return last

    def _read(self) -> dict[str, Any]:
        assert self.process is not None
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            return {"event": "exited", "returncode": self.process.poll()}
        answer: dict[str, Any] = json.loads(line)
        return answer


def _stats(server: FakeApns) -> dict[str, Any]:
    return {
        "count": server.count(),
        "statuses": {str(k): v for k, v in sorted(server.statuses().items())},
        "connections": len(server.connections),
        "subjects": sorted(set(server.client_subjects())),
    }


def _serve_commands(server: FakeApns, commands: TextIO, out: TextIO) -> None:
    """One command a line, one JSON answer a line; EOF or ``quit`` stops the server.

    ``stats`` | ``reset`` | ``delay SECONDS`` | ``drop`` | ``goaway REASON`` |
    ``script TOKEN|* STATUS REASON [TIMES]`` (``TIMES`` 0: for ever) | ``quit``
    """

    def say(answer: dict[str, Any]) -> None:
        out.write(json.dumps(answer) + "\n")
        out.flush()

    for line in commands:
        words = line.split()
        if not words:
            continue
        try:
            match words:
                case ["quit"]:
                    return
                case ["stats"]:
                    say({"event": "stats", **_stats(server)})
                    continue
                case ["reset"]:
                    server.reset()
                case ["delay", seconds]:
                    server.delay(float(seconds))
                case ["drop"]:
                    server.drop_connections()
                case ["goaway", reason]:
                    server.drop_connections(goaway_reason=reason)
                case ["script", token, status, reason, *rest]:
                    times = int(rest[0]) if rest else 0
                    server.script(
                        None if token == "*" else token, int(status), reason, times or None
                    )
                case _:
                    say({"event": "error", "error": f"unknown command: {line.strip()}"})
                    continue
            say({"event": "ok"})
        except (ValueError, RuntimeError, TimeoutError) as error:
            say({"event": "error", "error": str(error)})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--ca-out", required=True, help="directory for fake-apns-ca.pem")
    parser.add_argument("--client-ca", required=True, help="CA bundle for client certificates")
    parser.add_argument("--topic", required=True, help="the accepted apns-topic")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument(
        "--uvloop", action="store_true", help="serve on uvloop (measured slower than asyncio here)"
    )
    parser.add_argument(
        "--no-stdin", dest="stdin", action="store_false", help="ignore stdin; stop on a signal"
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):  # a second one must not cut the cleanup
            signal.signal(number, signal.SIG_IGN)
        stop.set()
        raise KeyboardInterrupt

    server = FakeApns(
        topic=args.topic,
        client_ca_file=args.client_ca,
        host=args.host,
        port=args.port,
        cert_dir=args.ca_out,
        use_uvloop=args.uvloop,
    )
    out = sys.stdout
    with contextlib.suppress(KeyboardInterrupt):
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        with server:
            server.delay(args.delay)
            ready = {
                "event": "ready",
                "url": server.url,
                "port": server.port,
                "ca_file": str(server.ca_file),
                "pid": os.getpid(),
            }
            out.write(json.dumps(ready) + "\n")
            out.flush()
            if args.stdin:
                _serve_commands(server, sys.stdin, out)
            else:
                stop.wait()
    final = {"event": "stopped", **_stats(server)}
    out.write(json.dumps(final) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
