"""``POST /apple/v1/log``: unauthenticated by Apple's design, so bounded per line and per
request (what fits is kept), rate limited per sender address (exactly, under concurrency),
deleted after the retention by the scheduled jobs, and shown to merchants as unverified
reports, never as facts about a card."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from api.apple_webservice import device_logs
from api.apple_webservice.device_logs import (
    LINES_PER_ADDRESS,
    MAX_CHARS_PER_REQUEST,
    MAX_LINE_CHARS,
    MAX_LINES_PER_REQUEST,
    RETENTION,
)
from api.apple_webservice.models import AppleDeviceLog
from api.clock import utcnow
from api.jobs.service import run_all
from api.settings import Settings
from tests.support.factories import auth, new_merchant
from tests.support.server import running_server

from .test_web_service import PREFIX, card

LOG = f"{PREFIX}/log"


def _stored(app: FastAPI) -> list[AppleDeviceLog]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(AppleDeviceLog).order_by(AppleDeviceLog.id)).all())


def _post(client: TestClient, lines: list[str]) -> httpx2.Response:
    response: httpx2.Response = client.post(LOG, json={"logs": lines})
    return response


class TestSizeBounds:
    def test_more_than_100_lines_keeps_the_first_100(
        self, app: FastAPI, client: TestClient
    ) -> None:
        response = _post(client, [f"line {i}" for i in range(150)])
        assert response.status_code == 200
        assert [row.message for row in _stored(app)] == [f"line {i}" for i in range(100)]
        assert MAX_LINES_PER_REQUEST == 100

    def test_a_long_line_is_cut(self, app: FastAPI, client: TestClient) -> None:
        assert _post(client, ["x" * 5000]).status_code == 200
        assert [len(row.message) for row in _stored(app)] == [MAX_LINE_CHARS]

    def test_one_request_keeps_at_most_its_character_budget(
        self, app: FastAPI, client: TestClient
    ) -> None:
        assert _post(client, ["y" * MAX_LINE_CHARS] * 100).status_code == 200
        rows = _stored(app)
        assert sum(len(row.message) for row in rows) <= MAX_CHARS_PER_REQUEST
        assert len(rows) == MAX_CHARS_PER_REQUEST // MAX_LINE_CHARS

    def test_blank_lines_are_not_kept(self, app: FastAPI, client: TestClient) -> None:
        assert _post(client, ["", "   ", "real"]).status_code == 200
        assert [row.message for row in _stored(app)] == ["real"]


class TestRateBound:
    def test_one_address_keeps_its_window_then_gets_429_with_retry_after(
        self, app: FastAPI
    ) -> None:
        phone = TestClient(app, client=("203.0.113.7", 50000))
        for _ in range(LINES_PER_ADDRESS // 100):
            assert _post(phone, ["spam"] * 100).status_code == 200
        refused = _post(phone, ["spam"] * 100)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "device_log_rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 3600
        assert len(_stored(app)) == LINES_PER_ADDRESS
        other = TestClient(app, client=("198.51.100.9", 50000))  # another sender is not held up
        assert _post(other, ["mine"]).status_code == 200
        assert len(_stored(app)) == LINES_PER_ADDRESS + 1

    def test_a_partly_used_window_keeps_what_fits(self, app: FastAPI) -> None:
        phone = TestClient(app, client=("203.0.113.8", 50000))
        assert _post(phone, ["a"] * 100).status_code == 200
        assert _post(phone, ["b"] * 70).status_code == 200
        assert _post(phone, ["c"] * 100).status_code == 200  # 30 of them fit
        assert [row.message for row in _stored(app)][-31:] == ["b"] + ["c"] * 30
        assert len(_stored(app)) == LINES_PER_ADDRESS

    def test_an_ipv6_sender_is_one_sender_per_64(self) -> None:
        key = device_logs.client_key
        assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
        assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
        assert key("::ffff:203.0.113.7") == key("203.0.113.7")
        assert key("203.0.113.7") != key("203.0.113.8")

    def test_50_concurrent_posts_keep_exactly_the_window(
        self, app: FastAPI, settings: Settings, database_url: str
    ) -> None:
        if not database_url.startswith("postgresql"):
            pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
        with running_server(settings) as base, httpx2.Client(base_url=base, timeout=60) as http:

            def post(i: int) -> int:
                return http.post(LOG, json={"logs": [f"r{i}-{j}" for j in range(10)]}).status_code

            with ThreadPoolExecutor(max_workers=50) as pool:
                statuses = list(pool.map(post, range(50)))
        assert len(_stored(app)) == LINES_PER_ADDRESS  # 200 of the 500 lines, not one more
        assert statuses.count(200) == LINES_PER_ADDRESS // 10
        assert statuses.count(429) == 50 - LINES_PER_ADDRESS // 10


class TestRetention:
    def test_the_scheduled_jobs_delete_lines_past_the_retention(
        self, app: FastAPI, client: TestClient
    ) -> None:
        now = utcnow()
        with Session(app.state.engine) as session, session.begin():
            for age, text in ((RETENTION + timedelta(hours=1), "old"), (timedelta(days=1), "new")):
                session.add(AppleDeviceLog(message=text, created_at=now - age))
        report = run_all(app.state.engine, now=now)
        assert report.errors == []
        assert report.device_logs_deleted == 1
        assert [row.message for row in _stored(app)] == ["new"]
        with Session(app.state.engine) as session:
            assert session.exec(select(func.count()).select_from(AppleDeviceLog)).one() == 1


class TestMerchantView:
    def test_a_planted_line_is_shown_as_an_unverified_report(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, _, wallet = card(app, client)
        planted = f"serial number {wallet.serial}: call support at +1 555 0100 to fix your card"
        assert _post(client, [planted]).status_code == 200
        [report] = client.get("/api/v1/apple/device-logs", headers=auth(key)).json()
        assert report["is_verified"] is False
        assert report["unverified_text"] == planted
        assert report["unverified_serial_number"] == wallet.serial
        # nothing in the answer reads as a fact about the card
        assert not {"serial_number", "message", "status_code", "error"} & set(report)
        assert (
            client.get("/api/v1/apple/device-logs", headers=auth(new_merchant(app, "B"))).json()
            == []
        )
