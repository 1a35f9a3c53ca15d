"""Knowing a member's phone or email opens nothing: the join page sends the card to the
contact, and "I already have a card" asks for a one-time code sent there (both databases)."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.members.models import Card, Member
from api.messaging.models import Channel
from api.verification.courier import Courier
from api.verification.models import ContactChallenge
from api.verification.service import MAX_ATTEMPTS, mask_email, mask_phone
from tests.support.factories import enrol, new_merchant, new_program

pytestmark = pytest.mark.db
ANNA = {"name": "Anna", "phone": "+79161234567", "email": "anna@example.com"}


@dataclass(frozen=True)
class RecordingCourier(Courier):
    """The channels are on; what would be sent is kept here instead of the outbox."""

    sent: list[tuple[str, Channel, str, dict[str, str]]] = field(default_factory=list)

    def deliver(
        self, session: Session, member: Member, channel: Channel, template: str,
        values: dict[str, str], *, locale: str,
    ) -> None:  # fmt: skip
        self.sent.append((str(member.id), channel, template, values))


@pytest.fixture
def courier(app: FastAPI) -> Iterator[RecordingCourier]:
    app.state.courier = courier = RecordingCourier(sms=True, email=True)
    yield courier
    app.state.courier = None


@pytest.fixture
def anna(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"], **ANNA)
    with Session(app.state.engine) as session:
        card = session.exec(select(Card).where(Card.member_id == UUID(member["id"]))).one()
    return {"program": program, "member": member, "slug": program["public_slug"],
            "token": card.public_token}  # fmt: skip


def join(client: TestClient, slug: str, **fields: str) -> Any:
    return client.post(f"/join/{slug}", data={"name": "Attacker", "consent": "yes", **fields},
                       headers={"Accept-Language": "en"}, follow_redirects=False)  # fmt: skip


def shows_nothing_of(response: Any, anna: dict[str, Any]) -> None:
    """No header, link or text of the answer carries Anna's card or data."""
    everything = response.text + str(dict(response.headers))
    assert anna["token"] not in everything
    assert anna["member"]["serial_number"] not in everything
    assert "/cards/" not in response.headers.get("location", "")


