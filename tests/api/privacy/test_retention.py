"""Retention: device log lines and old deliveries' addresses go after their days; a voided
card's registrations go once the device fetched the void pass (both databases)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.apple_webservice.models import AppleDevice, AppleDeviceLog, AppleRegistration
from api.clock import utcnow
from api.members.models import Card, Member
from api.messaging.models import Channel, Kind, Message, Status
from api.privacy.retention import EXPIRED, Retention, apply
from api.settings import Settings
from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db


def _message(member: Member, key: str, status: Status, age: timedelta) -> Message:
    when = utcnow() - age
    return Message(
        merchant_id=member.merchant_id, member_id=member.id, program_id=member.program_id,
        channel=Channel.email, kind=Kind.service, template="card_link", locale="en",
        recipient="anna@example.org", context={"name": "Anna"}, idempotency_key=key,
        status=status, next_attempt_at=when, created_at=when, updated_at=when,
    )  # fmt: skip


class TestRetention:
    def test_defaults_are_settings(self) -> None:
        settings = Settings(device_log_retention_days=3, delivery_log_retention_days=30)
        assert (settings.device_log_retention_days, settings.delivery_log_retention_days) == (
            3, 30,
        )  # fmt: skip
        assert Settings().device_log_retention_days == 14

    def test_old_rows_go_new_rows_stay(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)["id"]
        erased = UUID(enrol(client, key, program, phone="+7 916 000-00-01")["id"])
        kept = UUID(enrol(client, key, program, phone="+7 916 000-00-02")["id"])
        now = utcnow()
        with Session(app.state.engine) as session, session.begin():
            member = session.get_one(Member, kept)
            session.add_all([
                AppleDeviceLog(message="old", created_at=now - timedelta(days=4)),
                AppleDeviceLog(message="new", created_at=now - timedelta(days=1)),
                _message(member, "old-sent", Status.sent, timedelta(days=40)),
                _message(member, "old-queued", Status.queued, timedelta(days=40)),
                _message(member, "new-sent", Status.sent, timedelta(days=2)),
            ])  # fmt: skip
            device = AppleDevice(device_library_identifier="lib-1", push_token="push-1")
            other = AppleDevice(device_library_identifier="lib-2", push_token="push-2")
            session.add_all([device, other])
            session.flush()
            cards = {c.member_id: c for c in session.exec(select(Card)).all()}
            for owner, dev in ((erased, device), (kept, other)):
                session.add(
                    AppleRegistration(
                        merchant_id=cards[owner].merchant_id, device_id=dev.id,
                        card_id=cards[owner].id,
                    )
                )  # fmt: skip
        response = client.post(f"/api/v1/members/{erased}/erase", json={"reason": "asked"},
                               headers=auth(key))  # fmt: skip
        assert response.status_code == 200
        retention = Retention(device_log_days=3, delivery_log_days=30)
        with Session(app.state.engine) as session, session.begin():
            first = apply(session, retention, now=now)
        assert (first.device_logs, first.deliveries, first.registrations) == (1, 1, 0)
        with Session(app.state.engine) as session, session.begin():
            card = session.exec(select(Card).where(col(Card.member_id) == erased)).one()
            card.last_fetched_version = card.version  # the device fetched the void pass
        with Session(app.state.engine) as session, session.begin():
            second = apply(session, retention, now=now)
        assert (second.device_logs, second.deliveries) == (0, 0)
        assert (second.registrations, second.devices) == (1, 1)
        with Session(app.state.engine) as session:
            logs = session.exec(select(AppleDeviceLog.message)).all()
            assert logs == ["new"]
            messages = {m.idempotency_key: m for m in session.exec(select(Message)).all()}
            assert messages["old-sent"].recipient == EXPIRED
            assert messages["old-sent"].context == {}
            assert messages["old-queued"].recipient == "anna@example.org"
            assert messages["new-sent"].recipient == "anna@example.org"
            devices = session.exec(select(AppleDevice.device_library_identifier)).all()
            assert devices == ["lib-2"]
            assert len(session.exec(select(AppleRegistration)).all()) == 1
