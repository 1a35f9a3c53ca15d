"""The request id reaches the jobs: the rows a request writes (outbox rows, webhook events,
messages) carry its ``X-Request-ID``, the loops that handle them log with it, and the webhook
call and the Google calls made for them send it on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.apple_webservice import pushes
from api.clock import utcnow
from api.google_wallet.wallet import with_request_id
from api.logs import bound_request_id, request_id
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.channels import Outcome, SendResult, Sms
from api.messaging.links import DEVELOPMENT_SECRET
from api.messaging.mail import message_templates
from api.messaging.models import Channel, Kind, Message
from api.messaging.sender import MessageSender
from api.outbox.models import OutboxEvent
from api.webhooks.models import WebhookEvent
from api.webhooks.sender import WebhookSender, http_post
from tests.api.webhooks.receiver import Receiver, running_receiver
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, transact

pytestmark = pytest.mark.db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
RID = "abc123-purchase"  # the middleware keeps a client's id of 8 to 64 safe characters


@pytest.fixture
def receiver(app: FastAPI) -> Iterator[Receiver]:
    """A webhook receiver on loopback, which the operator allows for the test."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"webhooks_allow_private": True})
    with running_receiver() as receiver:
        yield receiver
    app.state.settings = settings


def test_a_purchase_s_request_id_reaches_the_outbox_the_webhook_and_the_pusher_log(
    app: FastAPI,
    client: TestClient,
    engine: Engine,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    response = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": ["transaction.created"]},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    receiver.secrets.append(response.json()["secret"])
    member = enrol(client, key, program["id"])
    transact(client, key, member["id"], kind="purchase", amount="1000", currency="RUB",
             headers={"X-Request-ID": RID})  # fmt: skip

    with Session(engine) as session:
        outbox = session.execute(
            select(col(OutboxEvent.card_id), col(OutboxEvent.request_id))
            .order_by(col(OutboxEvent.id).desc())
            .limit(1)
        ).one()
        events = session.execute(select(col(WebhookEvent.request_id))).scalars().all()
    assert outbox.request_id == RID
    assert events == [RID]

    sent: list[dict[str, str]] = []

    def post(url: str, head: dict[str, str], body: bytes, address: str | None) -> Any:
        sent.append(head)
        return http_post(url, head, body, address)

    report = WebhookSender(engine, require_https=False, allow_private=True, post=post).run_once()
    assert report.delivered == 1
    assert [head["X-Request-ID"] for head in sent] == [RID]
    assert receiver.types == ["transaction.created"]  # the signature still verifies
    assert not receiver.refused

    caplog.set_level(logging.DEBUG, logger="api.apple_webservice.pushes")
    with Session(engine) as session, session.begin():
        pushes.fan_out(session, now=utcnow())
    mine = [r for r in caplog.records if getattr(r, "card_id", None) == str(outbox.card_id)]
    assert mine, "the pusher logged nothing for the card"
    assert {getattr(r, "request_id", None) for r in mine} == {RID}


def test_a_request_without_an_id_gets_one_and_a_job_s_rows_have_none(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    enrol(client, key, program["id"])  # no X-Request-ID: the middleware makes one
    with Session(engine) as session:
        ids = session.execute(select(col(OutboxEvent.request_id))).scalars().all()
    assert len(ids) == 1
    assert ids[0] is not None
    assert len(ids[0]) == 32  # a fresh uuid4 hex
    outside = OutboxEvent(merchant_id=program["id"], card_id=program["id"], kind="x",
                          card_version=1)  # fmt: skip
    assert outside.request_id is None  # outside a request (a job's own row)


def test_the_google_calls_for_a_card_carry_its_request_id() -> None:
    calls: list[dict[str, Any]] = []

    class Recording:
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            calls.append(kwargs.get("headers") or {})

    session: Any = with_request_id(Recording())  # type: ignore[arg-type]
    session.request("PATCH", "https://walletobjects.example/x", json={})
    with bound_request_id(RID):
        session.request("PATCH", "https://walletobjects.example/x", json={})
        with bound_request_id(None):  # a row without one keeps the current id
            assert request_id.get() == RID
    assert request_id.get() is None
    assert calls == [{}, {"X-Request-ID": RID}]


@dataclass
class RecordingSms:
    """An SMS provider that notes the request id the sender logs with while sending."""

    name: str = "recording"
    supports_idempotency: bool = True
    seen: list[str | None] = field(default_factory=list)

    def send(self, sms: Sms) -> SendResult:
        self.seen.append(request_id.get())
        return SendResult(Outcome.sent, provider_id="1")

    def close(self) -> None:
        return None


def test_a_queued_message_keeps_its_request_id_and_is_sent_as_it(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, design="coffee")
    member_id = enrol(client, key, program["id"], name="Anna", phone="+79161234567")["id"]
    with Session(engine) as session, session.begin(), bound_request_id(RID):
        member = session.get(Member, UUID(member_id))
        assert member is not None
        assert messaging_service.enqueue(
            session, member=member, channel=Channel.sms, kind=Kind.service,
            template="card_link", locale="ru",
            context={"name": "Anna", "card_url": "https://cards.example/c/1"},
            idempotency_key="card-link:anna", now=utcnow(),
        )  # fmt: skip
    with Session(engine) as session:
        assert session.execute(select(col(Message.request_id))).scalars().all() == [RID]
    sms = RecordingSms()
    job = MessageSender(engine, message_templates(TEMPLATES), app.state.designs,
                        public_url="https://cards.example", secret=DEVELOPMENT_SECRET,
                        sms=sms)  # fmt: skip
    assert job.run_once().sent == 1
    assert sms.seen == [RID]
    assert request_id.get() is None
