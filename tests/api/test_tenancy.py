"""Every merchant route, called with merchant A's admin key on merchant B's ids: 404 (or an
empty answer), never B's data, and nothing of B changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import (
    COMPLETE_RULES,
    POINTS_RULES,
    auth,
    enrol,
    new_merchant,
    new_program,
    purchase,
    transact,
)

LATER = (datetime.now(UTC) + timedelta(days=300)).isoformat()  # scheduled, so never sent
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/programs/{program_id}/members"): {"name": "Eve", "phone": "+79990000000"},
    ("POST", "/api/v1/programs/{program_id}/rewards"): {"name": "X", "cost_points": 1},
    ("PUT", "/api/v1/programs/{program_id}/rules"): COMPLETE_RULES,
    ("PATCH", "/api/v1/programs/{program_id}/rules"): {"earn": {"points": 1}},
    ("POST", "/api/v1/programs/{program_id}/rules/rollback"): {"version": 1},
    ("POST", "/api/v1/programs/{program_id}/rules/simulate"): {"rules": COMPLETE_RULES},
    ("POST", "/api/v1/members/{member_id}/transactions"): {"kind": "earn", "points": 1},
    ("POST", "/api/v1/members/{member_id}/erase"): {"reason": "the member asked"},
    ("POST", "/api/v1/programs/{program_id}/members/by-external-id/{external_id}/transactions"): {
        "kind": "earn",
        "points": 1,
    },
    ("POST", "/api/v1/transactions/{transaction_id}/refund"): {},
    ("PUT", "/api/v1/programs/{program_id}/wheel"): {
        "min_purchase": "1",
        "prizes": [{"label": n, "kind": "nothing", "weight": 1} for n in ("a", "b")],
    },
    ("POST", "/api/v1/programs/{program_id}/segments"): {"name": "Mine"},
    ("POST", "/api/v1/programs/{program_id}/campaigns"): {"name": "Mine", "message": "Hi"},
    ("POST", "/api/v1/programs/{program_id}/campaigns/preview"): {"message": "Hi"},
    ("PUT", "/api/v1/programs/{program_id}/automations/{kind}"): {"text": "Hi"},
    ("PATCH", "/api/v1/locations/{store_id}"): {"name": "Mine"},
    ("PATCH", "/api/v1/staff/{staff_id}"): {"is_active": False},
    ("PATCH", "/api/v1/programs/{program_id}/rewards/{reward_id}"): {"name": "Mine"},
    ("POST", "/api/v1/programs/{program_id}/actions"): {"kind": "review", "points": 5},
    ("PATCH", "/api/v1/programs/{program_id}/actions/{rule_id}"): {"points": 5},
    ("POST", "/api/v1/members/{member_id}/actions"): {"kind": "review", "reference": "mine"},
    ("POST", "/api/v1/programs/{program_id}/promos"): {
        "name": "Mine",
        "kind": "shared",
        "code": "MINE",
        "grant": "points",
        "points": 1,
    },  # fmt: skip
    ("PATCH", "/api/v1/programs/{program_id}/promos/{promo_id}"): {"name": "Mine"},
    ("POST", "/api/v1/members/{member_id}/promo"): {"code": "SECRET"},
    ("PUT", "/api/v1/members/{member_id}/tags"): {"tags": ["mine"]},
    ("PUT", "/api/v1/programs/{program_id}/design/draft"): {"program": {}, "colors": {}},
    ("POST", "/api/v1/programs/{program_id}/design/draft/starter"): {"starter": "florist"},
    ("POST", "/api/v1/programs/{program_id}/design/rollback"): {"version": 1},
}


def test_no_route_reaches_another_merchants_data(app: FastAPI, client: TestClient) -> None:
    theirs = new_merchant(app, "Secret Florist")
    program = new_program(client, theirs, name="Secret Club", rules=POINTS_RULES)
    member = enrol(client, theirs, program["id"], name="Secret Member")
    bought = purchase(client, theirs, member["id"], "1000")
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Secret Reward", "cost_points": 10},
        headers=auth(theirs),
    ).json()
    coupon = transact(client, theirs, member["id"], kind="redeem_reward", reward_id=reward["id"])
    their_key = client.get("/api/v1/keys", headers=auth(theirs)).json()["items"][0]
    store = client.post(
        "/api/v1/locations",
        json={"name": "Secret Store", "latitude": 55.75, "longitude": 37.61},
        headers=auth(theirs),
    ).json()
    campaign = client.post(
        f"/api/v1/programs/{program['id']}/campaigns",
        json={"name": "Secret Campaign", "message": "Secret news", "send_at": LATER},
        headers=auth(theirs),
    ).json()
    window = {"starts_at": "2099-01-01T00:00Z", "ends_at": "2099-01-02T00:00Z"}
    staff = client.post(
        "/api/v1/staff",
        json={"name": "Secret Cashier", "store_id": store["id"], "pin": "4821"},
        headers=auth(theirs),
    ).json()
    geo = client.post(
        "/api/v1/geo-campaigns",
        json={
            "name": "Secret Geo",
            "relevant_text": "Secret",
            "store_ids": [store["id"]],
            **window,
        },  # fmt: skip
        headers=auth(theirs),
    ).json()
    rule = client.post(
        f"/api/v1/programs/{program['id']}/actions",
        json={"kind": "review", "points": 5},
        headers=auth(theirs),
    ).json()
    promo = client.post(
        f"/api/v1/programs/{program['id']}/promos",
        json={"name": "Secret Promo", "kind": "shared", "code": "SECRET", "grant": "points",
              "points": 5},
        headers=auth(theirs),
    ).json()  # fmt: skip
    webhook = client.post(
        "/api/v1/webhooks", json={"url": "https://1.1.1.1/secret"}, headers=auth(theirs)
    ).json()
    ids = {
        "webhook_id": webhook["id"],
        "rule_id": rule["id"],
        "promo_id": promo["id"],
        "program_id": program["id"],
        "member_id": member["id"],
        "transaction_id": bought["transaction"]["id"],
        "code": coupon["coupon"]["code"],
        "key_id": their_key["id"],
        "barcode": member["serial_number"],
        "store_id": store["id"],
        "campaign_id": campaign["id"],
        "geo_campaign_id": geo["id"],
        "kind": "birthday",
        "file": "logo.png",
        "slot": "logo",
        "staff_id": staff["id"],
        "reward_id": reward["id"],
        "external_id": "POS-1",
        "import_id": member["id"],
        "dataset": "members",
    }
    before = client.get(f"/api/v1/members/{member['id']}", headers=auth(theirs)).json()
    mine = new_merchant(app, "Mine")
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in methods:
            url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
            body = BODIES.get((method.upper(), path), {} if method != "get" else None)
            response = client.request(method.upper(), url, json=body, headers=auth(mine))
            text = response.text
            assert "Secret" not in text, f"{method} {path} leaked: {text[:200]}"
            assert member["serial_number"] not in text or "{" not in path, f"{method} {path}"
            if "{" in path:
                assert response.status_code == 404, f"{method} {path}: {response.status_code}"
            else:
                assert response.status_code < 500, f"{method} {path}"
            checked += 1
    assert checked >= 30
    borrowed = client.post(
        "/api/v1/geo-campaigns",
        json={"name": "Mine", "relevant_text": "Mine", "store_ids": [store["id"]], **window},
        headers=auth(mine),
    )
    assert borrowed.status_code == 404  # another merchant's store
    after = client.get(f"/api/v1/members/{member['id']}", headers=auth(theirs)).json()
    assert after == before
    again = client.post(f"/api/v1/coupons/{ids['code']}/use", headers=auth(theirs))
    assert again.status_code == 200  # still unused: the other merchant could not use it
