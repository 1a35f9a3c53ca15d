"""Marketing consent per channel at enrolment, on both databases: the join page's two optional
boxes (unticked by default) record a grant per ticked channel with the words' version, the
time, the source and the store, for a new member only (a known contact's re-submission writes
nothing); the API takes the same consent with source "api"; marketing waits for it."""

from __future__ import annotations

import re
from datetime import timedelta
from hashlib import sha256
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, ChannelConsent, Kind, Purpose
from api.pages.consents import MARKETING_CONSENT_VERSION, MARKETING_TEXTS
from api.programs.models import Program
from api.stores.models import Store
from tests.support.factories import auth, new_merchant, new_program

pytestmark = pytest.mark.db
ANNA = {"name": "Anna", "phone": "+7 916 123-45-67", "email": "anna@example.com", "consent": "yes"}
BOTH = {"marketing_email": "yes", "marketing_sms": "yes"}


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    return new_program(client, key)


def submit(client: TestClient, program: dict[str, Any], lang: str = "en", **fields: str) -> Any:
    return client.post(
        f"/join/{program['public_slug']}", data=fields, follow_redirects=False,
        headers={"Accept-Language": lang},
    )  # fmt: skip


def consents(app: FastAPI) -> list[ChannelConsent]:
    with Session(app.state.engine) as session:
        rows = list(
            session.exec(select(ChannelConsent).order_by(col(ChannelConsent.channel))).all()
        )
        session.expunge_all()
    return rows


def only_member(app: FastAPI) -> Member:
    with Session(app.state.engine) as session:
        member = session.exec(select(Member)).one()
        session.expunge(member)
    return member


def may_market(app: FastAPI, member: Member, channel: Channel) -> bool:
    """Whether a marketing message to the member on ``channel`` would be queued."""
    with Session(app.state.engine) as session, session.begin():
        queued = messaging_service.enqueue(
            session, member=member, channel=channel, kind=Kind.marketing, template="campaign",
            locale="en", context={"text": "-20%"}, idempotency_key=f"probe-{channel}",
            now=utcnow(),
        )  # fmt: skip
        session.rollback()
    return queued


