"""Request limits against a real server: slow and oversized bodies never hold the service."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support.server import running_server

pytestmark = pytest.mark.db


@pytest.fixture
def base_url(database_url: str, pki_dir: Path) -> Iterator[str]:
    settings = make_settings(database_url, pki_dir, request_body_timeout=2.0)
    with running_server(settings) as url:
        yield url


def _half_sent(base_url: str, path: str = "/api/v1/programs") -> socket.socket:
    """A connection that declares 1,000 bytes of body and sends 6."""
    where = urlsplit(base_url)
    sock = socket.create_connection((where.hostname, where.port), timeout=10)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {where.hostname}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"a":1')
    return sock


def _status_of(sock: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return int(answer.split(b" ", 2)[1])


class TestSlowBodies:
    def test_half_sent_uploads_do_not_freeze_the_service(self, base_url: str) -> None:
        with ExitStack() as stack:
            sockets = [stack.enter_context(_half_sent(base_url)) for _ in range(40)]
            time.sleep(0.3)
            for _ in range(3):
                started = time.monotonic()
                response = httpx.get(f"{base_url}/healthz", timeout=5)
                assert response.status_code == 200
                assert time.monotonic() - started < 1.0
            # and a body that never completes gets 408, not a hung connection
            assert {_status_of(sock) for sock in sockets} == {408}

    def test_a_slow_body_is_a_408_problem(self, base_url: str) -> None:
        with _half_sent(base_url) as sock:
            sock.settimeout(10)
            answer = b""
            while not answer.endswith(b"}"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        assert b"application/problem+json" in head
        assert b'"request_timeout"' in body


class TestLargeBodies:
    def test_a_chunked_body_over_the_limit_is_413_not_500(self, base_url: str) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                yield b"x" * 50_000  # 2 MB, no Content-Length

        response = httpx.post(f"{base_url}/console/sign-in", content=chunks(), timeout=10)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "payload_too_large"


class TestDuplicateKeys:
    @pytest.mark.parametrize(
        "body",
        [
            b'{"kind": "purchase", "kind": "refund"}',
            b'{"a": {"x": 1, "x": 2}}',
            b'[{"amount": "1"}, {"amount": "2", "amount": "3"}]',
        ],
    )
    def test_a_repeated_key_is_refused(self, client: TestClient, body: bytes) -> None:
        response = client.post(
            "/api/v1/programs", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "duplicate_json_key"

    @pytest.mark.parametrize(
        "body", [b'{"name": "a", "kind": "points"}', b"not json", b"[" * 100_000]
    )
    def test_other_bodies_reach_the_route(self, client: TestClient, body: bytes) -> None:
        response = client.post(
            "/api/v1/programs", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code != 500
        assert response.json()["type"] != "duplicate_json_key"
