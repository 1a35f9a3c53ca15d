"""Signed webhooks: endpoints, every event kind verified by the reference implementation,
retries until a failing receiver recovers, no event for a rolled-back change, SSRF refusals."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.jobs.service import run_all
from api.ledger.postings import Actor
from api.transactions import service as transaction_service
from api.transactions.schemas import PurchaseRequest
from api.webhooks import service as webhook_service
from api.webhooks.addresses import check_url
from api.webhooks.delivery import DISABLE_AFTER, RETRY_WINDOW
from api.webhooks.errors import WebhookUrlRefused
from api.webhooks.models import WebhookEndpoint, WebhookEvent
from api.webhooks.sender import WebhookSender, http_post
from tests.api.webhooks.receiver import Receiver, running_receiver
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, transact

pytestmark = pytest.mark.db

OTHER_KINDS = ("member.erased", "card.installed", "card.removed", "tier.changed",
               "campaign.finished")  # fmt: skip


@pytest.fixture
def private_allowed(app: FastAPI) -> Iterator[None]:
    """The operator allows private addresses (the test receiver listens on loopback)."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"webhooks_allow_private": True})
    yield
    app.state.settings = settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    return {"key": key, "program": program}


def sender(engine: Engine) -> WebhookSender:
    return WebhookSender(engine, require_https=False, allow_private=True)


def subscribe(client: TestClient, key: str, receiver: Receiver, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": receiver.url, **body}, headers=auth(key)
    )
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    receiver.secrets.append(endpoint["secret"])
    return endpoint


def merchant_id(engine: Engine) -> UUID:
    """The merchant of the (one) subscribed endpoint."""
    with Session(engine) as session:
        found: UUID | None = session.execute(select(col(WebhookEndpoint.merchant_id))).scalar()
    assert found is not None
    return found