class TestJoinPageBoxes:
    @pytest.mark.parametrize(
        ("lang", "words"),
        [("ru", "рекламные сообщения Coffee Club по SMS"), ("en", "from Coffee Club by SMS")],
    )
    def test_two_optional_boxes_unticked_by_default(
        self, client: TestClient, program: dict[str, Any], lang: str, words: str
    ) -> None:
        page = client.get(f"/join/{program['public_slug']}?lang={lang}").text
        assert words in page
        for name in ("marketing_email", "marketing_sms"):
            [box] = re.findall(rf'<input id="[^"]+" name="{name}"[^>]*>', page)
            assert 'type="checkbox"' in box
            assert "checked" not in box
            assert "required" not in box

    def test_a_new_member_with_both_boxes_ticked_gets_a_grant_per_channel(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        with Session(app.state.engine) as session, session.begin():
            owner = session.exec(select(Program.merchant_id)).one()
            store = Store(merchant_id=owner, name="Arbat", latitude=55.75, longitude=37.59)
            session.add(store)
            session.flush()
            store_id = store.id
        before = utcnow()
        response = submit(client, program, **ANNA, **BOTH, store=str(store_id))
        assert response.status_code == 303
        assert response.headers["location"].endswith("?welcome=new")
        email, sms = consents(app)
        assert (email.channel, sms.channel) == (Channel.email, Channel.sms)
        member = only_member(app)
        for row in (email, sms):
            assert row.member_id == member.id
            assert row.purpose == Purpose.marketing
            assert row.is_granted
            assert row.text_version == MARKETING_CONSENT_VERSION
            assert row.source == "join_page"
            assert row.store_id == store_id
            assert before - timedelta(seconds=1) <= row.recorded_at <= utcnow()
        assert may_market(app, member, Channel.email)
        assert may_market(app, member, Channel.sms)

    def test_unticked_boxes_write_nothing_and_marketing_is_skipped(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        assert submit(client, program, **ANNA).status_code == 303
        assert consents(app) == []
        member = only_member(app)
        assert not may_market(app, member, Channel.email)
        assert not may_market(app, member, Channel.sms)

    def test_one_box_one_channel(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        submit(client, program, **ANNA, marketing_sms="yes")
        [sms] = consents(app)
        assert sms.channel == Channel.sms
        member = only_member(app)
        assert may_market(app, member, Channel.sms)
        assert not may_market(app, member, Channel.email)

    def test_a_channel_without_a_contact_gets_nothing(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        fields = {"name": "Boris", "phone": "+7 916 765-43-21", "consent": "yes"}
        submit(client, program, **fields, **BOTH)
        [sms] = consents(app)
        assert sms.channel == Channel.sms

    def test_a_known_contact_resubmitting_writes_nothing(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        """Anyone may know Anna's phone: the visitor has proven nothing, so the boxes they
        tick are not Anna's consent."""
        submit(client, program, **ANNA)
        response = submit(client, program, **{**ANNA, "name": "Someone"}, **BOTH)
        assert response.status_code == 200  # the neutral "we sent your card" page
        assert consents(app) == []
        member = only_member(app)
        assert not may_market(app, member, Channel.sms)

    def test_a_known_contact_cannot_withdraw_either(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        submit(client, program, **ANNA, **BOTH)
        submit(client, program, **ANNA)  # boxes unticked this time
        assert len(consents(app)) == 2
        assert may_market(app, only_member(app), Channel.sms)

    def test_the_boxes_stay_ticked_when_the_form_comes_back(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        response = submit(client, program, **{**ANNA, "consent": ""}, **BOTH)
        assert response.status_code == 422
        for name in ("marketing_email", "marketing_sms"):
            [box] = re.findall(rf'<input id="[^"]+" name="{name}"[^>]*>', response.text)
            assert "checked" in box
        assert consents(app) == []


class TestConsentWords:
    def test_new_marketing_words_need_a_new_version(self) -> None:
        """Each marketing consent stores MARKETING_CONSENT_VERSION, which must name the exact
        words: when this fails, bump the version in api/pages/consents.py, then both values."""
        keys = ("marketing_title", "marketing_email", "marketing_sms", "marketing_note")
        words = "".join(MARKETING_TEXTS[lang][k] for lang in ("ru", "en") for k in keys)
        assert (MARKETING_CONSENT_VERSION, sha256(words.encode()).hexdigest()[:16]) == (
            "2026-12-marketing-1",
            "88dd5d4b43f3fe3d",
        )


class TestApiEnrolment:
    def post(self, client: TestClient, key: str, program: dict[str, Any], **body: Any) -> Any:
        return client.post(
            f"/api/v1/programs/{program['id']}/members",
            json={"name": "Anna", "phone": "+79161234567", "email": "a@example.com", **body},
            headers=auth(key),
        )

    def test_records_the_consent_given_with_source_api(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        consent = {"sms": True, "email": False, "text_version": "till-2026-12"}
        response = self.post(client, key, program, marketing_consent=consent)
        assert response.status_code == 201, response.text
        [sms] = consents(app)
        assert sms.member_id == UUID(response.json()["id"])
        assert (sms.channel, sms.source, sms.text_version) == (Channel.sms, "api", "till-2026-12")
        assert sms.is_granted
        assert sms.store_id is None

    def test_without_a_consent_nothing_is_recorded(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        assert self.post(client, key, program).status_code == 201
        assert consents(app) == []

    def test_an_existing_member_is_not_changed(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        assert self.post(client, key, program).status_code == 201
        consent = {"sms": True, "email": True, "text_version": "v1"}
        assert self.post(client, key, program, marketing_consent=consent).status_code == 200
        assert consents(app) == []

    @pytest.mark.parametrize(
        "consent",
        [{"sms": True}, {"sms": True, "text_version": ""}, {"sms": "maybe", "text_version": "v"},
         {"sms": True, "text_version": "v", "push": True}],
    )  # fmt: skip
    def test_a_malformed_consent_is_422(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any],
        consent: dict[str, Any],
    ) -> None:  # fmt: skip
        response = self.post(client, key, program, marketing_consent=consent)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert consents(app) == []


class TestConsoleMemberPage:
    def test_shows_the_consent_per_channel_with_time_and_source(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        submit(client, program, **ANNA, marketing_sms="yes")
        member = only_member(app)
        with Session(app.state.engine) as session, session.begin():
            messaging_service.record_consent(
                session, member=member, channel=Channel.email, purpose=Purpose.marketing,
                is_granted=False, source="unsubscribe_link", now=utcnow(),
            )  # fmt: skip
        [sms] = [c for c in consents(app) if c.channel == Channel.sms]
        client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
        page = client.get(f"/console/members/{member.id}", headers={"Accept-Language": "en"})
        assert page.status_code == 200
        table = page.text.split('<table id="consents">')[1].split("</table>")[0]
        email_row, sms_row = re.findall(r"<tr><td>.*?</tr>", table)
        assert "Email" in email_row
        assert "withdrawn" in email_row
        assert "unsubscribe_link" in email_row
        assert "SMS" in sms_row
        assert "given" in sms_row
        assert sms.recorded_at.strftime("%d.%m.%Y %H:%M") in sms_row
        assert f"join_page ({MARKETING_CONSENT_VERSION})" in sms_row

    def test_a_member_never_asked(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        submit(client, program, **ANNA)
        client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
        page = client.get(f"/console/members/{only_member(app).id}?lang=en")
        assert page.text.count("never given") == 2
