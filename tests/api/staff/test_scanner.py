"""Staff and the scanner over HTTP (both databases): PIN sign-in and lockout, merchant
scoping, attribution, and a resubmitted form that credits once."""

from __future__ import annotations

import io
import re
from typing import Any
from uuid import UUID

import pytest
import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from api.merchants.service import authenticate
from api.staff.models import Staff, StaffAction
from api.staff.service import is_pin
from api.stores.models import Store
from tests.support.factories import auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db


def add_store(app: FastAPI, key: str) -> str:
    with Session(app.state.engine) as session, session.begin():
        caller = authenticate(session, f"Bearer {key}")
        store = Store(merchant_id=caller.merchant_id, name="Arbat", latitude=55.7, longitude=37.6)
        session.add(store)
        session.flush()
        return str(store.id)


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    # The coffee design's rules: at most 3 stamps a day (a program without a design has none).
    program = new_program(client, key, kind="stamps", stamps_required=10, design="coffee")
    store_id = add_store(app, key)
    client.headers["Accept-Language"] = "en"
    body = {"name": "Olga", "store_id": store_id, "pin": "4821"}
    staff = client.post("/api/v1/staff", json=body, headers=auth(key))
    assert staff.status_code == 201, staff.text
    member = enrol(client, key, program["id"])
    return {"key": key, "store_id": store_id, "staff": staff.json(), "member": member}


def sign_in(client: TestClient, code: str, pin: str) -> Any:
    return client.post("/scan/sign-in", data={"code": code, "pin": pin}, follow_redirects=False)


class TestStaff:
    def test_pin_is_stored_hashed_and_never_returned(
        self, app: FastAPI, shop: dict[str, Any]
    ) -> None:
        assert "pin" not in shop["staff"]
        assert "pin_hash" not in shop["staff"]
        assert re.fullmatch(r"[A-Z2-9]{6}", shop["staff"]["code"])
        with Session(app.state.engine) as session:
            staff = session.exec(select(Staff)).one()
        # Only a salted scrypt digest is kept. (A substring check for the PIN would fail
        # by chance: four given digits turn up in its 160 random hex digits once in ~400.)
        scheme, salt, digest = staff.pin_hash.split("$")
        assert scheme == "scrypt"
        assert re.fullmatch(r"[0-9a-f]{32}", salt)
        assert re.fullmatch(r"[0-9a-f]{128}", digest)  # 64 bytes
        assert is_pin("4821", staff.pin_hash)
        assert not is_pin("4822", staff.pin_hash)

    def test_another_merchants_store_is_refused(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        other = new_merchant(app, "Other")
        body = {"name": "Eve", "store_id": shop["store_id"], "pin": "1234"}
        response = client.post("/api/v1/staff", json=body, headers=auth(other))
        assert response.status_code == 404

    def test_five_wrong_pins_lock_the_account(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        code = shop["staff"]["code"]
        for _ in range(4):
            assert "Wrong code or PIN" in sign_in(client, code, "0000").text
        assert "Too many attempts" in sign_in(client, code, "0000").text
        assert "Too many attempts" in sign_in(client, code, "4821").text  # even the right one


class TestScanner:
    def test_a_purchase_is_attributed_and_a_resubmitted_form_credits_once(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        assert sign_in(client, shop["staff"]["code"], "4821").status_code == 303
        serial = shop["member"]["serial_number"]
        form = {"action": "purchase", "amount": "350", "nonce": "n-1"}
        first = client.post(f"/scan/cards/{serial}", data=form)
        again = client.post(f"/scan/cards/{serial}", data=form)
        assert first.status_code == again.status_code == 200
        assert 'id="stamps">1 / 10' in again.text
        with Session(app.state.engine) as session:
            [action] = session.exec(select(StaffAction)).all()
        assert action.staff_id == UUID(shop["staff"]["id"])
        assert action.store_id == UUID(shop["store_id"])
        assert action.kind == "purchase"

    def test_a_stamp_and_a_bad_amount(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["staff"]["code"], "4821")
        serial = shop["member"]["serial_number"]
        stamped = client.post(f"/scan/cards/{serial}", data={"action": "stamp", "nonce": "s"})
        assert 'id="stamps">1 / 10' in stamped.text
        bad = client.post(
            f"/scan/cards/{serial}", data={"action": "purchase", "amount": "-5", "nonce": "b"}
        )
        assert bad.status_code == 422
        assert "amount must be above zero" in bad.text

    def test_cards_of_another_merchant_are_not_found(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        other_key = new_merchant(app, "Other")
        other = enrol(client, other_key, new_program(client, other_key)["id"])
        sign_in(client, shop["staff"]["code"], "4821")
        response = client.post("/scan/lookup", data={"number": other["serial_number"]})
        assert response.status_code == 404

    def test_the_session_cookie_stays_on_the_scanner(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        cookie = sign_in(client, shop["staff"]["code"], "4821").headers["set-cookie"]
        for part in ("lp_staff=", "HttpOnly", "Path=/scan", "SameSite=strict", "Max-Age=43200"):
            assert part in cookie, cookie
        lookup = client.post("/scan/lookup", data={"number": "nothing"}, follow_redirects=False)
        assert lookup.status_code == 404
        client.post("/scan/sign-out")
        signed_out = client.post("/scan/lookup", data={"number": "x"}, follow_redirects=False)
        assert signed_out.headers["location"] == "/scan"

    def test_signed_out_pages_ask_to_sign_in(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["staff"]["code"], "4821")
        client.post("/scan/sign-out")
        response = client.get(f"/scan/cards/{shop['member']['serial_number']}")
        assert 'action="/scan/sign-in"' in response.text


class TestPhoto:
    def test_a_photo_of_the_code_opens_the_card(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        sign_in(client, shop["staff"]["code"], "4821")
        serial = shop["member"]["serial_number"]
        photo = io.BytesIO()
        segno.make(serial).save(photo, kind="png", scale=12, border=6)
        response = client.post(
            "/scan/photo",
            files={"photo": ("code.png", photo.getvalue(), "image/png")},
            follow_redirects=False,
        )
        assert response.headers["location"] == f"/scan/cards/{serial}"

    def test_a_photo_without_a_code_says_so(self, client: TestClient, shop: dict[str, Any]) -> None:
        sign_in(client, shop["staff"]["code"], "4821")
        for data in (b"not an image", _blank_png()):
            response = client.post("/scan/photo", files={"photo": ("x.png", data, "image/png")})
            assert response.status_code == 422
            assert "No code found in the photo" in response.text


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (200, 200), 255).save(out, format="PNG")
    return out.getvalue()


def test_the_daily_stamp_cap_is_explained(client: TestClient, shop: dict[str, Any]) -> None:
    sign_in(client, shop["staff"]["code"], "4821")
    serial = shop["member"]["serial_number"]
    for visit in range(4):
        form = {"action": "purchase", "amount": "200", "nonce": f"cap-{visit}"}
        response = client.post(f"/scan/cards/{serial}", data=form)
    assert 'id="stamps">3 / 10' in response.text
    assert re.search(r"daily|per day", response.text)
