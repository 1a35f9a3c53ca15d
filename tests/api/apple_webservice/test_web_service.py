"""Apple's pass-update web service and the push pipeline, driven as Wallet drives them, with
pushes going to a real HTTP/2 TLS fake of APNs."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.apple_webservice.models import ApplePush, AppleRegistration
from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.clock import utcnow
from api.members.models import Card
from api.settings import Settings
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.fake_apns import FakeApns

PREFIX = "/apple/v1"
TOKEN_A = "a1" * 32
TOKEN_B = "b2" * 32


@pytest.fixture(scope="module")
def fake_apns(pki_dir: Path) -> Iterator[FakeApns]:
    from api.settings import DEV_PASS_TYPE_ID

    with FakeApns(topic=DEV_PASS_TYPE_ID, client_ca_file=pki_dir / "apple" / "root-ca.pem") as fake:
        yield fake


@pytest.fixture
def pusher(app: FastAPI, settings: Settings, fake_apns: FakeApns) -> Iterator[ApplePusher]:
    fake_apns.reset()
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield ApplePusher(app.state.engine, sender.send, batch_size=50)
    sender.close()


class Wallet:
    """What an iPhone's Wallet knows about one pass after adding it."""

    def __init__(self, client: TestClient, pkpass: bytes, library_id: str = "devicelib1") -> None:
        body = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
        self.client = client
        self.body = body
        self.serial = body["serialNumber"]
        self.pass_type = body["passTypeIdentifier"]
        self.token = body["authenticationToken"]
        self.library_id = library_id
        assert body["webServiceURL"] == "http://testserver/apple"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApplePass {self.token}"}

    def register(self, push_token: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"{PREFIX}/devices/{self.library_id}/registrations/{self.pass_type}/{self.serial}",
            json={"pushToken": push_token},
            headers=self.headers if headers is None else headers,
        )

    def updated(self, since: str | None = None) -> Any:
        params = {"passesUpdatedSince": since} if since is not None else {}
        return self.client.get(
            f"{PREFIX}/devices/{self.library_id}/registrations/{self.pass_type}", params=params
        )

    def fetch(self, since: str | None = None, method: str = "GET") -> Any:
        headers = dict(self.headers)
        if since:
            headers["If-Modified-Since"] = since
        return self.client.request(
            method, f"{PREFIX}/passes/{self.pass_type}/{self.serial}", headers=headers
        )

    def unregister(self) -> Any:
        return self.client.delete(
            f"{PREFIX}/devices/{self.library_id}/registrations/{self.pass_type}/{self.serial}",
            headers=self.headers,
        )


def card(app: FastAPI, client: TestClient, **program: Any) -> tuple[str, dict[str, Any], Wallet]:
    key = new_merchant(app)
    created = new_program(client, key, rules=POINTS_RULES, design="florist", **program)
    member = enrol(client, key, created["id"])
    return key, member, Wallet(client, client.get(member["apple_pass_url"]).content)


def points_on(pkpass: bytes) -> int:
    body = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    return int(body["storeCard"]["primaryFields"][0]["value"])


