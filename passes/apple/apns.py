"""An APNs client for Wallet pass updates (Apple: "Sending notification requests to APNs").

HTTP/2 over one long-lived TLS connection authenticated with the Pass Type ID certificate;
``POST /3/device/<token>`` with ``apns-topic`` = the pass type ID and the payload ``{}`` (Wallet
ignores alerts: the lock-screen text comes from the pass's ``changeMessage``). Many streams are
in flight at once, bounded by the server's MAX_CONCURRENT_STREAMS and our own limit: about 100
in flight is faster than 1,000 for a CPU-bound Python client. The connection is kept open
between batches (APNs treats rapid reconnects as abuse) and reopened when it drops.

Written on the ``h2`` state machine directly: measured on this machine class, that is several
times faster per push than a general-purpose HTTP/2 client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions

PERMANENT_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"})
RETRYABLE_STATUSES = frozenset({0, 429, 500, 502, 503, 504})
_PAYLOAD = b"{}"


@dataclass(frozen=True, slots=True)
class PushResult:
    """APNs' answer for one token. ``status`` 0 means no answer (connection lost, timeout)."""

    token: str
    status: int
    reason: str | None = None
    apns_id: str | None = None

    @property
    def is_delivered(self) -> bool:
        return self.status == 200

    @property
    def is_permanent_failure(self) -> bool:
        """The token is dead for this topic: remove the registration (410, bad token)."""
        return self.status == 410 or self.reason in PERMANENT_REASONS

    @property
    def is_retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    @property
    def is_certificate_problem(self) -> bool:
        return self.status == 403


