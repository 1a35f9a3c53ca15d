"""Validation at the edge: ISO 4217 currencies, plausible birthdays, a campaign's ``send_at``
within a year, and numbers in ASCII digits only. Each refusal is a 422 problem that names the
field (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.programs.models import Program
from api.validation import ISO_4217
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program

pytestmark = pytest.mark.db


def refused(response: Any, *location: str) -> None:
    """A 422 validation problem whose errors name exactly ``location``."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "validation_error"
    assert [e["location"] for e in problem["errors"]] == [list(location)], problem


@pytest.fixture
def key(app: FastAPI) -> str:
    return new_merchant(app)


@pytest.fixture
def program(client: TestClient, key: str) -> dict[str, Any]:
    return new_program(client, key, rules=POINTS_RULES)


@pytest.fixture
def member(client: TestClient, key: str, program: dict[str, Any]) -> str:
    member_id: str = enrol(client, key, program["id"])["id"]
    return member_id


def _post(client: TestClient, key: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=auth(key))


class TestCurrency:
    def test_the_list_is_iso_4217(self) -> None:
        assert {"RUB", "EUR", "USD", "KZT", "JPY"} <= ISO_4217
        assert not {"RUR", "ABC", "XYZ", "BTC"} & ISO_4217
        assert 150 < len(ISO_4217) < 200

    @pytest.mark.parametrize("code", ["XYZ", "RUR", "BTC"])
    def test_a_program_refuses_a_made_up_currency(
        self, client: TestClient, key: str, code: str
    ) -> None:
        body = {"name": "Club", "rules": {**POINTS_RULES, "currency": code}}
        refused(_post(client, key, "/api/v1/programs", body), "body", "rules", "currency")

    def test_replacing_rules_refuses_it_too(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        path = f"/api/v1/programs/{program['id']}/rules"
        rules = client.get(path, headers=auth(key)).json()["rules"]
        response = client.put(path, json={**rules, "currency": "ABC"}, headers=auth(key))
        refused(response, "body", "currency")
        assert "ISO 4217" in response.json()["detail"]

    def test_a_real_currency_is_accepted(self, client: TestClient, key: str) -> None:
        body = {"name": "Club", "rules": {**POINTS_RULES, "currency": "KZT"}}
        created = _post(client, key, "/api/v1/programs", body)
        assert created.status_code == 201, created.text
        assert created.json()["rules"]["currency"] == "KZT"

    def test_a_purchase_refuses_a_made_up_currency(
        self, client: TestClient, key: str, member: str
    ) -> None:
        path = f"/api/v1/members/{member}/transactions"
        body = {"kind": "purchase", "amount": "10", "currency": "XYZ"}
        refused(_post(client, key, path, body), "body", "purchase", "currency")
        other = _post(client, key, path, {**body, "currency": "EUR"})  # real, not the program's
        assert (other.status_code, other.json()["type"]) == (422, "currency_mismatch")

    def test_a_program_stored_with_a_withdrawn_code_still_loads(
        self, app: FastAPI, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        """The check is for what clients send now; a stored program keeps working until its
        rules are next replaced."""
        with Session(app.state.engine) as session, session.begin():
            row = session.get(Program, UUID(program["id"]))
            assert row is not None
            row.rules = {**(row.rules or {}), "currency": "RUR"}
        response = client.get(f"/api/v1/programs/{program['id']}", headers=auth(key))
        assert response.status_code == 200, response.text
        assert response.json()["rules"]["currency"] == "RUR"
        listed = client.get("/api/v1/programs", headers=auth(key))
        assert listed.json()["items"][0]["rules"]["currency"] == "RUR"
        card = client.get(enrol(client, key, program["id"], phone="+79160001122")["card_url"])
        assert card.status_code == 200


class TestBirthday:
    @pytest.mark.parametrize("birthday", ["1899-12-31", "1000-01-01", "2999-01-01"])
    def test_enrolment_refuses_an_impossible_birthday(
        self, client: TestClient, key: str, program: dict[str, Any], birthday: str
    ) -> None:
        body = {"name": "Anna", "phone": "+79161112233", "birthday": birthday}
        response = _post(client, key, f"/api/v1/programs/{program['id']}/members", body)
        refused(response, "body", "birthday")

    def test_a_birthday_after_today_is_refused(
        self, client: TestClient, key: str, program: dict[str, Any]
    ) -> None:
        later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        body = {"name": "Anna", "phone": "+79161112233", "birthday": later}
        response = _post(client, key, f"/api/v1/programs/{program['id']}/members", body)
        refused(response, "body", "birthday")

    @pytest.mark.parametrize("birthday", ["1900-01-01", "1990-02-28", date.today().isoformat()])
    def test_the_edges_are_accepted(
        self, client: TestClient, key: str, program: dict[str, Any], birthday: str
    ) -> None:
        member = enrol(client, key, program["id"], phone="+79161112233", birthday=birthday)
        assert member["birthday"] == birthday

    @pytest.mark.parametrize("birthday", ["1899-12-31", "2999-01-01"])
    def test_the_join_form_refuses_it_at_the_field(
        self, app: FastAPI, client: TestClient, program: dict[str, Any], birthday: str
    ) -> None:
        response = client.post(
            f"/join/{program['public_slug']}",
            data={"name": "Anna", "phone": "+79161112233", "consent": "yes", "birthday": birthday},
            headers={"Accept-Language": "en"},
            follow_redirects=False,
        )
        assert response.status_code == 422
        assert 'id="e-birthday">Check the date of birth' in response.text


class TestSendAt:
    def _campaign(self, client: TestClient, key: str, program: dict[str, Any], at: Any) -> Any:
        body = {"name": "News", "message": "Hi", "send_at": at.isoformat()}
        return _post(client, key, f"/api/v1/programs/{program['id']}/campaigns", body)

    @pytest.mark.parametrize("ahead", [timedelta(days=367), timedelta(days=365 * 100)])
    def test_more_than_a_year_ahead_is_refused(
        self, client: TestClient, key: str, program: dict[str, Any], ahead: timedelta
    ) -> None:
        response = self._campaign(client, key, program, datetime.now(UTC) + ahead)
        refused(response, "body", "send_at")
        assert "at most a year ahead" in response.json()["detail"]

    @pytest.mark.parametrize("ago", [timedelta(days=2), timedelta(days=365 * 30)])
    def test_long_ago_is_refused(
        self, client: TestClient, key: str, program: dict[str, Any], ago: timedelta
    ) -> None:
        refused(self._campaign(client, key, program, datetime.now(UTC) - ago), "body", "send_at")

    @pytest.mark.parametrize(
        "offset", [timedelta(days=365), timedelta(days=1), -timedelta(minutes=5)]
    )
    def test_within_a_year_is_accepted(
        self, client: TestClient, key: str, program: dict[str, Any], offset: timedelta
    ) -> None:
        response = self._campaign(client, key, program, datetime.now(UTC) + offset)
        assert response.status_code == 201, response.text


class TestAsciiNumbers:
    """Python reads ``"١٢٣"`` (Arabic-Indic), ``"１２３"`` (full-width) and ``"1_000"`` as
    numbers; a request body does not."""

    @pytest.mark.parametrize("amount", ["١٢٣", "1_000", "１２３", "12.٥", "1e3", "१००"])
    def test_a_purchase_amount(
        self, client: TestClient, key: str, member: str, amount: str
    ) -> None:
        body = {"kind": "purchase", "amount": amount, "currency": "RUB"}
        response = _post(client, key, f"/api/v1/members/{member}/transactions", body)
        refused(response, "body", "purchase", "amount")
        assert "ASCII digits" in response.json()["detail"]

    @pytest.mark.parametrize("amount", ["123", "123.45", " 99.5 ", 123, 12.5])
    def test_plain_amounts_still_work(
        self, client: TestClient, key: str, member: str, amount: Any
    ) -> None:
        body = {"kind": "purchase", "amount": amount, "currency": "RUB"}
        response = _post(client, key, f"/api/v1/members/{member}/transactions", body)
        assert response.status_code == 201, response.text

    def test_points_and_refunds(self, client: TestClient, key: str, member: str) -> None:
        path = f"/api/v1/members/{member}/transactions"
        refused(_post(client, key, path, {"kind": "earn", "points": "1_0"}), "body", "earn",
                "points")  # fmt: skip
        bought = _post(client, key, path, {"kind": "purchase", "amount": "100", "currency": "RUB"})
        refund = f"/api/v1/transactions/{bought.json()['transaction']['id']}/refund"
        refused(_post(client, key, refund, {"amount": "٥"}), "body", "amount")

    def test_program_rules(self, client: TestClient, key: str) -> None:
        rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "1_00"}}
        response = _post(client, key, "/api/v1/programs", {"name": "Club", "rules": rules})
        refused(response, "body", "rules", "earn", "per_amount")

    def test_store_coordinates(self, client: TestClient, key: str) -> None:
        body = {"name": "Arbat", "latitude": "５５.７", "longitude": "37.6"}
        refused(_post(client, key, "/api/v1/locations", body), "body", "latitude")


@pytest.mark.parametrize("value", [3.6e16, 1e30])
def test_a_large_number_in_the_rules_reads_back(
    app: FastAPI, client: TestClient, value: float
) -> None:
    """Found by the fuzz: a Decimal this large is stored as "3.6E+16", which the ASCII-digits
    rule for request bodies refused when the program was read back (a 500)."""
    key = new_merchant(app)
    program = new_program(client, key)
    rules = {"earn": {"points": 1, "per_amount": "1", "min_purchase": value}}
    put = client.patch(f"/api/v1/programs/{program['id']}/rules", json=rules, headers=auth(key))
    assert put.status_code == 200, put.text
    assert client.get(f"/api/v1/programs/{program['id']}", headers=auth(key)).status_code == 200
