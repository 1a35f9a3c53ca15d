"""Marking a card changed (both databases): version, update tag, whole-second stamps, the
outbox row, and what a session that already loaded the card sees afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.members.models import Card
from api.outbox import service as outbox_service
from api.outbox.models import OutboxEvent
from tests.api.factories import enrol, new_merchant, new_program


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
