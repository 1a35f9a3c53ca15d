"""The fake APNs behaves as Apple documents APNs, seen from a real HTTP/2 client over mTLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import ssl
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.fake_apns import FakeApns, FakeApnsProcess, _key_usage

TOPIC = "pass.com.example.loyalty"
TOKEN = "a1" * 32
PROJECT_ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


# --- a throwaway client PKI: root CA -> intermediate (like WWDR) -> client certificate ----------


@dataclass(frozen=True)
class ClientPki:
    root_ca: Path  # what the fake trusts
    chain: Path  # client certificate + intermediate
    key: Path
    subject: str


def _name(common_name: str, uid: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if uid:
        attributes.insert(0, x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name([*attributes, x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test")])


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_client_pki(directory: Path, uid: str) -> ClientPki:
    directory.mkdir(parents=True, exist_ok=True)
    root_key, mid_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name, mid_name = _name(f"{uid} root"), _name(f"{uid} intermediate")
    leaf_name = _name(f"Pass Type ID: {uid}", uid)
    root = _certificate(root_name, root_key, root_name, root_key, ca=True)
    mid = _certificate(mid_name, mid_key, root_name, root_key, ca=True)
    leaf = _certificate(leaf_name, leaf_key, mid_name, mid_key, ca=False)
    pem = serialization.Encoding.PEM
    (directory / "root-ca.pem").write_bytes(root.public_bytes(pem))
    (directory / "chain.pem").write_bytes(leaf.public_bytes(pem) + mid.public_bytes(pem))
    (directory / "client.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ClientPki(
        directory / "root-ca.pem",
        directory / "chain.pem",
        directory / "client.key",
        leaf_name.rfc4514_string(),
    )


# --- a tiny HTTP/2 client ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        value = json.loads(self.body)
        assert isinstance(value, dict)
        return value


@dataclass
class _Pending:
    future: asyncio.Future[Response]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


class H2Client(asyncio.Protocol):
    """Just enough HTTP/2 client: concurrent requests, flow control both ways, PING."""

    def __init__(
        self, authority: str, settings: dict[h2.settings.SettingCodes, int] | None = None
    ) -> None:
        self.authority = authority
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        if settings:
            self.h2.local_settings = h2.settings.Settings(client=True, initial_values=settings)
        loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, _Pending] = {}
        self.closed: asyncio.Future[Exception | None] = loop.create_future()
        self.ready: asyncio.Future[None] = loop.create_future()  # the server's SETTINGS came
        self.window_changed = asyncio.Event()
        self.pings: dict[bytes, asyncio.Future[None]] = {}
        self.terminated: h2.events.ConnectionTerminated | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an instance
        self.h2.initiate_connection()
        self._write()

    def data_received(self, data: bytes) -> None:
        for event in self.h2.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                pending = self.pending[event.stream_id]
                headers = {str(k): str(v) for k, v in event.headers or ()}
                pending.status = int(headers.pop(":status"))
                pending.headers = headers
            elif isinstance(event, h2.events.DataReceived):
                self.pending[event.stream_id].body += event.data or b""
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                pending = self.pending.pop(event.stream_id)
                response = Response(pending.status, pending.headers, bytes(pending.body))
                pending.future.set_result(response)
            elif isinstance(event, h2.events.StreamReset):
                self._fail(event.stream_id, ConnectionError(f"reset {event.error_code!r}"))
            elif isinstance(event, h2.events.WindowUpdated):
                self.window_changed.set()
            elif isinstance(event, h2.events.RemoteSettingsChanged):
                if not self.ready.done():
                    self.ready.set_result(None)
            elif isinstance(event, h2.events.PingAckReceived):
                self.pings.pop(event.ping_data or b"").set_result(None)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.terminated = event
                for stream_id in list(self.pending):
                    if stream_id > (event.last_stream_id or 0):
                        self._fail(stream_id, ConnectionError("GOAWAY"))
        self._write()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        for stream_id in list(self.pending):
            self._fail(stream_id, ConnectionError(f"connection lost: {exc!r}"))
        for ping in self.pings.values():
            ping.set_exception(ConnectionError("connection lost"))
        self.pings.clear()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"the server closed the connection: {exc!r}"))
            self.ready.exception()  # retrieved: not every caller waits for ready
        self.closed.set_result(exc)

    def _fail(self, stream_id: int, error: Exception) -> None:
        pending = self.pending.pop(stream_id, None)
        if pending is not None and not pending.future.done():
            pending.future.set_exception(error)

    def _write(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
    ) -> Response:
        if self.transport is None:
            raise ConnectionError("not connected")
        stream_id = self.h2.get_next_available_stream_id()
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.pending[stream_id] = _Pending(future)
        request_headers = [
            (":method", method),
            (":scheme", "https"),
            (":authority", self.authority),
            (":path", path),
            *headers,
        ]
        self.h2.send_headers(stream_id, request_headers, end_stream=body is None)
        self._write()
        view = memoryview(body or b"")
        while body is not None:
            size = min(
                self.h2.local_flow_control_window(stream_id),
                self.h2.max_outbound_frame_size,
                len(view),
            )
            if size == 0 and view:
                self.window_changed.clear()
                await asyncio.wait_for(self.window_changed.wait(), 5)
                continue
            self.h2.send_data(stream_id, bytes(view[:size]), end_stream=size == len(view))
            self._write()
            view = view[size:]
            if not view:
                break
        return await asyncio.wait_for(future, 10)

    async def push(
        self,
        token: str = TOKEN,
        payload: bytes = b"{}",
        *,
        topic: str | None = TOPIC,
        extra: Sequence[tuple[str, str]] = (),
    ) -> Response:
        headers = [("apns-topic", topic)] if topic is not None else []
        return await self.request("POST", f"/3/device/{token}", [*headers, *extra], payload)

    async def ping(self, data: bytes = b"12345678") -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pings[data] = future
        self.h2.ping(data)
        self._write()
        await asyncio.wait_for(future, 5)

    async def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.h2.close_connection()
            self._write()
            self.transport.close()
        if self.transport is not None:
            await asyncio.wait_for(asyncio.shield(self.closed), 10)


async def connect(
    url: str,
    ca_file: Path,
    chain: Path | None = None,
    key: Path | None = None,
    *,
    alpn: Sequence[str] = ("h2",),
    max_tls: ssl.TLSVersion | None = None,
    settings: dict[h2.settings.SettingCodes, int] | None = None,
) -> H2Client:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.set_alpn_protocols(list(alpn))
    if max_tls is not None:
        context.maximum_version = max_tls
    if chain is not None:
        context.load_cert_chain(chain, key)
    host, port = url.removeprefix("https://").rsplit(":", 1)
    _, client = await asyncio.get_running_loop().create_connection(
        lambda: H2Client(f"{host}:{port}", settings), host, int(port), ssl=context
    )
    if alpn == ("h2",):  # the server's SETTINGS, or the server's refusal of our certificate
        try:
            await asyncio.wait_for(asyncio.shield(client.ready), 5)
        except TimeoutError:
            await client.close()
            raise
    return client


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client_pki(tmp_path_factory: pytest.TempPathFactory) -> ClientPki:
    return make_client_pki(tmp_path_factory.mktemp("client-pki"), TOPIC)


@pytest.fixture(scope="module")
def stranger_pki(tmp_path_factory: pytest.TempPathFactory) -> ClientPki:
    return make_client_pki(tmp_path_factory.mktemp("stranger-pki"), TOPIC)


@pytest.fixture(scope="module")
def module_server(client_pki: ClientPki) -> Iterator[FakeApns]:
    with FakeApns(topic=TOPIC, client_ca_file=client_pki.root_ca) as server:
        yield server


@pytest.fixture
def server(module_server: FakeApns) -> Iterator[FakeApns]:
    module_server.reset()
    yield module_server
    module_server.reset()


def run_client(server: FakeApns, pki: ClientPki, scenario: Callable[[H2Client], Awaitable[T]]) -> T:
    """Connect with the client certificate, run ``scenario``, close."""

    async def main() -> T:
        assert server.ca_file is not None
        client = await connect(server.url, server.ca_file, pki.chain, pki.key)
        try:
            return await scenario(client)
        finally:
            await client.close()

    return asyncio.run(main())


def push_once(server: FakeApns, pki: ClientPki, **kwargs: object) -> Response:
    async def scenario(client: H2Client) -> Response:
        return await client.push(**kwargs)  # type: ignore[arg-type]

    return run_client(server, pki, scenario)


# --- tests ------------------------------------------------------------------------------------


def test_a_push_is_answered_200_without_body_and_recorded(
    server: FakeApns, client_pki: ClientPki
) -> None:
    apns_id = str(uuid.uuid4())
    extra = [("apns-id", apns_id), ("apns-push-type", "background"), ("apns-priority", "5")]

    response = push_once(server, client_pki, extra=extra)

    assert response.status == 200
    assert response.headers["apns-id"] == apns_id
    assert response.body == b""
    [record] = server.received
    assert (record.token, record.topic, record.payload) == (TOKEN, TOPIC, b"{}")
    assert (record.push_type, record.priority, record.apns_id) == ("background", 5, apns_id)
    assert (record.status, record.reason, record.method) == (200, None, "POST")
    [connection] = server.connections
    assert record.connection_id == connection.id
    assert connection.subject == client_pki.subject
    assert connection.uid == TOPIC
    assert connection.alpn == "h2"
    assert server.client_subjects() == [client_pki.subject]
    assert server.count() == server.count(TOKEN) == 1
    assert server.tokens_received() == [TOKEN]


def test_without_apns_id_the_server_makes_one(server: FakeApns, client_pki: ClientPki) -> None:
    response = push_once(server, client_pki)

    assert response.status == 200
    assert uuid.UUID(response.headers["apns-id"])
    assert server.received[0].apns_id == response.headers["apns-id"]


@pytest.mark.parametrize("max_tls", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_a_client_without_certificate_cannot_connect(
    server: FakeApns, max_tls: ssl.TLSVersion
) -> None:
    async def attempt() -> None:
        assert server.ca_file is not None
        client = await connect(server.url, server.ca_file, max_tls=max_tls)
        try:  # with TLS 1.3 the server's refusal arrives after the client's handshake
            await client.push()
        finally:
            await client.close()

    # TLS 1.2 fails in the handshake; with 1.3 the server drops the connection after it.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        asyncio.run(attempt())
    assert server.count() == 0
    assert server.connections == []


def test_a_certificate_under_another_ca_cannot_connect(
    server: FakeApns, stranger_pki: ClientPki
) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError)):
        push_once(server, stranger_pki)
    assert server.count() == 0
    assert server.connections == []


def test_a_client_that_does_not_offer_h2_is_closed(server: FakeApns, client_pki: ClientPki) -> None:
    async def attempt() -> Exception | None:
        assert server.ca_file is not None
        client = await connect(
            server.url, server.ca_file, client_pki.chain, client_pki.key, alpn=["http/1.1"]
        )
        return await asyncio.wait_for(asyncio.shield(client.closed), 5)

    asyncio.run(attempt())
    [connection] = server.connections
    assert connection.alpn is None


BIG = b'{"x": "' + b"a" * 5000 + b'"}'


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status", "reason"),
    [
        ("POST", f"/3/device/{TOKEN}", [("apns-topic", "pass.other")], b"{}", 400, "BadTopic"),
        ("POST", f"/3/device/{TOKEN}", [], b"{}", 400, "MissingTopic"),
        ("GET", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], None, 405, "MethodNotAllowed"),
        ("PUT", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], b"{}", 405, "MethodNotAllowed"),
        ("POST", f"/2/device/{TOKEN}", [("apns-topic", TOPIC)], b"{}", 404, "BadPath"),
        ("POST", "/3/device/", [("apns-topic", TOPIC)], b"{}", 400, "BadDeviceToken"),
        ("POST", "/3/device/xyz" + "0" * 61, [("apns-topic", TOPIC)], b"{}", 400, "BadDeviceToken"),
        ("POST", "/3/device/abc", [("apns-topic", TOPIC)], b"{}", 400, "BadDeviceToken"),
        ("POST", f"/3/device/{'ab' * 101}", [("apns-topic", TOPIC)], b"{}", 400, "BadDeviceToken"),
        (
            "POST",
            f"/3/device/{TOKEN}",
            [("apns-topic", TOPIC), ("apns-priority", "7")],
            b"{}",
            400,
            "BadPriority",
        ),
        (
            "POST",
            f"/3/device/{TOKEN}",
            [("apns-topic", TOPIC), ("apns-id", "not-a-uuid")],
            b"{}",
            400,
            "BadMessageId",
        ),
        (
            "POST",
            f"/3/device/{TOKEN}",
            [("apns-topic", TOPIC), ("apns-expiration", "soon")],
            b"{}",
            400,
            "BadExpirationDate",
        ),
        (
            "POST",
            f"/3/device/{TOKEN}",
            [("apns-topic", TOPIC), ("apns-push-type", "pass")],
            b"{}",
            400,
            "InvalidPushType",
        ),
        ("POST", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], b"", 400, "PayloadEmpty"),
        ("POST", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], b"{", 400, "BadPayload"),
        ("POST", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], b"[]", 400, "BadPayload"),
        ("POST", f"/3/device/{TOKEN}", [("apns-topic", TOPIC)], BIG, 413, "PayloadTooLarge"),
    ],
)
def test_a_bad_request_is_answered_with_apples_reason(
    server: FakeApns,
    client_pki: ClientPki,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    status: int,
    reason: str,
) -> None:
    async def scenario(client: H2Client) -> Response:
        return await client.request(method, path, headers, body)

    response = run_client(server, client_pki, scenario)

    assert response.status == status
    assert response.json() == {"reason": reason}
    assert response.headers["content-type"].startswith("application/json")
    assert uuid.UUID(response.headers["apns-id"])
    [record] = server.received
    assert (record.status, record.reason) == (status, reason)


@pytest.mark.parametrize(("size", "status"), [(4096, 200), (4097, 413)])
def test_the_payload_limit_is_4096_bytes(
    server: FakeApns, client_pki: ClientPki, size: int, status: int
) -> None:
    payload = b'{"x": "' + b"a" * (size - 10) + b'"}'
    payload += b" " * (size - len(payload))
    assert len(payload) == size

    assert push_once(server, client_pki, payload=payload).status == status


def test_a_large_body_is_read_under_flow_control(server: FakeApns, client_pki: ClientPki) -> None:
    # 200 kB is three times the initial window: the fake must acknowledge what it reads.
    response = push_once(server, client_pki, payload=b"{" + b" " * 200_000 + b"}")

    assert (response.status, response.json()) == (413, {"reason": "PayloadTooLarge"})


def test_error_bodies_respect_the_clients_flow_control_window(
    server: FakeApns, client_pki: ClientPki
) -> None:
    async def main() -> Response:
        assert server.ca_file is not None
        settings = {h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 4}
        client = await connect(
            server.url, server.ca_file, client_pki.chain, client_pki.key, settings=settings
        )
        try:
            return await client.push(topic="pass.other")
        finally:
            await client.close()

    response = asyncio.run(main())

    assert response.json() == {"reason": "BadTopic"}


def test_a_scripted_410_carries_a_timestamp_then_200(
    server: FakeApns, client_pki: ClientPki
) -> None:
    server.script(TOKEN, 410, "Unregistered", times=1)
    before = int(time.time() * 1000)

    async def scenario(client: H2Client) -> list[Response]:
        return [await client.push(), await client.push()]

    gone, ok = run_client(server, client_pki, scenario)

    assert gone.status == 410
    body = gone.json()
    assert body["reason"] == "Unregistered"
    assert isinstance(body["timestamp"], int)
    assert before <= body["timestamp"] <= int(time.time() * 1000)
    assert ok.status == 200
    assert [r.status for r in server.received] == [410, 200]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "BadDeviceToken"),
        (400, "DeviceTokenNotForTopic"),
        (429, "TooManyRequests"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
    ],
)
def test_a_script_lasts_until_reset_and_touches_only_its_token(
    server: FakeApns, client_pki: ClientPki, status: int, reason: str
) -> None:
    server.script(TOKEN, status, reason)
    other = "b2" * 32

    async def scenario(client: H2Client) -> list[Response]:
        return [await client.push(), await client.push(), await client.push(other)]

    first, second, third = run_client(server, client_pki, scenario)

    assert (first.status, first.json()) == (status, {"reason": reason})
    assert (second.status, second.json()) == (status, {"reason": reason})
    assert third.status == 200
    server.reset()
    assert push_once(server, client_pki).status == 200


def test_a_script_for_every_token(server: FakeApns, client_pki: ClientPki) -> None:
    server.script(None, 429, "TooManyRequests", times=2)

    async def scenario(client: H2Client) -> list[int]:
        return [(await client.push(f"{i:064x}")).status for i in range(3)]

    assert run_client(server, client_pki, scenario) == [429, 429, 200]


def test_validation_comes_before_a_script(server: FakeApns, client_pki: ClientPki) -> None:
    server.script(TOKEN, 410, "Unregistered")

    assert push_once(server, client_pki, topic="pass.other").json() == {"reason": "BadTopic"}


def test_200_concurrent_streams_on_one_connection(server: FakeApns, client_pki: ClientPki) -> None:
    tokens = [f"{i:064x}" for i in range(200)]

    async def scenario(client: H2Client) -> list[Response]:
        remote = client.h2.remote_settings
        assert remote.max_concurrent_streams == 1000
        return await asyncio.gather(*(client.push(t) for t in tokens))

    responses = run_client(server, client_pki, scenario)

    assert [r.status for r in responses] == [200] * 200
    assert len({r.headers["apns-id"] for r in responses}) == 200
    assert sorted(server.tokens_received()) == tokens
    assert len(server.connections) == 1
    assert len({r.connection_id for r in server.received}) == 1


def test_several_connections_at_once(server: FakeApns, client_pki: ClientPki) -> None:
    async def main() -> None:
        assert server.ca_file is not None
        clients = [
            await connect(server.url, server.ca_file, client_pki.chain, client_pki.key)
            for _ in range(4)
        ]
        try:
            await asyncio.gather(*(c.push(f"{i:064x}") for i, c in enumerate(clients * 5)))
        finally:
            await asyncio.gather(*(c.close() for c in clients))

    asyncio.run(main())

    assert server.count() == 20
    assert len(server.connections) == 4
    deadline = time.monotonic() + 5  # the server notices the closes on its own thread
    while not all(c.closed_at is not None for c in server.connections):
        assert time.monotonic() < deadline, "the server never saw the connections close"
        time.sleep(0.01)


def test_ping_is_answered(server: FakeApns, client_pki: ClientPki) -> None:
    async def scenario(client: H2Client) -> None:
        await client.ping(b"abcdefgh")

    run_client(server, client_pki, scenario)


def test_delay_holds_answers_and_records_on_arrival(
    server: FakeApns, client_pki: ClientPki
) -> None:
    server.delay(0.3)

    async def scenario(client: H2Client) -> tuple[float, list[int]]:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.push() for _ in range(5)))
        return time.monotonic() - started, [r.status for r in responses]

    elapsed, statuses = run_client(server, client_pki, scenario)

    assert statuses == [200] * 5
    assert 0.3 <= elapsed < 2.0


def test_drop_connections_then_a_client_reconnects(server: FakeApns, client_pki: ClientPki) -> None:
    server.delay(5)

    async def main() -> None:
        assert server.ca_file is not None
        client = await connect(server.url, server.ca_file, client_pki.chain, client_pki.key)
        try:
            in_flight = asyncio.ensure_future(client.push())
            await asyncio.to_thread(server.wait_for, 1, 5)
            server.drop_connections()
            with pytest.raises(ConnectionError):
                await in_flight
        finally:
            await client.close()
        server.delay(0)
        again = await connect(server.url, server.ca_file, client_pki.chain, client_pki.key)
        try:
            assert (await again.push()).status == 200
        finally:
            await again.close()

    asyncio.run(main())

    assert len(server.connections) == 2
    assert [r.status for r in server.received] == [200, 200]  # recorded on arrival


def test_goaway_with_a_reason(server: FakeApns, client_pki: ClientPki) -> None:
    async def scenario(client: H2Client) -> h2.events.ConnectionTerminated | None:
        await client.push()
        server.drop_connections(goaway_reason="Shutdown")
        await asyncio.wait_for(asyncio.shield(client.closed), 5)
        return client.terminated

    terminated = run_client(server, client_pki, scenario)

    assert terminated is not None
    assert terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
    assert json.loads(terminated.additional_data or b"") == {"reason": "Shutdown"}


def test_stopping_sends_goaway_and_closes_every_connection(client_pki: ClientPki) -> None:
    server = FakeApns(topic=TOPIC, client_ca_file=client_pki.root_ca)
    server.start()
    try:

        async def main() -> h2.events.ConnectionTerminated | None:
            assert server.ca_file is not None
            client = await connect(server.url, server.ca_file, client_pki.chain, client_pki.key)
            try:
                await client.push()
                await asyncio.to_thread(server.stop)
                await asyncio.wait_for(asyncio.shield(client.closed), 5)
                return client.terminated
            finally:
                await client.close()

        terminated = asyncio.run(main())
    finally:
        server.stop()

    assert terminated is not None
    assert terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
    assert terminated.last_stream_id == 1
    assert server.connections[0].closed_at is not None


def test_wait_for_times_out(server: FakeApns) -> None:
    with pytest.raises(TimeoutError, match="received 0 requests, not 1"):
        server.wait_for(1, timeout=0.05)


def test_as_a_separate_process(client_pki: ClientPki, tmp_path: Path) -> None:
    with FakeApnsProcess(
        topic=TOPIC, client_ca_file=client_pki.root_ca, ca_out=tmp_path, python=sys.executable
    ) as process:
        assert process.ca_file == tmp_path / "fake-apns-ca.pem"
        process.script(TOKEN, 410, "Unregistered", times=1)

        async def main() -> list[int]:
            client = await connect(process.url, process.ca_file, client_pki.chain, client_pki.key)
            try:
                return [(await client.push()).status for _ in range(3)]
            finally:
                await client.close()

        assert asyncio.run(main()) == [410, 200, 200]
        stats = process.stats()
        assert stats["count"] == 3
        assert stats["statuses"] == {"200": 2, "410": 1}
        assert stats["subjects"] == [client_pki.subject]
        final = process.stop()

    assert final["event"] == "stopped"
    assert final["count"] == 3


def test_a_restarted_server_keeps_its_port_and_ca(client_pki: ClientPki) -> None:
    server = FakeApns(topic=TOPIC, client_ca_file=client_pki.root_ca)
    with server:
        url, ca_pem = server.url, server.ca_pem
    assert server.ca_file is not None
    assert not server.ca_file.exists()  # the temporary directory is removed on stop
    with server:
        assert (server.url, server.ca_pem) == (url, ca_pem)
        assert server.ca_file.read_bytes() == ca_pem
        assert push_once(server, client_pki).status == 200
