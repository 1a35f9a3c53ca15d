"""The wheel of fortune over HTTP (both databases): configuration, grants, caps, prizes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.wheel.models import WheelSpin
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase

pytestmark = pytest.mark.db
JSON = {"Accept": "application/json"}


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> dict[str, Any]:
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"])
    token = member["card_url"].rsplit("/", 1)[1]
    return {"key": key, "program": program, "member": member, "token": token}


def configure(
    client: TestClient, shop: dict[str, Any], prizes: list[dict[str, Any]], **extra: Any
) -> Any:
    body = {"min_purchase": "300", "prizes": prizes, **extra}
    return client.put(
        f"/api/v1/programs/{shop['program']['id']}/wheel", json=body, headers=auth(shop["key"])
    )


POINTS = {"label": "10 points", "kind": "points", "points": 10, "weight": 1}
NOTHING = {"label": "No luck", "kind": "nothing", "weight": 3}


class TestWheel:
    def test_odds_are_published(self, client: TestClient, shop: dict[str, Any]) -> None:
        response = configure(client, shop, [POINTS, NOTHING])
        assert response.status_code == 200, response.text
        assert [p["percent"] for p in response.json()["prizes"]] == [25.0, 75.0]

    def test_a_coupon_prize_needs_a_reward_of_the_program(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        coupon = {"label": "Coffee", "kind": "coupon", "weight": 1}
        assert configure(client, shop, [coupon, NOTHING]).status_code == 422
        other = {**coupon, "reward_id": "8a1c0d52-7c1b-4d33-9a55-2b0f5e1b7a10"}
        assert configure(client, shop, [other, NOTHING]).status_code == 404

    def test_only_a_qualifying_purchase_grants_a_spin_and_only_one(
        self, app: FastAPI, client: TestClient, shop: dict[str, Any]
    ) -> None:
        configure(client, shop, [POINTS, {**POINTS, "label": "10 more"}])
        spin = f"/cards/{shop['token']}/wheel"
        assert client.post(spin, headers=JSON).status_code == 409
        purchase(client, shop["key"], shop["member"]["id"], "299.99")
        assert client.post(spin, headers=JSON).status_code == 409
        purchase(client, shop["key"], shop["member"]["id"], "300")
        result = client.post(spin, headers=JSON)
        assert result.status_code == 200
        assert result.json()["points"] == 10
        assert result.json()["spins_left"] == 0
        assert client.post(spin, headers=JSON).status_code == 409
        with Session(app.state.engine) as session:
            [row] = session.exec(select(WheelSpin)).all()
        assert 0 <= row.draw < row.total_weight == 2

    def test_without_javascript_the_card_page_shows_the_result(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        configure(client, shop, [POINTS, {**POINTS, "label": "10 more"}])
        purchase(client, shop["key"], shop["member"]["id"], "500")
        response = client.post(f"/cards/{shop['token']}/wheel", follow_redirects=False)
        assert response.status_code == 303
        page = client.get(response.headers["location"], headers={"Accept-Language": "en"})
        assert "You won: 10" in page.text

    def test_the_daily_cap_turns_prizes_into_nothing(
        self, client: TestClient, shop: dict[str, Any]
    ) -> None:
        configure(client, shop, [POINTS, {**POINTS, "label": "10 more"}], daily_prize_cap=1)
        for receipt in ("A", "B"):
            purchase(client, shop["key"], shop["member"]["id"], "500", receipt_id=receipt)
        first = client.post(f"/cards/{shop['token']}/wheel", headers=JSON).json()
        second = client.post(f"/cards/{shop['token']}/wheel", headers=JSON).json()
        assert (first["kind"], second["kind"]) == ("points", "nothing")

    def test_a_coupon_prize_issues_a_coupon(self, client: TestClient, shop: dict[str, Any]) -> None:
        reward = client.post(
            f"/api/v1/programs/{shop['program']['id']}/rewards",
            json={"name": "Free coffee", "cost_points": 100},
            headers=auth(shop["key"]),
        ).json()
        coupon = {"label": "Coffee", "kind": "coupon", "reward_id": reward["id"], "weight": 1}
        configure(client, shop, [coupon, {**coupon, "label": "Coffee too"}])
        purchase(client, shop["key"], shop["member"]["id"], "500")
        result = client.post(f"/cards/{shop['token']}/wheel", headers=JSON).json()
        coupons = client.get(
            f"/api/v1/members/{shop['member']['id']}/coupons", headers=auth(shop["key"])
        ).json()["items"]
        assert [c["code"] for c in coupons] == [result["coupon_code"]]
