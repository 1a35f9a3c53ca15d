"""The join page over HTTP (both databases): validation, dedupe, consent, referral, store,
bot protection, QR codes and language."""

from __future__ import annotations

import re
from datetime import timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import utcnow
from api.deps import get_settings
from api.enrolment.models import MemberConsent
from api.members.models import Member
from api.pages.render import best_accepted
from api.pages.texts import CONSENT_VERSION, TEXTS
from api.programs.models import Program
from api.ratelimits import service as ratelimits
from api.stores.models import Store
from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db
VALID = {"name": "Anna", "phone": "+7 916 123-45-67", "consent": "yes"}


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    return new_program(client, key)


def submit(client: TestClient, program: dict[str, Any], **fields: str) -> Any:
    return client.post(
        f"/join/{program['public_slug']}", data=fields, follow_redirects=False,
        headers={"Accept-Language": "en"},
    )  # fmt: skip


def consents(app: FastAPI) -> list[MemberConsent]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(MemberConsent)).all())


class TestJoinPage:
    def test_the_form_is_served_in_the_visitors_language(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        ru = client.get(f"/join/{program['public_slug']}", headers={"Accept-Language": "ru-RU"})
        en = client.get(f"/join/{program['public_slug']}", headers={"Accept-Language": "en-GB"})
        assert ru.status_code == en.status_code == 200
        assert "Получить карту" in ru.text
        assert "Get my card" in en.text
        assert en.headers["content-language"] == "en"
        assert "default-src 'self'" in en.headers["content-security-policy"]
        assert not re.search(r"(src|href)=\"https?://", en.text)  # nothing from elsewhere

    def test_an_unknown_slug_is_a_friendly_404(self, client: TestClient) -> None:
        response = client.get("/join/no-such-program", headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert "This link does not exist" in response.text

    def test_a_valid_submission_enrols_and_stores_the_consent(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        response = submit(client, program, **VALID)
        assert response.status_code == 303
        assert re.fullmatch(r"/cards/[A-Za-z0-9_-]+\?welcome=new", response.headers["location"])
        [consent] = consents(app)
        assert consent.text_version == CONSENT_VERSION
        assert consent.locale == "en"
        assert consent.is_new_member

    def test_a_duplicate_is_not_shown_the_existing_card(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        first = submit(client, program, **VALID).headers["location"]
        again = submit(client, program, **{**VALID, "phone": "+79161234567", "name": "A."})
        assert again.status_code == 200  # a neutral page: the card goes to the contact
        assert first.split("?")[0] not in again.text + str(dict(again.headers))
        # An unproven visitor's consent is not recorded against someone else's member
        assert [c.is_new_member for c in consents(app)] == [True]

    def test_errors_are_shown_at_their_fields_and_nothing_is_written(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        response = submit(client, program, name="", phone="12", email="x@", birthday="2999-01-01")
        assert response.status_code == 422
        for field, message in [
            ("name", "Enter your name"),
            ("phone", "A phone number has 7 to 15 digits"),
            ("email", "Check the email address"),
            ("birthday", "Check the date of birth"),
            ("consent", "We cannot issue a card without your consent"),
        ]:
            assert re.search(rf'id="e-{field}">{message}', response.text), field
        assert 'value="12"' in response.text  # what was typed is kept
        assert consents(app) == []

    def test_phone_or_email_is_required(self, client: TestClient, program: dict[str, Any]) -> None:
        response = submit(client, program, name="Anna", consent="yes")
        assert 'id="e-phone">Give a phone number or an email address' in response.text

    def test_the_honeypot_turns_bots_away(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        response = submit(client, program, **VALID, website="http://spam.example")
        assert response.status_code == 400
        assert consents(app) == []

    def test_submissions_are_rate_limited_per_client(
        self, app: FastAPI, client: TestClient, program: dict[str, Any]
    ) -> None:
        limit = app.state.settings.join_rate_limit
        for _ in range(limit):
            assert submit(client, program, name="").status_code == 422
        refused = submit(client, program, **VALID)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        with Session(app.state.engine) as session, session.begin():
            ratelimits.purge(session, now=utcnow() + timedelta(hours=1))
        assert submit(client, program, **VALID).status_code == 303

    def test_a_referral_link_links_the_new_member(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        referrer = enrol(client, key, program["id"], phone="+79990000001")
        page = client.get(f"/join/{program['public_slug']}?ref={referrer['referral_code']}")
        assert f'name="ref" value="{referrer["referral_code"]}"' in page.text
        submit(client, program, **VALID, ref=referrer["referral_code"].lower())
        [member] = client.get("/api/v1/members?query=9161234567", headers=auth(key)).json()["items"]
        assert member["id"] != referrer["id"]
        with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
            stored = session.get(Member, UUID(member["id"]))
            assert stored is not None
            assert str(stored.referred_by_id) == referrer["id"]

    def test_an_unknown_referral_code_does_not_stop_enrolment(
        self, client: TestClient, program: dict[str, Any]
    ) -> None:
        assert submit(client, program, **VALID, ref="NOSUCH").status_code == 303

    def test_the_store_that_printed_the_qr_is_recorded(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        with Session(app.state.engine) as session, session.begin():
            owner = session.exec(select(Program.merchant_id)).one()
            store = Store(merchant_id=owner, name="Arbat", latitude=55.75, longitude=37.59)
            session.add(store)
            session.flush()
            store_id = store.id
        submit(client, program, **VALID, store=str(store_id))
        [consent] = consents(app)
        assert consent.store_id == store_id


class TestQrCodes:
    def test_svg_and_png(self, client: TestClient, program: dict[str, Any]) -> None:
        svg = client.get(f"/join/{program['public_slug']}/qr.svg")
        png = client.get(f"/join/{program['public_slug']}/qr.png")
        assert svg.headers["content-type"] == "image/svg+xml"
        assert svg.content.startswith(b"<?xml")
        assert b"<svg" in svg.content
        assert f"/join/{program['public_slug']}".encode() in svg.content  # the title
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")

    def test_unknown_program(self, client: TestClient) -> None:
        assert client.get("/join/nope/qr.svg").status_code == 404


class TestLanguage:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("", "ru"),
            ("en-US,en;q=0.9", "en"),
            ("de-DE,ru;q=0.8,en;q=0.5", "ru"),
            ("ru;q=0.1,en;q=0.9", "en"),
            ("fr", "ru"),
            ("en;q=bad", "ru"),
        ],
    )
    def test_accept_language(self, header: str, expected: str) -> None:
        assert best_accepted(header) == expected

    def test_every_text_exists_in_both_languages(self) -> None:
        assert TEXTS["ru"].keys() == TEXTS["en"].keys()

    def test_new_consent_words_need_a_new_consent_version(self) -> None:
        """Each member's consent stores CONSENT_VERSION, which must name the exact words:
        when this fails, bump the version in api/pages/texts.py, then update both values."""
        words = (TEXTS["ru"]["consent"] + TEXTS["en"]["consent"]).encode()
        assert (CONSENT_VERSION, sha256(words).hexdigest()[:16]) == (
            "2026-12-1",
            "6a87d42b11796da9",
        )


class TestCardPage:
    @pytest.fixture
    def card(self, client: TestClient, key: str, program: dict[str, Any]) -> dict[str, Any]:
        return enrol(client, key, program["id"])

    def test_shows_the_card_the_referral_link_and_coupons(
        self, client: TestClient, key: str, program: dict[str, Any], card: dict[str, Any]
    ) -> None:
        reward = client.post(
            f"/api/v1/programs/{program['id']}/rewards",
            json={"name": "Free tea", "cost_points": 10},
            headers=auth(key),
        ).json()
        body = {"kind": "adjust", "points": 10, "reason": "test"}
        client.post(f"/api/v1/members/{card['id']}/transactions", json=body, headers=auth(key))
        body = {"kind": "redeem_reward", "reward_id": reward["id"]}
        redeemed = client.post(
            f"/api/v1/members/{card['id']}/transactions", json=body, headers=auth(key)
        ).json()
        page = client.get(card["card_url"], headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert f'id="serial">{card["serial_number"]}' in page.text
        assert f"/join/{program['public_slug']}?ref={card['referral_code']}" in page.text
        assert f"Free tea <b>{redeemed['coupon']['code']}</b>" in page.text
        assert 'id="add-google"' not in page.text  # Google Wallet is not configured here

    def test_the_visitors_platform_comes_first(
        self, app: FastAPI, client: TestClient, card: dict[str, Any]
    ) -> None:
        settings = app.state.settings.model_copy(
            update={"google_issuer_id": "3388", "google_service_account_file": Path("key.json")}
        )
        app.dependency_overrides[get_settings] = lambda: settings
        try:
            android = client.get(
                card["card_url"], headers={"User-Agent": "Mozilla (Linux; Android 14)"}
            )
            iphone = client.get(
                card["card_url"], headers={"User-Agent": "Mozilla (iPhone; iOS 18)"}
            )
        finally:
            app.dependency_overrides.clear()
        assert android.text.index('id="add-google"') < android.text.index('id="add-wallet-app"')
        assert iphone.text.index('id="add-apple"') < iphone.text.index('id="add-google"')

    def test_an_unknown_card_is_a_friendly_404(self, client: TestClient) -> None:
        response = client.get("/cards/" + "x" * 32, headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert "This link does not exist" in response.text
