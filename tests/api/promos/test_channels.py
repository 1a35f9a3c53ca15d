"""A promo code reaches a member at the scanner (typed on the card page) and through the join
link (``?promo=``, carried by the join form to the new member) (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.staff.test_scanner import shop, sign_in
from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import POINTS_RULES, auth, new_merchant, new_program

__all__ = ["shop"]  # the scanner tests' fixture: a stamps program, a store, staff, a member
pytestmark = pytest.mark.db


def promo(client: TestClient, key: str, program_id: str, **body: Any) -> dict[str, Any]:
    body = {"name": "Welcome", "kind": "shared", "code": "HELLO", "grant": "points",
            "points": 40, **body}  # fmt: skip
    response = client.post(f"/api/v1/programs/{program_id}/promos", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class TestScanner:
    def test_a_typed_code_is_applied_once_and_refusals_are_shown(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        key, member = shop["key"], shop["member"]
        promo(client, key, member["program_id"])
        sign_in(client, shop["staff"]["code"], "4821")
        url = f"/scan/cards/{member['serial_number']}"
        assert 'id="f-promo"' in client.get(url).text
        applied = client.post(f"{url}/promo", data={"code": "hello"})
        assert applied.status_code == 200, applied.text
        assert 'id="promo-result"' in applied.text
        assert "HELLO: 40 points added" in applied.text
        again = client.post(f"{url}/promo", data={"code": "HELLO"})
        assert "applied to the card before" in again.text
        unknown = client.post(f"{url}/promo", data={"code": "NOPE"})
        assert unknown.status_code == 404
        assert 'id="refusal"' in unknown.text
        read = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()
        assert read["balance"] == 40
        moves = reconcile(client, key, member["id"])
        assert [m["actor"] for m in moves if m["reason"] == "promo HELLO"] == [
            f"staff {shop['staff']['code']}: Olga"
        ]

    def test_a_discount_waits_on_the_card_page(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        key, member = shop["key"], shop["member"]
        promo(client, key, member["program_id"], code="TENOFF", grant="discount", points=None,
              discount_percent=10)  # fmt: skip
        sign_in(client, shop["staff"]["code"], "4821")
        url = f"/scan/cards/{member['serial_number']}"
        applied = client.post(f"{url}/promo", data={"code": "TEN-OFF"})
        assert "10% off the next purchase" in applied.text
        assert 'id="promo-discount"' in client.get(url).text


class TestJoinLink:
    def test_the_new_member_gets_the_promo(self, client: TestClient) -> None:
        key = new_merchant(client.app)  # type: ignore[arg-type]
        program = new_program(client, key, rules=POINTS_RULES)
        promo(client, key, program["id"])
        slug = program["public_slug"]
        page = client.get(f"/join/{slug}?promo=HELLO", headers={"Accept-Language": "en"})
        assert 'name="promo" value="HELLO"' in page.text
        assert "Promo code HELLO will be applied" in page.text
        joined = client.post(
            f"/join/{slug}",
            data={"name": "Vera", "phone": "+7 916 765-43-21", "consent": "yes",
                  "promo": "HELLO"},
            follow_redirects=False,
        )  # fmt: skip
        assert joined.status_code == 303, joined.text
        [member] = client.get("/api/v1/members?query=9167654321", headers=auth(key)).json()["items"]
        assert member["balance"] == 40
        moves = reconcile(client, key, member["id"])
        assert [m["reason"] for m in moves if m["reason"] == "promo HELLO"] == ["promo HELLO"]

    def test_a_bad_code_does_not_stop_enrolment(self, client: TestClient) -> None:
        key = new_merchant(client.app)  # type: ignore[arg-type]
        program = new_program(client, key, rules=POINTS_RULES)
        promo(client, key, program["id"], usage_limit=1)
        first = {"name": "Vera", "phone": "+7 916 765-43-21", "consent": "yes", "promo": "HELLO"}
        assert client.post(f"/join/{program['public_slug']}", data=first).status_code == 200
        second = {**first, "phone": "+7 916 765-43-22"}
        joined = client.post(f"/join/{program['public_slug']}", data=second,
                             follow_redirects=False)  # fmt: skip
        assert joined.status_code == 303
        unknown = {**first, "phone": "+7 916 765-43-23", "promo": "NOSUCH"}
        joined = client.post(f"/join/{program['public_slug']}", data=unknown,
                             follow_redirects=False)  # fmt: skip
        assert joined.status_code == 303
        members = client.get("/api/v1/members?limit=10", headers=auth(key)).json()["items"]
        assert sorted(m["balance"] for m in members) == [0, 0, 40]
