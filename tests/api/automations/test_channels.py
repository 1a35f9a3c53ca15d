"""Automations over channels, on both databases: an installed card gets the text on the card,
a member whose card is not installed gets it by email or SMS where they consented, and one
with neither gets it on the card only; each once per occasion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.automations import tasks as automation_tasks
from api.clock import utcnow
from api.google_wallet.models import GoogleObject
from api.members.models import Card, Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind, Message, Purpose
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase

pytestmark = pytest.mark.db


def set_automation(client: TestClient, key: str, program: dict[str, Any], kind: str,
                   **body: Any) -> dict[str, Any]:  # fmt: skip
    response = client.put(
        f"/api/v1/programs/{program['id']}/automations/{kind}", json=body, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def grant(app: FastAPI, member_id: str, channel: Channel) -> None:
    with Session(app.state.engine) as session, session.begin():
        messaging_service.record_consent(
            session, member=session.get_one(Member, UUID(member_id)), channel=channel,
            purpose=Purpose.marketing, is_granted=True, source="api", now=utcnow(),
        )  # fmt: skip


def install(app: FastAPI, member_id: str) -> None:
    with Session(app.state.engine) as session, session.begin():
        card = session.exec(select(Card).where(Card.member_id == UUID(member_id))).one()
        session.add(GoogleObject(card_id=card.id, merchant_id=card.merchant_id,
                                 object_id=f"o.{card.id.hex}", class_id="c.1",
                                 in_wallet=True))  # fmt: skip


def card_text(app: FastAPI, member_id: str) -> str | None:
    with Session(app.state.engine) as session:
        return session.exec(select(Card.message).where(Card.member_id == UUID(member_id))).one()


def sent(app: FastAPI, member_id: str) -> list[tuple[str, str, str]]:
    with Session(app.state.engine) as session:
        rows = session.exec(select(Message).where(Message.member_id == UUID(member_id))).all()
        return [(r.channel, r.kind, r.context["text"]) for r in rows]


class TestBirthday:
    def test_each_member_on_the_best_channel_once(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        shown = set_automation(client, key, program, "birthday", text="С днём рождения, {name}!")
        assert shown["channels"] == ["wallet", "web_push", "email", "sms"]
        today = datetime.now(UTC)
        born = today.date().replace(year=1990).isoformat()
        wallet = enrol(client, key, program["id"], name="Vera", phone="+79162220001",
                       email="vera@example.com", birthday=born)["id"]  # fmt: skip
        email = enrol(client, key, program["id"], name="Ella", phone="+79162220002",
                      email="ella@example.com", birthday=born)["id"]  # fmt: skip
        sms = enrol(client, key, program["id"], name="Semyon", phone="+79162220003",
                    birthday=born)["id"]  # fmt: skip
        nobody = enrol(client, key, program["id"], name="Nil", phone="+79162220004",
                       birthday=born)["id"]  # fmt: skip
        install(app, wallet)
        grant(app, wallet, Channel.email)
        grant(app, email, Channel.email)
        grant(app, email, Channel.sms)
        grant(app, sms, Channel.sms)
        assert automation_tasks.run_all(app.state.engine, now=today) == 4
        assert automation_tasks.run_all(app.state.engine, now=today) == 0
        assert card_text(app, wallet) == "С днём рождения, Vera!"
        assert sent(app, wallet) == []
        assert sent(app, email) == [("email", Kind.marketing, "С днём рождения, Ella!")]
        assert card_text(app, email) is None
        assert sent(app, sms) == [("sms", Kind.marketing, "С днём рождения, Semyon!")]
        assert card_text(app, nobody) == "С днём рождения, Nil!"  # on the card only
        assert sent(app, nobody) == []

    def test_channels_are_kept_in_order(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        shown = set_automation(client, key, program, "birthday", text="Hi", channels=["sms"])
        assert shown["channels"] == ["sms"]
        listed = client.get(
            f"/api/v1/programs/{program['id']}/automations", headers=auth(key)
        ).json()
        assert listed["items"][0]["channels"] == ["sms"]
        url = f"/api/v1/programs/{program['id']}/automations/birthday"
        bad = client.put(url, json={"text": "x", "channels": ["email", "email"]},
                         headers=auth(key))  # fmt: skip
        assert bad.status_code == 422


class TestTierUp:
    def test_by_email_when_the_card_is_not_installed(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key = new_merchant(app)
        program = new_program(client, key, design="florist")  # the design's tiers
        set_automation(client, key, program, "tier_up", text="Welcome to {tier}!")
        member = enrol(client, key, program["id"], email="t@example.com")["id"]
        grant(app, member, Channel.email)
        purchase(client, key, member, "16000")
        assert sent(app, member) == [("email", Kind.marketing, "Welcome to Bloom!")]
        assert card_text(app, member) is None
