"""The tier's discount is visible where the till uses it: the member and barcode lookups, the
scanner, the card page and the pass (the florist design shows it in a field)."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.staff.test_scanner import add_store, sign_in
from tests.support.factories import auth, enrol, new_merchant, new_program, purchase

pytestmark = pytest.mark.db

RULES = {
    "currency": "RUB",
    "earn": {"points": 5, "per_amount": "100"},
    "tiers": {
        "metric": "spend",
        "levels": [
            {"name": "Silver", "threshold": "1000", "discount_percent": 3},
            {"name": "Gold", "threshold": "5000", "discount_percent": 7},
        ],
    },
}


def test_the_discount_shows_everywhere_the_till_looks(app: FastAPI, client: TestClient) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=RULES, design="florist")
    member = enrol(client, key, program["id"])
    assert member["discount_percent"] == 0
    assert purchase(client, key, member["id"], "6000")["discount_percent"] == 7

    got = client.get(f"/api/v1/members/{member['id']}", headers=auth(key)).json()
    assert (got["tier"], got["discount_percent"]) == ("Gold", 7)
    scanned = client.get(
        f"/api/v1/members/by-barcode/{member['serial_number']}", headers=auth(key)
    ).json()
    assert scanned["discount_percent"] == 7
    listed = client.get("/api/v1/members", headers=auth(key)).json()["items"]
    assert listed[0]["discount_percent"] == 7

    client.headers["Accept-Language"] = "en"
    card_page = client.get(urlsplit(member["card_url"]).path).text
    assert '<span id="discount">7%</span>' in card_page

    response = client.get(urlsplit(member["apple_pass_url"]).path)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        document = json.loads(archive.read("pass.json"))
    fields = [f for group in document["storeCard"].values() for f in group]
    assert any(f["key"] == "discount" and f["value"] == "7%" for f in fields), fields

    store_id = add_store(app, key)
    staff = client.post(
        "/api/v1/staff", json={"name": "Olga", "store_id": store_id, "pin": "4821"},
        headers=auth(key),
    ).json()  # fmt: skip
    sign_in(client, staff["code"], "4821")
    page = client.get(f"/scan/cards/{member['serial_number']}").text
    assert '<td id="discount">7%</td>' in page
