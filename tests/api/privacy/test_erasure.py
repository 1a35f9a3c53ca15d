"""Erasure keeps the books and nothing personal: after ``POST /members/{id}/erase`` no text or
JSON column of any table holds the member's name, phone, email or birthday, while the
program's totals (points, transactions, amounts) are unchanged (both databases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, func, select
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, col

from api.actions.models import Feedback
from api.audit.models import AuditEntry
from api.ledger.models import LedgerEntry, Transaction
from api.members.models import Card, Member
from api.messaging.models import Channel, ChannelConsent, Kind, Message, Purpose
from api.outbox.models import OutboxEvent
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase

pytestmark = pytest.mark.db

NAME = "Evlampia Probe-Zaitseva"
PHONE = "+7 916 555-12-34"
EMAIL = "evlampia.probe@example.org"
BIRTHDAY = "1987-03-14"
EXTERNAL_ID = "POS-CUST-778811"  # the POS's customer id names the person there
ORIGINALS = [NAME.lower(), "+79165551234", "9165551234", EMAIL, BIRTHDAY, "14.03.1987",
             EXTERNAL_ID.lower()]  # fmt: skip


class Shop:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app, self.client = app, client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES)["id"]
        body = {"name": NAME, "phone": PHONE, "email": EMAIL, "birthday": BIRTHDAY,
                "home_latitude": 55.75, "home_longitude": 37.61, "tags": ["vip"],
                "external_id": EXTERNAL_ID}  # fmt: skip
        self.member = enrol(client, self.key, self.program, **body)["id"]
        self.other = enrol(client, self.key, self.program, name="Other Person",
                           phone="+7 916 000-00-01")["id"]  # fmt: skip
        for amount in ("450.00", "1200.00"):
            purchase(client, self.key, self.member, amount,
                     headers={"Idempotency-Key": f"k-{amount}"})  # fmt: skip
        purchase(client, self.key, self.other, "300.00")
        self._personal_rows()

    def _personal_rows(self) -> None:
        member_id = UUID(self.member)
        with Session(self.app.state.engine) as session, session.begin():
            member = session.get_one(Member, member_id)
            merchant, program = member.merchant_id, member.program_id
            card = session.scalars(select(Card).where(col(Card.member_id) == member_id)).one()
            tx = session.scalars(
                select(Transaction).where(col(Transaction.member_id) == member_id)
            ).first()
            assert tx is not None
            card.message = f"Happy birthday, {NAME}!"
            feedback = Feedback(
                merchant_id=merchant, program_id=program, member_id=member_id,
                transaction_id=tx.id, rating=5, comment=f"I am {NAME}, call me on {PHONE}",
            )  # fmt: skip
            message = Message(
                merchant_id=merchant, member_id=member_id, program_id=program,
                channel=Channel.email, kind=Kind.marketing, template="welcome", locale="en",
                recipient=EMAIL, context={"name": NAME, "birthday": BIRTHDAY},
                idempotency_key=f"welcome-{member_id}", next_attempt_at=datetime.now(UTC),
            )  # fmt: skip
            consent = ChannelConsent(
                merchant_id=merchant, member_id=member_id, channel=Channel.email,
                purpose=Purpose.marketing, is_granted=True, text_version="v1", source="api",
            )  # fmt: skip
            session.add_all([card, feedback, message, consent])

    def erase(self, key: str | None = None, member: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/members/{member or self.member}/erase",
            json={"reason": "the member asked by email"}, headers=auth(key or self.key),
        )  # fmt: skip


def totals(app: FastAPI) -> tuple[Any, ...]:
    with Session(app.state.engine) as session:
        entries = session.execute(select(func.count(), func.sum(LedgerEntry.amount))).one()
        txs = session.execute(
            select(func.count(), func.sum(Transaction.amount), func.sum(Transaction.points_earned))
        ).one()
        points = session.execute(select(func.sum(Member.points))).scalar_one()
    return (entries[0], int(entries[1]), txs[0], Decimal(txs[1]), int(txs[2]), int(points))


def _holds_text(kind: Any) -> bool:
    """A string or JSON column; a SQLModel ``str`` field's AutoString is a TypeDecorator over
    String (an isinstance check on the type alone misses every one of them)."""
    impl = kind.impl_instance if isinstance(kind, TypeDecorator) else kind
    return isinstance(impl, String | JSON)


def personal_hits(app: FastAPI) -> list[str]:
    """Every (table, column) whose text still holds one of the originals."""
    hits = []
    with Session(app.state.engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if _holds_text(c.type)]
            if not columns:
                continue
            for row in session.execute(select(*columns)).mappings():
                for column in columns:
                    value = row[column.name]
                    if value is None:
                        continue
                    text = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    hits += [f"{table.name}.{column.name}: {o}" for o in ORIGINALS
                             if o in text.lower()]  # fmt: skip
    return hits


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> Shop:
    return Shop(app, client)


class TestErasure:
    def test_no_personal_data_left_and_totals_unchanged(self, shop: Shop, app: FastAPI) -> None:
        assert personal_hits(app)  # the scan finds the originals before
        before = totals(app)
        response = shop.erase()
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Erased member"
        assert response.json()["voided_at"]
        assert personal_hits(app) == []
        assert totals(app) == before

    def test_other_members_untouched_and_card_voided(self, shop: Shop, app: FastAPI) -> None:
        assert shop.erase().status_code == 200
        with Session(app.state.engine) as session:
            other = session.get_one(Member, UUID(shop.other))
            assert (other.name, other.phone) == ("Other Person", "+79160000001")
            member = session.get_one(Member, UUID(shop.member))
            assert (member.phone, member.email, member.birthday) == (None, None, None)
            assert member.home_latitude is None
            assert member.points > 0
            card = session.scalars(select(Card).where(col(Card.member_id) == member.id)).one()
            assert card.voided_at is not None
            kinds = (
                session.execute(select(OutboxEvent.kind).where(OutboxEvent.card_id == card.id))
                .scalars()
                .all()
            )
            assert "erased" in kinds
            consents = session.execute(
                select(func.count()).where(col(ChannelConsent.member_id) == member.id)
            ).scalar_one()
            assert consents == 1  # the proof that consent was given stays
            entry = (
                session.execute(select(AuditEntry).where(col(AuditEntry.action) == "member.erased"))
                .scalars()
                .one()
            )
            assert entry.object_id == shop.member
            assert entry.before is not None
            assert len(entry.before["contact_sha256"]) == 64
            assert entry.after == {"reason": "the member asked by email", "voided": True}

    def test_erasing_twice_pushes_once(self, shop: Shop, app: FastAPI) -> None:
        assert shop.erase().status_code == 200
        assert shop.erase().status_code == 200
        with Session(app.state.engine) as session:
            kinds = session.execute(select(OutboxEvent.kind)).scalars().all()
            assert kinds.count("erased") == 1

    def test_unknown_member_and_missing_reason(self, shop: Shop, client: TestClient) -> None:
        response = shop.erase(member="00000000-0000-0000-0000-000000000000")
        assert response.status_code == 404
        assert response.json()["type"] == "member_not_found"
        response = client.post(f"/api/v1/members/{shop.member}/erase", json={},
                               headers=auth(shop.key))  # fmt: skip
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_another_merchant_cannot_erase(self, shop: Shop, app: FastAPI) -> None:
        theirs = new_merchant(app, "Other")
        assert shop.erase(key=theirs).status_code == 404
