"""The join form's rate limits, kept in the database: exact under concurrency and across
processes, keyed per address and program (generous) and per contact (tight), and every
refusal says when to come back (Retry-After)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.support.factories import new_merchant, new_program
from tests.support.server import running_server

pytestmark = pytest.mark.db
LIMIT = 10
JOINS = {"postgresql": 50, "sqlite": 20}  # SQLite serialises writers: a lighter run


def submit(client: TestClient, program: dict[str, Any], phone: str) -> Any:
    form = {"name": "Anna", "phone": phone, "consent": "yes"}
    return client.post(f"/join/{program['public_slug']}", data=form, follow_redirects=False)


@pytest.fixture
def program(app: FastAPI, client: TestClient) -> dict[str, Any]:
    return new_program(client, new_merchant(app))


class TestSharedLimit:
    def test_concurrent_joins_to_two_instances_accept_exactly_the_limit(
        self, app: FastAPI, settings: Settings, program: dict[str, Any]
    ) -> None:
        """50 joins at once from one address, spread over two instances of the service on
        one database: exactly ``LIMIT`` are accepted, every other one is 429 with
        Retry-After. (Each process counted on its own before, so two allowed twice.)"""
        limited = settings.model_copy(update={"join_rate_limit": LIMIT})
        joins = JOINS[app.state.engine.dialect.name]
        answers: list[tuple[int, str | None]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(joins)

        def join(args: tuple[int, str]) -> None:
            i, base = args
            with httpx2.Client(base_url=base, timeout=60) as http:
                barrier.wait()
                response = http.post(
                    f"/join/{program['public_slug']}", follow_redirects=False,
                    data={"name": "Anna", "phone": f"+7916555{i:04d}", "consent": "yes"},
                )  # fmt: skip
            with lock:
                answers.append((response.status_code, response.headers.get("Retry-After")))

        with ExitStack() as stack:
            bases = [stack.enter_context(running_server(limited)) for _ in range(2)]
            for base in bases:  # FastAPI builds its routes on the first request: not in the race
                assert httpx2.get(f"{base}/join/{program['public_slug']}").status_code == 200
            with ThreadPoolExecutor(joins) as pool:
                list(pool.map(join, [(i, bases[i % 2]) for i in range(joins)]))
        statuses = Counter(status for status, _ in answers)
        assert statuses == {303: LIMIT, 429: joins - LIMIT}
        waits = [int(wait) for status, wait in answers if status == 429 and wait is not None]
        assert len(waits) == joins - LIMIT
        assert all(0 < wait <= 600 for wait in waits)


class TestKeys:
    def test_a_shops_wifi_is_not_locked_out(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        """30 customers join from one address (the shop's Wi-Fi) within ten minutes."""
        for i in range(30):
            assert submit(client, program, f"+7916444{i:04d}").status_code == 303

    def test_one_contact_is_limited_tighter(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        limit = app.state.settings.join_contact_rate_limit
        # the first enrols; the next are answered with the neutral "sent to your phone" page
        statuses = [submit(client, program, "+7 916 123-45-67").status_code for _ in range(limit)]
        assert statuses == [303] + [200] * (limit - 1)
        refused = submit(client, program, "+7 (916) 123 45 67")  # the same number, written apart
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert submit(client, program, "+79160000000").status_code == 303  # anyone else

    def test_programs_are_counted_apart(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        limit = app.state.settings.join_contact_rate_limit
        for _ in range(limit + 1):
            submit(client, program, "+7 916 123-45-67")
        other = new_program(client, new_merchant(app, "Other"))
        assert submit(client, other, "+7 916 123-45-67").status_code == 303