class TestJoinWithAKnownContact:
    @pytest.mark.parametrize(
        "contact",
        [
            {"phone": "+7 (916) 123 45 67"},
            {"phone": "+79161234567"},
            {"phone": "+7-916-123-45-67"},
            {"phone": "8 (916) 123-45-67"},
            {"phone": "89161234567"},
            {"phone": "916 123 45 67"},
            {"email": "ANNA@Example.COM"},
            {"email": " anna@example.com "},
        ],
    )
    def test_the_card_goes_to_the_contact_not_the_visitor(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier,
        contact: dict[str, str],
    ) -> None:  # fmt: skip
        response = join(client, anna["slug"], **contact)
        assert response.status_code == 200
        shows_nothing_of(response, anna)
        assert "We have sent its link there" in response.text
        [(member_id, channel, template, values)] = courier.sent
        assert (member_id, template) == (anna["member"]["id"], "card_link")
        assert values["card_url"].endswith(f"/cards/{anna['token']}")
        masked = mask_phone(ANNA["phone"]) if channel == "sms" else mask_email(ANNA["email"])
        assert masked in response.text

    def test_without_a_channel_the_visitor_is_sent_to_the_till(
        self, client: TestClient, anna: dict[str, Any]
    ) -> None:
        response = join(client, anna["slug"], phone="+7 (916) 123 45 67")
        assert response.status_code == 200
        shows_nothing_of(response, anna)
        assert "ask at the till" in response.text

    def test_a_new_contact_still_gets_its_card_at_once(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        response = join(client, anna["slug"], phone="+7 916 000-00-01")
        assert response.status_code == 303
        assert re.fullmatch(r"/cards/[\w-]+\?welcome=new", response.headers["location"])
        assert courier.sent == []


def ask_code(client: TestClient, slug: str, contact: str) -> Any:
    return client.post(f"/join/{slug}/card", data={"contact": contact},
                       headers={"Accept-Language": "en"}, follow_redirects=False)  # fmt: skip


def type_code(client: TestClient, location: str, code: str) -> Any:
    return client.post(location, data={"code": code}, follow_redirects=False)


class TestIAlreadyHaveACard:
    def test_the_code_sent_to_the_contact_opens_the_card_once(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        asked = ask_code(client, anna["slug"], "8 916 123-45-67")
        assert asked.status_code == 303
        location = asked.headers["location"]
        page = client.get(location, headers={"Accept-Language": "en"})
        assert mask_phone(ANNA["phone"]) in page.text
        [(_, channel, template, values)] = courier.sent
        assert (channel, template) == (Channel.sms, "verification_code")
        assert re.fullmatch(r"\d{6}", values["code"])
        opened = type_code(client, location, values["code"])
        assert opened.status_code == 303
        assert opened.headers["location"].startswith(f"/cards/{anna['token']}")
        assert type_code(client, location, values["code"]).status_code == 422  # used once

    def test_an_unknown_contact_gets_the_same_answer_and_nothing_opens(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        known = ask_code(client, anna["slug"], "anna@example.com")
        unknown = ask_code(client, anna["slug"], "nobody@example.com")
        assert known.status_code == unknown.status_code == 303
        for response in (known, unknown):
            assert re.fullmatch(rf"/join/{anna['slug']}/card/[0-9a-f-]{{36}}",
                                response.headers["location"])  # fmt: skip
        assert len(courier.sent) == 1  # only the real member is written to
        for code in ("000000", "123456"):
            answer = type_code(client, unknown.headers["location"], code)
            assert answer.status_code == 422
            shows_nothing_of(answer, anna)

    def test_five_wrong_codes_burn_the_challenge(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        location = ask_code(client, anna["slug"], ANNA["phone"]).headers["location"]
        code = courier.sent[0][3]["code"]
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(MAX_ATTEMPTS):
            assert type_code(client, location, wrong).status_code == 422
        answer = type_code(client, location, code)
        assert answer.status_code == 422
        shows_nothing_of(answer, anna)

    def test_an_expired_code_opens_nothing(
        self, app: FastAPI, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        location = ask_code(client, anna["slug"], ANNA["phone"]).headers["location"]
        with Session(app.state.engine) as session:
            challenge = session.exec(select(ContactChallenge)).one()
            challenge.expires_at = challenge.created_at
            session.add(challenge)
            session.commit()
        assert type_code(client, location, courier.sent[0][3]["code"]).status_code == 422

    def test_without_a_channel_the_page_sends_the_visitor_to_the_till(
        self, client: TestClient, anna: dict[str, Any]
    ) -> None:
        response = ask_code(client, anna["slug"], ANNA["phone"])
        assert response.status_code == 200
        assert "Ask at the till" in response.text
        shows_nothing_of(response, anna)

    def test_a_malformed_contact_is_named(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        response = ask_code(client, anna["slug"], "12")
        assert response.status_code == 422
        assert "Enter a phone number" in response.text

    def test_codes_to_one_contact_are_rate_limited(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        statuses = [ask_code(client, anna["slug"], ANNA["email"]).status_code for _ in range(5)]
        assert statuses == [303, 303, 303, 429, 429]
        limited = ask_code(client, anna["slug"], ANNA["email"])
        assert int(limited.headers["retry-after"]) > 0
        assert len(courier.sent) == 3

    def test_a_known_and_an_unknown_contact_take_the_same_time(
        self, client: TestClient, anna: dict[str, Any], courier: RecordingCourier
    ) -> None:
        def median(contact: str) -> float:
            times = []
            for _ in range(3):  # within the per-contact limit
                start = time.perf_counter()
                ask_code(client, anna["slug"], contact)
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        known, unknown = median(ANNA["phone"]), median("+79990000000")
        assert max(known, unknown) / min(known, unknown) < 3, (known, unknown)
