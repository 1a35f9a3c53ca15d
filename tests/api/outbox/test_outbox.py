"""Marking a card changed (both databases): version, update tag, whole-second stamps, the
outbox row, and what a session that already loaded the card sees afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.members.models import Card
from api.outbox import service as outbox_service
from api.outbox.models import OutboxEvent
from tests.support.factories import auth, enrol, new_merchant, new_program, transact


def test_two_changes_in_one_second_get_two_versions_and_two_seconds(
    app: FastAPI, client: TestClient
) -> None:
    key = new_merchant(app)
    member_id = UUID(enrol(client, key, new_program(client, key)["id"])["id"])
    now = datetime(2031, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    with Session(app.state.engine) as session, session.begin():
        card = session.exec(select(Card).where(Card.member_id == member_id)).one()
        version, tag = card.version, card.update_tag
        first = outbox_service.mark_card_changed(session, member_id, kind="earn", now=now)
        second = outbox_service.mark_card_changed(
            session, member_id, kind="campaign", now=now, message="Hello"
        )
        assert (first, second) == (version + 1, version + 2)
        assert card.version == version + 2  # the loaded copy is not stale
        assert card.update_tag > tag
        assert card.updated_at.astimezone(UTC) == now.replace(microsecond=0) + timedelta(seconds=1)
        events = session.exec(
            select(OutboxEvent).where(OutboxEvent.card_id == card.id).order_by(col(OutboxEvent.id))
        ).all()
        assert [(e.kind, e.card_version, e.message) for e in events][-2:] == [
            ("earn", version + 1, None),
            ("campaign", version + 2, "Hello"),
        ]


def test_post_message_puts_the_text_on_the_cards_and_queues_them(
    app: FastAPI, client: TestClient
) -> None:
    key = new_merchant(app)
    program_id = new_program(client, key)["id"]
    a, b, c = (
        UUID(enrol(client, key, program_id, phone=f"+7 916 123-45-0{i}")["id"]) for i in range(3)
    )
    now = datetime(2031, 5, 2, 9, 0, tzinfo=UTC)
    with Session(app.state.engine) as session, session.begin():
        loaded = session.exec(select(Card).where(Card.member_id == a)).one()
        before = {m: _version(session, m) for m in (a, b, c)}
        assert outbox_service.post_message(session, [a], "Hi", kind="auto_birthday", now=now) == 1
        assert (loaded.message, loaded.message_quiet) == ("Hi", False)  # not stale either
        changed = outbox_service.post_message(
            session, [b, c], "Sale", kind="campaign", now=now, quiet_on_apple=[c]
        )
        assert changed == 2
        assert outbox_service.post_message(session, [a], "Tier", kind="x", now=now, queue=False)
        cards = {m: session.exec(select(Card).where(Card.member_id == m)).one() for m in (a, b, c)}
        assert [(cards[m].message, cards[m].message_quiet) for m in (a, b, c)] == [
            ("Tier", False),
            ("Sale", False),
            ("Sale", True),
        ]
        assert [cards[m].version - before[m] for m in (a, b, c)] == [1, 1, 1]
        kinds = session.exec(
            select(OutboxEvent.kind, OutboxEvent.message).where(
                col(OutboxEvent.card_id).in_([cards[m].id for m in (a, b, c)]),
                OutboxEvent.created_at == now,
            )
        ).all()
        assert sorted(kinds) == [
            ("auto_birthday", "Hi"),
            ("campaign", "Sale"),
            ("campaign", "Sale"),
        ]


def _version(session: Session, member_id: UUID) -> int:
    return session.exec(select(Card.version).where(Card.member_id == member_id)).one()


def test_a_purchase_is_one_card_change_however_much_it_changed(
    app: FastAPI, client: TestClient
) -> None:
    """A first purchase that pays the referral bonus, raises the tier and fires the tier
    automation bumps the card's version once and writes one outbox row, carrying the
    automation's text to the wallets."""
    key = new_merchant(app)
    rules = {
        "currency": "RUB",
        "tiers": {"metric": "spend", "levels": [{"name": "Silver", "threshold": "1000"}]},
        "bonuses": {"referee_points": 15, "referrer_points": 25},
    }
    program = new_program(client, key, rules=rules)
    response = client.put(
        f"/api/v1/programs/{program['id']}/automations/tier_up",
        json={"text": "Welcome to {tier}, {name}!"},
        headers=auth(key),
    )
    assert response.status_code == 200, response.text
    referrer = enrol(client, key, program["id"], phone="+79160000001")
    member = enrol(
        client, key, program["id"], phone="+79160000002", referral_code=referrer["referral_code"]
    )
    member_id = UUID(member["id"])
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == member_id)).one()
        version = card.version
        last_event = session.exec(select(func.max(OutboxEvent.id))).one() or 0

    result = transact(client, key, member["id"], kind="purchase", amount="1500", currency="RUB")

    assert result["tier"] == "Silver"
    assert [e["kind"] for e in result["entries"]] == ["earn", "bonus"]
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == member_id)).one()
        assert card.version == version + 1
        assert card.message == "Welcome to Silver, Anna Petrova!"
        events = session.exec(
            select(OutboxEvent).where(
                OutboxEvent.card_id == card.id, col(OutboxEvent.id) > last_event
            )
        ).all()
    assert [(e.kind, e.card_version, e.message) for e in events] == [
        ("purchase", version + 1, "Welcome to Silver, Anna Petrova!")
    ]
