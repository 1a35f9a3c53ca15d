"""Third-party Android wallet apps (Wallet Passes, Pass2U, Passworks) on Apple's web service:
scripted devices register with their own headers, get a push at their app's fake endpoint
after a purchase, list the updated serials and download the new pass, on both databases."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.apple_webservice import tasks as apple_tasks
from api.apple_webservice.android_wallets import (
    AndroidWalletSender,
    ClientKind,
    Endpoint,
    build_pushers,
    client_kind,
)
from api.apple_webservice.models import AppleDevice, ApplePush, AppleRegistration
from api.apple_webservice.pusher import ApplePusher
from api.clock import utcnow
from api.logs import redact_url
from api.main import create_app
from api.members.models import Card
from api.outbound import service as outbound_service
from api.settings import Settings
from passes import PushResult
from tests.api.apple_webservice.test_web_service import Wallet, card, points_on
from tests.conftest import make_settings
from tests.support.factories import auth, purchase
from tests.support.fake_android_wallets import FakeAndroidWallets

WP_TOKEN = "wp" + "1" * 40
P2U_TOKEN = "fcm:" + "2" * 60
PW_TOKEN = "pw" + "3" * 40
APNS_TOKEN = "ab" * 32


class AndroidDevice(Wallet):
    """A wallet app on an Android phone: Apple's protocol with the app's own headers."""

    def __init__(self, wallet: Wallet, library_id: str, app: ClientKind) -> None:
        self.__dict__.update(vars(wallet))
        self.library_id = library_id
        self.app = app

    @property
    def headers(self) -> dict[str, str]:
        if self.app is ClientKind.WALLET_PASSES:
            return {"Authorization": f"AndroidPass {self.token}",
                    "User-Agent": "WalletPasses/2.9.1 (Linux; U; Android 13; ru-RU)"}  # fmt: skip
        client = {ClientKind.PASS2U: "Passes", ClientKind.PASSWORKS: "Passworks"}.get(self.app)
        extra = {"X-Pass-Client": client} if client else {}
        return {"Authorization": f"ApplePass {self.token}", **extra}


@pytest.fixture(scope="module")
def fake_wallets() -> Iterator[FakeAndroidWallets]:
    with FakeAndroidWallets() as fake:
        yield fake


@pytest.fixture
def pushers(
    app: FastAPI, settings: Settings, fake_wallets: FakeAndroidWallets
) -> dict[str, ApplePusher]:
    fake_wallets.reset()
    configured = settings.model_copy(
        update={
            "walletpasses_push_url": fake_wallets.walletpasses_url,
            "walletpasses_api_key": SecretStr("wp-key"),
            "pass2u_push_url": fake_wallets.pass2u_url,
            "pass2u_api_key": SecretStr("p2u-key"),
            "passworks_push_url": fake_wallets.passworks_url,
            "passworks_api_key": SecretStr("pw-key"),
        }
    )
    topic = app.state.apple_wallet.pass_type_identifier
    return {p.client: p for p in build_pushers(app.state.engine, configured, topic)}


def device(
    app: FastAPI, client: TestClient, kind: ClientKind
) -> tuple[str, dict[str, Any], AndroidDevice]:
    key, member, wallet = card(app, client)
    return key, member, AndroidDevice(wallet, f"android-{kind}", kind)


def stored_clients(app: FastAPI) -> dict[str, str]:
    with Session(app.state.engine) as session:
        rows = session.exec(select(AppleDevice)).all()
        return {row.device_library_identifier: row.client for row in rows}


class TestScriptedDevices:
    @pytest.mark.parametrize(
        ("kind", "token", "key"),
        [
            (ClientKind.WALLET_PASSES, WP_TOKEN, "wp-key"),
            (ClientKind.PASS2U, P2U_TOKEN, "p2u-key"),
            (ClientKind.PASSWORKS, PW_TOKEN, "pw-key"),
        ],
    )
    def test_register_purchase_push_list_download(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        fake_wallets: FakeAndroidWallets, kind: ClientKind, token: str, key: str,
    ) -> None:  # fmt: skip
        merchant_key, member, phone = device(app, client, kind)
        with Session(app.state.engine) as session, session.begin():  # added a minute ago
            session.execute(
                update(Card)
                .where(col(Card.member_id) == UUID(member["id"]))
                .values(updated_at=utcnow() - timedelta(minutes=1))
            )
        first = phone.fetch()
        assert first.status_code == 200
        assert phone.register(token).status_code == 201
        assert phone.register(token).status_code == 200
        assert stored_clients(app) == {phone.library_id: str(kind)}
        tag = phone.updated().json()["lastUpdated"]

        purchase(client, merchant_key, member["id"], "2000")
        report = pushers[kind].run_once()
        assert report.delivered == 1
        [push] = fake_wallets.wait_for(1)
        assert (push.app, push.pass_type, push.tokens, push.key) == (
            str(kind), phone.pass_type, [token], key,
        )  # fmt: skip

        changed = phone.updated(tag)
        assert changed.json()["serialNumbers"] == [phone.serial]
        fresh = phone.fetch(since=first.headers["last-modified"])
        assert fresh.status_code == 200
        assert fresh.headers["content-type"] == "application/vnd.apple.pkpass"
        assert points_on(fresh.content) == points_on(first.content) + 100
        assert phone.fetch(since=fresh.headers["last-modified"]).status_code == 304

        delivery = client.get(
            f"/api/v1/members/{member['id']}/delivery", headers=auth(merchant_key)
        ).json()
        assert delivery["devices_by_client"] == {str(kind): 1}
        assert delivery["last_push_status"] == "delivered"
        assert delivery["is_current_on_devices"] is True
        assert phone.unregister().status_code == 200

    def test_apns_never_gets_an_android_token(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        fake_wallets: FakeAndroidWallets,
    ) -> None:  # fmt: skip
        merchant_key, member, phone = device(app, client, ClientKind.WALLET_PASSES)
        iphone = AndroidDevice(phone, "iphone-1", ClientKind.APPLE)
        assert phone.register(WP_TOKEN).status_code == 201
        assert iphone.register(APNS_TOKEN).status_code == 201
        sent: list[str] = []

        def apns(tokens: Sequence[str]) -> list[PushResult]:
            sent.extend(tokens)
            return [PushResult(t, 200) for t in tokens]

        purchase(client, merchant_key, member["id"], "2000")
        assert ApplePusher(app.state.engine, apns).run_once().delivered == 1
        assert sent == [APNS_TOKEN]
        assert pushers[ClientKind.WALLET_PASSES].run_once().delivered == 1
        assert fake_wallets.wait_for(1)[0].tokens == [WP_TOKEN]

        delivery = client.get(
            f"/api/v1/members/{member['id']}/delivery", headers=auth(merchant_key)
        ).json()
        assert delivery["devices_by_client"] == {"apple": 1, "walletpasses": 1}
        assert delivery["registered_devices"] == 2
        signed_in = client.post("/console/sign-in", data={"api_key": merchant_key},
                                follow_redirects=False)  # fmt: skip
        assert signed_in.status_code == 303
        page = client.get(f"/console/members/{member['id']}").text
        assert '<span id="devices-by-app">Apple Wallet 1, Wallet Passes 1</span>' in page


class TestIdentification:
    @pytest.mark.parametrize(
        ("authorization", "pass_client", "kind"),
        [
            ("ApplePass t", None, ClientKind.APPLE),
            ("AndroidPass t", None, ClientKind.WALLET_PASSES),
            ("ApplePass t", "Passes", ClientKind.PASS2U),
            ("ApplePass t", "passworks", ClientKind.PASSWORKS),
            ("ApplePass t", "SomethingElse/1.0", ClientKind.APPLE),
            ("ApplePass t", "", ClientKind.APPLE),
        ],
    )
    def test_client_kind(self, authorization: str, pass_client: str | None, kind: str) -> None:
        assert client_kind(authorization, pass_client) is kind

    def test_unknown_pass_client_registers_as_apple(self, app: FastAPI, client: TestClient) -> None:
        _, _, wallet = card(app, client)
        headers = {"Authorization": f"ApplePass {wallet.token}", "X-Pass-Client": "Koshelek"}
        assert wallet.register(WP_TOKEN, headers=headers).status_code == 400  # APNs: hex
        assert wallet.register(APNS_TOKEN, headers=headers).status_code == 201
        assert stored_clients(app) == {wallet.library_id: "apple"}

    @pytest.mark.parametrize("scheme", ["AndroidPass", "ApplePass"])
    def test_wrong_token_is_401_under_either_scheme(
        self, app: FastAPI, client: TestClient, scheme: str
    ) -> None:
        _, _, wallet = card(app, client)
        answer = wallet.register(WP_TOKEN, headers={"Authorization": f"{scheme} {'x' * 43}"})
        assert answer.status_code == 401
        assert wallet.register(WP_TOKEN, headers={"Authorization": f"Other {wallet.token}"}
                               ).status_code == 401  # fmt: skip
        assert stored_clients(app) == {}

    def test_registering_with_another_app_moves_the_device(
        self, app: FastAPI, client: TestClient
    ) -> None:
        _, _, wallet = card(app, client)
        phone = AndroidDevice(wallet, "same-phone", ClientKind.APPLE)
        assert phone.register(APNS_TOKEN).status_code == 201
        phone.app = ClientKind.PASS2U
        assert phone.register(APNS_TOKEN).status_code == 200
        assert stored_clients(app) == {"same-phone": "pass2u"}


class TestPushAnswers:
    def test_refused_key_blocks_only_that_app_and_keeps_the_push(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        fake_wallets: FakeAndroidWallets,
    ) -> None:  # fmt: skip
        merchant_key, member, phone = device(app, client, ClientKind.PASS2U)
        assert phone.register(P2U_TOKEN).status_code == 201
        fake_wallets.fail_next(1, 401)
        purchase(client, merchant_key, member["id"], "2000")
        pusher = pushers[ClientKind.PASS2U]
        report = pusher.run_once()
        assert (report.refused, report.delivered) == (1, 0)
        assert pusher.run_once().held is True
        assert pusher.has_work() is False
        with Session(app.state.engine) as session:
            [pending] = session.exec(select(ApplePush)).all()
            assert pending.stale_at is not None
            status = {s.name: s.state for s in outbound_service.status(session)}
        assert status["pass2u"] == "blocked"
        assert "apns" not in status
        assert pushers[ClientKind.WALLET_PASSES].may_send(pending.due_at) is True

        apple_tasks.retry_refused(app.state.engine, now=utcnow())  # loyalpass deliveries retry
        assert pusher.run_once().delivered == 1
        assert fake_wallets.wait_for(1)[0].tokens == [P2U_TOKEN]

    def test_outage_is_retried_then_delivered(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        fake_wallets: FakeAndroidWallets,
    ) -> None:  # fmt: skip
        merchant_key, member, phone = device(app, client, ClientKind.WALLET_PASSES)
        assert phone.register(WP_TOKEN).status_code == 201
        fake_wallets.fail_next(1, 503)
        purchase(client, merchant_key, member["id"], "2000")
        pusher = pushers[ClientKind.WALLET_PASSES]
        assert pusher.run_once().retried == 1
        with Session(app.state.engine) as session:
            due = session.exec(select(ApplePush)).one().due_at
        assert pusher.run_once(lambda: due).delivered == 1
        assert fake_wallets.wait_for(1)[0].tokens == [WP_TOKEN]

    def test_passworks_not_registered_removes_the_registration(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        fake_wallets: FakeAndroidWallets,
    ) -> None:  # fmt: skip
        merchant_key, member, phone = device(app, client, ClientKind.PASSWORKS)
        assert phone.register(PW_TOKEN).status_code == 201
        fake_wallets.unregistered.add(PW_TOKEN)
        purchase(client, merchant_key, member["id"], "2000")
        assert pushers[ClientKind.PASSWORKS].run_once().removed_registrations == 1
        with Session(app.state.engine) as session:
            assert session.exec(select(AppleRegistration)).all() == []

    def test_pass2u_and_passworks_need_a_key_wallet_passes_does_not(
        self, settings: Settings, app: FastAPI
    ) -> None:
        topic = app.state.apple_wallet.pass_type_identifier
        assert [p.client for p in build_pushers(app.state.engine, settings, topic)] == [
            "walletpasses"
        ]


class TestSender:
    @pytest.mark.parametrize(("kind", "limit"), [(ClientKind.PASS2U, 1000),
                                                 (ClientKind.WALLET_PASSES, 500)])  # fmt: skip
    def test_batches_stay_within_the_apps_limit(
        self, fake_wallets: FakeAndroidWallets, kind: ClientKind, limit: int
    ) -> None:
        fake_wallets.reset()
        url = {ClientKind.PASS2U: fake_wallets.pass2u_url,
               ClientKind.WALLET_PASSES: fake_wallets.walletpasses_url}[kind]  # fmt: skip
        key = {ClientKind.PASS2U: "p2u-key", ClientKind.WALLET_PASSES: None}[kind]
        sender = AndroidWalletSender(Endpoint(kind, url, key, limit), pass_type_identifier="p.t")
        tokens = [f"t{i}" for i in range(limit * 2 + 1)]
        results = sender.send(tokens)
        assert all(r.is_delivered for r in results)
        assert [len(p.tokens) for p in fake_wallets.pushes] == [limit, limit, 1]
        assert [t for p in fake_wallets.pushes for t in p.tokens] == tokens

    def test_unreachable_app_is_retryable(self) -> None:
        endpoint = Endpoint(ClientKind.WALLET_PASSES, "http://127.0.0.1:9/push", None, 10)
        [result] = AndroidWalletSender(endpoint, pass_type_identifier="p.t").send(["t"])
        assert result.is_retryable

    def test_fake_checks_what_the_app_checks(self, fake_wallets: FakeAndroidWallets) -> None:
        wrong = Endpoint(ClientKind.PASS2U, fake_wallets.pass2u_url, "nope", 10)
        [refused] = AndroidWalletSender(wrong, pass_type_identifier="p.t").send(["t"])
        assert refused.is_certificate_problem
        assert fake_wallets.handle("/pass2u/v2/registrations/p.t/push",
                                   {"x-api-key": "p2u-key", "Content-Type": "application/json"},
                                   b'{"registrationIds": []}')[0] == 400  # fmt: skip
        assert fake_wallets.handle("/walletpasses/api/v1/push", {},
                                   b'{"pushTokens": ["t"]}')[0] == 400  # fmt: skip


class TestPrivacy:
    def test_no_token_reaches_the_logs(
        self, app: FastAPI, client: TestClient, pushers: dict[str, ApplePusher],
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        caplog.set_level(logging.DEBUG)
        merchant_key, member, phone = device(app, client, ClientKind.WALLET_PASSES)
        assert phone.register(WP_TOKEN).status_code == 201
        purchase(client, merchant_key, member["id"], "2000")
        pushers[ClientKind.WALLET_PASSES].run_once()
        assert phone.fetch().status_code == 200
        ours = [r for r in caplog.records if r.name.startswith(("api", "uvicorn", "passes"))]
        assert ours  # the service did log (registration, push)
        text = " ".join(f"{r.getMessage()} {vars(r)}" for r in ours)
        assert WP_TOKEN not in text
        assert phone.token not in text
        assert "wp-key" not in text
        assert phone.library_id not in text
        path = f"/apple/v1/devices/{phone.library_id}/registrations/{phone.pass_type}"
        assert phone.library_id not in redact_url(path)  # what an access log line would hold


class TestInProcess:
    def test_the_services_own_pusher_reaches_wallet_passes_within_seconds(
        self, tmp_path: Path, pki_dir: Path, fake_wallets: FakeAndroidWallets
    ) -> None:
        """The lifespan starts a pusher per Android app (APNs off here): a purchase reaches a
        Wallet Passes device's app endpoint without anyone driving the pusher."""
        fake_wallets.reset()
        settings = make_settings(
            f"sqlite:///{tmp_path / 'android.db'}", pki_dir, apns_in_process=True,
            apns_enabled=False, walletpasses_push_url=fake_wallets.walletpasses_url,
        )  # fmt: skip
        with TestClient(create_app(settings)) as client:
            app: FastAPI = client.app  # type: ignore[assignment]
            merchant_key, member, phone = device(app, client, ClientKind.WALLET_PASSES)
            assert phone.register(WP_TOKEN).status_code == 201
            started = time.monotonic()
            purchase(client, merchant_key, member["id"], "2000")
            pushed = fake_wallets.wait_for(1, timeout=10)
            assert [p.tokens for p in pushed] == [[WP_TOKEN]]
            assert time.monotonic() - started < 5
            assert phone.updated().json()["serialNumbers"] == [phone.serial]
