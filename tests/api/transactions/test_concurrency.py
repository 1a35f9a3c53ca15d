"""32 tills hammering the same members at once: retries with the same Idempotency-Key, and
receipts sent twice, must credit exactly once; concurrent writes must never lose an update."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.support.burst import Call, at_once, outcomes
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.server import running_server

THREADS = 32
PURCHASES = {"postgresql": 2000, "sqlite": 500}  # SQLite serialises writers: a lighter run
MEMBERS = 8


@dataclass(frozen=True)
class Send:
    member: str
    amount: int
    receipt: str
    key: str


class Tills:
    """One HTTP client per thread (a till keeps its connection), all closed at the end."""

    def __init__(self, timeout: float) -> None:
        self.base = ""
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[httpx2.Client] = []

    def http(self) -> httpx2.Client:
        if not hasattr(self._local, "http"):
            self._local.http = httpx2.Client(base_url=self.base, timeout=self.timeout)
            with self._lock:
                self._clients.append(self._local.http)
        client: httpx2.Client = self._local.http
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


def plan(members: list[str], rng: random.Random, count: int) -> tuple[list[Send], dict[str, int]]:
    """The requests to send (with duplicates) and each member's exact expected balance."""
    sends: list[Send] = []
    expected: Counter[str] = Counter()
    for i in range(count):
        member, amount = rng.choice(members), rng.randint(1, 100)
        send = Send(member, amount, f"R-{i}", f"key-{i}")
        sends.append(send)
        expected[member] += amount
        if i % 5 == 0:  # a fifth are retried with the same Idempotency-Key
            sends.append(send)
        if i % 13 == 0 and i:  # some receipts are sent again under a new key (a till retry)
            sends.append(Send(member, amount, send.receipt, f"key-{i}-again"))
    rng.shuffle(sends)
    return sends, dict(expected)


def test_concurrent_purchases_credit_exactly_once(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    key = new_merchant(app)
    program = new_program(
        client, key, rules={"currency": "RUB", "earn": {"points": 1, "per_amount": "1"}}
    )
    members = [
        enrol(client, key, program["id"], phone=f"+7916555{i:04d}")["id"] for i in range(MEMBERS)
    ]
    count = PURCHASES[app.state.engine.dialect.name]
    sends, expected = plan(members, random.Random(7), count)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    tills = Tills(timeout=120)

    def post(send: Send) -> None:
        response = tills.http().post(
            f"/api/v1/members/{send.member}/transactions",
            json={"kind": "purchase", "amount": f"{send.amount}.00", "currency": "RUB",
                  "receipt_id": send.receipt},
            headers={**auth(key), "Idempotency-Key": send.key},
        )  # fmt: skip
        with lock:
            statuses[response.status_code] += 1

    with running_server(settings) as tills.base, ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(post, sends))
    tills.close()

    # Replays answer with the original status (201) or, for a receipt sent again under a new
    # key, 200: every request succeeded, and the balances below prove each credited once.
    assert set(statuses) <= {200, 201}, statuses
    assert sum(statuses.values()) == len(sends)
    balances: dict[str, Any] = defaultdict(int)
    for member in members:
        balances[member] = client.get(f"/api/v1/members/{member}", headers=auth(key)).json()[
            "balance"
        ]
        page = client.get(
            f"/api/v1/members/{member}/transactions", params={"limit": 1}, headers=auth(key)
        ).json()
        assert page["total"] == sum(1 for s in set(sends) if s.member == member and
                                    not s.key.endswith("-again"))  # fmt: skip
    assert dict(balances) == expected


def test_more_tills_than_worker_threads_never_stall(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """100 tills at once, more than the 40 worker threads: on SQLite this used to deadlock
    (threads blocked on the write lock while its holder waited for a thread) until the busy
    timeout turned every request into a 500."""
    key = new_merchant(app)
    program = new_program(
        client, key, rules={"currency": "RUB", "earn": {"points": 1, "per_amount": "1"}}
    )
    members = [
        enrol(client, key, program["id"], phone=f"+7916777{i:04d}")["id"] for i in range(MEMBERS)
    ]
    tills = Tills(timeout=20)  # a stall fails fast

    def post(i: int) -> int:
        response = tills.http().post(
            f"/api/v1/members/{members[i % MEMBERS]}/transactions",
            json={"kind": "purchase", "amount": "10.00", "currency": "RUB",
                  "receipt_id": f"T-{i}"},
            headers=auth(key),
        )  # fmt: skip
        return response.status_code

    with running_server(settings) as tills.base, ThreadPoolExecutor(100) as pool:
        statuses = Counter(pool.map(post, range(300)))
    tills.close()
    assert statuses == {201: 300}
    total = sum(
        client.get(f"/api/v1/members/{m}", headers=auth(key)).json()["balance"] for m in members
    )
    assert total == 300 * 10


def test_a_burst_on_one_member_never_stalls(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    """120 purchases for one member at once: every one is credited, none waits out the pool's
    timeout (PostgreSQL: they queue on the member's row lock, and the holder must still get a
    connection and a thread to commit)."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the stall is PostgreSQL's")
    key = new_merchant(app)
    program = new_program(
        client, key, rules={"currency": "RUB", "earn": {"points": 1, "per_amount": "1"}}
    )
    member = enrol(client, key, program["id"])["id"]

    def buy(i: int) -> Call:
        return lambda http: http.post(
            f"/api/v1/members/{member}/transactions", headers=auth(key),
            json={"kind": "purchase", "amount": "1.00", "currency": "RUB", "receipt_id": f"B-{i}"},
        )  # fmt: skip

    with running_server(settings) as base:
        responses = at_once(base, [buy(i) for i in range(120)], timeout=25)
    assert outcomes(responses) == Counter({(201, ""): 120})
    balance = client.get(f"/api/v1/members/{member}", headers=auth(key)).json()["balance"]
    assert balance == 120
