"""Coupons at the scanner: typed or scanned (any case, with dashes), shown with their reward
and owner, used once; 40 tills using one coupon at once on PostgreSQL use it once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api.staff.test_scanner import shop, sign_in
from tests.support.burst import at_once
from tests.support.factories import auth, transact
from tests.support.server import running_server

__all__ = ["shop"]  # the fixture, shared with the scanner tests
pytestmark = pytest.mark.db


def coupon_of(client: TestClient, shop: dict[str, Any]) -> str:
    """A coupon for a full card of the shop's stamps program."""
    key, member = shop["key"], shop["member"]
    reward = client.post(
        f"/api/v1/programs/{member['program_id']}/rewards",
        json={"name": "Free coffee", "costs_full_card": True},
        headers=auth(key),
    ).json()
    transact(client, key, member["id"], kind="earn", stamps=10)
    result = transact(client, key, member["id"], kind="redeem_reward", reward_id=reward["id"])
    return str(result["coupon"]["code"])


def test_a_typed_coupon_code_is_found_and_used_once(
    client: TestClient, shop: dict[str, Any]
) -> None:
    code = coupon_of(client, shop)
    sign_in(client, shop["staff"]["code"], "4821")
    typed = f"{code[:4].lower()}-{code[4:]}"
    found = client.post("/scan/lookup", data={"number": typed}, follow_redirects=False)
    assert found.status_code == 303
    assert found.headers["location"] == f"/scan/coupons/{code}"
    page = client.get(found.headers["location"]).text
    assert "Free coffee" in page
    assert 'id="use"' in page

    used = client.post(f"/scan/coupons/{code}", data={"nonce": "n1"})
    assert used.status_code == 200
    assert 'id="result"' in used.text
    assert 'id="use"' not in used.text
    again = client.post(f"/scan/coupons/{code}", data={"nonce": "n1"})  # the same form again
    assert again.status_code == 200
    refused = client.post(f"/scan/coupons/{code}", data={"nonce": "n2"})
    assert refused.status_code == 409
    assert 'id="refusal"' in refused.text
    detail = client.get(
        f"/api/v1/members/{shop['member']['id']}/coupons", headers=auth(shop["key"])
    )
    assert detail.json()["items"][0]["used_at"] is not None


def test_the_card_lists_its_coupons_and_offers_only_usable_rewards(
    client: TestClient, shop: dict[str, Any]
) -> None:
    code = coupon_of(client, shop)  # the member now has 0 stamps: the full card is not offered
    sign_in(client, shop["staff"]["code"], "4821")
    page = client.get(f"/scan/cards/{shop['member']['serial_number']}").text
    assert f'href="/scan/coupons/{code}"' in page
    assert 'id="f-reward"' not in page


def test_another_merchants_coupon_is_not_found(
    app: FastAPI, client: TestClient, shop: dict[str, Any]
) -> None:
    from tests.api.staff.test_scanner import add_store
    from tests.support.factories import enrol, new_merchant, new_program

    other = new_merchant(app, "Other")
    program = new_program(client, other, kind="stamps", stamps_required=1)
    member = enrol(client, other, program["id"], phone="+79160000001")
    reward = client.post(
        f"/api/v1/programs/{program['id']}/rewards",
        json={"name": "Theirs", "costs_full_card": True},
        headers=auth(other),
    ).json()
    transact(client, other, member["id"], kind="earn", stamps=1)
    code = transact(client, other, member["id"], kind="redeem_reward", reward_id=reward["id"])[
        "coupon"
    ]["code"]
    assert add_store(app, other)
    sign_in(client, shop["staff"]["code"], "4821")
    assert client.get(f"/scan/coupons/{code}").status_code == 404
    assert client.post(f"/scan/coupons/{code}", data={"nonce": "x"}).status_code == 404
    lookup = client.post("/scan/lookup", data={"number": code}, follow_redirects=False)
    assert lookup.status_code == 404


def test_forty_tills_use_one_coupon_once(
    client: TestClient, settings: Settings, shop: dict[str, Any]
) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race is PostgreSQL's")
    code = coupon_of(client, shop)
    sign_in(client, shop["staff"]["code"], "4821")
    cookie = f"lp_staff={client.cookies['lp_staff']}"

    def use(n: int) -> Any:
        return lambda http: http.post(
            f"/scan/coupons/{code}", data={"nonce": f"race-{n}"}, headers={"Cookie": cookie}
        )

    with running_server(settings) as base:
        responses = at_once(base, [use(n) for n in range(40)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 39, statuses
