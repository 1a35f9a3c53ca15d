"""The APNs client against the fake APNs: headers, concurrency, and what happens when the
connection drops, the server is slow or cannot be reached."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import DEV_PASS_TYPE_ID
from passes.apple.apns import ApnsClient, PushResult, client_ssl_context
from tests.support.fake_apns import FakeApns

TOKENS = [f"{i:064x}" for i in range(1, 301)]


@pytest.fixture(scope="module")
def fake(pki_dir: Path) -> Iterator[FakeApns]:
    with FakeApns(
        topic=DEV_PASS_TYPE_ID, client_ca_file=pki_dir / "apple" / "root-ca.pem"
    ) as server:
        yield server


def client(fake: FakeApns, pki_dir: Path, **options: object) -> ApnsClient:
    apple = pki_dir / "apple"
    context = client_ssl_context(
        apple / "pass.pem", apple / "pass.key", wwdr_file=apple / "wwdr.pem", ca_file=fake.ca_file
    )
    return ApnsClient(url=fake.url, ssl_context=context, topic=DEV_PASS_TYPE_ID, **options)  # type: ignore[arg-type]


def push_all(apns: ApnsClient, tokens: list[str]) -> list[PushResult]:
    async def run() -> list[PushResult]:
        try:
            return await apns.push_many(tokens)
        finally:
            await apns.close()

    return asyncio.run(run())


def test_many_pushes_over_one_connection(fake: FakeApns, pki_dir: Path) -> None:
    fake.reset()
    results = push_all(client(fake, pki_dir, push_type="background", priority=5), TOKENS)
    assert [r.token for r in results] == TOKENS
    assert all(r.is_delivered and r.apns_id for r in results)
    assert len(fake.connections) == 1
    record = fake.received[0]
    assert (record.push_type, record.priority, record.payload) == ("background", 5, b"{}")


def test_error_answers_are_classified(fake: FakeApns, pki_dir: Path) -> None:
    fake.reset()
    fake.script(TOKENS[0], 410, "Unregistered")
    fake.script(TOKENS[1], 429, "TooManyRequests")
    fake.script(TOKENS[2], 403, "InvalidProviderToken")
    gone, busy, refused, fine = push_all(client(fake, pki_dir), TOKENS[:4])
    assert gone.is_permanent_failure
    assert busy.is_retryable
    assert not busy.is_permanent_failure
    assert refused.is_certificate_problem
    assert fine.is_delivered


def test_reconnects_after_the_connection_drops(fake: FakeApns, pki_dir: Path) -> None:
    fake.reset()
    apns = client(fake, pki_dir)

    async def run() -> tuple[list[PushResult], list[PushResult]]:
        first = await apns.push_many(TOKENS[:10])
        fake.drop_connections()
        await asyncio.sleep(0.2)
        second = await apns.push_many(TOKENS[10:20])
        await apns.close()
        return first, second

    first, second = asyncio.run(run())
    assert all(r.is_delivered for r in first + second)
    assert len(fake.connections) == 2


def test_a_slow_server_times_out_as_retryable(fake: FakeApns, pki_dir: Path) -> None:
    fake.reset()
    fake.delay(2.0)
    try:
        results = push_all(client(fake, pki_dir, timeout=0.5, max_in_flight=2), TOKENS[:5])
    finally:
        fake.delay(0)
    assert all(r.status == 0 and r.is_retryable for r in results)


def test_unreachable_server(pki_dir: Path, fake: FakeApns) -> None:
    apple = pki_dir / "apple"
    context = client_ssl_context(
        apple / "pass.pem", apple / "pass.key", wwdr_file=apple / "wwdr.pem"
    )
    apns = ApnsClient(url="https://127.0.0.1:9", ssl_context=context, topic="t", timeout=1)
    results = push_all(apns, TOKENS[:3])
    assert [r.reason for r in results] == ["cannot connect"] * 3