class TestEndpoints:
    @pytest.mark.usefixtures("private_allowed")
    def test_the_secret_is_shown_once_and_rotation_keeps_both_valid(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        endpoint = subscribe(client, shop["key"], receiver)
        assert endpoint["secret"].startswith("whsec_")
        read = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(shop["key"])).json()
        assert "secret" not in read
        listed = client.get("/api/v1/webhooks", headers=auth(shop["key"])).json()
        assert listed["total"] == 1
        assert "secret" not in listed["items"][0]
        rotated = client.post(
            f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", json={}, headers=auth(shop["key"])
        ).json()
        assert rotated["secret"] != endpoint["secret"]
        assert rotated["rotation_ends_at"]
        # A receiver still holding only the old secret verifies during the rotation, and one
        # holding only the new secret too.
        receiver.secrets = [endpoint["secret"]]
        enrol(client, shop["key"], shop["program"]["id"])
        sender(engine).run_once()
        receiver.secrets = [rotated["secret"]]
        enrol(client, shop["key"], shop["program"]["id"], phone="+7 916 000-00-01")
        sender(engine).run_once()
        assert receiver.types == ["member.created", "member.created"]
        assert not receiver.refused

    @pytest.mark.parametrize(
        "url",
        ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x",
         "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "ftp://example.com/x"],
    )  # fmt: skip
    def test_a_private_address_is_refused(
        self, client: TestClient, shop: dict[str, Any], url: str
    ) -> None:
        response = client.post("/api/v1/webhooks", json={"url": url}, headers=auth(shop["key"]))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "webhook_url_refused"

    def test_https_is_required_in_production(self) -> None:
        with pytest.raises(WebhookUrlRefused):
            check_url("http://example.com/hook", require_https=True, allow_private=True)
        check_url("https://127.0.0.1/hook", require_https=True, allow_private=True)

    def test_an_unknown_event_type_is_a_validation_error(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        body = {"url": "https://example.com/x", "events": ["member.deleted"]}
        response = client.post("/api/v1/webhooks", json=body, headers=auth(shop["key"]))
        assert response.status_code == 422


@pytest.mark.usefixtures("private_allowed")
class TestDelivery:
    def test_every_event_kind_arrives_signed(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        key, program = shop["key"], shop["program"]
        subscribe(client, key, receiver)
        reward = client.post(
            f"/api/v1/programs/{program['id']}/rewards",
            json={"name": "Tea", "cost_points": 10},
            headers=auth(key),
        ).json()
        member = enrol(client, key, program["id"])
        client.put(
            f"/api/v1/members/{member['id']}/tags", json={"tags": ["vip"]}, headers=auth(key)
        ).raise_for_status()
        bought = transact(client, key, member["id"], kind="purchase", amount="1000", currency="RUB")
        coupon = transact(client, key, member["id"], kind="redeem_reward", reward_id=reward["id"])
        client.post(
            f"/api/v1/coupons/{coupon['coupon']['code']}/use", headers=auth(key)
        ).raise_for_status()
        client.post(
            f"/api/v1/transactions/{bought['transaction']['id']}/refund",
            json={"amount": "100"},
            headers=auth(key),
        ).raise_for_status()
        merchant = merchant_id(engine)
        with Session(engine) as session, session.begin():
            for kind in OTHER_KINDS:
                if kind == "member.erased":
                    webhook_service.member_erased(session, merchant, merchant)
                else:
                    webhook_service.enqueue(session, merchant, kind, {"x": 1})
        report = sender(engine).run_once()
        assert report.failed == 0
        assert not receiver.refused
        assert set(receiver.types) >= {
            "member.created", "member.updated", "transaction.created", "reward.redeemed",
            "coupon.used", "transaction.refunded", *OTHER_KINDS,
        }  # fmt: skip
        assert len(set(receiver.ids)) == len(receiver.ids)
        log = client.get(
            f"/api/v1/webhooks/{self._endpoint(client, key)}/deliveries", headers=auth(key)
        ).json()
        assert log["total"] == len(receiver.ids)
        assert all(row["status_code"] == 200 and row["is_success"] for row in log["items"])

    def test_the_events_filter_is_kept(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        subscribe(client, shop["key"], receiver, events=["transaction.created"])
        member = enrol(client, shop["key"], shop["program"]["id"])
        transact(client, shop["key"], member["id"], kind="purchase", amount="100", currency="RUB")
        sender(engine).run_once()
        assert receiver.types == ["transaction.created"]

    def test_a_failing_receiver_gets_everything_after_it_recovers(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        key = shop["key"]
        endpoint = subscribe(client, key, receiver)
        receiver.failing = True
        members = [
            enrol(client, key, shop["program"]["id"], phone=f"+7 916 000-00-0{i}") for i in range(3)
        ]
        loop, now = sender(engine), datetime.now(UTC)
        for hours in (0, 1, 6, 24):  # down for a day: every retry fails
            assert loop.run_once(now=now + timedelta(hours=hours)).delivered == 0
        read = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(key)).json()
        assert read["failing_since"]
        assert read["is_enabled"]
        receiver.failing = False
        loop.run_once(now=now + timedelta(days=2))
        assert receiver.types == ["member.created"] * 3
        assert [e["data"]["member_id"] for e in receiver.received] == [m["id"] for m in members]
        log = client.get(
            f"/api/v1/webhooks/{endpoint['id']}/deliveries?limit=200", headers=auth(key)
        ).json()
        failed = [row for row in log["items"] if not row["is_success"]]
        assert failed
        assert all(row["status_code"] == 503 for row in failed)
        assert failed[0]["response_excerpt"] == "down for maintenance"

    def test_past_the_window_an_event_is_dead_lettered_then_replayed(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        key = shop["key"]
        endpoint = subscribe(client, key, receiver)
        receiver.failing = True
        enrol(client, key, shop["program"]["id"])
        loop, now = sender(engine), datetime.now(UTC)
        loop.run_once(now=now)
        loop.run_once(now=now + RETRY_WINDOW)
        with Session(engine) as session:
            assert session.execute(select(col(WebhookEvent.status))).scalar_one() == "failed"
        receiver.failing = False
        loop.run_once(now=now + RETRY_WINDOW + timedelta(days=1))
        assert receiver.received == []  # dead letters wait for a replay
        replayed = client.post(
            f"/api/v1/webhooks/{endpoint['id']}/replay", json={}, headers=auth(key)
        ).json()
        assert replayed == {"replayed": 1}
        loop.run_once()
        assert receiver.types == ["member.created"]

    def test_an_endpoint_failing_for_days_is_disabled_with_a_notice(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        key = shop["key"]
        endpoint = subscribe(client, key, receiver)
        receiver.failing = True
        enrol(client, key, shop["program"]["id"])
        loop, now = sender(engine), datetime.now(UTC)
        loop.run_once(now=now)
        enrol(client, key, shop["program"]["id"], phone="+7 916 000-00-09")
        loop.run_once(now=now + DISABLE_AFTER)
        read = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=auth(key)).json()
        assert read["is_enabled"] is False
        assert read["disabled_reason"].startswith("failing")
        enabled = client.patch(
            f"/api/v1/webhooks/{endpoint['id']}", json={"is_enabled": True}, headers=auth(key)
        ).json()
        assert enabled["is_enabled"]
        assert enabled["failing_since"] is None

    @staticmethod
    def _endpoint(client: TestClient, key: str) -> str:
        listed = client.get("/api/v1/webhooks", headers=auth(key)).json()
        endpoint_id: str = listed["items"][0]["id"]
        return endpoint_id


class TestConnection:
    def test_the_connection_goes_to_the_vetted_address(self, receiver: Receiver) -> None:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://receiver.invalid:{port}/hooks"  # resolves nowhere: only the pin reaches it
        status, _ = http_post(url, {"content-type": "application/json"}, b"{}", "127.0.0.1")
        assert status == 401  # reached, and refused for want of a signature

    def test_a_redirect_is_an_answer_never_followed(self, receiver: Receiver) -> None:
        receiver.redirect_to = "http://169.254.169.254/latest/meta-data"
        status, _ = http_post(receiver.url, {}, b"{}", None)
        assert status == 307


@pytest.mark.usefixtures("private_allowed")
class TestRollback:
    def test_no_event_for_a_rolled_back_purchase(
        self, client: TestClient, shop: dict[str, Any], receiver: Receiver, engine: Engine
    ) -> None:
        key = shop["key"]
        subscribe(client, key, receiver)
        member = enrol(client, key, shop["program"]["id"])
        sender(engine).run_once()
        request = PurchaseRequest(kind="purchase", amount=Decimal("500"), currency="RUB")
        merchant = merchant_id(engine)
        with pytest.raises(RuntimeError, match="fails after"):
            purchase_then_fail(engine, merchant, UUID(member["id"]), request)
        sender(engine).run_once()
        assert receiver.types == ["member.created"]  # ...and gone with it


def purchase_then_fail(
    engine: Engine, merchant: UUID, member_id: UUID, request: PurchaseRequest
) -> None:
    """A purchase whose transaction fails after the event was written in it."""
    with Session(engine) as session, session.begin():
        transaction_service.record(
            session, merchant, member_id, request, actor=Actor("test"), now=datetime.now(UTC)
        )
        pending = session.execute(
            select(func.count())
            .select_from(WebhookEvent)
            .where(col(WebhookEvent.type) == "transaction.created")
        ).scalar_one()
        assert pending == 1  # written in the purchase's own transaction...
        raise RuntimeError("the purchase fails after the event was written")


@pytest.mark.usefixtures("private_allowed")
class TestChangePoints:
    """Events from the real flows whose setup the signature test leaves out."""

    def test_apple_install_and_removal_and_a_tier_change(
        self, app: FastAPI, client: TestClient, receiver: Receiver, engine: Engine
    ) -> None:
        key = new_merchant(app)
        rules = {**POINTS_RULES, "tiers": {"metric": "spend", "levels": [
            {"name": "Silver", "threshold": 0}, {"name": "Gold", "threshold": 500}]}}  # fmt: skip
        program = new_program(client, key, rules=rules)
        subscribe(client, key, receiver, events=["card.installed", "card.removed", "tier.changed"])
        member = enrol(client, key, program["id"])
        pkpass = client.get(member["apple_pass_url"]).content
        body = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
        url = (
            f"/apple/v1/devices/lib1/registrations/{body['passTypeIdentifier']}"
            f"/{body['serialNumber']}"
        )
        headers = {"Authorization": f"ApplePass {body['authenticationToken']}"}
        assert client.post(url, json={"pushToken": "a1" * 32}, headers=headers).status_code == 201
        transact(client, key, member["id"], kind="purchase", amount="1000", currency="RUB")
        assert client.delete(url, headers=headers).status_code == 200
        sender(engine).run_once()
        assert receiver.types == ["card.installed", "tier.changed", "card.removed"]
        assert receiver.received[1]["data"]["tier"] == "Gold"
        assert receiver.received[0]["data"]["wallet"] == "apple"

    def test_a_campaign_sent_to_everyone_is_finished(
        self, app: FastAPI, client: TestClient, receiver: Receiver, engine: Engine
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, rules=POINTS_RULES)
        subscribe(client, key, receiver, events=["campaign.finished"])
        enrol(client, key, program["id"])
        campaign = client.post(
            f"/api/v1/programs/{program['id']}/campaigns",
            json={"name": "Hello", "message": "Hi"},
            headers=auth(key),
        )
        assert campaign.status_code == 201, campaign.text
        assert run_all(engine, now=datetime.now(UTC)).errors == []
        sender(engine).run_once()
        assert receiver.types == ["campaign.finished"]
        assert receiver.received[0]["data"] == {
            "campaign_id": campaign.json()["id"],
            "recipients": 1,
        }
