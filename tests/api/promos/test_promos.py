"""Promo codes: a shared code with a usage limit or a batch of unique codes, a window, a
per-member limit, and what they grant (points through the ledger, a coupon, a discount the
next purchase takes); refusals with stable codes naming the field (both databases)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from tests.api.transactions.test_ledger import reconcile
from tests.support.factories import (
    POINTS_RULES,
    auth,
    enrol,
    new_key,
    new_merchant,
    new_program,
    purchase,
)

pytestmark = pytest.mark.db


class Shop:
    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app, self.client = app, client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES)["id"]
        self.phone = 0

    def promo(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        body = {"name": "Summer", "kind": "shared", "code": "summer-25", "grant": "points",
                "points": 100, **body}  # fmt: skip
        response = self.client.post(
            f"/api/v1/programs/{self.program}/promos", json=body, headers=auth(self.key)
        )
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result

    def member(self) -> str:
        self.phone += 1
        phone = f"+7 916 000-00-{self.phone:02d}"
        member_id: str = enrol(self.client, self.key, self.program, phone=phone)["id"]
        return member_id

    def redeem(self, member_id: str, code: str, *, key: str | None = None) -> Any:
        return self.client.post(
            f"/api/v1/members/{member_id}/promo", json={"code": code},
            headers=auth(key or self.key),
        )  # fmt: skip

    def codes(self, promo_id: str) -> list[str]:
        response = self.client.get(
            f"/api/v1/programs/{self.program}/promos/{promo_id}/codes.csv", headers=auth(self.key)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        return [row["code"] for row in rows]


@pytest.fixture
def shop(app: FastAPI, client: TestClient) -> Shop:
    return Shop(app, client)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == code
    return body


class TestSharedCode:
    def test_points_go_through_the_ledger_and_reconcile(self, shop: Shop) -> None:
        promo = shop.promo()
        assert (promo["code"], promo["codes"], promo["uses"]) == ("SUMMER25", 1, 0)
        member = shop.member()
        pos = new_key(shop.app, shop.key, Role.pos)
        first = shop.redeem(member, " summer 25 ", key=pos)
        assert first.status_code == 201, first.text
        body = first.json()
        assert (body["grant"], body["points"], body["code"], body["is_new"]) == (
            "points", 100, "SUMMER25", True,
        )  # fmt: skip
        assert body["transaction_id"]
        moves = reconcile(shop.client, shop.key, member)
        promo_moves = [m for m in moves if m["reason"] == "promo SUMMER25"]
        assert [(m["kind"], m["amount"]) for m in promo_moves] == [("bonus", 100)]
        again = shop.redeem(member, "SUMMER25")
        assert again.status_code == 200
        assert again.json()["id"] == body["id"]
        assert again.json()["is_new"] is False
        assert again.json()["balance"] == body["balance"]
        reconcile(shop.client, shop.key, member)
        read = shop.client.get(
            f"/api/v1/programs/{shop.program}/promos/{promo['id']}", headers=auth(shop.key)
        )
        assert read.json()["uses"] == 1

    def test_usage_limit_then_used_up(self, shop: Shop) -> None:
        shop.promo(usage_limit=2)
        for _ in range(2):
            assert shop.redeem(shop.member(), "SUMMER25").status_code == 201
        body = problem(shop.redeem(shop.member(), "SUMMER25"), 409, "promo_used_up")
        assert body["field"] == "code"

    def test_a_code_is_one_promo_of_the_merchant(self, shop: Shop) -> None:
        shop.promo()
        body = problem(shop.client.post(
            f"/api/v1/programs/{shop.program}/promos",
            json={"name": "Again", "kind": "shared", "code": "SUMMER25", "grant": "points",
                  "points": 5},
            headers=auth(shop.key),
        ), 409, "promo_code_taken")  # fmt: skip
        assert body["field"] == "code"

    def test_pos_key_cannot_create(self, shop: Shop) -> None:
        pos = new_key(shop.app, shop.key, Role.pos)
        response = shop.client.post(
            f"/api/v1/programs/{shop.program}/promos",
            json={"name": "X", "kind": "shared", "code": "XXX", "grant": "points", "points": 5},
            headers=auth(pos),
        )
        assert response.status_code == 403


class TestUniqueCodes:
    def test_a_batch_of_printable_codes_each_used_once(self, shop: Shop) -> None:
        promo = shop.promo(kind="unique", code=None, count=50, per_member_limit=2)
        codes = shop.codes(promo["id"])
        assert len(codes) == len(set(codes)) == 50
        assert all(len(c) == 10 and c.isalnum() and c.isupper() for c in codes)
        assert not any(ch in c for c in codes for ch in "01IO")
        member, other = shop.member(), shop.member()
        assert shop.redeem(member, codes[0].lower()).status_code == 201
        problem(shop.redeem(other, codes[0]), 409, "promo_used_up")
        assert shop.redeem(member, f"{codes[1][:5]}-{codes[1][5:]}").status_code == 201
        problem(shop.redeem(member, codes[2]), 409, "promo_member_limit")
        listed = shop.client.get(
            f"/api/v1/programs/{shop.program}/promos/{promo['id']}/redemptions",
            headers=auth(shop.key),
        ).json()
        assert listed["total"] == 2
        assert {r["code"] for r in listed["items"]} == {codes[0], codes[1]}
        assert {r["member_id"] for r in listed["items"]} == {member}

    def test_batch_shape_is_checked(self, shop: Shop) -> None:
        response = shop.client.post(
            f"/api/v1/programs/{shop.program}/promos",
            json={"name": "X", "kind": "unique", "count": 5, "usage_limit": 3, "grant": "points",
                  "points": 5},
            headers=auth(shop.key),
        )  # fmt: skip
        assert response.status_code == 422


class TestGrants:
    def test_a_coupon_of_a_reward(self, shop: Shop) -> None:
        reward = shop.client.post(
            f"/api/v1/programs/{shop.program}/rewards",
            json={"name": "Cappuccino", "cost_points": 300, "stock": 1},
            headers=auth(shop.key),
        ).json()
        shop.promo(grant="coupon", points=None, reward_id=reward["id"])
        member = shop.member()
        body = shop.redeem(member, "SUMMER25").json()
        assert body["coupon_code"]
        assert body["coupon_id"]
        coupons = shop.client.get(
            f"/api/v1/members/{member}/coupons", headers=auth(shop.key)
        ).json()["items"]
        assert [c["code"] for c in coupons] == [body["coupon_code"]]
        replay = shop.redeem(member, "SUMMER25").json()
        assert replay["coupon_code"] == body["coupon_code"]
        problem(shop.redeem(shop.member(), "SUMMER25"), 409, "reward_out_of_stock")
        promo = shop.client.get(
            f"/api/v1/programs/{shop.program}/promos", headers=auth(shop.key)
        ).json()["items"][0]
        assert promo["uses"] == 1  # the refused redemption wrote nothing

    def test_an_archived_reward_gives_no_coupon(self, shop: Shop) -> None:
        reward = shop.client.post(
            f"/api/v1/programs/{shop.program}/rewards",
            json={"name": "Cappuccino", "cost_points": 300},
            headers=auth(shop.key),
        ).json()
        shop.promo(grant="coupon", points=None, reward_id=reward["id"])
        shop.client.patch(
            f"/api/v1/programs/{shop.program}/rewards/{reward['id']}",
            json={"is_active": False},
            headers=auth(shop.key),
        )
        problem(shop.redeem(shop.member(), "SUMMER25"), 409, "reward_not_available")

    def test_a_reward_of_another_program_is_refused(self, shop: Shop) -> None:
        other = new_program(shop.client, shop.key, name="Other", rules=POINTS_RULES)["id"]
        reward = shop.client.post(
            f"/api/v1/programs/{other}/rewards",
            json={"name": "Tea", "cost_points": 10},
            headers=auth(shop.key),
        ).json()
        shop.promo(expect=404, grant="coupon", points=None, reward_id=reward["id"])

    def test_a_discount_waits_for_the_next_purchase(self, shop: Shop) -> None:
        shop.promo(grant="discount", points=None, discount_percent=15)
        member = shop.member()
        discount = f"/api/v1/members/{member}/discount"
        nothing = shop.client.get(discount, headers=auth(shop.key)).json()
        assert nothing == {"promo_discount_percent": 0, "promo_id": None, "granted_at": None}
        body = shop.redeem(member, "SUMMER25").json()
        assert body["discount_percent"] == 15
        assert body["discount_used_at"] is None
        waiting = shop.client.get(discount, headers=auth(shop.key)).json()
        assert waiting["promo_discount_percent"] == 15  # the till sees it before it charges
        assert waiting["promo_id"] == body["promo_id"]
        first = purchase(shop.client, shop.key, member, "1000", receipt_id="R-1")
        assert first["promo_discount_percent"] == 15
        retried = purchase(shop.client, shop.key, member, "1000", receipt_id="R-1", expect=200)
        assert retried["transaction"]["id"] == first["transaction"]["id"]
        assert retried["promo_discount_percent"] == 15
        second = purchase(shop.client, shop.key, member, "1000")
        assert second["promo_discount_percent"] == 0
        taken = shop.client.get(discount, headers=auth(shop.key)).json()
        assert taken["promo_discount_percent"] == 0
        replay = shop.redeem(member, "SUMMER25").json()
        assert replay["discount_used_at"] is not None
        assert replay["discount_transaction_id"] == first["transaction"]["id"]


class TestRefusals:
    def test_unknown_and_another_merchants_code_answer_alike(
        self, shop: Shop, app: FastAPI, client: TestClient
    ) -> None:
        theirs = Shop(app, client)
        theirs.promo(code="SECRET1")
        member = shop.member()
        unknown = problem(shop.redeem(member, "NOPE123"), 404, "promo_not_found")
        foreign = problem(shop.redeem(member, "SECRET1"), 404, "promo_not_found")
        assert unknown["field"] == foreign["field"] == "code"
        assert unknown["title"] == foreign["title"]

    def test_another_program_of_the_merchant(self, shop: Shop) -> None:
        shop.promo()
        other = new_program(shop.client, shop.key, name="Other", rules=POINTS_RULES)["id"]
        member = enrol(shop.client, shop.key, other, phone="+7 916 555-55-55")["id"]
        problem(shop.redeem(member, "SUMMER25"), 404, "promo_not_found")

    def test_window(self, shop: Shop) -> None:
        now = datetime.now(UTC)
        shop.promo(code="LATER", starts_at=(now + timedelta(days=1)).isoformat())
        shop.promo(code="OVER", ends_at=(now - timedelta(seconds=1)).isoformat())
        member = shop.member()
        assert problem(shop.redeem(member, "LATER"), 409, "promo_not_started")["field"] == "code"
        assert problem(shop.redeem(member, "OVER"), 409, "promo_expired")["field"] == "code"

    def test_archived(self, shop: Shop) -> None:
        promo = shop.promo()
        member = shop.member()
        assert shop.redeem(member, "SUMMER25").status_code == 201
        archived = shop.client.patch(
            f"/api/v1/programs/{shop.program}/promos/{promo['id']}",
            json={"is_active": False},
            headers=auth(shop.key),
        )
        assert archived.status_code == 200
        assert archived.json()["is_active"] is False
        problem(shop.redeem(shop.member(), "SUMMER25"), 409, "promo_archived")
        assert shop.redeem(member, "SUMMER25").status_code == 200  # a replay still answers

    def test_unknown_member(self, shop: Shop) -> None:
        shop.promo()
        missing = "00000000-0000-0000-0000-000000000000"
        problem(shop.redeem(missing, "SUMMER25"), 404, "member_not_found")

    def test_usage_limit_on_unique_codes(self, shop: Shop) -> None:
        promo = shop.promo(kind="unique", code=None, count=2)
        body = problem(shop.client.patch(
            f"/api/v1/programs/{shop.program}/promos/{promo['id']}",
            json={"usage_limit": 5},
            headers=auth(shop.key),
        ), 422, "promo_invalid")  # fmt: skip
        assert body["field"] == "usage_limit"
