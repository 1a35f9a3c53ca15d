"""Google Wallet end to end: the service, on SQLite and PostgreSQL, against the fake Google
(a real token endpoint and walletobjects API on loopback, see tests/support/fake_google.py).
The sync runs in the test (``google_in_process`` off) so each step can be checked."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.google_wallet.models import GoogleObject
from api.google_wallet.sync import GoogleSync
from api.outbox.models import OutboxEvent
from api.stores import service as store_service
from passes.google.savelink import MAX_URL_LENGTH, SAVE_URL
from tests.conftest import wipe
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.fake_google import FakeGoogle
from tests.support.server import google_fixtures

ISSUER = "3388000000012345678"


google, google_app, _, app = google_fixtures(ISSUER)  # client: its own, below


@pytest.fixture
def client(google_app: TestClient, google: FakeGoogle) -> Iterator[TestClient]:
    def into_the_service(url: str, body: bytes, headers: dict[str, str]) -> int:
        path = urlsplit(url).path
        return google_app.post(path, content=body, headers=headers).status_code

    google._callback_transport = into_the_service
    yield google_app
    wipe(google_app.app.state.engine)  # type: ignore[attr-defined]
    google.reset()


def sync(app: FastAPI) -> GoogleSync:
    syncer: GoogleSync = app.state.google_sync
    return syncer


def member_with_card(
    app: FastAPI, client: TestClient, **program: Any
) -> tuple[str, dict[str, Any]]:
    key = new_merchant(app)
    program.setdefault("rules", POINTS_RULES)
    if program["rules"] is None:  # the design's own rules
        del program["rules"]
    created = new_program(client, key, **program)
    return key, enrol(client, key, created["id"])


def card_id_of(app: FastAPI, member: dict[str, Any]) -> UUID:
    from api.members.models import Card

    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == UUID(member["id"]))).one()
    return card.id


def google_object(app: FastAPI, google: FakeGoogle, member: dict[str, Any]) -> dict[str, Any]:
    object_id = f"{ISSUER}.lp-card-{card_id_of(app, member).hex}"
    stored = google.get_object(object_id)
    assert stored is not None, f"{object_id} is not on Google"
    return stored


class TestEnrolment:
    def test_enrolment_inserts_the_class_and_the_object(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        _, member = member_with_card(app, client)
        report = sync(app).run_once()
        assert (report.cards, report.synced, report.failed) == (1, 1, 0)
        stored = google_object(app, google, member)
        assert stored["accountId"] == member["serial_number"]
        assert stored["accountName"] == "Anna Petrova"
        assert stored["barcode"]["value"] == member["serial_number"]
        assert stored["state"] == "ACTIVE"
        klass = google.get_class(stored["classId"])
        assert klass is not None
        assert klass["reviewStatus"] == "APPROVED"  # loyalty classes are approved on write
        assert klass["callbackOptions"]["url"] == "http://testserver/google/v1/callbacks"
        logo = klass["programLogo"]["sourceUri"]["uri"]
        assert client.get(urlsplit(logo).path).headers["content-type"] == "image/png"
        assert google.errors == []

    def test_member_api_gives_the_save_link(self, app: FastAPI, client: TestClient) -> None:
        _, member = member_with_card(app, client)
        assert member["google_save_url"] == member["card_url"] + "/google"

    def test_nothing_pending_after_a_sync(self, app: FastAPI, client: TestClient) -> None:
        member_with_card(app, client)
        sync(app).run_once()
        assert not sync(app).has_work()
        assert sync(app).run_once().cards == 0


class TestSaveLink:
    def test_redirects_to_a_short_signed_link_that_google_accepts(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        _, member = member_with_card(app, client)
        response = client.get(member["google_save_url"], follow_redirects=False)
        assert response.status_code == 303
        url = response.headers["location"]
        assert url.startswith(SAVE_URL)
        assert len(url) < MAX_URL_LENGTH
        assert response.headers["cache-control"] == "no-store"
        # The object was inserted on the click (no sync ran), then the save marks it held.
        result = google.save(url.removeprefix(SAVE_URL))
        assert [c.status for c in result.callbacks] == [200]
        with Session(app.state.engine) as session:
            state = session.get_one(GoogleObject, card_id_of(app, member))
        assert state.in_wallet
        assert state.saved_at is not None

    def test_google_down_at_click_is_a_clear_503(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        _, member = member_with_card(app, client)
        google.inject_error(503, times=50)
        response = client.get(member["google_save_url"], follow_redirects=False)
        assert response.status_code == 503
        assert response.json()["type"] == "google_unavailable"

    def test_unknown_card(self, client: TestClient) -> None:
        response = client.get("/cards/" + "x" * 32 + "/google", follow_redirects=False)
        assert response.status_code == 404


class TestBalanceUpdates:
    def test_purchase_patches_the_balance_with_a_notification(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        purchase(client, key, member["id"], "300")
        report = sync(app).run_once()
        assert (report.synced, report.notified) == (1, 1)
        stored = google_object(app, google, member)
        assert stored["loyaltyPoints"]["balance"] == {"int": 15}
        assert [n.kind for n in google.notifications(stored["id"])] == ["update"]

    def test_a_burst_of_changes_is_one_patch(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        before = len(google.api_requests)
        for _ in range(5):
            purchase(client, key, member["id"], "100")
        sync(app).run_once()
        patches = [r for r in google.api_requests[before:] if r.method == "PATCH"]
        assert len(patches) == 1
        assert google_object(app, google, member)["loyaltyPoints"]["balance"] == {"int": 25}

    def test_fourth_notifying_change_in_a_day_goes_out_silently(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        notified = []
        for _ in range(4):
            purchase(client, key, member["id"], "100")
            notified.append(sync(app).run_once().notified)
        assert notified == [1, 1, 1, 0]
        stored = google_object(app, google, member)
        assert stored["loyaltyPoints"]["balance"] == {"int": 20}
        assert len(google.notifications(stored["id"])) == 3
        assert google.notification_quota_left(stored["id"]) == 0

    def test_budget_comes_back_after_24_hours(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        syncer = sync(app)
        syncer.run_once()
        for _ in range(3):
            purchase(client, key, member["id"], "100")
            syncer.run_once()
        later = utcnow() + timedelta(hours=24, minutes=1)
        google.advance(24 * 3600 + 60)
        syncer.clock = lambda: later
        try:
            purchase(client, key, member["id"], "100")
            assert syncer.run_once().notified == 1
        finally:
            syncer.clock = utcnow
            google.advance(-(24 * 3600 + 60))

    def test_when_google_counted_more_the_update_still_goes_out(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        google.inject_error(429, "quotaExceeded", match="PATCH /walletobjects")
        purchase(client, key, member["id"], "100")
        report = sync(app).run_once()
        assert (report.synced, report.notified) == (1, 0)
        assert google_object(app, google, member)["loyaltyPoints"]["balance"] == {"int": 5}

    def test_bonus_message_carries_the_notification(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        response = client.post(
            f"/api/v1/members/{member['id']}/transactions",
            json={"kind": "earn", "points": 40, "reason": "Thank you for the review!"},
            headers=auth(key),
        )
        assert response.status_code == 201, response.text
        report = sync(app).run_once()
        stored = google_object(app, google, member)
        assert stored["loyaltyPoints"]["balance"] == {"int": 40}
        assert report.notified == 1

    def test_messages_are_kept_to_ten_with_ids_and_an_end(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        from api.ledger import service as ledger_service
        from api.ledger.postings import Actor
        from api.members.models import Member
        from api.programs.models import Program
        from api.programs.rules import rules_of

        key, member = member_with_card(app, client)
        sync(app).run_once()
        for index in range(12):
            with Session(app.state.engine) as session, session.begin():
                row = session.get_one(Member, UUID(member["id"]))
                program = session.get_one(Program, row.program_id)
                ledger_service.grant_bonus(
                    session, row, rules_of(program), points=1,
                    reason=f"bonus {index}", actor=Actor("test"), now=utcnow(),
                )  # fmt: skip
            sync(app).run_once()
        stored = google_object(app, google, member)
        messages = stored["messages"]
        assert len(messages) == 10
        assert messages[-1]["body"] == "bonus 11"
        assert all(m["id"].startswith("lp-") and m["displayInterval"]["end"] for m in messages)
        assert len(google.notifications(stored["id"])) == 3


class TestOperatorView:
    def test_delivery_shows_the_google_object(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        url = f"/api/v1/members/{member['id']}/delivery"
        assert client.get(url, headers=auth(key)).json()["google"] is None  # not synced yet
        sync(app).run_once()
        purchase(client, key, member["id"], "100")
        sync(app).run_once()
        google_state = client.get(url, headers=auth(key)).json()["google"]
        assert google_state["is_current"] is True
        assert google_state["in_wallet"] is False
        assert google_state["notifications_left_today"] == 2
        assert google_state["last_error"] is None


class TestFailures:
    def test_token_expiry_is_refreshed(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        google.expire_all_tokens()
        purchase(client, key, member["id"], "100")
        assert sync(app).run_once().synced == 1
        assert google_object(app, google, member)["loyaltyPoints"]["balance"] == {"int": 5}

    def test_google_down_keeps_the_change_and_retries_later(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        syncer = sync(app)
        syncer.run_once()
        google.inject_error(503, times=5)  # the first try and all four retries
        purchase(client, key, member["id"], "100")
        assert syncer.run_once().failed == 1
        with Session(app.state.engine) as session:
            state = session.get_one(GoogleObject, card_id_of(app, member))
            pending = session.exec(
                select(OutboxEvent).where(col(OutboxEvent.google_done_at).is_(None))
            ).all()
        assert state.failures == 1
        assert state.retry_at is not None
        assert state.last_error is not None
        assert state.last_error.startswith("503")
        assert len(pending) == 1
        assert syncer.run_once().cards == 0  # waiting to retry
        later = utcnow() + timedelta(minutes=2)
        syncer.clock = lambda: later
        try:
            assert syncer.run_once().synced == 1
        finally:
            syncer.clock = utcnow
        assert google_object(app, google, member)["loyaltyPoints"]["balance"] == {"int": 5}

    def test_class_writes_never_send_approved(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        key, member = member_with_card(app, client)
        sync(app).run_once()
        with Session(app.state.engine) as session, session.begin():
            merchant_id = session.get_one(GoogleObject, card_id_of(app, member)).merchant_id
            store_service.add_store(
                session, merchant_id, name="Arbat", latitude=55.75, longitude=37.59
            )
        purchase(client, key, member["id"], "100")
        sync(app).run_once()
        class_writes = [
            r for r in google.api_requests if "loyaltyClass" in r.path and r.method != "GET"
        ]
        assert len(class_writes) >= 2  # inserted, then patched for the new store
        assert all(r.body["reviewStatus"] == "UNDER_REVIEW" for r in class_writes)
        klass = google.get_class(google_object(app, google, member)["classId"])
        assert klass is not None
        assert klass["merchantLocations"] == [{"latitude": 55.75, "longitude": 37.59}]


class TestCallbacks:
    def saved(self, app: FastAPI, client: TestClient, google: FakeGoogle) -> tuple[str, Any]:
        _, member = member_with_card(app, client)
        location = client.get(member["google_save_url"], follow_redirects=False)
        result = google.save(location.headers["location"].removeprefix(SAVE_URL))
        return result.object_ids[0], result.callbacks[0]

    def in_wallet(self, app: FastAPI, object_id: str) -> bool:
        with Session(app.state.engine) as session:
            state = session.exec(
                select(GoogleObject).where(GoogleObject.object_id == object_id)
            ).one()
        return state.in_wallet

    def test_save_then_delete(self, app: FastAPI, client: TestClient, google: FakeGoogle) -> None:
        object_id, delivery = self.saved(app, client, google)
        assert delivery.status == 200
        assert self.in_wallet(app, object_id)
        removed = google.delete_from_wallet(object_id)
        assert removed is not None
        assert removed.status == 200
        assert not self.in_wallet(app, object_id)

    def test_replayed_nonce_is_acknowledged_and_ignored(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        object_id, save = self.saved(app, client, google)
        google.delete_from_wallet(object_id)
        replay = google.redeliver(save)
        assert replay.status == 200
        assert not self.in_wallet(app, object_id)  # the old "save" did not act again

    @pytest.mark.parametrize("tamper", ["message", "signature", "key_signature", "signed_key"])
    def test_bad_signatures_are_rejected(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, tamper: str
    ) -> None:
        object_id, _ = self.saved(app, client, google)
        body = google.build_callback(object_id, "del", tamper=tamper)
        response = client.post("/google/v1/callbacks", json=body)
        assert response.status_code == 400
        assert response.json()["type"] == "callback_rejected"
        assert self.in_wallet(app, object_id)

    def test_expired_message_is_rejected(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        object_id, _ = self.saved(app, client, google)
        body = google.build_callback(object_id, "del", exp_offset_ms=-1000)
        response = client.post("/google/v1/callbacks", json=body)
        assert response.status_code == 400
        assert "expired" in response.json()["detail"]

    def test_unknown_root_key_is_rejected(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        object_id, _ = self.saved(app, client, google)
        body = google.build_callback(object_id, "del", unknown_root=True)
        assert client.post("/google/v1/callbacks", json=body).status_code == 400

    def test_garbage_is_a_400_not_a_500(self, client: TestClient) -> None:
        for body in ({}, {"protocolVersion": "ECv2SigningOnly"}, {"signedMessage": 5}):
            response = client.post("/google/v1/callbacks", json=body)
            assert response.status_code == 400, body


class TestSameCardOnBothWallets:
    def test_field_by_field(self, app: FastAPI, client: TestClient, google: FakeGoogle) -> None:
        key, member = member_with_card(app, client, design="florist", rules=None)
        purchase(client, key, member["id"], "16000")  # welcome bonus, points and a new tier
        sync(app).run_once()
        stored = google_object(app, google, member)
        klass = google.get_class(stored["classId"])
        assert klass is not None
        pass_json = pkpass_json(client.get(member["apple_pass_url"]).content)

        assert stored["accountId"] == pass_json["serialNumber"]
        assert stored["barcode"]["value"] == pass_json["barcodes"][0]["message"]
        assert stored["barcode"]["type"] == pass_json["barcodes"][0]["format"].removeprefix(
            "PKBarcodeFormat"
        ).upper().replace("PDF417", "PDF_417").replace("QR", "QR_CODE")
        assert klass["issuerName"] == pass_json["organizationName"]
        assert klass["hexBackgroundColor"].lower() == rgb_to_hex(pass_json["backgroundColor"])
        fields = {
            f["key"]: f
            for kind in (
                "headerFields",
                "primaryFields",
                "secondaryFields",
                "auxiliaryFields",
                "backFields",
            )  # fmt: skip
            for f in pass_json["storeCard"].get(kind, [])
        }
        primary = pass_json["storeCard"]["primaryFields"][0]
        balance = stored["loyaltyPoints"]["balance"]
        assert str(next(iter(balance.values()))) == str(primary["value"])
        assert stored["loyaltyPoints"]["label"] == primary["label"]
        shown = {m["id"] for m in stored["textModulesData"]}
        assert shown == set(fields) - {primary["key"]}
        for module in stored["textModulesData"]:
            field = fields[module["id"]]
            assert module["header"] == field["label"]
            if "dateStyle" in field:  # Wallet formats a date for the phone's locale
                assert str(field["value"]).startswith(module["body"])
            else:
                assert module["body"] == str(field["value"])
        assert member_balance(client, key, member) == 900
        tier = [f for f in fields.values() if f["value"] == "Bloom"]
        assert tier, "the Apple pass shows the tier"
        assert stored["secondaryLoyaltyPoints"]["balance"] == {"string": "Bloom"}


def pkpass_json(data: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        result: dict[str, Any] = json.loads(archive.read("pass.json"))
    return result


def rgb_to_hex(rgb: str) -> str:
    parts = [int(p) for p in rgb.removeprefix("rgb(").removesuffix(")").split(",")]
    return "#" + "".join(f"{p:02x}" for p in parts)


def member_balance(client: TestClient, key: str, member: dict[str, Any]) -> int:
    balance: int = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()[
        "balance"
    ]
    return balance