def client_ssl_context(
    certificate_file: Path,
    key_file: Path,
    *,
    wwdr_file: Path | None = None,
    password: bytes | None = None,
    ca_file: Path | None = None,
) -> ssl.SSLContext:
    """TLS for APNs: our Pass Type ID certificate (with the WWDR intermediate), ALPN h2.

    ``ca_file`` adds a CA to trust (a local fake APNs in tests); the system store stays.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    chain = certificate_file.read_bytes()
    if wwdr_file is not None:
        chain += b"\n" + wwdr_file.read_bytes()
    # ssl loads a chain only from a file: write it briefly to a private temporary file.
    fd, name = tempfile.mkstemp(prefix="apns-chain-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(chain)
        context.load_cert_chain(name, str(key_file), password=password)
    finally:
        os.unlink(name)
    return context


class _Connection(asyncio.Protocol):
    """One HTTP/2 connection; requests are futures keyed by stream id."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.h2 = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, tuple[str, asyncio.Future[PushResult]]] = {}
        self.headers: dict[int, dict[str, str]] = {}
        self.bodies: dict[int, bytearray] = {}
        self.closed = asyncio.get_running_loop().create_future()
        self.is_open = False
        self.capacity = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.h2.initiate_connection()
        self.transport.write(self.h2.data_to_send())
        self.is_open = True
        self.capacity.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_open = False
        self._fail_all("connection lost")
        if not self.closed.done():
            self.closed.set_result(None)
        self.capacity.set()

    @property
    def max_streams(self) -> int:
        return int(self.h2.remote_settings.max_concurrent_streams)

    def send(self, token: str, headers: list[tuple[str, str]]) -> asyncio.Future[PushResult]:
        future: asyncio.Future[PushResult] = asyncio.get_running_loop().create_future()
        stream_id = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream_id, headers)
        self.h2.send_data(stream_id, _PAYLOAD, end_stream=True)
        self.pending[stream_id] = (token, future)
        assert self.transport is not None
        self.transport.write(self.h2.data_to_send())
        return future

    def data_received(self, data: bytes) -> None:
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.close()
            return
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                self.headers[event.stream_id] = {
                    str(k): str(v)
                    for k, v in event.headers  # header_encoding gives str
                }
            elif isinstance(event, h2.events.DataReceived):
                self.bodies.setdefault(event.stream_id, bytearray()).extend(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self._finish(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                self._finish(event.stream_id, reset=True)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.is_open = False  # GOAWAY: finish what is in flight, start nothing new
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                self.capacity.set()
        if self.transport is not None:
            self.transport.write(self.h2.data_to_send())

    def _finish(self, stream_id: int, *, reset: bool = False) -> None:
        token, future = self.pending.pop(stream_id, ("", None))
        headers = self.headers.pop(stream_id, {})
        body = bytes(self.bodies.pop(stream_id, b""))
        self.capacity.set()
        if future is None or future.done():
            return
        status = 0 if reset else int(headers.get(":status", "0"))
        reason = "stream reset" if reset else None
        if body:
            try:
                reason = str(json.loads(body).get("reason")) or reason
            except (ValueError, AttributeError):
                reason = body[:200].decode(errors="replace")
        future.set_result(PushResult(token, status, reason, headers.get("apns-id")))

    def _fail_all(self, reason: str) -> None:
        for token, future in self.pending.values():
            if not future.done():
                future.set_result(PushResult(token, 0, reason))
        self.pending.clear()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            try:
                self.h2.close_connection()
                self.transport.write(self.h2.data_to_send())
            except h2.exceptions.ProtocolError:
                pass
            self.transport.close()


class ApnsClient:
    """Pushes to APNs over one reused HTTP/2 connection (reopened when it drops).

    Use from one event loop: ``await client.push_many(tokens)``; ``await client.close()``.
    """

    def __init__(
        self,
        *,
        url: str,
        ssl_context: ssl.SSLContext,
        topic: str,
        push_type: str | None = None,
        priority: int | None = None,
        max_in_flight: int = 100,
        timeout: float = 15.0,
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "api.push.apple.com"
        self.port = parts.port or 443
        self.authority = self.host if self.port == 443 else f"{self.host}:{self.port}"
        self.ssl_context = ssl_context
        self.topic = topic
        self.push_type = push_type
        self.priority = priority
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None

    async def _open(self) -> _Connection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is not None and self._connection.is_open:
                return self._connection
            loop = asyncio.get_running_loop()
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self.host),
                    self.host,
                    self.port,
                    ssl=self.ssl_context,
                    server_hostname=self.host,
                ),
                self.timeout,
            )
            self._connection = protocol
            return protocol

    def _headers(self, token: str) -> list[tuple[str, str]]:
        headers = [
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", self.authority),
            (":path", f"/3/device/{token}"),
            ("apns-topic", self.topic),
            ("apns-id", str(uuid.uuid4())),
            ("content-length", str(len(_PAYLOAD))),
        ]
        if self.push_type:
            headers.append(("apns-push-type", self.push_type))
        if self.priority is not None:
            headers.append(("apns-priority", str(self.priority)))
        return headers

    async def push(self, token: str) -> PushResult:
        return (await self.push_many([token]))[0]

    async def push_many(self, tokens: Iterable[str]) -> list[PushResult]:
        """Push every token, keeping up to ``max_in_flight`` streams open; results in order.

        Never raises for APNs' answers or a lost connection: each token gets a result, with
        status 0 when no answer came (retry those later).
        """
        sent: list[tuple[str, asyncio.Future[PushResult] | None]] = []
        for token in tokens:
            connection = await self._connection_with_room()
            sent.append(
                (token, connection.send(token, self._headers(token)) if connection else None)
            )
        waiting = {future for _, future in sent if future is not None and not future.done()}
        if waiting:
            await asyncio.wait(waiting, timeout=self.timeout)
        return [
            future.result()
            if future is not None and future.done()
            else PushResult(token, 0, "timeout" if future is not None else "cannot connect")
            for token, future in sent
        ]

    async def _connection_with_room(self) -> _Connection | None:
        """An open connection with a free stream slot (waiting for one if needed)."""
        for _ in range(3):
            connection = await self._usable_connection()
            if connection is None:
                return None
            limit = min(self.max_in_flight, connection.max_streams)
            while connection.is_open and len(connection.pending) >= limit:
                connection.capacity.clear()
                try:
                    await asyncio.wait_for(connection.capacity.wait(), self.timeout)
                except TimeoutError:
                    connection.close()  # wedged: drop it; its pushes report status 0
            if connection.is_open:
                return connection
        return None

    async def _usable_connection(self) -> _Connection | None:
        if self._connection is not None and self._connection.is_open:
            return self._connection
        try:
            return await self._open()
        except (OSError, TimeoutError, ssl.SSLError):
            return None

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(connection.closed), 5)
