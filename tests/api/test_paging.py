"""Every ``/api/v1`` list route answers a page (``items``, ``total``, ``limit``, ``offset``), in
a stable order, and refuses a ``limit`` above the maximum with a 422 problem (both databases).

A merchant with 60,000 stores once got them all in one 17 MB answer; no list is unbounded now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.actions import feedback as feedback_service
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind
from api.paging import DEFAULT_LIMIT, MAX_LIMIT
from api.webhooks.sender import WebhookSender
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, transact

pytestmark = pytest.mark.db

# Bounded by their own rules, changed elsewhere: Wallet's device logs (limit, retention).
NOT_PAGED = {"/api/v1/apple/device-logs"}


class Shop:
    """A merchant with one points program, a member, a store, and ``fill`` to add three rows
    to any list."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.client = client
        self.key = new_merchant(app)
        self.program = new_program(self.client, self.key, rules=POINTS_RULES)["id"]
        self.member = enrol(self.client, self.key, self.program)["id"]
        self.store = self.post("/api/v1/locations", name="Arbat", latitude=55.75, longitude=37.59)

    def post(self, path: str, **body: Any) -> str:
        response = self.client.post(path, json=body, headers=auth(self.key))
        assert response.status_code == 201, response.text
        created: str = response.json()["id"]
        return created

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=auth(self.key))


def _programs(shop: Shop) -> str:
    for n in range(2):
        shop.post("/api/v1/programs", name=f"Club {n}", kind="points")
    return "/api/v1/programs"


def _stores(shop: Shop) -> str:
    for n in range(2):
        shop.post("/api/v1/locations", name=f"Store {n}", latitude=55.0 + n, longitude=37.0)
    return "/api/v1/locations"


def _keys(shop: Shop) -> str:
    for n in range(2):
        shop.post("/api/v1/keys", name=f"Till {n}", role="pos")
    return "/api/v1/keys"


def _staff(shop: Shop) -> str:
    for n in range(3):
        shop.post("/api/v1/staff", name=f"Olga {n}", store_id=shop.store, pin="4821")
    return "/api/v1/staff"