class TestScriptedDevice:
    def test_add_register_purchase_push_fetch_unregister(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        root_ca: Path,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        with Session(app.state.engine) as session, session.begin():  # added a minute ago
            session.execute(
                update(Card)
                .where(col(Card.member_id) == UUID(member["id"]))
                .values(updated_at=utcnow() - timedelta(minutes=1))
            )
        first = client.get(member["apple_pass_url"])
        assert wallet.register(TOKEN_A).status_code == 201
        assert wallet.register(TOKEN_A).status_code == 200
        listed = wallet.updated()
        assert listed.status_code == 200
        assert listed.json()["serialNumbers"] == [wallet.serial]
        tag = listed.json()["lastUpdated"]
        assert isinstance(tag, str)
        assert wallet.updated(tag).status_code == 204

        purchase(client, key, member["id"], "2000")
        report = pusher.run_once()
        assert report.delivered == 1
        record = fake_apns.wait_for(1)[0]
        assert record.token == TOKEN_A
        assert record.topic == wallet.pass_type
        assert record.payload == b"{}"
        assert any("Pass Type ID" in s for s in fake_apns.client_subjects())

        changed = wallet.updated(tag)
        assert changed.json()["serialNumbers"] == [wallet.serial]
        assert int(changed.json()["lastUpdated"]) > int(tag)
        fresh = wallet.fetch(since=first.headers["last-modified"])
        assert fresh.status_code == 200
        assert fresh.headers["content-type"] == "application/vnd.apple.pkpass"
        assert points_on(fresh.content) == points_on(first.content) + 100
        assert wallet.fetch(since=fresh.headers["last-modified"]).status_code == 304
        head = wallet.fetch(method="HEAD")
        assert head.status_code == 200
        assert head.content == b""

        delivery = client.get(f"/api/v1/members/{member['id']}/delivery", headers=auth(key)).json()
        assert delivery["registered_devices"] == 1
        assert delivery["last_push_status"] == "delivered"
        assert delivery["is_current_on_devices"] is True

        assert wallet.unregister().status_code == 200
        assert wallet.updated().status_code == 204


class TestStatusCodes:
    def test_wrong_token_and_unknown_pass_look_the_same(
        self, app: FastAPI, client: TestClient
    ) -> None:
        _, _, wallet = card(app, client)
        wrong = wallet.register(TOKEN_A, headers={"Authorization": "ApplePass " + "x" * 43})
        missing = wallet.register(TOKEN_A, headers={})
        wallet.serial = "999999999999"
        unknown = wallet.register(TOKEN_A)
        assert wrong.status_code == missing.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        # the challenge names Wallet's own scheme (Authorization: ApplePass <token>)
        assert {r.headers["www-authenticate"] for r in (wrong, missing, unknown)} == {"ApplePass"}
        assert wallet.fetch().status_code == 401

    def test_other_pass_type_is_401(self, app: FastAPI, client: TestClient) -> None:
        _, _, wallet = card(app, client)
        wallet.pass_type = "pass.com.example.other"
        assert wallet.register(TOKEN_A).status_code == 401
        assert wallet.updated().status_code == 204

    @pytest.mark.parametrize(
        "body",
        [b"{", b'{"pushToken": 5}', b'{"pushToken": "not hex!"}', b"[]", b""],
    )
    def test_malformed_bodies_write_nothing(
        self, app: FastAPI, client: TestClient, body: bytes
    ) -> None:
        _, _, wallet = card(app, client)
        response = client.post(
            f"{PREFIX}/devices/{wallet.library_id}/registrations/{wallet.pass_type}/{wallet.serial}",
            content=body,
            headers={**wallet.headers, "Content-Type": "application/json"},
        )
        # Apple's clients expect 400 for a malformed body (not FastAPI's 422)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "malformed_wallet_request"
        with Session(app.state.engine) as session:
            assert session.exec(select(AppleRegistration)).all() == []

    @pytest.mark.parametrize("body", [b"{", b'{"logs": "x"}', b'{"logs": [1]}', b"[]"])
    def test_malformed_log_bodies_are_400(self, client: TestClient, body: bytes) -> None:
        response = client.post(
            f"{PREFIX}/log", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"

    def test_oversize_body_is_413(self, app: FastAPI, client: TestClient) -> None:
        _, _, wallet = card(app, client)
        response = client.post(
            f"{PREFIX}/devices/{wallet.library_id}/registrations/{wallet.pass_type}/{wallet.serial}",
            content=b'{"pushToken": "' + b"a" * 10_000 + b'"}',
            headers={**wallet.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 413

    @pytest.mark.parametrize("library_id", ["a" * 200, "dev%2F..%2Fx", "dev%20ice"])
    def test_absurd_path_values(self, app: FastAPI, client: TestClient, library_id: str) -> None:
        _, _, wallet = card(app, client)
        wallet.library_id = library_id
        assert 400 <= wallet.register(TOKEN_A).status_code < 500

    def test_register_again_updates_the_push_token(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        assert wallet.register(TOKEN_B).status_code == 200
        purchase(client, key, member["id"], "100")
        pusher.run_once()
        assert fake_apns.tokens_received() == [TOKEN_B]


class TestUpdateTags:
    def test_only_changed_passes_of_this_device(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        members = [enrol(client, key, program["id"], phone=f"+7916111000{i}") for i in range(3)]
        wallets = [Wallet(client, client.get(m["apple_pass_url"]).content) for m in members]
        for wallet in wallets[:2]:
            wallet.register(TOKEN_A)
        tag = wallets[0].updated().json()["lastUpdated"]
        purchase(client, key, members[1]["id"], "100")
        purchase(client, key, members[2]["id"], "100")  # not registered on this device
        changed = wallets[0].updated(tag).json()
        assert changed["serialNumbers"] == [wallets[1].serial]
        assert wallets[0].updated("garbage").json()["serialNumbers"] == sorted(
            w.serial for w in wallets[:2]
        )


class TestPushPipeline:
    def test_five_changes_make_one_push_per_device(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        Wallet(client, client.get(member["apple_pass_url"]).content, "devicelib2").register(TOKEN_B)
        for _ in range(5):
            purchase(client, key, member["id"], "100")
        report = pusher.run_once()
        assert report.events == 5
        assert sorted(fake_apns.tokens_received()) == [TOKEN_A, TOKEN_B]
        assert fake_apns.count() == 2

    @pytest.mark.parametrize(
        ("status", "reason"),
        [(410, "Unregistered"), (400, "BadDeviceToken"), (400, "DeviceTokenNotForTopic")],
    )
    def test_dead_tokens_remove_the_registration(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        status: int, reason: str,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, status, reason)
        purchase(client, key, member["id"], "100")
        report = pusher.run_once()
        assert report.removed_registrations == 1
        assert wallet.updated().status_code == 204

    def test_throttled_and_failed_pushes_are_retried_later(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 429, "TooManyRequests", times=1)
        purchase(client, key, member["id"], "100")
        assert pusher.run_once().retried == 1
        with Session(app.state.engine) as session:
            pending = session.exec(select(ApplePush)).one()
        assert pending.attempts == 1
        assert pending.due_at > utcnow()
        later = pusher.run_once(lambda: utcnow() + timedelta(hours=2))
        assert later.delivered == 1
        with Session(app.state.engine) as session:
            assert session.exec(select(ApplePush)).all() == []

    def test_a_change_during_an_in_flight_push_is_sent_again(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        purchase(client, key, member["id"], "100")
        pusher.fan_out(utcnow())
        original = pusher.send

        def send_then_change(tokens: list[str]) -> Any:
            results = original(tokens)
            purchase(client, key, member["id"], "100")  # arrives while the push is in flight
            pusher.fan_out(utcnow())
            return results

        pusher.send = send_then_change  # type: ignore[method-assign]
        pusher.send_due(utcnow())
        pusher.send = original  # type: ignore[method-assign]
        pusher.run_once()
        assert fake_apns.count(TOKEN_A) == 2

    def test_apns_down_loses_nothing(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 503, "ServiceUnavailable", times=3)
        purchase(client, key, member["id"], "100")
        moment = utcnow()
        for hours in range(5):
            pusher.run_once(lambda h=hours: moment + timedelta(hours=h))
        assert fake_apns.count(TOKEN_A, status=200) == 1


class TestDeviceLog:
    def test_logs_are_parsed_and_shown_to_their_merchant_only(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, _, wallet = card(app, client)
        line = (
            f"[2026-11-23 10:00:00 +0000] Get pass task (pass type {wallet.pass_type}, serial "
            f"number {wallet.serial}, if-modified-since (null); with web service url "
            "https://x/apple) encountered error: Unexpected response code 500"
        )
        response = client.post(f"{PREFIX}/log", json={"logs": [line, "something else"]})
        assert response.status_code == 200
        logs = client.get("/api/v1/apple/device-logs", headers=auth(key)).json()
        assert len(logs) == 1
        assert logs[0]["unverified_serial_number"] == wallet.serial
        assert logs[0]["unverified_status_code"] == 500
        assert logs[0]["is_verified"] is False
        other = new_merchant(app, "Other")
        assert client.get("/api/v1/apple/device-logs", headers=auth(other)).json() == []

    def test_too_many_lines_keeps_what_fits(self, client: TestClient) -> None:
        response = client.post(f"{PREFIX}/log", json={"logs": ["x"] * 101})
        assert response.status_code == 200
