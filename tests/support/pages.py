"""A shop to test the people-facing pages with: a program with a join link, a member's card,
a wheel of fortune on it, a store and a staff member with a PIN, and helpers that sign in to
the console and the scanner."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.merchants.service import authenticate
from api.stores.models import Store
from tests.support.factories import auth, enrol, new_merchant, new_program

PIN = "4821"
WHEEL = {
    "min_purchase": "100",
    "prizes": [
        {"label": "50 points", "kind": "points", "points": 50, "weight": 3},
        {"label": "No luck", "kind": "nothing", "weight": 7},
    ],
}


@dataclass(frozen=True)
class PageShop:
    key: str
    program_id: str
    public_slug: str
    serial: str
    card_token: str
    staff_code: str


def new_page_shop(app: FastAPI, client: TestClient) -> PageShop:
    key = new_merchant(app)
    program = new_program(client, key, kind="stamps", stamps_required=10)
    wheel = client.put(f"/api/v1/programs/{program['id']}/wheel", json=WHEEL, headers=auth(key))
    assert wheel.status_code == 200, wheel.text
    member = enrol(client, key, program["id"])
    with Session(app.state.engine) as session, session.begin():
        caller = authenticate(session, f"Bearer {key}")
        store = Store(merchant_id=caller.merchant_id, name="Arbat", latitude=55.7, longitude=37.6)
        session.add(store)
        session.flush()
        store_id: UUID = store.id
    body = {"name": "Olga", "store_id": str(store_id), "pin": PIN}
    staff = client.post("/api/v1/staff", json=body, headers=auth(key))
    assert staff.status_code == 201, staff.text
    return PageShop(
        key=key,
        program_id=program["id"],
        public_slug=program["public_slug"],
        serial=member["serial_number"],
        card_token=member["card_url"].rsplit("/", 1)[1],
        staff_code=staff.json()["code"],
    )


def console_cookie(client: TestClient, key: str) -> tuple[str, str]:
    """Sign in to the console; the session cookie's name and value."""
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return _cookie(response.headers["set-cookie"])


def scanner_cookie(client: TestClient, code: str, pin: str = PIN) -> tuple[str, str]:
    """Sign in to the scanner; the session cookie's name and value."""
    response = client.post("/scan/sign-in", data={"code": code, "pin": pin}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return _cookie(response.headers["set-cookie"])


def _cookie(header: str) -> tuple[str, str]:
    name, _, value = header.split(";", 1)[0].partition("=")
    return name, value