def _rewards(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/rewards"
    for n in range(3):
        shop.post(path, name=f"Tea {n}", cost_points=1)
    return path


def _coupons(shop: Shop) -> str:
    reward = shop.post(f"/api/v1/programs/{shop.program}/rewards", name="Tea", cost_points=1)
    transact(shop.client, shop.key, shop.member, kind="earn", points=10)
    for _ in range(3):
        transact(shop.client, shop.key, shop.member, kind="redeem_reward", reward_id=reward)
    return f"/api/v1/members/{shop.member}/coupons"


def _segments(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/segments"
    for n in range(3):
        shop.post(path, name=f"Segment {n}")
    return path


def _campaigns(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/campaigns"
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for n in range(3):
        shop.post(path, name=f"Hello {n}", message="Hi", send_at=later)
    return path


def _geo_campaigns(shop: Shop) -> str:
    for n in range(3):
        shop.post(
            "/api/v1/geo-campaigns", name=f"Sale {n}", relevant_text="Sale today",
            store_ids=[shop.store], starts_at="2099-01-01T10:00:00Z",
            ends_at="2099-01-01T18:00:00Z",
        )  # fmt: skip
    return "/api/v1/geo-campaigns"


def _automations(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/automations"
    for kind in ("birthday", "tier_up", "win_back"):
        response = shop.client.put(f"{path}/{kind}", json={"text": "Hi"}, headers=auth(shop.key))
        assert response.status_code == 200, response.text
    return path


def _members(shop: Shop) -> str:
    for n in range(2):
        enrol(shop.client, shop.key, shop.program, name=f"Ivan {n}", phone=f"+7916000000{n}")
    return "/api/v1/members"


def _transactions(shop: Shop) -> str:
    for _ in range(3):
        transact(shop.client, shop.key, shop.member, kind="earn", points=1)
    return f"/api/v1/members/{shop.member}/transactions"


def _ledger(shop: Shop) -> str:
    for _ in range(3):
        transact(shop.client, shop.key, shop.member, kind="earn", points=1)
    return f"/api/v1/members/{shop.member}/ledger"


def _messages(shop: Shop) -> str:
    engine = shop.client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session, session.begin():
        member = session.get_one(Member, UUID(shop.member))
        for n in range(3):
            messaging_service.enqueue(
                session, member=member, channel=Channel.sms, kind=Kind.service,
                template="card_link", locale="en", context={"card_url": "https://x.example"},
                idempotency_key=f"paging:{shop.member}:{n}", now=datetime.now(UTC),
            )  # fmt: skip
    return f"/api/v1/members/{shop.member}/messages"


def _action_rules(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/actions"
    for kind in ("review", "share", "custom:quiz"):
        shop.post(path, kind=kind, points=5)
    return path


def _feedback(shop: Shop) -> str:
    bought = [
        transact(shop.client, shop.key, shop.member, kind="purchase", amount="100", currency="RUB")
        for _ in range(3)
    ]
    engine = shop.client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session, session.begin():
        member = session.get_one(Member, UUID(shop.member))
        for result in bought:
            feedback_service.submit(
                session, member, UUID(result["transaction"]["id"]), rating=5, comment=None,
                now=datetime.now(UTC),
            )  # fmt: skip
    return f"/api/v1/programs/{shop.program}/feedback"


def _design_versions(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/design"
    for _ in range(3):
        shop.post(f"{path}/publish")
    return f"{path}/versions"


def _rules_versions(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/rules"
    for n in range(2):  # the first change also records the rules the program started with
        response = shop.client.patch(path, json={"earn": {"points": 6 + n}}, headers=auth(shop.key))
        assert response.status_code == 200, response.text
    return f"{path}/versions"


def _promos(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/promos"
    for n in range(3):
        shop.post(path, name=f"P{n}", kind="shared", code=f"CODE{n}", grant="points", points=5)
    return path


def _promo_redemptions(shop: Shop) -> str:
    path = f"/api/v1/programs/{shop.program}/promos"
    promo = shop.post(
        path, name="Batch", kind="unique", count=3, grant="points", points=5, per_member_limit=3
    )
    codes = shop.get(f"{path}/{promo}/codes.csv").text.split()[1:]
    for code in codes:
        redeemed = shop.client.post(
            f"/api/v1/members/{shop.member}/promo",
            json={"code": code.split(",")[0]},
            headers={"Authorization": f"Bearer {shop.key}"},
        )
        assert redeemed.status_code == 201, redeemed.text
    return f"{path}/{promo}/redemptions"


def _webhooks(shop: Shop) -> str:
    for n in range(3):
        shop.post("/api/v1/webhooks", url=f"https://1.1.1.1/hook/{n}")
    return "/api/v1/webhooks"


def _webhook_deliveries(shop: Shop) -> str:
    endpoint = shop.post("/api/v1/webhooks", url="https://1.1.1.1/hook")
    for n in range(3):
        transact(shop.client, shop.key, shop.member, kind="earn", points=n + 1)
    engine = shop.client.app.state.engine  # type: ignore[attr-defined]
    answers = WebhookSender(
        engine, require_https=True, allow_private=False, post=lambda *_: (200, "ok")
    )
    assert answers.run_once().delivered == 3
    return f"/api/v1/webhooks/{endpoint}/deliveries"


def _audit(shop: Shop) -> str:
    _stores(shop)
    shop.post("/api/v1/locations", name="Store 3", latitude=56.0, longitude=38.0)
    return "/api/v1/audit"


LISTS: dict[str, Callable[[Shop], str]] = {
    "/api/v1/programs": _programs,
    "/api/v1/locations": _stores,
    "/api/v1/keys": _keys,
    "/api/v1/staff": _staff,
    "/api/v1/programs/{program_id}/rewards": _rewards,
    "/api/v1/members/{member_id}/coupons": _coupons,
    "/api/v1/programs/{program_id}/segments": _segments,
    "/api/v1/programs/{program_id}/campaigns": _campaigns,
    "/api/v1/geo-campaigns": _geo_campaigns,
    "/api/v1/programs/{program_id}/automations": _automations,
    "/api/v1/members": _members,
    "/api/v1/members/{member_id}/transactions": _transactions,
    "/api/v1/members/{member_id}/ledger": _ledger,
    "/api/v1/members/{member_id}/messages": _messages,
    "/api/v1/programs/{program_id}/design/versions": _design_versions,
    "/api/v1/programs/{program_id}/rules/versions": _rules_versions,
    "/api/v1/programs/{program_id}/actions": _action_rules,
    "/api/v1/programs/{program_id}/feedback": _feedback,
    "/api/v1/programs/{program_id}/promos": _promos,
    "/api/v1/programs/{program_id}/promos/{promo_id}/redemptions": _promo_redemptions,
    "/api/v1/webhooks": _webhooks,
    "/api/v1/webhooks/{webhook_id}/deliveries": _webhook_deliveries,
    "/api/v1/audit": _audit,
}


def _key(item: dict[str, Any]) -> str:
    return str(item.get("id") or item.get("code") or item["kind"])


def _answers(app: FastAPI) -> dict[str, dict[str, Any]]:
    """The JSON schema of each ``/api/v1`` GET route's 200 answer, from the OpenAPI (a file
    download, such as a CSV, is no list)."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {
        path: content["application/json"]["schema"]
        for path, operations in paths.items()
        if path.startswith("/api/v1/") and "get" in operations
        for content in [operations["get"]["responses"]["200"]["content"]]
        if "application/json" in content
    }


def test_every_list_route_pages(app: FastAPI) -> None:
    """A list route added later must page too: no GET answers a bare array, and every Page
    answer is in the table below, so its paging is tested."""
    answers = _answers(app)
    bare = {path for path, schema in answers.items() if schema.get("type") == "array"}
    paged = {
        path
        for path, schema in answers.items()
        if schema.get("$ref", "").startswith("#/components/schemas/Page_")
    }
    assert bare <= NOT_PAGED
    assert paged - NOT_PAGED == set(LISTS)


@pytest.mark.parametrize("route", list(LISTS))
def test_list_pages_with_limit_and_offset(app: FastAPI, client: TestClient, route: str) -> None:
    shop = Shop(app, client)
    path = LISTS[route](shop)
    whole = shop.get(path, limit=MAX_LIMIT)
    assert whole.status_code == 200, whole.text
    everything = whole.json()
    total = everything["total"]
    assert total >= 3
    assert len(everything["items"]) == total
    assert (everything["limit"], everything["offset"]) == (MAX_LIMIT, 0)

    first = shop.get(path, limit=2).json()
    rest = shop.get(path, limit=2, offset=2).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (
        total, 2, 0, 2,
    )  # fmt: skip
    assert (rest["offset"], len(rest["items"])) == (2, min(2, total - 2))
    assert [_key(i) for i in first["items"] + rest["items"]] == [
        _key(i) for i in everything["items"][:4]
    ]
    assert shop.get(path).json()["limit"] == DEFAULT_LIMIT


@pytest.mark.parametrize("route", list(LISTS))
@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": MAX_LIMIT + 1}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset")],
)
def test_out_of_range_paging_is_a_422_problem(
    app: FastAPI, client: TestClient, route: str, params: dict[str, int], field: str
) -> None:
    key = new_merchant(app)
    path = route.format(
        program_id=new_program(client, key)["id"], member_id="0" * 32, promo_id="0" * 32,
        webhook_id="0" * 32,
    )  # fmt: skip
    response = client.get(path, params=params, headers=auth(key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "validation_error"
    assert [e["location"] for e in problem["errors"]] == [["query", field]]


def test_250_stores_come_back_in_pages(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    rows = "".join(f"Store {n:03},55.{n:03},37.5\n" for n in range(250))
    imported = client.post(
        "/api/v1/locations/import",
        content=f"name,latitude,longitude\n{rows}",
        headers={**auth(key), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text

    first = client.get("/api/v1/locations", headers=auth(key)).json()
    assert (len(first["items"]), first["total"], first["limit"]) == (DEFAULT_LIMIT, 250, 50)
    names: list[str] = []
    for offset in range(0, 250, MAX_LIMIT):
        page = client.get(
            "/api/v1/locations", params={"limit": MAX_LIMIT, "offset": offset}, headers=auth(key)
        ).json()
        assert page["total"] == 250
        names += [store["name"] for store in page["items"]]
    assert len(names) == 250
    assert sorted(names) == [f"Store {n:03}" for n in range(250)]
    beyond = client.get("/api/v1/locations", params={"offset": 250}, headers=auth(key)).json()
    assert (beyond["items"], beyond["total"]) == ([], 250)
