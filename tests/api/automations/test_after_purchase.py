"""The message after a purchase, on both databases: purchases within a minute make one message
with their total, on the member's channel (the card when installed, else email or SMS as a
service message unless the member withdrew those); nothing is lost or counted twice while
purchases and the sending job run at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.automations import tasks as automation_tasks
from api.automations.models import PurchaseMessagePending
from api.clock import utcnow
from api.google_wallet.models import GoogleObject
from api.members.models import Card, Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind, Message, Purpose
from api.settings import Settings
from tests.support.burst import at_once
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.server import running_server

pytestmark = pytest.mark.db


def program_with(client: TestClient, key: str, **automation: Any) -> dict[str, Any]:
    program = new_program(client, key, rules=POINTS_RULES)
    body = {"text": "+{earned} баллов, баланс {balance}", **automation}
    response = client.put(
        f"/api/v1/programs/{program['id']}/automations/after_purchase",
        json=body,
        headers=auth(key),
    )
    assert response.status_code == 200, response.text
    return program


def consent(
    app: FastAPI, member_id: str, channel: Channel, purpose: Purpose, granted: bool
) -> None:
    with Session(app.state.engine) as session, session.begin():
        member = session.get_one(Member, UUID(member_id))
        messaging_service.record_consent(
            session, member=member, channel=channel, purpose=purpose, is_granted=granted,
            source="api", now=utcnow(),
        )  # fmt: skip


def messages(app: FastAPI, member_id: str) -> list[Message]:
    with Session(app.state.engine) as session:
        rows = list(
            session.exec(
                select(Message)
                .where(Message.member_id == UUID(member_id))
                .order_by(Message.created_at)  # type: ignore[arg-type]
            ).all()
        )
        session.expunge_all()
    return rows


def send_due(app: FastAPI, after: float) -> int:
    now = datetime.now(UTC) + timedelta(seconds=after)
    return automation_tasks.send_purchase_messages(app.state.engine, now=now)


class TestCoalescing:
    def test_three_purchases_in_a_minute_make_one_message(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = program_with(client, key)
        member = enrol(client, key, program["id"], email="olga@example.com")["id"]
        for amount in ("100", "200", "300"):  # 5 + 10 + 15 points
            purchase(client, key, member, amount)
        assert send_due(app, after=30) == 0  # the minute is not over
        assert send_due(app, after=61) == 1
        assert send_due(app, after=61) == 0
        sent = messages(app, member)
        assert [(m.channel, m.kind, m.context["text"]) for m in sent] == [
            (Channel.email, Kind.service, "+30 баллов, баланс 30")
        ]
        purchase(client, key, member, "400")  # a new minute: a new message
        assert send_due(app, after=61) == 1
        assert [m.context["text"] for m in messages(app, member)][1] == "+20 баллов, баланс 50"

    def test_installed_card_gets_it_on_the_card(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = program_with(client, key)
        member = enrol(client, key, program["id"], email="olga@example.com")["id"]
        with Session(app.state.engine) as session, session.begin():
            card = session.exec(select(Card).where(Card.member_id == UUID(member))).one()
            session.add(GoogleObject(card_id=card.id, merchant_id=card.merchant_id,
                                     object_id="o.1", class_id="c.1", in_wallet=True))  # fmt: skip
        purchase(client, key, member, "200")
        assert send_due(app, after=61) == 1
        assert messages(app, member) == []
        with Session(app.state.engine) as session:
            text = session.exec(select(Card.message).where(Card.member_id == UUID(member))).one()
        assert text == "+10 баллов, баланс 10"

    def test_sms_when_no_email_and_nothing_once_withdrawn(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = program_with(client, key, channels=["wallet", "email", "sms"])
        texted = enrol(client, key, program["id"], phone="+79161110001")["id"]
        withdrawn = enrol(client, key, program["id"], phone="+79161110002")["id"]
        consent(app, withdrawn, Channel.sms, Purpose.service, granted=False)
        for member in (texted, withdrawn):
            purchase(client, key, member, "100")
        assert send_due(app, after=61) == 1
        assert [(m.channel, m.context["text"]) for m in messages(app, texted)] == [
            (Channel.sms, "+5 баллов, баланс 5")
        ]
        assert messages(app, withdrawn) == []

    def test_off_means_nothing_pending(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = program_with(client, key, enabled=False)
        member = enrol(client, key, program["id"], email="olga@example.com")["id"]
        purchase(client, key, member, "100")
        with Session(app.state.engine) as session:
            assert session.exec(select(PurchaseMessagePending)).all() == []
        assert send_due(app, after=61) == 0


class TestConcurrency:
    def test_purchases_and_the_job_at_once_lose_and_double_nothing(
        self, app: FastAPI, client: TestClient, settings: Settings
    ) -> None:
        """48 purchases over 4 members arrive at once while the job keeps sending whatever is
        due: every member's messages together carry exactly the points its purchases earned."""
        key = new_merchant(app)
        program = new_program(
            client, key, rules={"currency": "RUB", "earn": {"points": 1, "per_amount": "1"}}
        )
        client.put(f"/api/v1/programs/{program['id']}/automations/after_purchase",
                   json={"text": "{earned}"}, headers=auth(key))  # fmt: skip
        members = [
            enrol(client, key, program["id"], phone=f"+7916222{i:04d}", email=f"m{i}@example.com")[
                "id"
            ]
            for i in range(4)
        ]
        amounts = {m: [10 + i + 4 * j for j in range(12)] for i, m in enumerate(members)}
        calls = [
            (
                lambda http, m=m, a=a: http.post(
                    f"/api/v1/members/{m}/transactions",
                    json={"kind": "purchase", "amount": f"{a}.00", "currency": "RUB"},
                    headers=auth(key),
                )
            )  # fmt: skip
            for m in members
            for a in amounts[m]
        ]
        stop = threading.Event()

        def job() -> None:
            while not stop.is_set():
                send_due(app, after=3600)  # everything pending is due

        runner = threading.Thread(target=job)
        with running_server(settings) as base:
            runner.start()
            try:
                responses = at_once(base, calls)
            finally:
                stop.set()
                runner.join()
        assert [r.status_code for r in responses] == [201] * len(calls), [
            r.text for r in responses if r.status_code != 201
        ]
        send_due(app, after=3600)
        for member in members:
            sent = messages(app, member)
            assert sum(int(m.context["text"]) for m in sent) == sum(amounts[member])
            assert len({m.idempotency_key for m in sent}) == len(sent)
        with Session(app.state.engine) as session:
            assert session.exec(select(PurchaseMessagePending)).all() == []
