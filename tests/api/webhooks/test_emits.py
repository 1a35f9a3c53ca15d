"""Which changes emit which events: ``member.updated`` for every change of a member's profile
that the service can make (tags set or added on re-enrolment, a marketing consent withdrawn
by link or by an SMS STOP), once per real change; ``transaction.created`` for every
transaction that moves a balance (purchase, earn, redeem, adjust, a reward redemption, a
bonus: welcome, action, and points expiring), while a refund is ``transaction.refunded``
only. An import writes no per-row events (the job is in the audit log)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.ledger import tasks as ledger_tasks
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel
from api.webhooks.models import WebhookEvent
from tests.api.webhooks.receiver import Receiver, running_receiver
from tests.api.webhooks.test_webhooks import private_allowed, subscribe
from tests.support.factories import auth, enrol, new_merchant, new_program, transact

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("private_allowed")]
__all__ = ["private_allowed"]

RULES = {
    "currency": "RUB",
    "earn": {"points": 5, "per_amount": "100"},
    "bonuses": {"welcome_points": 50},
    "expiry": {"policy": "days", "days": 30},
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def shop(app: FastAPI, client: TestClient, receiver: Receiver) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES)
    subscribe(client, key, receiver)
    return {"key": key, "program": program}


def events(engine: Engine, type_: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.exec(
            select(WebhookEvent)
            .where(WebhookEvent.type == type_)
            .order_by(col(WebhookEvent.created_at), col(WebhookEvent.id))
        ).all()
    return [json.loads(row.body)["data"] for row in rows]


class TestMemberUpdated:
    def test_tags_set_and_added_on_re_enrolment_once_per_change(
        self, client: TestClient, engine: Engine, shop: dict[str, Any]
    ) -> None:
        key, program = shop["key"], shop["program"]
        member = enrol(client, key, program["id"], phone="+79161112233")
        assert events(engine, "member.updated") == []
        for tags in (["vip"], ["vip"]):  # the second changes nothing: no event
            client.put(f"/api/v1/members/{member['id']}/tags", json={"tags": tags},
                       headers=auth(key)).raise_for_status()  # fmt: skip
        enrol(client, key, program["id"], phone="+79161112233", tags=["coffee"])
        found = events(engine, "member.updated")
        assert [(e["changed"], e["tags"]) for e in found] == [
            (["tags"], ["vip"]), (["tags"], ["coffee", "vip"])
        ]  # fmt: skip
        assert {e["member_id"] for e in found} == {member["id"]}
        assert {e["program_id"] for e in found} == {program["id"]}

    def test_a_withdrawn_marketing_consent(
        self, client: TestClient, engine: Engine, shop: dict[str, Any]
    ) -> None:
        member = enrol(client, shop["key"], shop["program"]["id"], phone="+79161112234",
                       email="a@example.com")  # fmt: skip
        with Session(engine) as session, session.begin():
            row = session.get_one(Member, UUID(member["id"]))
            messaging_service.withdraw_marketing(
                session, row, Channel.email, source="unsubscribe_link", now=utcnow()
            )
            messaging_service.withdraw_sms_marketing(session, row, now=utcnow())
        found = events(engine, "member.updated")
        assert [e["changed"] for e in found] == [["consent"], ["consent"]]
        assert [(e["consent"]["channel"], e["consent"]["is_granted"]) for e in found] == [
            ("email", False), ("sms", False)
        ]  # fmt: skip


class TestTransactionCreated:
    def test_every_kind_that_moves_a_balance_and_a_refund_apart(
        self, client: TestClient, engine: Engine, shop: dict[str, Any]
    ) -> None:
        key, program = shop["key"], shop["program"]
        reward = client.post(
            f"/api/v1/programs/{program['id']}/rewards",
            json={"name": "Tea", "cost_points": 10},
            headers=auth(key),
        ).json()
        client.post(
            f"/api/v1/programs/{program['id']}/actions",
            json={"kind": "review", "points": 15},
            headers=auth(key),
        ).raise_for_status()
        member = enrol(client, key, program["id"])  # the welcome bonus
        bought = transact(client, key, member["id"], kind="purchase", amount="1000", currency="RUB")
        transact(client, key, member["id"], kind="earn", points=20, reason="event")
        transact(client, key, member["id"], kind="redeem", points=5, reason="spent")
        transact(client, key, member["id"], kind="adjust", points=-3, reason="fix")
        transact(client, key, member["id"], kind="redeem_reward", reward_id=reward["id"])
        client.post(
            f"/api/v1/members/{member['id']}/actions",
            json={"kind": "review", "reference": "review-1"},
            headers=auth(key),
        ).raise_for_status()
        client.post(f"/api/v1/transactions/{bought['transaction']['id']}/refund",
                    json={"amount": "100"}, headers=auth(key)).raise_for_status()  # fmt: skip
        ledger_tasks.expire_points(engine, now=utcnow() + timedelta(days=40))

        kinds = [e["kind"] for e in events(engine, "transaction.created")]
        assert kinds == ["bonus", "purchase", "earn", "redeem", "adjust", "redeem_reward",
                         "bonus", "expiry"]  # fmt: skip
        refunded = events(engine, "transaction.refunded")
        assert [e["kind"] for e in refunded] == ["refund"]
        assert all(e["member_id"] == member["id"] for e in events(engine, "transaction.created"))
